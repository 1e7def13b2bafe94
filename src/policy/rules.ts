// The CEL of every rule the admission policy enforces, keyed by rule id, and
// the reason for every rule it does not. Internal: not part of the jsii API.
//
// Each expressed rule is a *violation* predicate over one item:
// - 'tokenVolume': `v`, a volume of the pod that projects a serviceAccountToken
//   (these are the volumes whose sources the lint checks, src/rules/check-pod.ts);
// - 'container': `c`, any init, regular or ephemeral container of the pod;
// - 'issuer': `variables.issuer`, the serviceAccountIssuer of an OpenShift
//   Authentication (never null inside the predicate);
// - 'object': the object as a whole (`label` names what is wrong in the message).
// The builder (build.ts) turns a predicate into `!items.exists(x, violation)`,
// adds the acknowledgement escape for warnings, and names the offending items
// in the message. Every predicate mirrors the JavaScript check it stands for;
// the tests evaluate both on the same fixtures.

import { celRegex, celStringList, JS_WHITESPACE_CLASS, stripTrailingSlashes } from './cel';
import { PAIR_BOUNDS } from './cost';
import {
  ACK_ANNOTATION_PREFIX, API_ACCESS_CA_CONFIGMAP, API_ACCESS_EXPIRATION_SECONDS, API_ACCESS_NAMESPACE_FIELD, API_ACCESS_VOLUME_PREFIX,
  API_SERVER_AUDIENCES, API_TOKEN_DIR, API_TOKEN_DIR_PATTERN, DAY_SECONDS, DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL_PATTERN, ITEM_SOURCE_KINDS,
  MAX_EXPIRATION_SECONDS, MAX_FILE_MODE, MAX_PATH_BYTES, MAX_PATH_SEGMENT_BYTES, SOURCE_FILE_FIELDS, SOURCE_KINDS, WINDOWS_ABSOLUTE_MOUNT_PATH,
} from '../rules';

/** What a predicate iterates over. */
export type PolicyScope = 'tokenVolume' | 'container' | 'issuer' | 'object';

/** A rule the policy enforces. */
export interface ExpressedRule {
  readonly scope: PolicyScope;
  /** CEL, true when the item breaks the rule. */
  readonly violation: string;
  /** What is wrong, for the message: `<RULE-ID>: <problem> (<items>); <fix>`. */
  readonly problem: string;
  /** Scope 'object' only: CEL (a string) naming what is wrong, for the message. */
  readonly label?: string;
  /**
   * The rule needs a fact of the cluster that only the options give: it is in
   * the policies only when the policy is built with it (BT280 reads
   * `variables.maxTokenExpiration`, the cluster's maximum baked in as a number).
   */
  readonly requires?: 'maxTokenExpiration';
}

/** A rule the policy cannot enforce, and why. */
export interface UnexpressedRule {
  readonly notExpressible: string;
}

export type PolicyRule = ExpressedRule | UnexpressedRule;

export function isExpressed(r: PolicyRule): r is ExpressedRule {
  return (r as ExpressedRule).violation !== undefined;
}

/** Any serviceAccountToken source of the token volume `v` for which `cond` (over `t`) holds. */
function token(cond: string): string {
  return `v.projected.sources.exists(s, has(s.serviceAccountToken) && [s.serviceAccountToken].exists(t, ${cond}))`;
}

/** Any volume mount of the container `c` for which `cond` (over `m`) holds. */
function mount(cond: string): string {
  return `has(c.volumeMounts) && c.volumeMounts.exists(m, ${cond})`;
}

const HAS_PATH = 'has(t.path)';
const DOTDOT_SEGMENT = "'..' in t.path.split('/')";
/**
 * The API-access shape of the volume `v` (isApiAccessVolume and
 * isApiAccessShape in src/rules/kubernetes.ts): tokens without audience (with
 * `platform`, of 3607 s: the platform's own), the kube-root-ca.crt configMap,
 * the namespace downwardAPI item, nothing else.
 */
