// The rule catalogue: every check of the library, defined once.
//
// This module (and everything under src/rules) is pure: it must not import
// cdk8s, cdk8s-plus or constructs, so that the lint command, the admission
// policy generator and the constructs share one implementation of each rule.

import { ACK_ANNOTATION_PREFIX } from './kubernetes';

/**
 * Level of a rule: errors fail the synth, warnings are printed. A notice
 * (lint only) says what the lint could not check and how to check it; it
 * never fails a run, not even with --strict.
 */
export type Level = 'error' | 'warning' | 'notice';

/** Where a rule applies. */
export type RuleScope =
  /** constructs and plain manifests alike */
  | 'all'
  /** only the constructs of this library (they know things a manifest does not show) */
  | 'construct'
  /** only plain manifests read by the lint command */
  | 'manifest';

export interface RuleDef {
  /** Stable id, never derived from a file name. */
  readonly id: string;
  readonly level: Level;
  /** One-line cause. */
  readonly cause: string;
  /** How to fix it. */
  readonly fix: string;
  readonly scope: RuleScope;
  /**
   * The lint command (and the validation plugin) report this rule on plain
   * manifests only in strict mode; the constructs always do.
   */
  readonly lintStrictOnly?: boolean;
}

const defs: RuleDef[] = [];

function rule(id: string, level: Level, cause: string, fix: string, scope: RuleScope = 'all', lintStrictOnly = false): RuleDef {
  const def: RuleDef = lintStrictOnly ? { id, level, cause, fix, scope, lintStrictOnly } : { id, level, cause, fix, scope };
  defs.push(def);
  return def;
}

