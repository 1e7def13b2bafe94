// The projected sources beside serviceAccountToken that Kubernetes 1.33-1.35
// added: clusterTrustBundle (beta 1.33, gates ClusterTrustBundle and
// ClusterTrustBundleProjection, off by default) and podCertificate (beta 1.35,
// gate PodCertificateRequest, off by default), checked as Kubernetes'
// validateProjectionSources does (k8s pkg/apis/core/validation/validation.go),
// and the API token of exactly 3607 seconds that the API server extends.
//
// Pure: shared by the constructs, the lint and the policy's coverage table.
import { R } from './catalogue';
import { checkTokenPath } from './check-pod';
import { clip, Finding, finding, show } from './finding';
import {
  API_ACCESS_EXPIRATION_SECONDS, API_SERVER_AUDIENCES, DNS1123_LABEL_MAX_LENGTH, DNS1123_SUBDOMAIN_MAX_LENGTH, isDns1123Label,
  KUBERNETES_SIGNER_PREFIX, matchesDns1123Subdomain, PLATFORM_API_ACCESS_VOLUME_NAME, POD_CERTIFICATE_KEY_TYPES,
  POD_CERTIFICATE_KUBERNETES_MAX_SECONDS, POD_CERTIFICATE_MAX_SECONDS, POD_CERTIFICATE_MIN_SECONDS,
} from './kubernetes';

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True for a DNS-1123 subdomain of at most 253 characters. */
function isSubdomain(s: string): boolean {
  return s.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && matchesDns1123Subdomain(s);
}

/**
 * Why a signer name is not `<domain>/<name>` as Kubernetes' ValidateSignerName
 * reads it (k8s pkg/apis/certificates/validation), or undefined.
 */
export function signerNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  const parts = name.split('/');
  if (parts.length !== 2) return "must be a fully qualified domain and path of the form 'example.com/signer-name'";
  const [domain, path] = parts;
  if (domain.length > DNS1123_SUBDOMAIN_MAX_LENGTH) return `has a domain longer than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`;
  const labels = domain.split('.');
  const bad = labels.find(l => !isDns1123Label(l));
  if (bad !== undefined) return `has a domain label ${show(bad)} that is not a DNS-1123 label`;
  if (labels.length < 2) return 'must have a domain with at least two segments separated by dots';
  const maxPath = DNS1123_SUBDOMAIN_MAX_LENGTH + DNS1123_LABEL_MAX_LENGTH + 1;
  if (path.length > maxPath) return `has a name after '/' longer than ${maxPath} characters`;
  if (!matchesDns1123Subdomain(path)) return "must have a DNS-1123 subdomain after '/' (lowercase letters, digits, '-' and '.')";
  return undefined;
}

/** Why a ClusterTrustBundle name is invalid (ValidateClusterTrustBundleName), or undefined. */
function bundleNameProblem(name: string): string | undefined {
  if (name === '') return 'must be a valid object name, not empty';
  // '<signer with / written as :>:<name>' names a bundle of that signer
  const rest = name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name;
  if (!isSubdomain(rest)) {
    return name.includes(':')
      ? "must end, after its last ':', in a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')"
      : "must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)";
  }
  return undefined;
}

/** The path checks of a token (BT110-BT115), under BT264 for a file of another source. */
function checkSourcePath(value: unknown, at: string, prop: string, where: string): Finding[] {
  return checkTokenPath(value, at, prop).map(f => {
    const reason = f.message.slice(f.message.indexOf(`'${prop}' `) + prop.length + 3, f.message.lastIndexOf(', got '))
      .replace('so the kubelet cannot write the token file', 'so the kubelet cannot write the file');
    return finding(R.SOURCE_PATH, at, prop, `of ${where} ${reason}`, show(value));
  });
}

const present = (x: unknown) => x !== undefined && x !== null;