const apiAccess = (platform: boolean) => '(v.projected.sources.all(s, has(s.serviceAccountToken) '
  + "? ((!has(s.serviceAccountToken.audience) || s.serviceAccountToken.audience == '')"
  + (platform ? ` && has(s.serviceAccountToken.expirationSeconds) && s.serviceAccountToken.expirationSeconds == ${API_ACCESS_EXPIRATION_SECONDS}) ` : ') ')
  + ': (has(s.configMap) || has(s.downwardAPI)))'
  + ' && v.projected.sources.exists(s, has(s.serviceAccountToken))'
  + ` && v.projected.sources.exists(s, !has(s.serviceAccountToken) && has(s.configMap) && has(s.configMap.name) && s.configMap.name == '${API_ACCESS_CA_CONFIGMAP}')`
  + ' && v.projected.sources.exists(s, !has(s.serviceAccountToken) && !has(s.configMap) && has(s.downwardAPI) && has(s.downwardAPI.items) '
  + `&& s.downwardAPI.items.exists(i, has(i.fieldRef) && has(i.fieldRef.fieldPath) && i.fieldRef.fieldPath == '${API_ACCESS_NAMESPACE_FIELD}')))`;
/** The platform's API-access volume (3607 s). */
const API_ACCESS = apiAccess(true);
/** The API-access shape at any lifetime (ApiAccessToken's): exempt from BT120. */
const API_ACCESS_SHAPE = apiAccess(false);

/** A path as the kubelet cleans it (cleanPath in src/rules/check-pod.ts): empty and '.' segments dropped. */
const clean = (x: string) => `${x}.split('/').filter(pathSeg, pathSeg != '' && pathSeg != '.').join('/')`;

/** The single file fields of each kind of source (besides configMap, secret and downwardAPI items). */
const FILE_FIELDS: Array<[string, string]> = SOURCE_FILE_FIELDS.flatMap(([kind, fields]) => fields.map((f): [string, string] => [kind, f]));

/** The file paths one projected source writes (every kind), cleaned as the kubelet cleans them, those that clean to '' left out. */
const SOURCE_PATHS = '('
  + FILE_FIELDS.map(([k, f]) => `(has(s.${k}) && has(s.${k}.${f}) ? [s.${k}.${f}] : [])`).join(' + ')
  + ITEM_SOURCE_KINDS.map(k =>
    ` + (has(s.${k}) && has(s.${k}.items) ? s.${k}.items.filter(i, has(i.path)).map(i, i.path) : [])`).join('')
  + `).map(p, ${clean('p')}).filter(p, p != '')`;

/** The file paths one projected source `s` names, as written (every kind). */
const RAW_PATHS = '('
  + FILE_FIELDS.map(([k, f]) => `(has(s.${k}) && has(s.${k}.${f}) ? [s.${k}.${f}] : [])`).join(' + ')
  + ITEM_SOURCE_KINDS.map(k =>
    ` + (has(s.${k}) && has(s.${k}.items) ? s.${k}.items.filter(i, has(i.path)).map(i, i.path) : [])`).join('')
  + ')';

/**
 * CEL: the cleaned file paths `ps` (a list of lists) as one string, each path
 * between '//' and '/' (with '/' between them: '///a///b///').
 */
const pathText = (ps: string) => `'///' + ${ps}.filter(l, l.size() > 0).map(l, l.join('///')).join('///') + '///'`;

/**
 * CEL for variables.projectedPathsBounded: the files of the pod's token
 * volumes are few and short enough for BT114 (PAIR_BOUNDS): no source with
 * more items than itemsPerSource, at most itemSources sources with items, at
 * most pathChars characters of paths as written, and files x characters of
 * the cleaned text within filesTimesChars. Each step is cheap once the one
 * before holds.
 */
