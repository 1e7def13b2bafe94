// The cloud side of a trust, from the facts of the cluster side: which
// ServiceAccount (namespace, name) presents a token with which audience,
// issued by which issuer, to which cloud identity. Generates the documents
// each cloud needs and checks a given one against the same facts.
// Pure (no cdk8s): shared by the presets' trustDocuments() and the trust command.
import { Finding, finding, isIamRoleArn, isUnresolvedToken, show, TR } from '../rules';

/** The kinds of cloud identity a ServiceAccount's token is exchanged for. */
export type TrustCloud = 'aws' | 'eks-pod-identity' | 'azure' | 'gcp';

/** Coordinates of a Google workload identity pool provider. */
export interface GcpProviderFacts {
  readonly projectNumber: string;
  readonly poolId: string;
  readonly providerId: string;
  readonly serviceAccountEmail?: string;
}

/** One ServiceAccount bound to one cloud identity: the facts of the cluster side. */
export interface TrustBinding {
  readonly cloud: TrustCloud;
  /** Where the fact comes from, for messages: a construct path, or `Kind namespace/name` of a manifest. */
  readonly source: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly audience?: string;
  /** aws: the role assumed with web identity; eks-pod-identity: the role of the association, if known. */
  readonly roleArn?: string;
  /** azure: the client id of the identity. */
  readonly clientId?: string;
  /** gcp: the provider. */
  readonly gcp?: GcpProviderFacts;
  /** Findings about this binding already known (BT215, BT216, ...). */
  readonly findings?: Finding[];
}

/** What is given besides the bindings. */
export interface TrustContext {
  readonly issuer?: string;
  /** EKS Pod Identity: the cluster's name. */
  readonly clusterName?: string;
  /** EKS Pod Identity: the role of the associations (when the bindings do not say). */
  readonly podIdentityRoleArn?: string;
  /** AWS: the OIDC provider ARN to trust, instead of the one derived from the role's account. */
  readonly oidcProviderArn?: string;
}

/** One generated document, with what it is for. */
export interface TrustDocument {
  readonly cloud: TrustCloud;
  /**
   * `iam-role-trust-policy`, `eks-pod-identity-association`,
   * `azure-federated-identity-credential`, `gcp-workload-identity-pool-provider`,
   * `gcp-service-account-iam-binding`, `gcp-principal`.
   */
  readonly kind: string;
  /** The role ARN, client id or provider / service account the document belongs to. */
  readonly for: string;
  /** The ServiceAccounts (`namespace/name`) it trusts. */
  readonly serviceAccounts: string[];
  readonly document: any;
}

/** A finding about the trust of one ServiceAccount (or of the whole run, without one). */
export interface TrustFinding extends Finding {
  /** `Kind namespace/name` or construct path the fact comes from. */
  readonly source: string;
  /** `namespace/name` of the ServiceAccount, when known. */
  readonly serviceAccount?: string;
  readonly cloud: TrustCloud;
}

export const SUBJECT_PREFIX = 'system:serviceaccount:';
export const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';
export const WORKLOAD_IDENTITY_USER = 'roles/iam.workloadIdentityUser';
/** Google's limit on the mapped google.subject. */
export const GCP_SUBJECT_MAX_BYTES = 127;
/** Microsoft Entra's limit of federated identity credentials per identity. */
export const AZURE_MAX_CREDENTIALS = 20;
const AZURE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;

/** `system:serviceaccount:<namespace>:<name>`. */
export function subjectOf(namespace: string, name: string): string {
  return `${SUBJECT_PREFIX}${namespace}:${name}`;
}

/** The namespace and name of a subject, if it is one of a ServiceAccount. */
export function parseSubject(subject: unknown): { namespace: string; name: string } | undefined {
  if (typeof subject !== 'string' || !subject.startsWith(SUBJECT_PREFIX)) return undefined;
  const rest = subject.slice(SUBJECT_PREFIX.length);
  const i = rest.indexOf(':');
  return i < 0 ? undefined : { namespace: rest.slice(0, i), name: rest.slice(i + 1) };
}

