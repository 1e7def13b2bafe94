// The facts about Kubernetes that the rules rest on, each written once: token
// lifetimes, the platform's API-access volume, DNS names, projected sources
// and their files, container groups, where each kind keeps its pod spec, how
// the kubelet cleans a path. The TypeScript rules (src/rules), the CEL builder
// (src/policy), the lint's input reader and the construct layer import them
// from here. Pure: no cdk8s, no rule catalogue, no YAML parser.
// Sources: /work/shared/KUBERNETES-FACTS.md (kube-apiserver validation,
// kubelet token_manager.go and atomic_writer.go, the ServiceAccount admission plugin).

// --- token lifetimes (serviceAccountToken.expirationSeconds) ------------------

/** Minimum token lifetime the API server accepts (10 minutes). */
export const MIN_EXPIRATION_SECONDS = 600;
/** Maximum token lifetime the API server accepts (2^32). */
export const MAX_EXPIRATION_SECONDS = 4294967296;
/** Lifetime the API server defaults to when expirationSeconds is omitted. */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** The kubelet refreshes every token after at most 24 hours. */
export const DAY_SECONDS = 86400;
/** The lifetime of the platform's own `kube-api-access-*` token. */
export const API_ACCESS_EXPIRATION_SECONDS = 3607;
/**
 * With --service-account-extend-token-expiration (on by default) a pod's token of exactly
 * API_ACCESS_EXPIRATION_SECONDS for the API server's own audiences is valid this long: a year
 * (k8s pkg/serviceaccount ExpirationExtensionSeconds; src/rules/token-limits.ts).
 */
export const EXTENDED_EXPIRATION_SECONDS = 24 * 365 * 60 * 60;
/** The least --service-account-max-token-expiration the kube-apiserver starts with (1 hour); an external signer's maximum may be as low as MIN_EXPIRATION_SECONDS. */
export const MIN_MAX_EXPIRATION_FLAG_SECONDS = 3600;
/** The kubelet refreshes a token once this share of its lifetime has passed (and after DAY_SECONDS at most). */
export const REFRESH_PERCENT = 80;

/**
 * When the kubelet refreshes a token of lifetime `seconds`:
 * `min(L - floor(L * 20 / 100), 86400)` (k8s token_manager.go, whole seconds).
 */
export function refreshAfterSeconds(seconds: number): number {
  return Math.min(seconds - Math.floor((seconds * (100 - REFRESH_PERCENT)) / 100), DAY_SECONDS);
}

// --- the API-access volume and the API token directory -----------------------

/** The prefix of the platform's API-access volume name; the ServiceAccount admission plugin takes any volume named so for it. */
export const API_ACCESS_VOLUME_PREFIX = 'kube-api-access-';
/** The configMap source of the API-access volume: the cluster's CA bundle. */
export const API_ACCESS_CA_CONFIGMAP = 'kube-root-ca.crt';
/** The downwardAPI field the API-access volume projects (the `namespace` file). */
export const API_ACCESS_NAMESPACE_FIELD = 'metadata.namespace';

/**
 * The platform's own API-access volume, recognised by its shape, not its
 * name (hand-written copies are often named `kube-api-access`): every token
 * source has no audience and `expirationSeconds: 3607`, a configMap source
 * names `kube-root-ca.crt`, a downwardAPI source projects
 * `metadata.namespace`, and there is no other kind of source. Such a token is
 * meant for the Kubernetes API: it is exempt from the audience rule.
 */
export function isApiAccessVolume(volume: any): boolean {
  return apiAccessShape(volume, true);
}

/**
 * The API-access shape with tokens of any lifetime (ApiAccessToken's, 1 hour
 * by default): a token for the Kubernetes API, so exempt from the audience
 * rule (BT120) like the platform's own.
 */
export function isApiAccessShape(volume: any): boolean {
  return apiAccessShape(volume, false);
}