export const PROJECTED_PATHS_BOUNDED = 'variables.tokenVolumes.all(v, v.projected.sources.all(s, '
  + ITEM_SOURCE_KINDS.map(k => `(!has(s.${k}) || !has(s.${k}.items) || size(s.${k}.items) <= ${PAIR_BOUNDS.itemsPerSource})`).join(' && ')
  + '))'
  + ' && variables.tokenVolumes.map(v, v.projected.sources.filter(s, '
  + ITEM_SOURCE_KINDS.map(k => `(has(s.${k}) && has(s.${k}.items))`).join(' || ')
  + `).map(s, '/').join('')).join('').size() <= ${PAIR_BOUNDS.itemSources}`
  + ` && variables.tokenVolumes.map(v, v.projected.sources.map(s, ${RAW_PATHS}.join('/')).join('/')).join('/').size() <= ${PAIR_BOUNDS.pathChars}`
  + ` && [variables.tokenVolumes.map(v, ${pathText(`v.projected.sources.map(s, ${SOURCE_PATHS})`)}).join('')]`
  + `.all(j, j.split('///').size() * (j.size() + 16) <= ${PAIR_BOUNDS.filesTimesChars})`;

/** The mount `m` has a path that ends in '/' and is longer than '/': the lint keys it without its trailing slashes. */
const SLASH_ENDED = (m: string) => `has(${m}.mountPath) && ${m}.mountPath.size() > 1 && ${m}.mountPath.endsWith('/')`;

/** The start of the reason of a rule that the API server's own validation enforces. */
const API_REFUSES = 'the API server refuses it before admission (verified on 1.32: ';

/** The start of the reason of a rule about a clusterTrustBundle or podCertificate source that the API server validates. */
const GATED_SOURCE = 'an API server with the source\'s feature gate on (ClusterTrustBundleProjection, beta 1.33; PodCertificateRequest, beta 1.35; both off by default) '
  + 'refuses it before admission, and one with the gate off drops a clusterTrustBundle source or does not know podCertificate (1.32, verified), so no policy ever sees it (validation.go validateProjectionSources: ';
/** Why a warning about these sources is left to the lint. */
const NOT_SEEN_SOURCE = 'the policy checks token volumes, and an API server with the gate off (every default cluster up to 1.35) drops a clusterTrustBundle source or does not know podCertificate, so the policy would judge a source the kubelet never sees';

const NOT_BLANK = '!variables.issuerBlank';
const HAS_COLON = "variables.issuer.contains(':')";

/**
 * Every rule of the catalogue: its CEL, or why the policy cannot enforce it.
 * Rules added to the catalogue later must be added here (a test checks it).
 */
