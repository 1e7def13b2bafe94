// The reverse check: which ServiceAccounts a given trust document does not
// trust, and why (namespace, name, audience, issuer), with rule ids. Pure.
import {
  gcpPrincipal, gcpProviderResource, issuerHostPath, oidcProviderArn, parseSubject, POD_IDENTITY_SERVICE,
  subjectOf, TrustBinding, TrustCloud, TrustFinding,
} from './core';
import { Finding, finding, show, TR } from '../rules';

/** A trust document read from a file, by what it is. */
export interface ReadTrustDocument {
  readonly cloud: TrustCloud;
  readonly kind: 'iam-role-trust-policy' | 'eks-pod-identity-association' | 'azure-federated-identity-credential' | 'gcp-workload-identity-pool-provider' | 'gcp-iam-policy';
  /** The role ARN or client id the document is for, when the file says (the trust command's own output). */
  readonly for?: string;
  readonly document: any;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');

function classify(doc: unknown, forWhat?: string): ReadTrustDocument[] {
  if (!isObj(doc)) return [];
  if (doc.Statement !== undefined) {
    // an IAM policy: web identity statements and Pod Identity statements are read separately
    const out: ReadTrustDocument[] = [];
    const statements = list(doc.Statement).filter(isObj);
    if (statements.some(s => isObj(s.Principal) && s.Principal.Federated !== undefined)) out.push({ cloud: 'aws', kind: 'iam-role-trust-policy', for: forWhat, document: doc });
    if (statements.some(s => isObj(s.Principal) && s.Principal.Service !== undefined)) out.push({ cloud: 'eks-pod-identity', kind: 'iam-role-trust-policy', for: forWhat, document: doc });
    if (out.length === 0) out.push({ cloud: 'aws', kind: 'iam-role-trust-policy', for: forWhat, document: doc });
    return out;
  }
  if (typeof doc.clusterName === 'string' && typeof doc.serviceAccount === 'string') return [{ cloud: 'eks-pod-identity', kind: 'eks-pod-identity-association', document: doc }];
  if (doc.issuer !== undefined && doc.subject !== undefined) return [{ cloud: 'azure', kind: 'azure-federated-identity-credential', for: forWhat, document: doc }];
  if (isObj(doc.oidc) || (typeof doc.name === 'string' && doc.name.includes('/workloadIdentityPools/') && isObj(doc.attributeMapping))) {
    return [{ cloud: 'gcp', kind: 'gcp-workload-identity-pool-provider', document: doc }];
  }
  if (Array.isArray(doc.bindings)) return [{ cloud: 'gcp', kind: 'gcp-iam-policy', document: doc }];
  if (Array.isArray(doc.members)) return [{ cloud: 'gcp', kind: 'gcp-iam-policy', document: { bindings: [{ role: '', members: doc.members }] } }];
  return [];
}

/**
 * The trust documents of a file: one document, a list of them (e.g.
 * `az identity federated-credential list`), an `az`/Graph list (`value`), or
 * the JSON output of `cdk8s-bound-tokens trust`. Empty when none is recognised.
 */
export function readTrustDocuments(json: unknown): ReadTrustDocument[] {
  if (isObj(json) && Array.isArray(json.documents)) {
    return json.documents.flatMap((d: any) => (isObj(d) ? classify(d.document, typeof d.for === 'string' && d.kind !== 'eks-pod-identity-association' ? d.for : undefined) : []));
  }
  if (isObj(json) && Array.isArray(json.value)) return json.value.flatMap((d: unknown) => classify(d));
  if (Array.isArray(json)) return json.flatMap(d => classify(d));
  return classify(json);
}

/** Why one candidate entry does not trust a binding: the findings, none when it does. */
type Verdict = { findings: Finding[]; broad?: Finding };

function subjectMismatch(b: TrustBinding, subjects: string[], matches: (value: string, subject: string) => boolean, where: string): Finding[] {
  const want = subjectOf(b.namespace!, b.serviceAccount!);
  if (subjects.some(s => matches(s, want))) return [];
  // the closest subject: same name in another namespace, another name in the same namespace, else both differ
  // (a list trusts several accounts of one namespace: one of them with the same name is the one meant)
  const parsed = subjects.map(parseSubject).filter((x): x is { namespace: string; name: string } => x !== undefined);
  const sameNs = parsed.find(p => p.namespace === b.namespace);
  const sameName = parsed.find(p => p.name === b.serviceAccount);
  const shown = subjects.length === 1 ? show(subjects[0]) : show(subjects);
  if (sameName) return [finding(TR.VERIFY_NAMESPACE, '', where, `trusts '${b.serviceAccount}' in namespace '${sameName.namespace}', not '${b.namespace}' (${want})`, shown)];
  if (sameNs) return [finding(TR.VERIFY_NAME, '', where, `trusts ServiceAccount '${sameNs.name}' of namespace '${b.namespace}', not '${b.serviceAccount}' (${want})`, shown)];
  return [
    finding(TR.VERIFY_NAMESPACE, '', where, `trusts no subject of namespace '${b.namespace}' (${want})`, shown),
    finding(TR.VERIFY_NAME, '', where, `trusts no ServiceAccount named '${b.serviceAccount}' (${want})`, shown),
  ];
}

/** IAM StringLike: `*` any run of characters, `?` one character. */
function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.split('').map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('') + '$', 's');
  return re.test(value);
}

