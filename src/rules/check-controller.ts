// Tokens that controllers request from declarations (issue 19 §5): a
// CSIDriver's spec.tokenRequests (the kubelet requests them for every pod that
// mounts one of the driver's volumes) and a Vault Secrets Operator VaultAuth
// (the operator requests a token for spec.kubernetes.serviceAccount). Pure.
//
// CSIDriver (k8s pkg/apis/storage/validation validateTokenRequests, and KEP-5538):
// - two tokenRequests with one audience: "Duplicate value" (every version);
// - expirationSeconds < 600 or > 2^32: "may not specify a duration less than
//   10 minutes" / "larger than 2^32 seconds" (the same words as a projected token);
// - serviceAccountTokenInSecrets (1.35, feature gate CSIServiceAccountTokenSecrets,
//   beta and on by default) set without tokenRequests: refused by 1.35; a
//   1.32 API server does not know the field: with kubectl's default strict field
//   validation it refuses it ('strict decoding error: unknown field'), without
//   (--validate=false, most controllers) it drops it (verified on 1.32.13).
// VaultAuth (hashicorp/vault-secrets-operator api/v1beta1 vaultauth_types.go):
// - spec.kubernetes / spec.jwt .tokenExpirationSeconds: CRD minimum 600, default 600;
// - .audiences: the TokenRequest's audiences; none means the API server's own.
import { R } from './catalogue';
import { checkAudience, checkLifetimeSeconds } from './check-pod';
import { clip, Finding, finding, getAt, NO_FINDINGS, ptr, show } from './finding';
import { API_TOKEN_DIR, CONTAINER_GROUPS, DEFAULT_EXPIRATION_SECONDS, MAX_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS, PodSpecLocation } from './kubernetes';
import { checkAgainstLimits, TokenLimits } from './token-limits';

/** True for a storage.k8s.io CSIDriver. */
export function isCsiDriver(obj: any): boolean {
  return obj?.kind === 'CSIDriver' && typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('storage.k8s.io/');
}

/** True for a Vault Secrets Operator VaultAuth. */
export function isVaultAuth(obj: any): boolean {
  return obj?.kind === 'VaultAuth' && typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('secrets.hashicorp.com/');
}

/** True for a vault-config-operator KubernetesAuthEngineRole (a Vault Kubernetes auth role, as a Kubernetes object). */
export function isKubernetesAuthEngineRole(obj: any): boolean {
  return obj?.kind === 'KubernetesAuthEngineRole' && typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('redhatcop.redhat.io/');
}

/** True for the kinds whose token requests this module checks. */
export function isTokenRequester(obj: any): boolean {
  return isCsiDriver(obj) || isVaultAuth(obj);
}

/** The token requests an object declares, checked: a CSIDriver's or a VaultAuth's. */
export function checkTokenRequester(obj: any, limits?: TokenLimits): Finding[] {
  if (isCsiDriver(obj)) return checkCsiDriver(obj, limits);
  if (isVaultAuth(obj)) return checkVaultAuth(obj, limits);
  return NO_FINDINGS;
}

/** A requested lifetime: the API server's bounds (BT101, BT102, BT105), BT104, and the cluster's maximum (BT280). */
function lifetime(exp: unknown, path: string, prop: string, where: string, limits: TokenLimits | undefined, kubelet: boolean): Finding[] {
  if (typeof exp !== 'number' || !Number.isInteger(exp)) {
    return [finding(R.LIFETIME_NOT_INTEGER, path, prop, `of ${where} must be a whole number of seconds`, show(exp))];
  }
  const out = checkLifetimeSeconds(exp, path, prop, limits).map(f => ({ ...f, message: f.message.replace(`'${prop}' `, `'${prop}' of ${where} `) }));
  if (limits && exp >= MIN_EXPIRATION_SECONDS && exp <= MAX_EXPIRATION_SECONDS) out.push(...checkAgainstLimits(exp, path, prop, `of ${where}`, limits, kubelet));
  return out;
}