function apiAccessShape(volume: any, platformLifetime: boolean): boolean {
  const sources = volume?.projected?.sources;
  if (!Array.isArray(sources)) return false;
  let token = false;
  let ca = false;
  let ns = false;
  for (const s of sources) {
    if (!s || typeof s !== 'object') return false;
    if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      if (!(t.audience === undefined || t.audience === null || t.audience === '')) return false;
      if (platformLifetime && t.expirationSeconds !== API_ACCESS_EXPIRATION_SECONDS) return false;
      token = true;
    } else if (s.configMap) {
      if (s.configMap.name === API_ACCESS_CA_CONFIGMAP) ca = true;
    } else if (s.downwardAPI) {
      const items = s.downwardAPI.items;
      if (Array.isArray(items) && items.some((i: any) => i?.fieldRef?.fieldPath === API_ACCESS_NAMESPACE_FIELD)) ns = true;
    } else {
      return false;
    }
  }
  return token && ca && ns;
}

/** Where in-cluster clients (client-go's rest.InClusterConfig and the other SDKs) read the API token, ca.crt and namespace. */
export const API_TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A mount path that is the API token directory (trailing slashes allowed). RE2 and JavaScript alike. */
export const API_TOKEN_DIR_PATTERN = '^/var/run/secrets/kubernetes\\.io/serviceaccount/*$';
/**
 * Audiences the API server accepts on a default cluster: its issuer
 * (OpenShift, kubeadm) is also its audience. A token without audience gets
 * the API server's own audiences and is never foreign.
 */
export const API_SERVER_AUDIENCES: readonly string[] = ['https://kubernetes.default.svc', 'https://kubernetes.default.svc.cluster.local'];

// --- names -------------------------------------------------------------------

/** A DNS-1123 label (volume, container and namespace names), without its length limit. RE2 and JavaScript alike. */
export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** The longest DNS-1123 label. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** A DNS-1123 subdomain (object names), without its length limit. RE2 and JavaScript alike. */
export const DNS1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** The longest DNS-1123 subdomain. */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const DNS1123_LABEL = new RegExp(DNS1123_LABEL_PATTERN);
const DNS1123_SUBDOMAIN = new RegExp(DNS1123_SUBDOMAIN_PATTERN);

/** True when `name` is a DNS-1123 label (at most 63 characters). */
export function isDns1123Label(name: string): boolean {
  return name.length <= DNS1123_LABEL_MAX_LENGTH && DNS1123_LABEL.test(name);
}

/** True when `name` matches the DNS-1123 subdomain pattern (the caller checks the length it needs). */
export function matchesDns1123Subdomain(name: string): boolean {
  return DNS1123_SUBDOMAIN.test(name);
}

// --- projected sources and their files ---------------------------------------

/** The kinds of projected source (Kubernetes 1.35): clusterTrustBundle is alpha from 1.29 and beta from 1.33, podCertificate alpha from 1.34 and beta from 1.35. */
export const SOURCE_KINDS: readonly string[] = ['serviceAccountToken', 'configMap', 'secret', 'downwardAPI', 'clusterTrustBundle', 'podCertificate'];

/** The kinds of source whose files are listed under `items[].path`. */
export const ITEM_SOURCE_KINDS: readonly string[] = ['configMap', 'secret', 'downwardAPI'];

/** The fields of a source that name a file it writes (besides the items of ITEM_SOURCE_KINDS), with the kind's name in messages. */
export const SOURCE_FILE_FIELDS: ReadonlyArray<readonly [string, readonly string[], string]> = [
  ['serviceAccountToken', ['path'], 'ServiceAccountToken'],
  ['clusterTrustBundle', ['path'], 'ClusterTrustBundle'],
  ['podCertificate', ['credentialBundlePath', 'keyPath', 'certificateChainPath'], 'PodCertificate'],
];

// --- paths the kubelet writes ------------------------------------------------

// --- clusterTrustBundle and podCertificate sources (src/rules/check-sources.ts) ---
// validateProjectionSources (pkg/apis/core/validation/validation.go) and the API
// reference of PodCertificateProjection and ClusterTrustBundleProjection.