function actionAllows(action: unknown, wanted: string): boolean {
  return strings(action).some(a => a === '*' || a.toLowerCase() === wanted.toLowerCase() || a.toLowerCase() === 'sts:*');
}

/** The values of a condition key under an operator (keys compare case-insensitively, as IAM does). */
function conditionValues(condition: any, operator: string, conditionKey: string): string[] | undefined {
  if (!isObj(condition) || !isObj(condition[operator])) return undefined;
  const k = Object.keys(condition[operator]).find(x => x.toLowerCase() === conditionKey.toLowerCase());
  return k === undefined ? undefined : strings(condition[operator][k]);
}

function verifyAwsStatement(b: TrustBinding, s: any, issuer: string, expectedProvider: string | undefined): Verdict {
  const out: Finding[] = [];
  const prefix = issuerHostPath(issuer);
  const federated = strings(s.Principal?.Federated);
  const expectedSuffix = `:oidc-provider/${prefix}`;
  if (expectedProvider ? !federated.includes(expectedProvider) : !federated.some(f => f.endsWith(expectedSuffix))) {
    out.push(finding(TR.VERIFY_ISSUER, '', 'Principal.Federated', `is not the OIDC provider of the cluster's issuer ${show(issuer)}${expectedProvider ? ` (${expectedProvider})` : ''}`, show(federated.length === 1 ? federated[0] : federated)));
  }
  const cond = s.Condition;
  const subEq = conditionValues(cond, 'StringEquals', `${prefix}:sub`);
  const subLike = conditionValues(cond, 'StringLike', `${prefix}:sub`);
  const audEq = conditionValues(cond, 'StringEquals', `${prefix}:aud`);
  const audLike = conditionValues(cond, 'StringLike', `${prefix}:aud`);
  // condition keys of another issuer say the statement is for another provider
  const otherKeys = isObj(cond) ? Object.values(cond).filter(isObj).flatMap(o => Object.keys(o)).filter(k => /:(sub|aud)$/.test(k) && !k.toLowerCase().startsWith(prefix.toLowerCase() + ':')) : [];
  if (otherKeys.length > 0 && out.length === 0) {
    out.push(finding(TR.VERIFY_ISSUER, '', 'Condition', `names the claims of another issuer than ${show(prefix)}`, show(otherKeys)));
  }
  let broad: Finding | undefined;
  if (subEq === undefined && subLike === undefined) {
    broad = finding(TR.VERIFY_TOO_BROAD, '', 'Condition', `has no '${prefix}:sub' condition, so every ServiceAccount of the cluster may assume the role`, show(cond ?? {}));
  } else {
    const eq = subjectMismatch(b, subEq ?? [], (v, w) => v === w, `Condition.StringEquals["${prefix}:sub"]`);
    const like = subLike === undefined ? eq : subjectMismatch(b, subLike, globMatches, `Condition.StringLike["${prefix}:sub"]`);
    if (subEq !== undefined && subLike !== undefined) {
      // both operators must hold
      out.push(...eq, ...(like === eq ? [] : like));
    } else {
      out.push(...(subEq !== undefined ? eq : like));
    }
    if (out.length === 0 && subLike !== undefined && !subLike.includes(subjectOf(b.namespace!, b.serviceAccount!))) {
      broad = finding(TR.VERIFY_TOO_BROAD, '', `Condition.StringLike["${prefix}:sub"]`, 'trusts the ServiceAccount through a wildcard, and so others too', show(subLike));
    }
  }
  const auds = [...(audEq ?? []), ...(audLike ?? [])];
  if (audEq !== undefined || audLike !== undefined) {
    const ok = (audEq === undefined || audEq.includes(b.audience!)) && (audLike === undefined || audLike.some(p => globMatches(p, b.audience!)));
    if (!ok) out.push(finding(TR.VERIFY_AUDIENCE, '', `Condition["${prefix}:aud"]`, `does not accept the token's audience ${show(b.audience)}`, show(auds.length === 1 ? auds[0] : auds)));
  }
  return { findings: out, broad };
}

