// The cluster side of a trust, read from plain manifests (anyone's): which
// ServiceAccount presents which token to which cloud identity, from the
// ServiceAccounts' annotations, the workloads' environment, their projected
// tokens and the credential files they mount. Pure (no cdk8s).
import { GcpProviderFacts, TrustBinding } from './core';
import { Document, splitDocuments } from '../lint/documents';
import { DECLARED_CONTAINER_GROUPS, Finding, finding, getAt, isMapping, locatePodSpec, show, TR } from '../rules';

/** An object of a manifest, with where it was read. */
export interface ManifestObject {
  readonly file: string;
  readonly obj: any;
}

/** The objects of a file or stream (List items as objects); documents that do not parse are left to the lint's reading. */
export function readObjects(file: string, text: string): ManifestObject[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const json = /\.json$/i.test(file);
  const out: ManifestObject[] = [];
  for (const chunk of json ? [{ text, line: 0 }] : splitDocuments(text)) {
    const doc = new Document(chunk, json);
    if (doc.error || !isMapping(doc.value)) continue;
    const v = doc.value as any;
    if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      for (const item of v.items) if (isMapping(item)) out.push({ file, obj: item });
    } else {
      out.push({ file, obj: v });
    }
  }
  return out;
}

export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const IRSA_AUDIENCE_ANNOTATION = 'eks.amazonaws.com/audience';
export const IRSA_DEFAULT_AUDIENCE = 'sts.amazonaws.com';
export const AZURE_CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';
export const AZURE_AUDIENCE = 'api://AzureADTokenExchange';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

function joinPath(dir: string, file: string): string {
  return `${dir.replace(/\/+$/, '')}/${file.replace(/^\.\//, '')}`;
}

/** Data of a ConfigMap or Secret, decoded. */
function dataOf(obj: any): Map<string, string> {
  const out = new Map<string, string>();
  if (isMapping(obj?.data)) {
    for (const [k, v] of Object.entries(obj.data)) {
      if (typeof v !== 'string') continue;
      out.set(k, obj.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v);
    }
  }
  if (obj.kind === 'Secret' && isMapping(obj.stringData)) {
    for (const [k, v] of Object.entries(obj.stringData)) if (typeof v === 'string') out.set(k, v);
  }
  return out;
}

/** The files a container sees: projected tokens (by audience) and ConfigMap / Secret keys (by content). */
interface ContainerFiles {
  readonly tokens: Map<string, string>;
  readonly files: Map<string, string>;
}

type Lookup = (kind: string, name: string) => Map<string, string> | undefined;

function containerFiles(container: any, volumes: Map<string, any>, lookup: Lookup): ContainerFiles {
  const tokens = new Map<string, string>();
  const files = new Map<string, string>();
  const addKeys = (dir: string, data: Map<string, string> | undefined, items: any[]) => {
    if (!data) return;
    if (items.length > 0) {
      for (const it of items) if (str(it?.key) && str(it?.path) && data.has(it.key)) files.set(joinPath(dir, it.path), data.get(it.key)!);
    } else {
      for (const [k, v] of data) files.set(joinPath(dir, k), v);
    }
  };
  for (const m of arr(container?.volumeMounts)) {
    const dir = str(m?.mountPath);
    const vol = volumes.get(m?.name);
    if (!dir || !vol || m?.subPath !== undefined) continue;
    if (isMapping(vol.projected)) {
      for (const src of arr(vol.projected.sources)) {
        if (isMapping(src?.serviceAccountToken) && str(src.serviceAccountToken.path)) {
          tokens.set(joinPath(dir, src.serviceAccountToken.path), typeof src.serviceAccountToken.audience === 'string' ? src.serviceAccountToken.audience : '');
        }
        if (isMapping(src?.configMap)) addKeys(dir, lookup('ConfigMap', src.configMap.name), arr(src.configMap.items));
        if (isMapping(src?.secret)) addKeys(dir, lookup('Secret', src.secret.name), arr(src.secret.items));
      }
    }
    if (isMapping(vol.configMap)) addKeys(dir, lookup('ConfigMap', vol.configMap.name), arr(vol.configMap.items));
    if (isMapping(vol.secret)) addKeys(dir, lookup('Secret', vol.secret.secretName), arr(vol.secret.items));
  }
  return { tokens, files };
}

const GCP_AUDIENCE = /^\/\/iam\.googleapis\.com\/projects\/([^/]+)\/locations\/global\/workloadIdentityPools\/([^/]+)\/providers\/([^/]+)$/;
const GCP_IMPERSONATION = /\/serviceAccounts\/([^/:]+):generateAccessToken$/;