/** The key types the kubelet generates for a podCertificate source (Kubernetes 1.35). */
export const POD_CERTIFICATE_KEY_TYPES: readonly string[] = ['RSA3072', 'RSA4096', 'ECDSAP256', 'ECDSAP384', 'ECDSAP521', 'ED25519'];
/** The shortest podCertificate maxExpirationSeconds the API server accepts (1 hour). */
export const POD_CERTIFICATE_MIN_SECONDS = 3600;
/** The longest podCertificate maxExpirationSeconds the API server accepts (91 days). */
export const POD_CERTIFICATE_MAX_SECONDS = 7862400;
/** The longest podCertificate maxExpirationSeconds for a `kubernetes.io/` signer (24 hours); also the default. */
export const POD_CERTIFICATE_KUBERNETES_MAX_SECONDS = 86400;
/** The prefix of the signers of the Kubernetes project. */
export const KUBERNETES_SIGNER_PREFIX = 'kubernetes.io/';
/** The name the ServiceAccount admission plugin gives the platform's API-access volume: the prefix and 5 generated characters. */
export const PLATFORM_API_ACCESS_VOLUME_NAME = /^kube-api-access-[a-z0-9]{5}$/;

/** The longest file name the kubelet can write (bytes of one path segment). */
export const MAX_PATH_SEGMENT_BYTES = 255;
/** The longest path the kubelet can write (bytes). */
export const MAX_PATH_BYTES = 4096;

/**
 * A projected file path as the kubelet's atomic writer cleans it: empty and
 * '.' segments dropped (`./x` and `x`, `a//b` and `a/b`, `x/` and `x` are one
 * file). '..' segments are kept as written: such a path is refused (BT112).
 * A path that is only '.' and '/' cleans to ''.
 */
export function cleanPath(p: string): string {
  if (!p.includes('/') && p !== '.') return p;
  let out = '';
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    out = out === '' ? seg : out + '/' + seg;
  }
  return out;
}

/** The largest file mode a projected volume's defaultMode (or an item's mode) may have: 0777. */
export const MAX_FILE_MODE = 0o777;

// --- containers --------------------------------------------------------------

/** Every list of containers of a pod spec. */
export const CONTAINER_GROUPS: readonly string[] = ['initContainers', 'containers', 'ephemeralContainers'];
/**
 * The containers a pod spec is written with: not ephemeral containers, which
 * `kubectl debug` adds to a running pod (a binding neither mounts into them
 * nor schedules rotation for them).
 */
export const DECLARED_CONTAINER_GROUPS: readonly string[] = ['initContainers', 'containers'];

// --- where each kind keeps its pod spec --------------------------------------

/** Where a pod spec sits in an object. */
export interface PodSpecLocation {
  /** JSON pointer of the pod spec. */
  readonly specPath: string;
  /** JSON pointer of the pod template's metadata ('' for a bare Pod). */
  readonly templateMetadataPath: string;
  /** The object is a bare Pod. */
  readonly bare: boolean;
  /**
   * The object's own annotations reach the pods of this template: OLM copies
   * a ClusterServiceVersion's annotations to the pod template of each of its
   * deployments. A workload's own annotations never reach its pods.
   */
  readonly objectAnnotationsReachPods?: boolean;
}

/** The apps/v1 kinds whose every applied object has spec.selector (the API server requires it). */
export const SELECTOR_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];

/** The built-in kinds whose pod template sits at spec.template (the ones Kubernetes itself serves). */
export const TEMPLATE_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job'];

// shared, frozen: locating a pod spec allocates nothing
/** A Pod: its own spec and metadata. */
export const POD_LOCATION: PodSpecLocation = Object.freeze({ specPath: '/spec', templateMetadataPath: '', bare: true });
/** A PodTemplate object: its template at the top. */
export const POD_TEMPLATE_LOCATION: PodSpecLocation = Object.freeze({ specPath: '/template/spec', templateMetadataPath: '/template/metadata', bare: false });
/** A CronJob: the template of its job template. */
export const CRON_JOB_LOCATION: PodSpecLocation = Object.freeze({
  specPath: '/spec/jobTemplate/spec/template/spec',
  templateMetadataPath: '/spec/jobTemplate/spec/template/metadata',
  bare: false,
});
/** A workload with its template at spec.template (TEMPLATE_KINDS, and Argo Rollouts, DeploymentConfigs, ...). */
export const WORKLOAD_LOCATION: PodSpecLocation = Object.freeze({
  specPath: '/spec/template/spec', templateMetadataPath: '/spec/template/metadata', bare: false,
});