/** BT282-BT284 and the lifetime rules on a CSIDriver's tokenRequests. */
export function checkCsiDriver(obj: any, limits?: TokenLimits): Finding[] {
  const spec = obj?.spec;
  if (!spec || typeof spec !== 'object') return NO_FINDINGS;
  const name = typeof obj.metadata?.name === 'string' ? clip(obj.metadata.name) : '?';
  const requests: unknown[] = Array.isArray(spec.tokenRequests) ? spec.tokenRequests : [];
  const out: Finding[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < requests.length; i++) {
    const r: any = requests[i];
    if (!r || typeof r !== 'object') continue;
    const at = ptr('spec', 'tokenRequests', i);
    const audience = typeof r.audience === 'string' ? r.audience : '';
    const first = seen.get(audience);
    if (first !== undefined) {
      // the API server stops at a duplicate: it checks nothing else of that entry
      out.push(finding(R.CSI_AUDIENCE_DUPLICATE, `${at}/audience`, 'audience',
        `of tokenRequests[${i}] of CSIDriver '${name}' is already requested by tokenRequests[${first}] (the API server refuses it: Duplicate value)`,
        audience === '' ? "'' (the API server's own audiences)" : show(audience)));
      continue;
    }
    seen.set(audience, i);
    if (typeof r.audience === 'string' && /[,\s]/.test(r.audience)) {
      out.push(...checkAudience(r.audience, `${at}/audience`, 'audience', `tokenRequests[${i}] of CSIDriver '${name}'`, true));
    }
    const where = `the token for audience ${audience === '' ? "'' (the API server's own)" : `'${clip(audience)}'`} of CSIDriver '${name}'`;
    if (r.expirationSeconds === undefined || r.expirationSeconds === null) {
      // the TokenRequest's default (1 hour): only a maximum under an hour (an external signer's) shortens it
      if (limits) out.push(...checkAgainstLimits(DEFAULT_EXPIRATION_SECONDS, at, 'expirationSeconds', `of ${where} (the default, ${DEFAULT_EXPIRATION_SECONDS} seconds)`, limits));
    } else {
      out.push(...lifetime(r.expirationSeconds, `${at}/expirationSeconds`, 'expirationSeconds', where, limits, true));
    }
  }
  const inSecrets = spec.serviceAccountTokenInSecrets;
  if (requests.length > 0 && inSecrets !== true) {
    out.push(finding(R.CSI_TOKENS_IN_VOLUME_CONTEXT, inSecrets === undefined || inSecrets === null ? '/spec/tokenRequests' : '/spec/serviceAccountTokenInSecrets',
      'serviceAccountTokenInSecrets',
      `of CSIDriver '${name}' is not true, so the kubelet passes the pods' tokens to the driver in the volume context (csi.storage.k8s.io/serviceAccount.tokens), which drivers log (CVE-2023-2878); Kubernetes 1.35+ only`,
      show(inSecrets)));
  }
  if (requests.length === 0 && inSecrets !== undefined && inSecrets !== null) {
    out.push(finding(R.CSI_IN_SECRETS_WITHOUT_REQUESTS, '/spec/serviceAccountTokenInSecrets', 'serviceAccountTokenInSecrets',
      `of CSIDriver '${name}' is set but no tokenRequests are specified (the API server refuses it from Kubernetes 1.35; before, the field is unknown: kubectl's strict field validation refuses it, other clients see it dropped)`,
      show(inSecrets)));
  }
  return out.length > 0 ? out : NO_FINDINGS;
}

/** The methods whose VaultAuth block requests a ServiceAccount token. */
const TOKEN_METHODS: ReadonlyArray<[string, string]> = [['kubernetes', 'kubernetes'], ['jwt', 'jwt']];