/** A credential a container can use: the cloud identity, and the token file it presents. */
interface Credential {
  readonly facts: Pick<TrustBinding, 'cloud' | 'roleArn' | 'clientId' | 'gcp'>;
  readonly tokenFile: string;
  /** What names the token file, for messages. */
  readonly variable: string;
}

const SECRET_DIR = '/secret';

/**
 * The credentials in an environment and in files: AWS web identity (env, or a
 * shared credentials file with role_arn and web_identity_token_file: OpenShift
 * STS), EKS Pod Identity, Azure (env, or OpenShift's azure_client_id and
 * azure_federated_token_file files), Google (an external_account configuration).
 */
function credentialsOf(env: Map<string, string>, files: Map<string, string>): Credential[] {
  const out: Credential[] = [];
  if (env.has('AWS_ROLE_ARN') && env.has('AWS_WEB_IDENTITY_TOKEN_FILE')) {
    out.push({ facts: { cloud: 'aws', roleArn: env.get('AWS_ROLE_ARN')! }, tokenFile: env.get('AWS_WEB_IDENTITY_TOKEN_FILE')!, variable: 'AWS_WEB_IDENTITY_TOKEN_FILE' });
  }
  if (env.has('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE') && (env.get('AWS_CONTAINER_CREDENTIALS_FULL_URI') ?? '').includes('169.254.170.23')) {
    out.push({ facts: { cloud: 'eks-pod-identity' }, tokenFile: env.get('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE')!, variable: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' });
  }
  if (env.has('AZURE_CLIENT_ID') && env.has('AZURE_FEDERATED_TOKEN_FILE')) {
    out.push({ facts: { cloud: 'azure', clientId: env.get('AZURE_CLIENT_ID')! }, tokenFile: env.get('AZURE_FEDERATED_TOKEN_FILE')!, variable: 'AZURE_FEDERATED_TOKEN_FILE' });
  }
  for (const [path, content] of files) {
    const role = /^\s*role_arn\s*=\s*(\S+)\s*$/m.exec(content);
    const tokenFile = /^\s*web_identity_token_file\s*=\s*(\S+)\s*$/m.exec(content);
    if (role && tokenFile) out.push({ facts: { cloud: 'aws', roleArn: role[1] }, tokenFile: tokenFile[1], variable: `web_identity_token_file of ${path}` });
    if (path.endsWith('/azure_client_id')) {
      const dir = path.slice(0, -'/azure_client_id'.length);
      const file = files.get(`${dir}/azure_federated_token_file`);
      if (file) out.push({ facts: { cloud: 'azure', clientId: content.trim() }, tokenFile: file.trim(), variable: `${dir}/azure_federated_token_file` });
    }
    if (content.includes('external_account')) {
      let config: any;
      try {
        config = JSON.parse(content);
      } catch {
        continue;
      }
      const m = GCP_AUDIENCE.exec(config?.audience ?? '');
      const file = str(config?.credential_source?.file);
      if (config?.type !== 'external_account' || !m || !file) continue;
      const email = GCP_IMPERSONATION.exec(config.service_account_impersonation_url ?? '')?.[1];
      const gcp: GcpProviderFacts = { projectNumber: m[1], poolId: m[2], providerId: m[3], ...(email ? { serviceAccountEmail: email } : {}) };
      out.push({ facts: { cloud: 'gcp', gcp }, tokenFile: file, variable: `credential_source.file of ${path}` });
    }
  }
  return out;
}

/** Options of `bindingsOf`. */
export interface ReadOptions {
  /** The namespace of objects that name none (as `kubectl apply -n`). */
  readonly namespace?: string;
}

/**
 * The bindings the manifests show, and the issuers their Authentication
 * objects set. A ServiceAccount annotated for a webhook is a binding with the
 * webhook's audience; a workload is one binding per identity its containers use.
 */
export function bindingsOf(objects: readonly ManifestObject[], opts: ReadOptions = {}): { bindings: TrustBinding[]; issuers: string[] } {
  const bindings: TrustBinding[] = [];
  const issuers: string[] = [];
  const data = new Map<string, Map<string, string>>();
  const nsOf = (obj: any) => str(obj?.metadata?.namespace) ?? opts.namespace;
  for (const { obj } of objects) {
    if ((obj.kind === 'ConfigMap' || obj.kind === 'Secret') && str(obj.metadata?.name)) {
      data.set(`${obj.kind} ${nsOf(obj) ?? ''}/${obj.metadata.name}`, dataOf(obj));
    }
  }
  const secretCreds = new Map<string, Credential[]>();
  for (const { obj } of objects) {
    if (obj.kind !== 'Secret' || !str(obj.metadata?.name)) continue;
    const d = data.get(`Secret ${nsOf(obj) ?? ''}/${obj.metadata.name}`)!;
    const files = new Map([...d].map(([k, v]) => [`${SECRET_DIR}/${k}`, v]));
    const found = credentialsOf(new Map(), files).map(c => ({ ...c, variable: `${c.variable.replace(SECRET_DIR + '/', `Secret ${obj.metadata.name} key `)}` }));
    if (found.length > 0) secretCreds.set(nsOf(obj) ?? '', [...(secretCreds.get(nsOf(obj) ?? '') ?? []), ...found]);
  }
  const seen = new Set<string>();
  const add = (b: TrustBinding) => {
    const ids = (b.findings ?? []).map(f => f.ruleId);
    const k = JSON.stringify([b.cloud, b.namespace, b.serviceAccount, b.audience, b.roleArn, b.clientId, b.gcp, ids]);
    if (seen.has(k)) return;
    seen.add(k);
    bindings.push(b);
  };
  for (const { file, obj } of objects) {
    const ns = nsOf(obj);
    const name = str(obj.metadata?.name) ?? str(obj.metadata?.generateName) ?? '';
    const source = `${file}: ${obj.kind} ${ns ? `${ns}/` : ''}${name}`;
    if (obj.kind === 'Authentication' && str(obj.spec?.serviceAccountIssuer)) issuers.push(obj.spec.serviceAccountIssuer);
    if (obj.kind === 'ServiceAccount') {
      const ann = isMapping(obj.metadata?.annotations) ? obj.metadata.annotations : {};
      if (str(ann[IRSA_ROLE_ANNOTATION])) {
        add({ cloud: 'aws', source, namespace: ns, serviceAccount: name, audience: str(ann[IRSA_AUDIENCE_ANNOTATION]) ?? IRSA_DEFAULT_AUDIENCE, roleArn: ann[IRSA_ROLE_ANNOTATION] });
      }
      if (str(ann[AZURE_CLIENT_ID_ANNOTATION])) {
        add({ cloud: 'azure', source, namespace: ns, serviceAccount: name, audience: AZURE_AUDIENCE, clientId: ann[AZURE_CLIENT_ID_ANNOTATION] });
      }
      continue;
    }
    const loc = locatePodSpec(obj);
    if (!loc) continue;
    const spec = getAt(obj, loc.specPath);
    if (!isMapping(spec)) continue;
    const sa = str(spec.serviceAccountName) ?? str(spec.serviceAccount);
    const volumes = new Map<string, any>();
    for (const v of arr(spec.volumes)) if (isMapping(v) && str(v.name)) volumes.set(v.name, v);
    const lookup = (kind: string, n: unknown) => (typeof n === 'string' ? data.get(`${kind} ${ns ?? ''}/${n}`) : undefined);
    for (const c of DECLARED_CONTAINER_GROUPS.flatMap(g => arr(spec[g]))) {
      if (!isMapping(c)) continue;
      const env = new Map<string, string>();
      for (const e of arr(c.env)) if (isMapping(e) && str(e.name) && typeof e.value === 'string') env.set(e.name, e.value);
      const { tokens, files } = containerFiles(c, volumes, lookup);
      const base = { source, namespace: ns, serviceAccount: sa };
      const audienceOf = (tokenFile: string, variable: string): { audience?: string; findings: Finding[] } => {
        const own: Finding[] = sa ? [] : [finding(TR.DEFAULT_SERVICE_ACCOUNT, loc.specPath + '/serviceAccountName', 'serviceAccountName', `of ${obj.kind} '${name}' is not set, yet container '${c.name}' uses a cloud identity`, 'nothing')];
        const audience = tokens.get(tokenFile);
        if (audience === undefined) {
          own.push(finding(TR.AUDIENCE_UNKNOWN, '', variable, `of container '${c.name}' names a token file that no projected token of the container writes`, show(tokenFile)));
        }
        return { audience, findings: own };
      };
      // credentials: the container's env, the files it mounts, and the credentials Secrets of the
      // namespace (OpenShift operators read theirs through the API) whose token file it projects
      const creds = [...credentialsOf(env, files), ...(secretCreds.get(ns ?? '') ?? []).filter(x => tokens.has(x.tokenFile))];
      for (const cr of creds) {
        const a = audienceOf(cr.tokenFile, cr.variable);
        add({ ...base, ...cr.facts, audience: a.audience, findings: a.findings });
      }
    }
  }
  return { bindings, issuers: [...new Set(issuers)] };
}