/** Rule ids, grouped by what they check. */
export const R = {
  // token lifetime (the API server's bounds, the cluster's limits)
  LIFETIME_TOO_SHORT: rule('BT101', 'error',
    'A token lifetime (expirationSeconds) is shorter than 10 minutes (600 s); the API server rejects it.',
    'set the expiration to at least 10 minutes (600 seconds)'),
  LIFETIME_TOO_LONG: rule('BT102', 'error',
    'A token lifetime is longer than 2^32 seconds; the API server rejects it.',
    'set the expiration to at most 4294967296 seconds'),
  LIFETIME_NOT_WHOLE: rule('BT103', 'error',
    'A token lifetime is not a whole number of seconds (after rounding to the millisecond).',
    'use a whole number of seconds, e.g. Duration.seconds(3600)', 'construct'),
  LIFETIME_OVER_24H: rule('BT104', 'warning',
    'A token lifetime is longer than 24 hours: a leaked token stays valid that long (the kubelet still rotates it after 24 h).',
    'use a lifetime of at most 24 hours unless the consumer requires more'),
  LIFETIME_NOT_INTEGER: rule('BT105', 'error',
    'expirationSeconds is not a whole number.',
    'write expirationSeconds as an integer number of seconds', 'manifest'),
  LIFETIME_OVER_CLUSTER_MAX: rule('BT280', 'warning',
    "A requested token lifetime is longer than the cluster's maximum (--service-account-max-token-expiration, or an external signer's maximum): the API server shortens it, so the kubelet refreshes the token earlier and the token expires sooner than the manifest says.",
    "request at most the cluster's maximum lifetime, or declare the limits the cluster really has (ClusterTokenLimits, lint --max-token-expiration)"),
  CLUSTER_LIMITS: rule('BT281', 'error',
    "The cluster's token limits are declared wrongly: a maximum lifetime that is not whole seconds or is outside 600 seconds (an external signer's least) to 2^32 seconds (the kube-apiserver refuses to start with a flag under 1 hour), or two ClusterTokenLimits for one cluster.",
    'declare the limits once per cluster (once per app, or once per clusterScope), with the value of --service-account-max-token-expiration', 'construct'),
  // token path
  PATH_EMPTY: rule('BT110', 'error',
    'A token path is empty; the API server rejects it.',
    "set a relative file name, e.g. 'token'"),
  PATH_ABSOLUTE: rule('BT111', 'error',
    'A token path is absolute; the API server refuses it from Kubernetes 1.30, while 1.27 to 1.29 accept it and the kubelet then fails the mount.',
    "use a path relative to the volume's mount point, e.g. 'token'"),
  PATH_DOTDOT: rule('BT112', 'error',
    "A token path contains a '..' segment; the API server refuses it from Kubernetes 1.30, while 1.27 to 1.29 accept it and the kubelet then fails the mount.",
    "remove the '..' segments from the path"),
  PATH_STARTS_DOTDOT: rule('BT113', 'error',
    "A token path starts with '..', which the kubelet reserves for its atomic writer; the API server rejects it.",
    "rename the file so it does not start with '..'"),
  PATH_OVERLAP: rule('BT114', 'error',
    "Two sources of one projected volume write the same path, or one is nested under another, compared as the kubelet cleans them ('x' and './x', 'a//b' and 'a/b', 'x/' and 'x'); token, configMap, secret, downwardAPI, clusterTrustBundle and podCertificate files alike; one file silently wins.",
    'give every source of the volume its own path'),
  PATH_UNWRITABLE: rule('BT115', 'error',
    "A token path is one the kubelet cannot write: '.' (the volume's own directory), a path with a NUL character, a segment longer than 255 bytes or a path longer than 4096 bytes.",
    "use a short relative file name, e.g. 'token'"),
  // audience
  NO_AUDIENCE: rule('BT120', 'warning',
    "A token has no audience, so any consumer that trusts the Kubernetes API server accepts it (an API-access volume, recognised by its shape - tokens without audience, the kube-root-ca.crt configMap and the namespace downwardAPI item: the platform's own, of 3607 s, and ApiAccessToken's, of any lifetime - is exempt; the lint reports it only with --strict).",
    "set the audience the token's consumer expects (e.g. 'vault', 'sts.amazonaws.com')", 'all', true),
  AUDIENCE_LIST: rule('BT121', 'warning',
    'An audience contains a comma or white space: a token carries one audience, and this string is taken literally.',
    'project one token per audience'),
  // the projected volume
  VOLUME_NAME: rule('BT130', 'error',
    'A volume name is not a DNS-1123 label (lowercase letters, digits and -, at most 63 characters); the API server rejects it.',
    "set 'name' to a DNS-1123 label, e.g. 'vault-token'"),
  DEFAULT_MODE_RANGE: rule('BT131', 'error',
    'A projected volume defaultMode is outside 0..0777 (octal); the API server rejects it.',
    'use a mode between 0 and 0o777, e.g. 0o644'),
  DEFAULT_MODE_RESTRICTIVE: rule('BT132', 'warning',
    'A restrictive defaultMode leaves the token owned by root and unreadable by a non-root application: the pod sets no fsGroup, and its containers do not all run as one user (the kubelet gives the token file to the effective runAsUser - a container\'s own, else the pod\'s - only when every container has the same one).',
    'set the pod securityContext fsGroup (or runAsUser), or keep the default mode 0644'),
  VOLUME_NAME_DUPLICATE: rule('BT133', 'error',
    'Two volumes of one pod have the same name; the API server rejects it.',
    'give the token volume a name that no other volume of the pod uses'),
  EMPTY_SOURCES: rule('BT134', 'warning',
    'A projected volume has no sources, or an empty source (none of serviceAccountToken, configMap, secret, downwardAPI, clusterTrustBundle, podCertificate).',
    'add a token source or remove the volume'),
  SOURCE_MULTIPLE_KINDS: rule('BT135', 'error',
    'One entry of a projected volume sources holds more than one kind (e.g. serviceAccountToken and configMap); the API server rejects it.',
    'put each kind in its own entry of sources'),
  VOLUME_NAME_API_ACCESS: rule('BT136', 'error',
    "A token volume that is not the platform's API-access volume is named kube-api-access-*: the ServiceAccount admission plugin then takes it for the API token volume, adds none of its own and mounts this one at /var/run/secrets/kubernetes.io/serviceaccount.",
    "give the volume a name that does not start with 'kube-api-access-', e.g. 'vault-token'"),
  // trust bundles and pod certificates beside the token
  TRUST_BUNDLE_SELECTOR: rule('BT260', 'error',
    "A clusterTrustBundle source selects its bundle by both 'name' and 'signerName', or by neither; an API server with the ClusterTrustBundleProjection gate on refuses it ('only one of name and signerName may be used', 'either name or signerName must be specified').",
    "select the bundle by 'name' (one ClusterTrustBundle) or by 'signerName' (every bundle of the signer that 'labelSelector' matches), not both"),
  TRUST_BUNDLE_LABELS: rule('BT261', 'error',
    "A clusterTrustBundle source that selects by 'name' also has a 'labelSelector', or a matchLabels key or value is not a valid label; an API server with the gate on refuses it ('labelSelector must be unset if name is specified').",
    "use 'labelSelector' only with 'signerName', with label keys such as 'example.com/tier' and values of at most 63 characters"),
  SIGNER_NAME: rule('BT262', 'error',
    "A signerName (of a clusterTrustBundle or podCertificate source) is not of the form '<domain>/<name>' (a domain of at least two DNS labels, one '/', a DNS-1123 subdomain after it); an API server that knows the source refuses it.",
    "write the signer as '<domain>/<name>', e.g. 'example.com/my-signer' or 'kubernetes.io/kube-apiserver-client-pod'"),
  TRUST_BUNDLE_NAME: rule('BT263', 'error',
    "A clusterTrustBundle source's 'name' is empty or not a ClusterTrustBundle name (a DNS-1123 subdomain, or '<signer with : for />:<DNS-1123 subdomain>'); an API server with the gate on refuses it.",
    "name the ClusterTrustBundle as it is named in the cluster, e.g. 'my-ca' or 'example.com:my-signer:ca-2025'"),
  SOURCE_PATH: rule('BT264', 'error',
    "A clusterTrustBundle path or a podCertificate file (credentialBundlePath, keyPath, certificateChainPath) is empty, absolute, contains or starts with '..', or is one the kubelet cannot write ('.', a NUL character, a segment over 255 bytes, a path over 4096 bytes): the same path rules as a token's; an API server that knows the source refuses it, or the kubelet fails the mount.",
    "use a short relative file name, e.g. 'ca.pem' or 'credentials.pem'"),
  POD_CERTIFICATE_KEY_TYPE: rule('BT265', 'error',
    "A podCertificate source's keyType is missing or not one of RSA3072, RSA4096, ECDSAP256, ECDSAP384, ECDSAP521, ED25519; an API server with the PodCertificateRequest gate on refuses it.",
    'set keyType to one of the six (ECDSAP256 or ED25519 unless the signer asks for another)'),
  POD_CERTIFICATE_LIFETIME: rule('BT266', 'error',
    "A podCertificate source's maxExpirationSeconds is not a whole number between 3600 (1 hour) and 7862400 (91 days), or is over 86400 (24 hours) for a kubernetes.io/ signer; an API server with the gate on refuses it.",
    'request between 1 hour and 91 days (at most 24 hours from a kubernetes.io/ signer), or leave it out for 24 hours'),
  POD_CERTIFICATE_NO_FILE: rule('BT267', 'error',
    'A podCertificate source names no file: none of credentialBundlePath, keyPath and certificateChainPath is set; an API server with the gate on refuses it.',
    "set credentialBundlePath (one file with the key and the chain), e.g. 'credentials.pem'"),
  POD_CERTIFICATE_SPLIT_FILES: rule('BT268', 'warning',
    'A podCertificate source writes the private key (keyPath) or the chain (certificateChainPath) to a file of its own: an application reading two files can read them mid-rotation, a new key with the old certificate.',
    'write one credential bundle (credentialBundlePath) and read the key and the chain from it in one read'),
  TRUST_BUNDLE_MATCHES_NOTHING: rule('BT269', 'error',
    "A clusterTrustBundle source selects by signerName without a labelSelector, which Kubernetes reads as 'match nothing', and is not optional: the kubelet finds no bundle and the pod never starts.",
    "add 'labelSelector: {}' to take every bundle of the signer (the constructs write it for you), or a selector of the bundles you mean"),
  TRUST_BUNDLE_ALWAYS_EMPTY: rule('BT270', 'warning',
    "An optional clusterTrustBundle source selects by signerName without a labelSelector, which Kubernetes reads as 'match nothing': the kubelet writes an empty file, always.",
    "add 'labelSelector: {}' to take every bundle of the signer, or a selector of the bundles you mean"),
  SOURCE_NOT_RENDERED: rule('BT273', 'error',
    'A token volume with clusterTrustBundle or podCertificate sources is mounted into a workload of a cdk8s-plus line that cannot render them (clusterTrustBundle: cdk8s-plus-32 and later; podCertificate: cdk8s-plus-34 and later; podCertificate userAnnotations, a Kubernetes 1.35 field: no line yet): cdk8s-plus would silently drop it from the manifest.',
    'use a cdk8s-plus line that has the source (cdk8s-plus-34 has both), or mount the volume with mountIntoApiObject() into a plain ApiObject or an Include (not a generated Kube* class of an older line, which filters its JSON through its own types)', 'construct'),
  // the API-access token
  API_TOKEN_REPLACED: rule('BT139', 'warning',
    "A token volume with an audience other than the API server's is mounted at /var/run/secrets/kubernetes.io/serviceaccount: it replaces the API token there, and in-cluster clients then present a token the API server refuses.",
    'mount the token elsewhere (e.g. /var/run/secrets/tokens); leave the API token directory to the platform'),
  API_TOKEN_EXTENDED: rule('BT271', 'warning',
    "A token for the Kubernetes API (no audience, or the API server's) asks for exactly 3607 seconds, the lifetime of the platform's own API-access volume: an API server started with --service-account-extend-token-expiration (the default) issues it valid for a year (reported with --strict and in strict mode; the platform's own kube-api-access-xxxxx volume is exempt).",
    'ask for another lifetime, e.g. 3600 seconds (ApiAccessToken mounts such a token for you)', 'all', true),
  API_TOKEN_LIFETIME: rule('BT272', 'error',
    'An ApiAccessToken asks for exactly 3607 seconds: the API server would extend it to a year, which is what the construct is there to prevent.',
    'use another lifetime, e.g. Duration.hours(1) (the default)', 'construct'),
  // mounts
  MOUNT_PATH_RELATIVE: rule('BT137', 'warning',
    "A token mount path is not absolute for the pod's operating system: the API server accepts it, and the kubelet mounts it from the container's root (Linux: '/' + path; a Windows pod, spec.os.name: windows, 'C:\\' + path), not from the working directory.",
    "mount the token at an absolute path, e.g. '/var/run/secrets/tokens' (on a Windows pod 'C:\\var\\run\\secrets\\tokens')"),
  MOUNT_PATH: rule('BT140', 'error',
    'A token mount path is empty; the API server refuses it (any other string is accepted, Windows paths such as C:\\var\\run\\secrets\\tokens included).',
    "mount the token at an absolute path, e.g. '/var/run/secrets/tokens' (on a Windows pod 'C:\\var\\run\\secrets\\tokens')"),
  MOUNT_PATH_DUPLICATE: rule('BT141', 'error',
    "A container mounts two volumes at the same path (also when written differently, e.g. '/a' and '/a/'); the API server rejects only identical paths.",
    'use a different mount path for each volume of a container'),
  MOUNT_SUBPATH: rule('BT142', 'error',
    'A token volume is mounted with subPath: subPath mounts never receive the rotated token.',
    'mount the whole volume (no subPath) and read the file inside it'),
  MOUNT_NOWHERE: rule('BT143', 'warning',
    'A token volume is mounted in no container, so no application can read the token.',
    'mount the volume into the containers that need the token, or remove it'),
  MOUNT_UNKNOWN_VOLUME: rule('BT144', 'error',
    'A volume mount names a volume that the pod does not have; the API server rejects it.',
    'add the volume to the pod or fix the mount name'),
  MOUNT_CONTAINER_UNKNOWN: rule('BT145', 'error',
    'A token mount (mountInto, mountIntoApiObject) names a container that the workload does not have.',
    "name containers or init containers of the workload in 'containers', or omit 'containers' to mount into all of them", 'construct'),
  TOKEN_ENV_CONFLICT: rule('BT146', 'error',
    'A container already sets an environment variable that a token binding (mountInto, mountIntoApiObject or an identity preset) sets - to the token file path or to a fixed value such as a role ARN - to something else.',
    "remove the container's own definition of the variable, export the token path under another name, or bind only to other containers", 'construct'),
  TOKEN_ENV_UNKNOWN_TOKEN: rule('BT147', 'error',
    'An environment variable of a token mount points at a token path that the volume does not project.',
    "set 'tokenPath' to the path of one of the volume's tokens", 'construct'),
  MOUNT_NO_POD_SPEC: rule('BT148', 'error',
    'mountIntoApiObject was given an object that carries no pod spec (spec, template.spec, spec.template.spec or spec.jobTemplate.spec.template.spec).',
    'mount token volumes into a Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob or another kind with a pod template', 'construct'),
  NOT_A_WORKLOAD: rule('BT149', 'error',
    'A token binding (mountInto, a preset\'s bind or annotateServiceAccount, TokenRotation) was given something that is not a workload (or ServiceAccount) of cdk8s-plus or a plain ApiObject.',
    'pass a Pod, Deployment, StatefulSet, DaemonSet, Job or CronJob of cdk8s-plus (27, 32, 33, 34 or another 2.x line), or use mountIntoApiObject() / bindApiObject() for plain ApiObjects', 'construct'),
  // service account
  NO_SERVICE_ACCOUNT: rule('BT150', 'error',
    'A BoundTokenPod has no service account: the token would silently be issued for the namespace\'s default account.',
    "set 'serviceAccount' to the account the token must identify", 'construct'),
  POD_DEFAULT_SERVICE_ACCOUNT: rule('BT151', 'warning',
    'A Pod, or the pod template of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, ...), projects a token but sets no serviceAccountName, so the token identifies the namespace\'s default account, which every pod of the namespace without an account of its own shares (the lint reports it only with --strict; an identity preset makes it error BT152).',
    'set serviceAccountName (cdk8s-plus: serviceAccount) to a dedicated service account', 'all', true),
  PRESET_NO_SERVICE_ACCOUNT: rule('BT152', 'error',
    'A workload bound to an identity preset runs as no named service account: the cloud or platform trusts system:serviceaccount:<namespace>:<name> of one account, and the namespace\'s default account is not it.',
    'give the workload the service account that the identity provider trusts (serviceAccount, or serviceAccountName in the pod spec)', 'construct'),
  // acknowledgements
  ACK_NOT_ON_PODS: rule('BT138', 'warning',
    "An acknowledgement annotation is on a workload's own metadata (Deployment, Job, CronJob, ...) but not on its pod template: its pods never carry it, so the lint and the admission policy still report the warning for them, and with warningAction deny the controller's pods are refused.",
    'move the annotation to the pod template (spec.template.metadata.annotations; spec.jobTemplate.spec.template.metadata.annotations for a CronJob)'),
  // the OpenShift issuer (Authentication/cluster)
  ISSUER_MULTIPLE: rule('BT160', 'error',
    'More than one cluster issuer configuration (Authentication "cluster") for one cluster (constructs: the whole app, or one clusterScope; lint: one file); the last one applied silently wins.',
    "keep one ClusterIssuerConfig per cluster: for an app that synthesizes one chart per cluster, set each one's clusterScope to the chart of its cluster"),
  ISSUER_EMPTY: rule('BT161', 'error',
    "The service account issuer is white space only, or not a string (an empty string is valid: it is OpenShift's default, read as https://kubernetes.default.svc).",
    "set the issuer URL, or reset it with ClusterIssuerConfig.platformDefault() ('https://kubernetes.default.svc') or an empty string"),
  ISSUER_INVALID_URL: rule('BT162', 'error',
    "The issuer contains ':' but is not a valid URL; the kube-apiserver operator refuses it.",
    'write the issuer as an absolute URL, e.g. https://issuer.example.com'),
  ISSUER_QUERY_FRAGMENT: rule('BT163', 'error',
    'An https issuer has a query or a fragment; OpenID discovery does not allow them.',
    'remove the ?query and #fragment from the issuer'),
  ISSUER_NOT_HTTPS: rule('BT164', 'warning',
    'The issuer is not an https URL: the platform publishes no JWKS URI and no external verifier can use it.',
    'use an https issuer URL'),
  ISSUER_CHANGE: rule('BT165', 'warning',
    'Changing the cluster issuer invalidates tokens already in use: tokens of the previous issuer stop being trusted 24 h after the change, so their pods must be restarted.',
    "add the 'restart' option (a Job that restarts the workloads once the new issuer is active), or plan the restart yourself and acknowledge this warning", 'construct'),
  ISSUER_OBJECT_NAME: rule('BT166', 'error',
    'An Authentication object is not named "cluster"; OpenShift admission rejects any other name.',
    "name the object 'cluster'", 'manifest'),
  ISSUER_AUDIENCE_SLASH: rule('BT167', 'error',
    'A token audience in the app differs from the cluster issuer only by a trailing slash; issuers and audiences are compared as exact strings, so neither matches.',
    'write the audience and the issuer exactly alike (both with or both without the trailing slash)', 'construct'),
  ISSUER_AUDIENCE_EQUALS: rule('BT168', 'warning',
    "A token audience in the app equals the cluster issuer, which is also the API server's own audience: the token is accepted by the Kubernetes API like a token without audience.",
    "give the token its consumer's own audience, not the issuer", 'construct'),
  ISSUER_NOT_PUBLIC: rule('BT169', 'warning',
    "A cloud identity in the app (an AWS, Azure or Google audience, or a preset) must fetch the issuer's discovery document, but the issuer's host is cluster-internal (*.svc, *.cluster.local, localhost, a private address), https or not.",
    'set the issuer to a public https URL that serves the discovery document and keys (e.g. the bucket ccoctl fills)', 'construct'),
  ISSUER_CLUSTER_SCOPE: rule('BT240', 'error',
    'The clusterScope of a ClusterIssuerConfig or IssuerRotationRestart is not a construct of the same app.',
    'pass the Chart (or a construct) that holds the objects of this cluster, or leave it out for one cluster per app', 'construct'),
  // changing the issuer: the restart
  RESTART_NAMESPACE: rule('BT180', 'error',
    'A namespace of the issuer restart is not a DNS-1123 label, or an exclusion pattern is not a label with * wildcards.',
    "use namespace names such as 'team-a' and patterns such as 'openshift-*'", 'construct'),
  RESTART_DURATION: rule('BT181', 'error',
    'A duration or count of the issuer restart is out of range: the pause and poll interval must be whole seconds (the poll at least 1 s), the wait timeout between 1 minute and 24 hours, confirmations between 1 and 100.',
    'use whole seconds within the documented range', 'construct'),
  RESTART_ISSUER_MISMATCH: rule('BT182', 'error',
    'An IssuerRotationRestart waits for an issuer that no ClusterIssuerConfig of its cluster sets, or a cluster has more than one restart: the Job would wait in vain, or restart everything twice.',
    "give the restart the same serviceAccountIssuer as the ClusterIssuerConfig, once per cluster (or use the config's restart option); for one chart per cluster, set clusterScope to the chart of each", 'construct'),
  GITOPS_SYNC_WAVE: rule('BT183', 'error',
    'An Argo CD sync wave is not an integer, or the restart Job is not in a later wave than the Authentication change: Argo CD would wait for the Job before applying the change it waits for.',
    'use integer waves, with restartSyncWave greater than syncWave', 'construct'),
  RESTART_IMAGE_UNPINNED: rule('BT184', 'warning',
    "The restart Job's image has no tag or digest, or uses 'latest': the Job's spec cannot change once created, and an unpinned image changes under it.",
    "pin the image with a version tag or a digest, e.g. 'registry.redhat.io/openshift4/ose-cli:v4.14'", 'construct'),
  RESTART_NAMESPACE_EXCLUDED: rule('BT185', 'warning',
    'A namespace named for the issuer restart is also excluded (by a pattern, or because the Job runs there), so it will not be restarted.',
    'remove it from namespaces, or from excludeNamespaces', 'construct'),
  RESTART_EXCLUDES_ALL: rule('BT186', 'error',
    "The issuer restart's excludeNamespaces holds a pattern made only of '*', which excludes every namespace: the Job would restart nothing and report success.",
    "exclude namespaces by name or prefix (e.g. 'openshift-*'), or name the namespaces to restart in 'namespaces'", 'construct'),
  MOUNT_MISSING: rule('BT190', 'error',
    'A container of a bound workload lacks the token mount: it was added after mountInto() or a preset\'s bind().',
    'call mountInto() / bind() again after adding the container (binding twice adds nothing twice), or name the containers that need the token in \'containers\'', 'construct'),
  // tokens that controllers request (CSIDriver, Vault)
  CSI_AUDIENCE_DUPLICATE: rule('BT282', 'error',
    'Two tokenRequests of a CSIDriver have the same audience (at most one may leave it empty); the API server rejects the CSIDriver.',
    'request each audience once', 'manifest'),
  CSI_TOKENS_IN_VOLUME_CONTEXT: rule('BT283', 'warning',
    "A CSIDriver requests tokens (tokenRequests) without serviceAccountTokenInSecrets: true, so the kubelet hands the pods' tokens to the driver in the volume context, which drivers and their tools log (CVE-2023-2878); Kubernetes 1.35+ (feature gate CSIServiceAccountTokenSecrets, beta, on by default) can pass them in the secrets field instead. The lint reports it only with --strict: a CSIDriver shipped for clusters of every version cannot carry the 1.35-only field, and driver releases before it read the token only from the volume context (on real manifests it was a false alarm 12 times of 13).",
    'on Kubernetes 1.35+, with a driver release that reads csi.storage.k8s.io/serviceAccount.tokens from the secrets field, set serviceAccountTokenInSecrets: true; on older clusters acknowledge this warning', 'manifest', true),
  CSI_IN_SECRETS_WITHOUT_REQUESTS: rule('BT284', 'error',
    'A CSIDriver sets serviceAccountTokenInSecrets but requests no tokens (tokenRequests is empty or missing); the API server rejects it from Kubernetes 1.35 (before 1.35 the field is unknown: kubectl\'s strict field validation refuses it, other clients see it dropped).',
    'add the tokenRequests the driver needs, or remove serviceAccountTokenInSecrets', 'manifest'),
  VAULT_AUTH_NO_AUDIENCE: rule('BT285', 'warning',
    "A Vault Secrets Operator VaultAuth (method kubernetes or jwt) requests its ServiceAccount token without audiences, so the token carries the API server's own audiences: Vault can replay it against the Kubernetes API, and a Vault role that sets audience (Kubernetes auth) or bound_audiences (JWT auth) refuses it.",
    "set spec.kubernetes.audiences (or spec.jwt.audiences) to the audience of the Vault role, e.g. ['vault']", 'manifest'),
  VAULT_AUTH_ROLE_AUDIENCE: rule('BT286', 'warning',
    "A VaultAuth's audiences do not include the audience its Vault role checks, as a vault-config-operator KubernetesAuthEngineRole of the same file (or run) with the VaultAuth's mount and role sets it (spec.audience): Vault refuses the login ('invalid audience (aud) claim').",
    "add the role's audience to the VaultAuth's audiences, or change the role's audience", 'manifest'),
  VAULT_AGENT_REMOVES_JWT: rule('BT287', 'warning',
    'A pod has the Vault Agent injected (vault.hashicorp.com/agent-inject: "true") with JWT auth (auth-type: jwt) reading its JWT from a read-only volume (a projected token, the API token directory), but does not set vault.hashicorp.com/auth-config-remove-jwt-after-reading: "false": the agent tries to delete the file after reading it and logs an error every 500 ms (hashicorp/vault#11968).',
    'add the pod annotation vault.hashicorp.com/auth-config-remove-jwt-after-reading: "false" (VaultToken with agentInjector and JWT auth writes it)'),
  // identity presets (more in check-image-pull.ts, check-presets-in-step.ts, trust.ts)
  PRESET_AWS_ROLE_ARN: rule('BT200', 'error',
    'The AWS preset role is not an IAM role ARN (arn:aws|aws-cn|aws-us-gov:iam::<12-digit account>:role/<name>).',
    'pass the ARN of an IAM role, e.g. arn:aws:iam::111122223333:role/my-app', 'construct'),
  PRESET_AWS_REGION: rule('BT201', 'error',
    'The AWS preset region is not an AWS region name.',
    "pass a region such as 'eu-west-1' or 'us-gov-west-1'", 'construct'),
  PRESET_LIFETIME: rule('BT202', 'error',
    "The token lifetime is outside what the preset's consumer accepts.",
    "use a lifetime within the consumer's range", 'construct'),
  PRESET_AZURE_ID: rule('BT203', 'error',
    'An Azure Workload Identity client id or tenant id is missing or not a GUID.',
    'pass the GUIDs of the managed identity or app registration (client id) and of its tenant', 'construct'),
  PRESET_AZURE_AUTHORITY: rule('BT204', 'error',
    "The Azure authority host does not belong to the cloud in use (public, US Government, China) or is not an https URL ending in '/'.",
    "use the cloud's authority host, e.g. AzureCloud.US_GOVERNMENT (https://login.microsoftonline.us/)", 'construct'),
  PRESET_GCP_INPUT: rule('BT205', 'error',
    'A Google Cloud Workload Identity Federation input is malformed (project number, pool id, provider id or service account email).',
    'pass the project NUMBER (digits), pool and provider ids (4-32 of a-z, 0-9, -) and a service account email', 'construct'),
  PRESET_AZURE_USE_LABEL: rule('BT206', 'warning',
    'A pod bound with the Azure preset carries the label azure.workload.identity/use: "true": webhook 1.6+ would add a second token volume.',
    'remove the label: the preset already projects the token', 'construct'),
  // construct props
  PROP_TYPE: rule('BT230', 'error',
    'A prop of a construct or preset has the wrong runtime type (plain JavaScript, `any` or JSON configuration): e.g. a number where a Duration is expected, a string where a list is, an object where a string is, or required props missing.',
    'pass a value of the documented type (see the props interface in API.md)', 'construct'),
  PROP_UNRESOLVED: rule('BT231', 'error',
    "A value that cdk8s resolves later (a Lazy, an AWS CDK token such as '${Token[...]}' through an App resolver) resolved to a value of the wrong type, or stayed unresolved when the manifest was written.",
    "register the resolver that produces the value in the App's 'resolvers', and make it produce a value of the documented type", 'construct'),
  POLICY_OPTION: rule('BT232', 'error',
    'An option of TokenAdmissionPolicy has a value the policy cannot be built with (a name prefix that is not a DNS-1123 subdomain, an unknown rule id, an invalid namespace or label).',
    'use a value of the documented form (see TokenAdmissionPolicyProps)', 'construct'),
  MOUNT_ENV_VAR: rule('BT233', 'error',
    "An envVars entry of a token mount (mountInto, mountIntoApiObject) has an empty name or one with '=', or sets one variable twice to different token paths.",
    "give each variable a non-empty name without '=' (e.g. 'VAULT_TOKEN_FILE'), once", 'construct'),
  // lint input (what the lint and the validation plugin read) and notices
  INPUT_PARSE: rule('BT900', 'error',
    'A file or document is not valid YAML or JSON, so nothing in it was checked (the other documents and files still are).',
    'fix the syntax error at the reported line', 'manifest'),
  INPUT_NOT_OBJECT: rule('BT901', 'warning',
    'A document is not a Kubernetes object (it is not a mapping, or it has no kind), so it was not checked.',
    "give the object its 'apiVersion' and 'kind', or keep files that are not manifests (values.yaml, Chart.yaml) out of the lint run", 'manifest'),
  INPUT_SHAPE: rule('BT902', 'error',
    'A field the rules read has the wrong type (e.g. volumes is a mapping, not a list); the API server rejects it, and the object was not checked further.',
    'write the field with the type the Kubernetes API expects', 'manifest'),
  INPUT_DUPLICATE_KEY: rule('BT903', 'warning',
    'A mapping has the same key twice: the last value wins (as Kubernetes reads it, and as the rules check it) and the first is silently ignored.',
    'remove the duplicate key and keep the value you mean', 'manifest'),
  INPUT_TEMPLATE: rule('BT904', 'warning',
    'A value the rules read is an unrendered template ({{ ... }}, ${...} or a bare shell placeholder such as $NAME), so it was not checked.',
    'lint the rendered manifests (helm template, kustomize build, envsubst) rather than their templates', 'manifest'),
  INPUT_TOO_LARGE: rule('BT905', 'error',
    'A document expands beyond what the lint reads: its YAML aliases expand to more than 100,000 extra nodes (an alias bomb) or it nests deeper than 1,000 levels, so it was not checked (the other documents and files still are).',
    'write the values out instead of through aliases, or split the document', 'manifest'),
  NOTICE_PARTIAL_OBJECT: rule('BT906', 'notice',
    'An object cannot be whole (a kustomize patch, no metadata.name, an apps/v1 workload without selector): its volumes and mounts may live elsewhere, so BT132, BT143, BT144 and BT151 were not run on it.',
    'lint the rendered object: kubectl kustomize DIR | cdk8s-bound-tokens lint -', 'manifest'),
  NOTICE_KUSTOMIZE_FOLDER: rule('BT907', 'notice',
    'A folder holds a kustomization.yaml: its files are inputs of kustomize, not what is applied.',
    'lint what kustomize renders: kubectl kustomize DIR | cdk8s-bound-tokens lint -', 'manifest'),
};