/** The issuer without `https://`: what AWS names the OIDC provider by and prefixes its condition keys with. */
export function issuerHostPath(issuer: string): string {
  return issuer.replace(/^https:\/\//, '');
}

/** The ARN of the IAM OIDC provider of an issuer in an account. */
export function oidcProviderArn(partition: string, account: string, issuer: string): string {
  return `arn:${partition}:iam::${account}:oidc-provider/${issuerHostPath(issuer)}`;
}

/** The pool provider's resource name `projects/<N>/locations/global/workloadIdentityPools/<P>/providers/<X>`. */
export function gcpProviderResource(p: GcpProviderFacts): string {
  return `projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.poolId}/providers/${p.providerId}`;
}

/** The IAM principal of one ServiceAccount in a pool. */
export function gcpPrincipal(p: GcpProviderFacts, namespace: string, name: string): string {
  return `principal://iam.googleapis.com/projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.poolId}/subject/${subjectOf(namespace, name)}`;
}

/** The Azure credential's name for a ServiceAccount: `<namespace>-<name>`, dots as '-'. */
export function azureCredentialName(namespace: string, name: string): string {
  return `${namespace}-${name}`.replace(/\./g, '-');
}

/** An IAM role trust policy for web identity federation (IRSA, OpenShift STS). */
export function awsWebIdentityTrustPolicy(
  providerArn: string, issuer: string, byAudience: ReadonlyArray<{ audience: string; subjects: string[] }>,
): any {
  const prefix = issuerHostPath(issuer);
  return {
    Version: '2012-10-17',
    Statement: byAudience.map(({ audience, subjects }) => ({
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${prefix}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects],
          [`${prefix}:aud`]: audience,
        },
      },
    })),
  };
}

/** The trust policy EKS Pod Identity needs on a role. */
export function podIdentityTrustPolicy(): any {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'AllowEksAuthToAssumeRoleForPodIdentity',
      Effect: 'Allow',
      Principal: { Service: POD_IDENTITY_SERVICE },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    }],
  };
}

/** Checks of the issuer every cloud needs: known, and https without query or fragment. */
export function issuerFindings(issuer: string | undefined, prop: string): Finding[] {
  if (issuer === undefined || issuer === '') {
    return [finding(TR.NO_ISSUER, '', prop, 'is not known, and the cloud side names it', issuer === undefined ? 'nothing' : "''")];
  }
  let ok = false;
  try {
    const u = new URL(issuer);
    ok = u.protocol === 'https:' && u.search === '' && u.hash === '' && !issuer.includes('?') && !issuer.includes('#');
  } catch {
    ok = false;
  }
  return ok ? [] : [finding(TR.ISSUER_NOT_HTTPS, '', prop, 'must be an https URL without query or fragment for a cloud to trust it', show(issuer))];
}

const key = (b: TrustBinding) => `${b.namespace}/${b.serviceAccount}`;

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/**
 * The documents each cloud needs to trust the bindings, and what keeps a
 * binding from getting one (rule ids, never a guess).
 */