/** BT285 and the lifetime rules on a VaultAuth's ServiceAccount token. */
export function checkVaultAuth(obj: any, limits?: TokenLimits): Finding[] {
  const spec = obj?.spec;
  if (!spec || typeof spec !== 'object') return NO_FINDINGS;
  const name = typeof obj.metadata?.name === 'string' ? clip(obj.metadata.name) : '?';
  const out: Finding[] = [];
  for (const [method, block] of TOKEN_METHODS) {
    if (spec.method !== method) continue;
    const cfg = spec[block];
    if (!cfg || typeof cfg !== 'object') continue;
    // JWT auth with secretRef reads a JWT from a Secret: no token is requested
    if (method === 'jwt' && (typeof cfg.serviceAccount !== 'string' || cfg.serviceAccount === '')) continue;
    const at = ptr('spec', block);
    const where = `the ServiceAccount token of VaultAuth '${name}'`;
    const audiences: unknown[] = Array.isArray(cfg.audiences) ? cfg.audiences : [];
    if (audiences.filter(a => typeof a === 'string' && a !== '').length === 0) {
      out.push(finding(R.VAULT_AUTH_NO_AUDIENCE, cfg.audiences === undefined ? at : `${at}/audiences`, `${block}.audiences`,
        `of VaultAuth '${name}' (method ${method}) is empty, so the operator requests a token for the API server's own audiences, which Vault can replay against the Kubernetes API and a Vault role with an audience refuses`,
        show(cfg.audiences)));
    }
    for (let i = 0; i < audiences.length; i++) {
      const a = audiences[i];
      if (typeof a === 'string' && /[,\s]/.test(a)) out.push(...checkAudience(a, `${at}/audiences/${i}`, 'audiences', where, true));
    }
    // the CRD defaults tokenExpirationSeconds to 600 (its minimum)
    if (cfg.tokenExpirationSeconds !== undefined && cfg.tokenExpirationSeconds !== null) {
      out.push(...lifetime(cfg.tokenExpirationSeconds, `${at}/tokenExpirationSeconds`, 'tokenExpirationSeconds', where, limits, false));
    }
  }
  return out.length > 0 ? out : NO_FINDINGS;
}

/** The audience a Vault role checks, by `<mount>/<role>`, from the KubernetesAuthEngineRoles among `objs`. */
function roleAudiences(objs: readonly any[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objs) {
    if (!isKubernetesAuthEngineRole(o)) continue;
    const spec = o.spec;
    const role = typeof spec?.name === 'string' && spec.name !== '' ? spec.name : o.metadata?.name;
    if (typeof spec?.path !== 'string' || typeof role !== 'string' || typeof spec.audience !== 'string' || spec.audience === '') continue;
    out.set(`${cleanMount(spec.path)}/${role}`, spec.audience);
  }
  return out;
}

/** A Vault mount path without 'auth/' and the slashes around it. */
function cleanMount(path: string): string {
  return path.replace(/^\/+|\/+$/g, '').replace(/^auth\//, '');
}

/**
 * BT286: VaultAuths whose audiences miss the audience of the Vault role they
 * log in with, when a KubernetesAuthEngineRole among `objs` (one file, or one
 * run) declares that role. Returns the index of each VaultAuth with its finding.
 */
export function checkVaultRoleAudiences(objs: readonly any[]): Array<[number, Finding]> {
  const roles = roleAudiences(objs);
  if (roles.size === 0) return [];
  const out: Array<[number, Finding]> = [];
  for (let i = 0; i < objs.length; i++) {
    const o = objs[i];
    if (!isVaultAuth(o) || o.spec?.method !== 'kubernetes') continue;
    const cfg = o.spec.kubernetes;
    if (typeof o.spec.mount !== 'string' || typeof cfg?.role !== 'string') continue;
    const expected = roles.get(`${cleanMount(o.spec.mount)}/${cfg.role}`);
    if (expected === undefined) continue;
    const audiences: unknown[] = Array.isArray(cfg.audiences) ? cfg.audiences : [];
    if (audiences.includes(expected)) continue;
    out.push([i, finding(R.VAULT_AUTH_ROLE_AUDIENCE, Array.isArray(cfg.audiences) ? '/spec/kubernetes/audiences' : '/spec/kubernetes', 'kubernetes.audiences',
      `of VaultAuth '${clip(String(o.metadata?.name ?? '?'))}' lacks '${clip(expected)}', the audience of Vault role '${clip(cfg.role)}' at auth/${clip(cleanMount(o.spec.mount))} (a KubernetesAuthEngineRole declares it), so Vault refuses the login`,
      show(cfg.audiences))]);
  }
  return out;
}

/** The Vault Agent injector's annotations (hashicorp/vault-k8s agent-inject/agent/annotations.go). */
const VAULT_INJECT = 'vault.hashicorp.com/agent-inject';
const VAULT_AUTH_TYPE = 'vault.hashicorp.com/auth-type';
const VAULT_JWT_PATH = 'vault.hashicorp.com/auth-config-path';
const VAULT_REMOVE_JWT = 'vault.hashicorp.com/auth-config-remove-jwt-after-reading';
/** Go's strconv.ParseBool, as Vault's parseutil reads the agent's options. */
const GO_FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);
const GO_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