function best(verdicts: Verdict[], none: () => Finding): Verdict {
  if (verdicts.length === 0) return { findings: [none()] };
  return verdicts.reduce((a, b) => (b.findings.length < a.findings.length ? b : a));
}

function awsProviderArn(b: TrustBinding, issuer: string): string | undefined {
  const m = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\//.exec(b.roleArn ?? '');
  return m ? oidcProviderArn(m[1], m[2], issuer) : undefined;
}

function verifyOne(b: TrustBinding, doc: ReadTrustDocument, issuer: string | undefined): Verdict {
  const d = doc.document;
  switch (doc.kind) {
    case 'iam-role-trust-policy': {
      const statements = list(d.Statement).filter(isObj).filter(s => s.Effect === 'Allow');
      if (b.cloud === 'aws') {
        const candidates = statements.filter(s => isObj(s.Principal) && s.Principal.Federated !== undefined && actionAllows(s.Action, 'sts:AssumeRoleWithWebIdentity'));
        return best(candidates.map(s => verifyAwsStatement(b, s, issuer!, awsProviderArn(b, issuer!))),
          () => finding(TR.VERIFY_NOT_TRUSTED, '', 'Statement', 'has no Allow statement of sts:AssumeRoleWithWebIdentity for a Federated principal', show(d.Statement)));
      }
      const candidates = statements.filter(s => isObj(s.Principal) && strings(s.Principal.Service).includes(POD_IDENTITY_SERVICE));
      return best(candidates.map(s => {
        const out: Finding[] = [];
        const missing = ['sts:AssumeRole', 'sts:TagSession'].filter(a => !actionAllows(s.Action, a));
        if (missing.length > 0) out.push(finding(TR.VERIFY_NOT_TRUSTED, '', 'Action', `lacks ${missing.join(' and ')}, which EKS Pod Identity needs`, show(s.Action)));
        const ns = conditionValues(s.Condition, 'StringEquals', 'aws:RequestTag/kubernetes-namespace');
        const sa = conditionValues(s.Condition, 'StringEquals', 'aws:RequestTag/kubernetes-service-account');
        if (ns !== undefined && !ns.includes(b.namespace!)) out.push(finding(TR.VERIFY_NAMESPACE, '', 'Condition["aws:RequestTag/kubernetes-namespace"]', `does not include namespace '${b.namespace}'`, show(ns)));
        if (sa !== undefined && !sa.includes(b.serviceAccount!)) out.push(finding(TR.VERIFY_NAME, '', 'Condition["aws:RequestTag/kubernetes-service-account"]', `does not include ServiceAccount '${b.serviceAccount}'`, show(sa)));
        return { findings: out };
      }), () => finding(TR.VERIFY_NOT_TRUSTED, '', 'Statement', `has no Allow statement for the service principal '${POD_IDENTITY_SERVICE}'`, show(d.Statement)));
    }
    case 'eks-pod-identity-association': {
      const out: Finding[] = [];
      if (d.namespace !== b.namespace) out.push(finding(TR.VERIFY_NAMESPACE, '', 'namespace', `of the association is not the ServiceAccount's namespace '${b.namespace}'`, show(d.namespace)));
      if (d.serviceAccount !== b.serviceAccount) out.push(finding(TR.VERIFY_NAME, '', 'serviceAccount', `of the association is not '${b.serviceAccount}'`, show(d.serviceAccount)));
      if (b.roleArn !== undefined && d.roleArn !== b.roleArn) out.push(finding(TR.VERIFY_NOT_TRUSTED, '', 'roleArn', `of the association is not the role ${show(b.roleArn)}`, show(d.roleArn)));
      return { findings: out };
    }
    case 'azure-federated-identity-credential': {
      const out: Finding[] = [];
      if (d.issuer !== issuer) {
        const slash = typeof d.issuer === 'string' && issuer !== undefined && d.issuer.replace(/\/+$/, '') === issuer.replace(/\/+$/, '');
        out.push(finding(TR.VERIFY_ISSUER, '', 'issuer', `is not the cluster's issuer ${show(issuer)}${slash ? ' (they differ in the trailing slash, and Entra compares exact strings)' : ''}`, show(d.issuer)));
      }
      out.push(...subjectMismatch(b, strings(d.subject), (v, w) => v === w, 'subject'));
      if (!strings(d.audiences).includes(b.audience!)) out.push(finding(TR.VERIFY_AUDIENCE, '', 'audiences', `do not include the token's audience ${show(b.audience)}`, show(d.audiences)));
      return { findings: out };
    }
    case 'gcp-workload-identity-pool-provider': {
      const out: Finding[] = [];
      const resource = gcpProviderResource(b.gcp!);
      const name = typeof d.name === 'string' ? d.name.replace(/^\/\/iam\.googleapis\.com\//, '') : undefined;
      if (name !== undefined && name !== resource) out.push(finding(TR.VERIFY_ISSUER, '', 'name', `is not the provider the workload's credential configuration names (${resource})`, show(d.name)));
      const issuerUri = d.oidc?.issuerUri;
      if (issuerUri !== issuer) out.push(finding(TR.VERIFY_ISSUER, '', 'oidc.issuerUri', `is not the cluster's issuer ${show(issuer)}`, show(issuerUri)));
      const allowed = strings(d.oidc?.allowedAudiences);
      const defaults = [`//iam.googleapis.com/${resource}`, `https://iam.googleapis.com/${resource}`];
      const okAud = allowed.length > 0 ? allowed.includes(b.audience!) : defaults.includes(b.audience!);
      if (!okAud) {
        out.push(finding(TR.VERIFY_AUDIENCE, '', 'oidc.allowedAudiences', `${allowed.length > 0 ? 'do not include' : 'are empty, so only the provider\'s own name is accepted, not'} the token's audience ${show(b.audience)}`, show(allowed)));
      }
      const mapping = d.attributeMapping?.['google.subject'];
      if (mapping !== 'assertion.sub') out.push(finding(TR.VERIFY_NOT_TRUSTED, '', 'attributeMapping["google.subject"]', "is not 'assertion.sub', so the principal of system:serviceaccount:<namespace>:<name> matches no token", show(mapping)));
      return { findings: out };
    }
    case 'gcp-iam-policy': {
      const want = gcpPrincipal(b.gcp!, b.namespace!, b.serviceAccount!);
      const members = list(d.bindings).filter(isObj).flatMap(x => strings(x.members));
      if (members.includes(want)) return { findings: [] };
      const pool = `principalSet://iam.googleapis.com/projects/${b.gcp!.projectNumber}/locations/global/workloadIdentityPools/${b.gcp!.poolId}/*`;
      if (members.includes(pool)) {
        return { findings: [], broad: finding(TR.VERIFY_TOO_BROAD, '', 'members', 'trust the whole pool, and so every identity of it', show(pool)) };
      }
      const prefix = `principal://iam.googleapis.com/projects/${b.gcp!.projectNumber}/locations/global/workloadIdentityPools/${b.gcp!.poolId}/subject/`;
      const principals = members.filter(m => m.startsWith('principal://iam.googleapis.com/'));
      const samePool = principals.filter(m => m.startsWith(prefix)).map(m => m.slice(prefix.length));
      if (samePool.length > 0) return { findings: subjectMismatch(b, samePool, (v, w) => v === w, 'members') };
      if (principals.length > 0) {
        return { findings: [finding(TR.VERIFY_ISSUER, '', 'members', `name principals of another project or pool than '${b.gcp!.projectNumber}' / '${b.gcp!.poolId}'`, show(principals))] };
      }
      return { findings: [finding(TR.VERIFY_NOT_TRUSTED, '', 'members', `hold no principal:// of the pool (want ${want})`, show(members))] };
    }
  }
  return { findings: [] };
}

/** Options of `verifyTrust`. */
export interface VerifyOptions {
  readonly issuer?: string;
  /** Check only the bindings of this role ARN (aws, Pod Identity) or client id (azure). */
  readonly roleArn?: string;
  readonly clientId?: string;
}

/**
 * Which bindings the documents do not trust, and why: for each binding of a
 * cloud the documents address, the entry that comes closest is reported.
 * Bindings of other clouds are not checked.
 */
export function verifyTrust(
  bindings: readonly TrustBinding[], documents: readonly ReadTrustDocument[], opts: VerifyOptions,
): { findings: TrustFinding[]; checked: number; trusted: string[] } {
  const findings: TrustFinding[] = [];
  const trusted: string[] = [];
  let checked = 0;
  const clouds = new Set(documents.map(d => d.cloud));
  for (const b of bindings) {
    if (!clouds.has(b.cloud) || !b.namespace || !b.serviceAccount || b.audience === undefined) continue;
    if (opts.roleArn !== undefined && b.roleArn !== undefined && b.roleArn !== opts.roleArn) continue;
    if (opts.clientId !== undefined && b.cloud === 'azure' && b.clientId !== opts.clientId) continue;
    const sa = `${b.namespace}/${b.serviceAccount}`;
    const report = (f: Finding) => findings.push({ ...f, source: b.source, serviceAccount: sa, cloud: b.cloud });
    let docs = documents.filter(d => d.cloud === b.cloud);
    // documents of the trust command's own output name their role or identity
    if (b.cloud === 'aws') docs = docs.filter(d => d.for === undefined || d.for === b.roleArn);
    if (b.cloud === 'azure') docs = docs.filter(d => d.for === undefined || d.for === b.clientId);
    if (docs.length === 0) continue;
    if (b.cloud !== 'eks-pod-identity' && (knownIssuer(opts) === undefined)) {
      report(finding(TR.NO_ISSUER, '', 'issuer', 'is not known, so the document cannot be checked against it', 'nothing'));
      continue;
    }
    checked++;
    let ok: boolean;
    if (b.cloud === 'eks-pod-identity' || b.cloud === 'gcp') {
      // both halves are needed, when both are given (EKS: the role's trust and the association;
      // GCP: the provider and the IAM policy); either alone is checked alone
      const byKind = new Map<string, Verdict>();
      for (const d of docs) {
        const v = verifyOne(b, d, opts.issuer);
        const prev = byKind.get(d.kind);
        if (!prev || v.findings.length < prev.findings.length) byKind.set(d.kind, v);
      }
      const all = [...byKind.values()];
      for (const v of all) {
        for (const f of v.findings) report(f);
        if (b.cloud === 'gcp' && v.findings.length === 0 && v.broad) report(v.broad);
      }
      ok = all.every(v => v.findings.length === 0);
    } else {
      const v = best(docs.map(d => verifyOne(b, d, opts.issuer)), () => finding(TR.VERIFY_NOT_TRUSTED, '', 'document', 'has no entry for this identity', 'nothing'));
      for (const f of v.findings) report(f);
      if (v.findings.length === 0 && v.broad) report(v.broad);
      ok = v.findings.length === 0;
    }
    if (ok) trusted.push(sa);
  }
  return { findings, checked, trusted };
}

function knownIssuer(opts: VerifyOptions): string | undefined {
  return opts.issuer === '' ? undefined : opts.issuer;
}