export function generateTrust(bindings: readonly TrustBinding[], ctx: TrustContext): { documents: TrustDocument[]; findings: TrustFinding[] } {
  const findings: TrustFinding[] = [];
  const documents: TrustDocument[] = [];
  const report = (b: TrustBinding | undefined, cloud: TrustCloud, f: Finding) => findings.push({
    ...f, source: b?.source ?? '', cloud, ...(b?.namespace && b?.serviceAccount ? { serviceAccount: key(b) } : {}),
  });

  // the facts every document needs: a namespace, a named ServiceAccount, an audience
  const usable: TrustBinding[] = [];
  for (const b of bindings) {
    const own = b.findings ?? [];
    for (const f of own) report(b, b.cloud, f);
    let ok = own.every(f => f.level !== 'error');
    if (b.namespace === undefined || b.namespace === '') {
      report(b, b.cloud, finding(TR.NO_NAMESPACE, '/metadata/namespace', 'namespace', `of ${b.source} is not set, so the subject system:serviceaccount:<namespace>:${b.serviceAccount ?? '<name>'} is not known`, 'nothing'));
      ok = false;
    }
    if (b.serviceAccount === undefined || b.audience === undefined) ok = false;
    if (ok) usable.push(b);
  }

  const issuerProblems = issuerFindings(ctx.issuer, 'issuer');
  const needsIssuer = usable.filter(b => b.cloud !== 'eks-pod-identity');
  if (needsIssuer.length > 0) {
    for (const f of issuerProblems) {
      const clouds = sortedUnique(needsIssuer.map(b => b.cloud)) as TrustCloud[];
      report(undefined, clouds[0], { ...f, message: `${f.message} (needed by ${needsIssuer.length === 1 ? needsIssuer[0].source : `${needsIssuer.length} ServiceAccount bindings`})` });
    }
  }
  const issuer = issuerProblems.length === 0 ? ctx.issuer! : undefined;

  // AWS web identity (IRSA, OpenShift STS): one trust policy per role
  const roles = new Map<string, TrustBinding[]>();
  for (const b of usable.filter(x => x.cloud === 'aws')) {
    const list = roles.get(b.roleArn!) ?? [];
    roles.set(b.roleArn!, list);
    list.push(b);
  }
  for (const [roleArn, list] of [...roles].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!issuer) continue;
    let provider = ctx.oidcProviderArn;
    if (provider === undefined) {
      const m = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\//.exec(roleArn);
      if (!m || !isIamRoleArn(roleArn)) {
        for (const b of list) {
          report(b, 'aws', finding(TR.AWS_ACCOUNT_UNKNOWN, '', 'roleArn', isUnresolvedToken(roleArn)
            ? 'is an unresolved token, so the account of the OIDC provider is not known' : 'is not an IAM role ARN, so the account of the OIDC provider is not known', show(roleArn)));
        }
        continue;
      }
      provider = oidcProviderArn(m[1], m[2], issuer);
    }
    const audiences = sortedUnique(list.map(b => b.audience!));
    const byAudience = audiences.map(audience => ({
      audience,
      subjects: sortedUnique(list.filter(b => b.audience === audience).map(b => subjectOf(b.namespace!, b.serviceAccount!))),
    }));
    documents.push({
      cloud: 'aws',
      kind: 'iam-role-trust-policy',
      for: roleArn,
      serviceAccounts: sortedUnique(list.map(key)),
      document: awsWebIdentityTrustPolicy(provider, issuer, byAudience),
    });
  }

  // EKS Pod Identity: the role trust (the same for every role) and one association per ServiceAccount
  const pods = usable.filter(x => x.cloud === 'eks-pod-identity');
  if (pods.length > 0) {
    const roleArns = sortedUnique(pods.map(b => b.roleArn ?? ctx.podIdentityRoleArn ?? ''));
    documents.push({
      cloud: 'eks-pod-identity',
      kind: 'iam-role-trust-policy',
      for: roleArns.filter(r => r !== '').join(', ') || 'the role of each association',
      serviceAccounts: sortedUnique(pods.map(key)),
      document: podIdentityTrustPolicy(),
    });
    const seen = new Set<string>();
    // in ServiceAccount order, whatever order the manifests or bindings came in
    for (const b of [...pods].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))) {
      const roleArn = b.roleArn ?? ctx.podIdentityRoleArn;
      if (b.audience !== POD_IDENTITY_SERVICE) {
        report(b, 'eks-pod-identity', finding(TR.VERIFY_AUDIENCE, '', 'audience', `of the token is not the one the EKS Pod Identity Agent accepts ('${POD_IDENTITY_SERVICE}')`, show(b.audience)));
        continue;
      }
      const missing = [ctx.clusterName ? undefined : 'clusterName', roleArn ? undefined : 'roleArn'].filter(x => x !== undefined);
      if (missing.length > 0) {
        report(b, 'eks-pod-identity', finding(TR.POD_IDENTITY_FACTS, '', missing.join(' and '), `of the EKS Pod Identity association of ${key(b)} ${missing.length > 1 ? 'are' : 'is'} not given`, 'nothing'));
        continue;
      }
      const k = `${key(b)} ${roleArn}`;
      if (seen.has(k)) continue;
      seen.add(k);
      documents.push({
        cloud: 'eks-pod-identity',
        kind: 'eks-pod-identity-association',
        for: roleArn!,
        serviceAccounts: [key(b)],
        document: { clusterName: ctx.clusterName, namespace: b.namespace, serviceAccount: b.serviceAccount, roleArn },
      });
    }
  }

  // Azure: one federated identity credential per ServiceAccount and audience, grouped by identity
  const identities = new Map<string, TrustBinding[]>();
  for (const b of usable.filter(x => x.cloud === 'azure')) {
    const list = identities.get(b.clientId!) ?? [];
    identities.set(b.clientId!, list);
    list.push(b);
  }
  for (const [clientId, list] of [...identities].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!issuer) continue;
    const seen = new Set<string>();
    let count = 0;
    for (const b of [...list].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))) {
      const k = `${key(b)} ${b.audience}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const name = azureCredentialName(b.namespace!, b.serviceAccount!);
      if (!AZURE_NAME.test(name)) {
        report(b, 'azure', finding(TR.AZURE_CREDENTIAL_NAME, '', 'name', 'of the federated identity credential is not 3 to 120 letters, digits, - or _', show(name)));
        continue;
      }
      count++;
      documents.push({
        cloud: 'azure',
        kind: 'azure-federated-identity-credential',
        for: clientId,
        serviceAccounts: [key(b)],
        document: { name, issuer, subject: subjectOf(b.namespace!, b.serviceAccount!), audiences: [b.audience] },
      });
    }
    if (count > AZURE_MAX_CREDENTIALS) {
      report(list[0], 'azure', finding(TR.AZURE_CREDENTIAL_LIMIT, '', 'clientId', `needs ${count} federated identity credentials, more than the ${AZURE_MAX_CREDENTIALS} Microsoft Entra accepts`, show(clientId)));
    }
  }

  // Google Cloud: the pool provider, the principals, and the impersonation binding
  const providers = new Map<string, TrustBinding[]>();
  for (const b of usable.filter(x => x.cloud === 'gcp')) {
    const k = gcpProviderResource(b.gcp!);
    const list = providers.get(k) ?? [];
    providers.set(k, list);
    list.push(b);
  }
  for (const [resource, list] of [...providers].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!issuer) continue;
    const fine: TrustBinding[] = [];
    for (const b of list) {
      const subject = subjectOf(b.namespace!, b.serviceAccount!);
      const bytes = Buffer.byteLength(subject, 'utf8');
      if (bytes > GCP_SUBJECT_MAX_BYTES) {
        report(b, 'gcp', finding(TR.GCP_SUBJECT_TOO_LONG, '', 'google.subject', `is ${bytes} bytes, more than the ${GCP_SUBJECT_MAX_BYTES} Google accepts`, show(subject)));
      } else {
        fine.push(b);
      }
    }
    if (fine.length === 0) continue;
    documents.push({
      cloud: 'gcp',
      kind: 'gcp-workload-identity-pool-provider',
      for: resource,
      serviceAccounts: sortedUnique(fine.map(key)),
      document: {
        name: resource,
        attributeMapping: { 'google.subject': 'assertion.sub' },
        oidc: { issuerUri: issuer, allowedAudiences: sortedUnique(fine.map(b => b.audience!)) },
      },
    });
    const byEmail = new Map<string, TrustBinding[]>();
    for (const b of fine) {
      const email = b.gcp!.serviceAccountEmail ?? '';
      const l = byEmail.get(email) ?? [];
      byEmail.set(email, l);
      l.push(b);
    }
    for (const [email, l] of [...byEmail].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const members = sortedUnique(l.map(b => gcpPrincipal(b.gcp!, b.namespace!, b.serviceAccount!)));
      documents.push(email === ''
        ? {
          cloud: 'gcp',
          kind: 'gcp-principal',
          for: resource,
          serviceAccounts: sortedUnique(l.map(key)),
          document: { members },
        }
        : {
          cloud: 'gcp',
          kind: 'gcp-service-account-iam-binding',
          for: email,
          serviceAccounts: sortedUnique(l.map(key)),
          document: { resource: `projects/-/serviceAccounts/${email}`, bindings: [{ role: WORKLOAD_IDENTITY_USER, members }] },
        });
    }
  }
  return { documents, findings };
}