/** Checks one clusterTrustBundle source; `at` is its JSON pointer, `vname` its volume's name. */
export function checkClusterTrustBundle(src: any, at: string, vname: string): Finding[] {
  const out: Finding[] = [];
  const where = `the clusterTrustBundle in volume '${vname}'`;
  const byName = present(src.name);
  const bySigner = present(src.signerName);
  if (byName && bySigner) {
    out.push(finding(R.TRUST_BUNDLE_SELECTOR, at, 'name', `and 'signerName' of ${where} are both set; only one of them may be used`, `${show(src.name)} and ${show(src.signerName)}`));
  } else if (!byName && !bySigner) {
    out.push(finding(R.TRUST_BUNDLE_SELECTOR, at, 'name', `or 'signerName' of ${where} must be set`, 'neither'));
  } else if (byName) {
    const problem = typeof src.name === 'string' ? bundleNameProblem(src.name) : 'must be a string';
    if (problem) out.push(finding(R.TRUST_BUNDLE_NAME, `${at}/name`, 'name', `of ${where} ${problem}`, show(src.name)));
    if (present(src.labelSelector)) {
      out.push(finding(R.TRUST_BUNDLE_LABELS, `${at}/labelSelector`, 'labelSelector', `of ${where} must be unset when 'name' is set`, show(src.labelSelector)));
    }
  } else {
    const problem = typeof src.signerName === 'string' ? signerNameProblem(src.signerName) : 'must be a string';
    if (problem) out.push(finding(R.SIGNER_NAME, `${at}/signerName`, 'signerName', `of ${where} ${problem}`, show(src.signerName)));
    if (!present(src.labelSelector)) {
      if (src.optional === true) {
        out.push(finding(R.TRUST_BUNDLE_ALWAYS_EMPTY, at, 'labelSelector', `of ${where} is not set, which matches no ClusterTrustBundle, so the optional bundle file is always empty`, 'nothing'));
      } else {
        out.push(finding(R.TRUST_BUNDLE_MATCHES_NOTHING, at, 'labelSelector', `of ${where} is not set, which matches no ClusterTrustBundle, so the kubelet never starts the pod`, 'nothing'));
      }
    } else {
      out.push(...checkMatchLabels(src.labelSelector, `${at}/labelSelector`, where));
    }
  }
  out.push(...checkSourcePath(src.path, `${at}/path`, 'path', where));
  return out;
}

/** The matchLabels of a label selector, as Kubernetes validates label keys and values. */
function checkMatchLabels(selector: any, at: string, where: string): Finding[] {
  const labels = selector?.matchLabels;
  if (!labels || typeof labels !== 'object') return [];
  const out: Finding[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    const keyOk = name.length <= 63 && QUALIFIED_NAME.test(name) && (prefix === undefined || isSubdomain(prefix));
    const valueOk = typeof v === 'string' && v.length <= 63 && LABEL_VALUE.test(v);
    if (!keyOk || !valueOk) {
      out.push(finding(R.TRUST_BUNDLE_LABELS, `${at}/matchLabels`, 'labelSelector', `of ${where} has a label ${keyOk ? 'value' : 'key'} that is not valid`, keyOk ? show(v) : show(k)));
    }
  }
  return out;
}