/** The location of a pod spec for the kinds whose pod spec is known by their kind alone (TEMPLATE_KINDS, Pod, PodTemplate, CronJob). */
export function locationOfKind(kind: unknown): PodSpecLocation | undefined {
  if (kind === 'Pod') return POD_LOCATION;
  if (kind === 'PodTemplate') return POD_TEMPLATE_LOCATION;
  if (kind === 'CronJob') return CRON_JOB_LOCATION;
  return TEMPLATE_KINDS.includes(kind as string) ? WORKLOAD_LOCATION : undefined;
}

/** The steps of a location's pointer (these pointers hold no escapes): `/spec/template/spec` -> spec, template, spec. */
export function locationSteps(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/');
}

/**
 * Finds the pod spec of any object that carries one: a Pod, a PodTemplate,
 * a CronJob, and every kind with containers at spec.template.spec
 * (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
 * Job, Argo Rollout, OpenShift DeploymentConfig, Knative Service, ...).
 */
export function locatePodSpec(obj: any): PodSpecLocation | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const kind = obj.kind;
  if (kind === 'Pod') return POD_LOCATION;
  if (kind === 'PodTemplate') return POD_TEMPLATE_LOCATION;
  if (kind === 'CronJob' && obj.spec?.jobTemplate) return CRON_JOB_LOCATION;
  const tspec = obj.spec?.template?.spec;
  if (tspec && typeof tspec === 'object' && (Array.isArray(tspec.containers) || Array.isArray(tspec.volumes))) return WORKLOAD_LOCATION;
  return undefined;
}

/** True for an OLM ClusterServiceVersion (an operator bundle's install plan). */
export function isClusterServiceVersion(obj: any): boolean {
  return obj?.kind === 'ClusterServiceVersion' && typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('operators.coreos.com/');
}

/** Where the deployments of a ClusterServiceVersion are (OLM creates one Deployment from each). */
export const CSV_DEPLOYMENTS_PATH = '/spec/install/spec/deployments';

/**
 * Every pod spec of an object: the one of locatePodSpec, or one per
 * deployment of an OLM ClusterServiceVersion
 * (spec.install.spec.deployments[i].spec.template.spec). The one place that
 * knows where a ClusterServiceVersion keeps its pod templates.
 */
export function podSpecLocations(obj: any): readonly PodSpecLocation[] {
  if (isClusterServiceVersion(obj)) {
    const deployments = obj?.spec?.install?.spec?.deployments;
    if (!Array.isArray(deployments)) return [];
    const out: PodSpecLocation[] = [];
    for (let i = 0; i < deployments.length; i++) {
      if (deployments[i] === null || deployments[i] === undefined) continue;
      // each deployment is a name and a DeploymentSpec
      const at = `${CSV_DEPLOYMENTS_PATH}/${i}`;
      out.push({
        specPath: at + WORKLOAD_LOCATION.specPath,
        templateMetadataPath: at + WORKLOAD_LOCATION.templateMetadataPath,
        bare: false,
        objectAnnotationsReachPods: true,
      });
    }
    return out;
  }
  const loc = locatePodSpec(obj);
  return loc ? [loc] : [];
}

/** True for the OpenShift cluster Authentication object. */
export function isAuthentication(obj: any): boolean {
  return obj?.kind === 'Authentication' && typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('config.openshift.io/');
}

// --- acknowledgements (this library's annotation, read where the pods get it) --

/** The annotation that acknowledges a warning, where the pods get it: a Pod's (or an Authentication's) own metadata, a workload's pod template. */
export const ACK_ANNOTATION_PREFIX = 'bound-tokens.io/acknowledge-';

/**
 * Kinds that never carry a pod spec (built-in ones, and OpenShift's
 * Authentication): the issuer's audience scan does not render hand-written
 * objects of these kinds.
 */
export const KINDS_WITHOUT_POD_SPEC: ReadonlySet<string> = new Set([
  'Authentication', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Namespace', 'Endpoints',
  'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Ingress', 'NetworkPolicy',
  'PersistentVolume', 'PersistentVolumeClaim', 'StorageClass', 'PodDisruptionBudget',
  'HorizontalPodAutoscaler', 'LimitRange', 'ResourceQuota', 'CustomResourceDefinition',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
]);