export const POLICY_RULES: Readonly<Record<string, PolicyRule>> = {
  // token lifetime
  BT101: {
    notExpressible: `${API_REFUSES}'may not specify a duration less than 10 minutes'), so no policy ever sees it`,
  },
  BT102: {
    notExpressible: `${API_REFUSES}'may not specify a duration larger than 2^32 seconds'), so no policy ever sees it`,
  },
  BT103: {
    notExpressible: 'construct-only: a cdk8s Duration can hold fractions of a second, a manifest cannot',
  },
  BT104: {
    scope: 'tokenVolume',
    violation: token(`has(t.expirationSeconds) && t.expirationSeconds > ${DAY_SECONDS} && t.expirationSeconds <= ${MAX_EXPIRATION_SECONDS}`),
    problem: `a token expirationSeconds is longer than 24 hours (${DAY_SECONDS} seconds)`,
  },
  BT105: {
    notExpressible: 'the API server decodes expirationSeconds as an integer before admission, so a fraction is refused before any policy runs',
  },

  // token path
  BT110: {
    scope: 'tokenVolume',
    violation: token(`!${HAS_PATH} || t.path == ''`),
    problem: 'a token path must be a non-empty relative path',
  },
  BT111: {
    notExpressible: `${API_REFUSES}'must be a relative path'; from Kubernetes 1.30, as admissionregistration.k8s.io/v1), so no policy ever sees it`,
  },
  BT112: {
    notExpressible: `${API_REFUSES}"must not contain '..'"; from Kubernetes 1.30, as admissionregistration.k8s.io/v1), so no policy ever sees it`,
  },
  BT113: {
    scope: 'tokenVolume',
    violation: token(`${HAS_PATH} && t.path.startsWith('..') && !(${DOTDOT_SEGMENT})`),
    problem: "a token path must not start with '..' (reserved by the kubelet)",
  },
  BT114: {
    scope: 'tokenVolume',
    // Each file is written as '//' + path + '/' into one string (a cleaned path
    // never holds '//' nor starts or ends with '/'), so the path x is written by
    // two positions, or has another path nested under it, exactly when
    // '//' + x + '/' occurs twice: one split per file, costed by the character,
    // instead of comparing every pair in comprehensions. Only within the size
    // bounds of variables.projectedPathsBounded (src/policy/cost.ts).
    violation: `variables.projectedPathsBounded && [v.projected.sources.map(s, ${SOURCE_PATHS})].exists(ps, [${pathText('ps')}].exists(j,`
      + " ps.exists(l, l.exists(x, j.split('//' + x + '/').size() > 2))))",
    problem: 'two sources of the volume write the same path, or one path is nested under another',
  },
  BT115: {
    scope: 'tokenVolume',
    violation: token(`${HAS_PATH} && t.path != '' && (t.path.contains('\\x00') || (!t.path.startsWith('/') && ${clean('t.path')} == '') `
      + `|| bytes(t.path).size() > ${MAX_PATH_BYTES} || t.path.split('/').exists(g, bytes(g).size() > ${MAX_PATH_SEGMENT_BYTES}))`),
    problem: `a token path is one the kubelet cannot write ('.', a NUL character, a segment over ${MAX_PATH_SEGMENT_BYTES} bytes or a path over ${MAX_PATH_BYTES} bytes)`,
  },

  // audience
  BT120: {
    scope: 'tokenVolume',
    violation: `!(${API_ACCESS_SHAPE}) && ${token("!has(t.audience) || t.audience == ''")}`,
    problem: "a token has no audience, so it is valid for the Kubernetes API server's own audiences",
  },
  BT121: {
    scope: 'tokenVolume',
    violation: token(`has(t.audience) && t.audience.matches(${celRegex(`[,${JS_WHITESPACE_CLASS}]`)})`),
    problem: 'a token audience contains a comma or white space, and is taken literally as one audience',
  },

  // volume
  BT130: {
    scope: 'tokenVolume',
    violation: `!(has(v.name) && v.name.size() <= ${DNS1123_LABEL_MAX_LENGTH} && v.name.matches(${celRegex(DNS1123_LABEL_PATTERN)}))`,
    problem: `a token volume name must be a DNS-1123 label of at most ${DNS1123_LABEL_MAX_LENGTH} characters`,
  },
  BT131: {
    scope: 'tokenVolume',
    violation: `has(v.projected.defaultMode) && (v.projected.defaultMode < 0 || v.projected.defaultMode > ${MAX_FILE_MODE})`,
    problem: 'a projected volume defaultMode must be a number between 0 and 0777 (octal)',
  },
  BT132: {
    scope: 'tokenVolume',
    violation: `has(v.projected.defaultMode) && v.projected.defaultMode >= 0 && v.projected.defaultMode <= ${MAX_FILE_MODE} `
      + '&& (v.projected.defaultMode / 4) % 2 != 1 && !variables.podOwnsFiles',
    problem: 'a restrictive defaultMode keeps the token unreadable for a non-root application (the pod sets no securityContext.fsGroup, and no runAsUser that every container runs as)',
  },
  BT133: {
    notExpressible: `${API_REFUSES}'spec.volumes[1].name: Duplicate value'), so no policy ever sees it`,
  },
  BT134: {
    scope: 'tokenVolume',
    violation: `v.projected.sources.exists(s, ${SOURCE_KINDS.map(k => `!has(s.${k})`).join(' && ')})`,
    problem: 'a projected volume has an empty source',
  },
  BT135: {
    scope: 'tokenVolume',
    violation: `v.projected.sources.exists(s, [${SOURCE_KINDS.map(k => `has(s.${k})`).join(', ')}].filter(b, b).size() > 1)`,
    problem: 'one entry of the projected volume sources holds more than one kind',
  },
  BT136: {
    scope: 'tokenVolume',
    violation: `has(v.name) && v.name.startsWith('${API_ACCESS_VOLUME_PREFIX}') && !${API_ACCESS}`,
    problem: `a token volume that is not the platform's API-access volume is named ${API_ACCESS_VOLUME_PREFIX}*, so the ServiceAccount admission plugin takes it for the API token volume`,
  },

  // issue 16
  BT137: {
    scope: 'container',
    violation: mount("has(m.name) && m.name in variables.tokenVolumeNames && has(m.mountPath) && m.mountPath != '' "
      + `&& !(variables.windowsPod ? m.mountPath.matches(${celRegex(WINDOWS_ABSOLUTE_MOUNT_PATH)}) : m.mountPath.startsWith('/'))`),
    problem: "a token volume mountPath is not absolute for the pod's operating system, so the kubelet mounts it from the container's root",
  },
  BT138: {
    scope: 'object',
    violation: `variables.acksOnTemplate && variables.objectAnnotations.exists(k, k.startsWith('${ACK_ANNOTATION_PREFIX}') && !(k in variables.templateAnnotations))`,
    label: `variables.objectAnnotations.filter(k, k.startsWith('${ACK_ANNOTATION_PREFIX}') && !(k in variables.templateAnnotations)).join(', ')`,
    problem: "an acknowledgement is on the workload's own metadata but not on its pod template, so its pods never carry it",
  },
  BT139: {
    scope: 'container',
    violation: `!variables.windowsPod && ${mount(`has(m.name) && m.name in variables.tokenVolumeNames && has(m.mountPath) && m.mountPath.matches(${celRegex(API_TOKEN_DIR_PATTERN)}) `
      + `&& variables.tokenVolumes.exists(v, has(v.name) && v.name == m.name && ${token(`has(t.audience) && t.audience != '' && !(t.audience in ${celStringList(API_SERVER_AUDIENCES)})`)})`)}`,
    problem: `a token with an audience other than the API server's is mounted at ${API_TOKEN_DIR}, so in-cluster clients present a token the API server refuses`,
  },

  // mounts
  BT140: {
    scope: 'container',
    violation: mount("has(m.name) && m.name in variables.tokenVolumeNames && (!has(m.mountPath) || m.mountPath == '')"),
    problem: 'a token volume mountPath must not be empty',
  },
  BT141: {
    scope: 'container',
    // The API server refuses two equal mount paths in one container, so two
    // paths share a key only when one of them ends in '/': only those are
    // compared with the others. Bounded by size (src/policy/cost.ts).
    violation: `variables.trailingSlashMounts <= ${PAIR_BOUNDS.trailingSlashMounts} && has(c.volumeMounts) && c.volumeMounts.exists(m, ${SLASH_ENDED('m')}`
      + ` && [${stripTrailingSlashes('m.mountPath')}].exists(k, c.volumeMounts.filter(m2, has(m2.mountPath) && m2.mountPath != ''`
      + ` && (m2.mountPath == k || (${SLASH_ENDED('m2')} && ${stripTrailingSlashes('m2.mountPath')} == k))).size() > 1))`,
    problem: 'a container mounts two volumes at the same path',
  },
  BT142: {
    scope: 'container',
    violation: mount("has(m.name) && m.name in variables.tokenVolumeNames && ((has(m.subPath) && m.subPath != '') || (has(m.subPathExpr) && m.subPathExpr != ''))"),
    problem: 'a token volume is mounted with subPath or subPathExpr, which stops the kubelet from updating the rotated token',
  },
  BT143: {
    scope: 'tokenVolume',
    violation: `has(v.name) && !${API_ACCESS} `
      + '&& !(v.name in variables.mountedNames) '
      // a volume the pods' annotations name is mounted by the injector that reads them
      + `&& size(variables.annotatedVolumeNames) <= ${PAIR_BOUNDS.volumeAnnotations} && !(v.name in variables.annotatedVolumeNames)`,
    problem: 'a token volume is mounted in no container, so no application can read the token',
  },
  BT144: {
    notExpressible: `${API_REFUSES}'volumeMounts[0].name: Not found'), so no policy ever sees it`,
  },

  // service account
  BT150: {
    notExpressible: 'construct-only: concerns the serviceAccount prop of BoundTokenPod',
  },
  BT151: {
    notExpressible: "admission sees the Pod after the ServiceAccount admission plugin has set serviceAccountName: default, so a missing account cannot be told from an explicit 'default'",
  },

  // OpenShift issuer
  BT160: {
    notExpressible: 'needs several objects at once; admission sees one object per request',
  },
  BT161: {
    scope: 'issuer',
    violation: 'variables.issuerBlank',
    problem: "the service account issuer must not be white space only (an empty string is the platform default, 'https://kubernetes.default.svc')",
  },
  BT162: {
    scope: 'issuer',
    violation: `${NOT_BLANK} && ${HAS_COLON} && (!variables.issuerUrlValid || (variables.issuerBracketed && !variables.issuerBracketIPv6))`,
    problem: "the service account issuer contains ':' but is not a valid URL (Go's net/url refuses it)",
  },
  BT163: {
    scope: 'issuer',
    violation: `${NOT_BLANK} && ${HAS_COLON} && variables.issuerUrlValid && variables.issuerHttps && variables.issuer.matches(${celRegex('[?#]')})`,
    problem: 'an https service account issuer must not have a query or a fragment',
  },
  BT164: {
    scope: 'issuer',
    violation: `${NOT_BLANK} && (!(${HAS_COLON} && (!variables.issuerUrlValid || variables.issuerHttps))`
      + ` || (${HAS_COLON} && variables.issuerUrlValid && !(variables.issuerBracketed && !variables.issuerBracketIPv6)`
      + ` && variables.issuerHttps && !variables.issuer.matches(${celRegex('[?#]')}) && !variables.issuerHasHost))`,
    problem: 'the service account issuer is not an https URL, so no external verifier can fetch its keys',
  },
  BT165: {
    notExpressible: 'construct-only: the warning comes with every ClusterIssuerConfig, whose author plans the restart of the workloads',
  },
  BT166: {
    notExpressible: "lint-only: OpenShift's own admission plugin (config.openshift.io/ValidateAuthentication) already refuses any name but 'cluster'",
  },
  BT167: {
    notExpressible: 'construct-only: compares the issuer with the audiences of every workload in the app; admission sees one object per request',
  },
  BT168: {
    notExpressible: 'construct-only: compares the issuer with the audiences of every workload in the app; admission sees one object per request',
  },
  BT169: {
    notExpressible: 'construct-only: needs the identity presets and the issuer of the same app at once',
  },
  BT145: { notExpressible: 'construct-only: checks the containers named in the options of mountInto / mountIntoApiObject' },
  BT146: { notExpressible: 'construct-only: checks the environment variables a token mount sets against the container\'s own, before they are merged' },
  BT147: { notExpressible: 'construct-only: checks the options of a token mount' },
  BT148: { notExpressible: 'construct-only: checks the object given to mountIntoApiObject' },
  BT200: { notExpressible: 'construct-only: checks the props of an identity preset' },
  BT201: { notExpressible: 'construct-only: checks the props of an identity preset' },
  BT202: { notExpressible: "construct-only: checks a preset's lifetime against its consumer; a plain manifest does not say which consumer a token is for" },
  BT203: { notExpressible: 'construct-only: checks the props of an identity preset' },
  BT204: { notExpressible: 'construct-only: checks the props of an identity preset' },
  BT205: { notExpressible: 'construct-only: checks the props of an identity preset' },
  BT206: { notExpressible: 'construct-only: applies to workloads bound with the Azure preset' },
  BT149: { notExpressible: 'construct-only: what a binding was given in code' },
  BT152: { notExpressible: 'construct-only: knows which workloads an identity preset is bound to' },
  BT190: { notExpressible: 'construct-only: knows which containers a binding covers' },
  // --- issue 20: the cloud side of a trust (src/rules/trust.ts) ---
  BT210: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT211: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT212: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT213: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT214: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT215: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT216: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT217: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT218: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT219: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT220: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT221: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT222: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT223: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT224: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT225: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT226: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT227: { notExpressible: 'trust documents only: about the cloud side of a trust (an IAM role, a federated credential, a pool), which admission never sees' },
  BT900: { notExpressible: 'lint-only: about reading files; the API server parses the request before any policy runs' },
  BT901: { notExpressible: 'lint-only: about reading files; every object the API server admits has a kind' },
  BT902: { notExpressible: 'lint-only: the API server refuses a field of the wrong type when it decodes the request, before any policy runs' },
  BT903: { notExpressible: 'lint-only: the API server reads JSON or YAML with the last duplicate winning before admission; the policy sees no duplicates' },
  BT904: { notExpressible: 'lint-only: an unrendered template never reaches the API server as such' },
  BT905: { notExpressible: 'lint-only: about reading files; the API server decodes the request (JSON, or YAML without alias bombs) before any policy runs' },
  BT906: { notExpressible: 'lint-only: about files that are not whole objects (kustomize patches); the API server only ever sees whole objects' },
  BT907: { notExpressible: 'lint-only: about folders of kustomize inputs; the API server sees what kustomize renders' },
  BT180: { notExpressible: 'construct-only: checks the options of the issuer restart Job' },
  BT181: { notExpressible: 'construct-only: checks the options of the issuer restart Job' },
  BT182: { notExpressible: 'construct-only: checks the options of the issuer restart Job against the app' },
  BT183: { notExpressible: 'construct-only: checks the GitOps sync-wave options of the constructs' },
  BT184: { notExpressible: 'construct-only: checks the options of the issuer restart Job' },
  BT185: { notExpressible: 'construct-only: checks the options of the issuer restart Job' },
  BT186: { notExpressible: 'construct-only: checks the options of the issuer restart Job' },
  BT230: { notExpressible: 'construct-only: checks the runtime types of the props given in code; the API server refuses a field of the wrong type when it decodes the request' },
  BT233: { notExpressible: 'construct-only: checks the options of a token mount' },
  BT232: { notExpressible: 'construct-only: checks the options the policy is built with' },
  BT231: { notExpressible: 'construct-only: checks values that cdk8s resolves while it writes the manifest' },
  BT240: { notExpressible: 'construct-only: checks the clusterScope option of the issuer constructs' },
  // --- issue 19 part 2 and 3: trust bundles, pod certificates, the API token ---
  BT260: { notExpressible: `${GATED_SOURCE}'only one of name and signerName may be used')` },
  BT261: { notExpressible: `${GATED_SOURCE}'labelSelector must be unset if name is specified')` },
  BT262: { notExpressible: `${GATED_SOURCE}ValidateSignerName)` },
  BT263: { notExpressible: `${GATED_SOURCE}'not a valid clustertrustbundlename')` },
  BT264: { notExpressible: `${GATED_SOURCE}'must be a relative path', "must not contain '..'")` },
  BT265: { notExpressible: `${GATED_SOURCE}keyType 'Unsupported value')` },
  BT266: { notExpressible: `${GATED_SOURCE}maxExpirationSeconds)` },
  BT267: { notExpressible: `${GATED_SOURCE}one of credentialBundlePath, keyPath, certificateChainPath required)` },
  BT268: { notExpressible: `${NOT_SEEN_SOURCE}: the lint and the constructs report it` },
  BT269: { notExpressible: `${NOT_SEEN_SOURCE}: the lint and the constructs report it` },
  BT270: { notExpressible: `${NOT_SEEN_SOURCE}: the lint and the constructs report it` },
  BT271: { notExpressible: "strict-only: a token of exactly 3607 s without audience is what the platform's own API-access volume asks for, and admission sees that volume in every pod that automounts; the lint tells a copy from it only by the generated name kube-api-access-xxxxx, which a policy in every cluster should not rest on" },
  BT272: { notExpressible: 'construct-only: checks the lifetime given to ApiAccessToken' },
  BT273: { notExpressible: 'construct-only: about what a cdk8s-plus line can render' },
  // --- issue 19 §4-5 ---
  BT280: {
    scope: 'tokenVolume',
    // the platform's API-access volume (3607 s) is the API server's own: not reported, as in the lint
    violation: `!(${API_ACCESS}) && ${token('(has(t.expirationSeconds) ? t.expirationSeconds : 3600) > variables.maxTokenExpiration')}`,
    problem: "a token expirationSeconds is longer than the cluster's maximum, so the API server shortens it and the kubelet refreshes it earlier",
    requires: 'maxTokenExpiration',
  },
  BT281: { notExpressible: 'construct-only: checks the declaration of the cluster\'s token limits (ClusterTokenLimits)' },
  BT282: { notExpressible: `${API_REFUSES}'spec.tokenRequests[1].audience: Duplicate value'), so no policy ever sees it; and the policies match pods and their templates, not CSIDrivers` },
  BT283: { notExpressible: 'lint-only: the policies match pods and their templates, not CSIDrivers (a Kubernetes 1.35 API server warns about it itself)' },
  BT284: { notExpressible: 'the API server refuses it before admission from Kubernetes 1.35 (KEP-5538); before 1.35 the field is unknown; and the policies match pods and their templates, not CSIDrivers' },
  BT285: { notExpressible: 'lint-only: the policies match pods and their templates, not Vault Secrets Operator VaultAuths' },
  BT287: { notExpressible: 'not expressed yet: it compares the Vault injector\'s annotations with the read-only mounts of every container; the lint and the constructs report it, and it concerns the agent\'s log, not the pod\'s admission' },
  BT286: { notExpressible: 'lint-only: compares a VaultAuth with a Vault role declared in another object; admission sees one object per request' },
  // --- issue 19: image pulls with service account tokens (src/rules/check-image-pull.ts) ---
  BT250: { notExpressible: 'construct-only: checks the props of an image-pull preset' },
  BT251: { notExpressible: 'construct-only: checks the props of an image-pull preset' },
  BT252: { notExpressible: 'construct-only: checks the audience of an image-pull preset or a node-audience grant, which lives in the kubelet configuration, not in an object admission sees' },
  BT253: { notExpressible: 'construct-only: checks the annotation keys an image-pull preset writes into the kubelet configuration, which admission never sees' },
  BT254: { notExpressible: 'not in the policy: the policy matches pods and workloads, not ServiceAccounts; the lint and the constructs check ServiceAccounts' },
  BT255: { notExpressible: 'not in the policy: the policy matches pods and workloads, not ServiceAccounts; the lint and the constructs check ServiceAccounts' },
  BT256: { notExpressible: 'construct-only: compares the image-pull presets with the node-audience grants of the whole app; admission sees one object per request' },
  // --- issue 19: the presets in step with their platforms (src/rules/check-presets-in-step.ts) ---
  BT290: {
    scope: 'tokenVolume',
    violation: `variables.eksPodIdentityUnsupported && ${token("has(t.audience) && t.audience == 'pods.eks.amazonaws.com'")}`,
    problem: 'a token for EKS Pod Identity is projected into pods that target Windows nodes or Fargate, where EKS Pod Identity does not work',
  },
};