/** The fix of BT160 for the constructs (one issuer per cluster, where a chart is a cluster). */
export const ISSUER_PER_CLUSTER_FIX = 'keep one ClusterIssuerConfig per cluster: if the app synthesizes one chart per cluster, give each ClusterIssuerConfig '
  + "the chart of its cluster as clusterScope (new ClusterIssuerConfig(chart, 'Issuer', { serviceAccountIssuer, clusterScope: chart })); otherwise remove all but one";

/** All rules, in id order. */
export function allRules(): readonly RuleDef[] {
  return [...defs].sort((a, b) => a.id.localeCompare(b.id));
}

const byId = new Map<string, RuleDef>();
export function findRule(id: string): RuleDef | undefined {
  if (byId.size !== defs.length) {
    byId.clear();
    for (const d of defs) byId.set(d.id, d);
  }
  return byId.get(id);
}

/**
 * Register more rules (used by the modules that add them: presets, lint).
 * Ids must be unique.
 */
export function defineRule(id: string, level: Level, cause: string, fix: string, scope: RuleScope = 'all'): RuleDef {
  if (defs.some(d => d.id === id)) {
    throw new Error(`rule ${id} is defined twice`);
  }
  return rule(id, level, cause, fix, scope);
}

/**
 * A pod annotation whose key holds this word and whose value is a token
 * volume's name hands the volume to the tool that reads the annotation (a mesh
 * or agent injector mounts it into the container it adds), so BT143 does not
 * apply to it. E.g. Kuma's `kuma.io/service-account-token-volume`.
 */
export const VOLUME_ANNOTATION_KEY = 'volume';

/** The annotation that acknowledges the warning `ruleId` (ACK_ANNOTATION_PREFIX in ./kubernetes, then the id). */
export function ackAnnotation(ruleId: string): string {
  return `${ACK_ANNOTATION_PREFIX}${ruleId}`;
}

/**
 * The rules that conclude from something absent that may live in another
 * file: a mount's volume (BT144), a token volume's mount (BT143), the pod's
 * fsGroup or runAsUser (BT132), its serviceAccountName (BT151). On an object
 * that cannot be whole (a kustomize patch, an object without the fields every
 * applied object of its kind has) they are not run (BT906 says so); every
 * other rule reads values the object itself holds and runs on it.
 */
export const WHOLE_OBJECT_RULES: ReadonlySet<string> = new Set([
  R.MOUNT_UNKNOWN_VOLUME.id, R.MOUNT_NOWHERE.id, R.DEFAULT_MODE_RESTRICTIVE.id, R.POD_DEFAULT_SERVICE_ACCOUNT.id,
]);