/** Checks one podCertificate source; `at` is its JSON pointer, `vname` its volume's name; `construct` names props as the construct does. */
export function checkPodCertificate(src: any, at: string, vname: string, construct: boolean): Finding[] {
  const out: Finding[] = [];
  const where = `the podCertificate in volume '${vname}'`;
  const signer = src.signerName;
  const problem = typeof signer === 'string' ? signerNameProblem(signer) : 'must be set';
  if (problem) out.push(finding(R.SIGNER_NAME, `${at}/signerName`, 'signerName', `of ${where} ${problem}`, show(signer)));
  if (!(typeof src.keyType === 'string' && POD_CERTIFICATE_KEY_TYPES.includes(src.keyType))) {
    out.push(finding(R.POD_CERTIFICATE_KEY_TYPE, `${at}/keyType`, 'keyType', `of ${where} must be one of ${POD_CERTIFICATE_KEY_TYPES.join(', ')}`, show(src.keyType)));
  }
  const exp = src.maxExpirationSeconds;
  if (present(exp)) {
    const prop = construct ? 'maxExpiration' : 'maxExpirationSeconds';
    const kubernetes = typeof signer === 'string' && signer.startsWith(KUBERNETES_SIGNER_PREFIX);
    const max = kubernetes ? POD_CERTIFICATE_KUBERNETES_MAX_SECONDS : POD_CERTIFICATE_MAX_SECONDS;
    if (typeof exp !== 'number' || !Number.isInteger(exp)) {
      out.push(finding(R.POD_CERTIFICATE_LIFETIME, `${at}/maxExpirationSeconds`, prop, `of ${where} must be a whole number of seconds`, show(exp)));
    } else if (exp < POD_CERTIFICATE_MIN_SECONDS || exp > max) {
      out.push(finding(R.POD_CERTIFICATE_LIFETIME, `${at}/maxExpirationSeconds`, prop,
        `of ${where} must be between ${POD_CERTIFICATE_MIN_SECONDS} and ${max} seconds${kubernetes ? ` (a ${KUBERNETES_SIGNER_PREFIX} signer issues for at most 24 hours)` : ''}`, `${exp} seconds`));
    }
  }
  const files = ['credentialBundlePath', 'keyPath', 'certificateChainPath'].filter(f => present(src[f]) && src[f] !== '');
  if (files.length === 0) {
    out.push(finding(R.POD_CERTIFICATE_NO_FILE, at, 'credentialBundlePath', `of ${where} is not set, and neither are keyPath and certificateChainPath`, 'nothing'));
  }
  for (const f of files) out.push(...checkSourcePath(src[f], `${at}/${f}`, f, where));
  const split = files.filter(f => f !== 'credentialBundlePath');
  if (split.length > 0) {
    out.push(finding(R.POD_CERTIFICATE_SPLIT_FILES, `${at}/${split[0]}`, split[0],
      `of ${where} writes ${split.length === 2 ? 'the key and the chain to files of their own' : `the ${split[0] === 'keyPath' ? 'key' : 'chain'} to a file of its own`}, which an application can read mid-rotation (a new key with the old certificate)`,
      show(src[split[0]])));
  }
  return out;
}

/**
 * BT271: the tokens of a volume that ask the API server for exactly 3607
 * seconds with its own audience (none, or one of API_SERVER_AUDIENCES): it
 * issues them valid for a year (--service-account-extend-token-expiration).
 * The platform's own volume (kube-api-access-xxxxx) is exempt.
 */
export function checkExtendedApiToken(volume: any, path: string): Finding[] {
  if (typeof volume?.name === 'string' && PLATFORM_API_ACCESS_VOLUME_NAME.test(volume.name)) return [];
  const sources = volume?.projected?.sources;
  if (!Array.isArray(sources)) return [];
  const out: Finding[] = [];
  sources.forEach((s: any, j: number) => {
    const t = s?.serviceAccountToken;
    if (!t || typeof t !== 'object' || t.expirationSeconds !== API_ACCESS_EXPIRATION_SECONDS) return;
    const a = t.audience;
    if (!(a === undefined || a === null || a === '' || API_SERVER_AUDIENCES.includes(a))) return;
    const name = typeof volume?.name === 'string' ? clip(volume.name) : '?';
    out.push(finding(R.API_TOKEN_EXTENDED, `${path}/projected/sources/${j}/serviceAccountToken/expirationSeconds`, 'expirationSeconds',
      `of the API token '${typeof t.path === 'string' ? clip(t.path) : j}' in volume '${name}' is exactly ${API_ACCESS_EXPIRATION_SECONDS}, which an API server with --service-account-extend-token-expiration (the default) extends to a year`,
      `${API_ACCESS_EXPIRATION_SECONDS} seconds`));
  });
  return out;
}