/** Volumes the kubelet always mounts read-only (secret, configMap, downwardAPI, projected). */
function readOnlyVolumeNames(spec: any): Set<string> {
  const out = new Set<string>();
  for (const v of Array.isArray(spec?.volumes) ? spec.volumes : []) {
    if (typeof v?.name === 'string' && (v.projected || v.secret || v.configMap || v.downwardAPI)) out.add(v.name);
  }
  return out;
}

/** True when `file` lies under a mount of a read-only volume of some container, or in the API token directory. */
function onReadOnlyVolume(spec: any, file: string): boolean {
  if (file.startsWith(API_TOKEN_DIR + '/')) return true;
  const readOnly = readOnlyVolumeNames(spec);
  for (const group of CONTAINER_GROUPS) {
    for (const c of Array.isArray(spec?.[group]) ? spec[group] : []) {
      for (const m of Array.isArray(c?.volumeMounts) ? c.volumeMounts : []) {
        if (!readOnly.has(m?.name) || typeof m.mountPath !== 'string' || m.subPath) continue;
        const dir = m.mountPath.replace(/\/+$/, '');
        if (dir !== '' && file.startsWith(dir + '/')) return true;
      }
    }
  }
  return false;
}

/**
 * BT287: a pod whose injected Vault Agent reads its JWT (auth-type jwt) from a
 * read-only volume and would delete it after reading (remove_jwt_after_reading
 * defaults to true). The annotations are the pods' own: a Pod's metadata, a
 * workload's pod template.
 */
export function checkVaultAgentJwt(obj: any, loc: PodSpecLocation): Finding[] {
  const meta = loc.templateMetadataPath === '' ? obj?.metadata : getAt(obj, loc.templateMetadataPath);
  const a = meta?.annotations;
  if (!a || typeof a !== 'object' || !GO_TRUE.has(a[VAULT_INJECT]) || a[VAULT_AUTH_TYPE] !== 'jwt') return NO_FINDINGS;
  const file = a[VAULT_JWT_PATH];
  if (typeof file !== 'string' || GO_FALSE.has(a[VAULT_REMOVE_JWT])) return NO_FINDINGS;
  if (!onReadOnlyVolume(getAt(obj, loc.specPath), file)) return NO_FINDINGS;
  const base = loc.templateMetadataPath === '' ? '/metadata' : loc.templateMetadataPath;
  return [finding(R.VAULT_AGENT_REMOVES_JWT, `${base}${ptr('annotations', a[VAULT_REMOVE_JWT] === undefined ? VAULT_JWT_PATH : VAULT_REMOVE_JWT)}`, VAULT_REMOVE_JWT,
    `is not "false" while the injected Vault Agent's JWT auth reads '${clip(file)}' from a read-only volume, so the agent tries to delete it after every read and logs an error each time`,
    show(a[VAULT_REMOVE_JWT]))];
}

