// The size bounds that keep the admission policy inside Kubernetes' CEL cost
// limits. Internal: not part of the jsii API.
//
// The API server stops one expression past 1,000,000 cost units and one
// evaluation of a policy past 10,000,000 for all its variables, validations and
// messageExpressions together; with failurePolicy Fail a stopped evaluation is
// a Deny. The policy must never refuse for cost an object that the lint
// passes, at any size the API server takes (a request body of 3 MiB). So:
// - every rule's violating items are computed once, in a variable that both
//   the validation and its messageExpression read (the API server evaluates
//   every messageExpression on every request; a variable is evaluated once);
// - a pod larger than CEL_BOUNDS in any dimension is left to the lint: the
//   pod-scoped rules admit it (the bounds keep the linear passes cheap);
// - the checks that compare pairs (BT114, BT141, and the mounts against the
//   token volume names of BT140, BT142 and BT143) have their own bound on the
//   product of the sizes they compare, and admit what is larger.
// The numbers were found by bisection on a real kube-apiserver 1.32 (the
// largest admitted size of each stress axis, `npm run bench -- --only=cel`)
// and set well below it; test/apiserver/cel-cost.test.ts sends objects at and
// beyond every bound up to 3 MiB and requires them admitted.

import { celString } from './cel';

/** Pod-wide bounds: a pod larger in any of these is checked by the lint only. */
export const CEL_BOUNDS = {
  /** Volumes of the pod. */
  volumes: 512,
  /** Init and regular containers of the pod. */
  containers: 256,
  /** Volume mounts of one container. */
  mountsPerContainer: 128,
  /** Sources of one projected volume. */
  sourcesPerVolume: 64,
} as const;

/** Bounds of the pairwise checks. */
export const PAIR_BOUNDS = {
  /** BT114: items of one configMap, secret or downwardAPI source of a token volume. */
  itemsPerSource: 512,
  /** BT114: sources with items in all token volumes of the pod. */
  itemSources: 8,
  /** BT114: characters of all file paths of the token volumes, as written. */
  pathChars: 32768,
  /** BT114: files x characters of the cleaned paths of the token volumes, the cost of comparing each file with all. */
  filesTimesChars: 2_000_000,
  /** BT140, BT142, BT143: volume mounts of the pod x token volumes. */
  mountsTimesTokenVolumes: 200_000,
  /** BT141: mount paths ending in '/' in the pod (only those can collide: the API server refuses equal paths). */
  trailingSlashMounts: 64,
  /** BT143: pod annotations that name a volume (compared with every unmounted token volume). */
  volumeAnnotations: 64,
} as const;

/** BT290: the pod's required node affinity is read while it has at most this many terms, expressions per term and values per expression. */
export const AFFINITY_BOUND = 16;

/** What the coverage table says of a rule that has a size bound. */
export const BOUND_NOTES: Readonly<Record<string, string>> = {
  BT114: `checked in CEL while the token volumes of the pod have at most ${PAIR_BOUNDS.itemSources} sources with items, of at most ${PAIR_BOUNDS.itemsPerSource} items each, `
    + `at most ${PAIR_BOUNDS.pathChars} characters of file paths and files x characters up to ${PAIR_BOUNDS.filesTimesChars}; larger pods are checked by the lint only`,
  BT140: `checked in CEL while mounts x token volumes is at most ${PAIR_BOUNDS.mountsTimesTokenVolumes}; larger pods are checked by the lint only`,
  BT141: `the API server refuses equal mount paths; the policy checks paths that differ by trailing slashes, for pods with at most ${PAIR_BOUNDS.trailingSlashMounts} such paths (more: lint only)`,
  BT142: `checked in CEL while mounts x token volumes is at most ${PAIR_BOUNDS.mountsTimesTokenVolumes}; larger pods are checked by the lint only`,
  BT143: `checked in CEL while mounts x token volumes is at most ${PAIR_BOUNDS.mountsTimesTokenVolumes} and at most ${PAIR_BOUNDS.volumeAnnotations} pod annotations name a volume; larger pods are checked by the lint only`,
  BT290: `the required node affinity is read in CEL while it has at most ${AFFINITY_BOUND} terms, ${AFFINITY_BOUND} expressions per term and ${AFFINITY_BOUND} values per expression; a larger one is checked by the lint only`,
};

/** CEL: the pods visibly run where EKS Pod Identity does not work (checkEksPodIdentityTarget in src/rules/check-presets-in-step.ts). */
export const EKS_POD_IDENTITY_UNSUPPORTED = (() => {
  const sel = (key: string, value: string) => `(has(variables.podSpec.nodeSelector) && ${celString(key)} in variables.podSpec.nodeSelector && variables.podSpec.nodeSelector[${celString(key)}] == ${celString(value)})`;
  const meta = (map: string, key: string, value: string) => `(${celString(key)} in ${map} && ${map}[${celString(key)}] == ${celString(value)})`;
  const terms = 'variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  const hasTerms = 'has(variables.podSpec.affinity) && has(variables.podSpec.affinity.nodeAffinity)'
    + ' && has(variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)'
    + ` && has(${terms})`;
  const affinity = (key: string, value: string) => `(${hasTerms} && size(${terms}) > 0 && size(${terms}) <= ${AFFINITY_BOUND}`
    + ` && ${terms}.all(t, has(t.matchExpressions) && size(t.matchExpressions) <= ${AFFINITY_BOUND} && t.matchExpressions.exists(e,`
    + ` has(e.key) && e.key == ${celString(key)} && has(e.operator) && e.operator == 'In' && has(e.values) && size(e.values) > 0`
    + ` && size(e.values) <= ${AFFINITY_BOUND} && e.values.all(x, x == ${celString(value)}))))`;
  const OS = 'kubernetes.io/os';
  const COMPUTE = 'eks.amazonaws.com/compute-type';
  return `variables.podSpec != null && (${sel(OS, 'windows')} || ${sel(COMPUTE, 'fargate')} || ${affinity(OS, 'windows')} || ${affinity(COMPUTE, 'fargate')}`
    + " || (has(variables.podSpec.os) && has(variables.podSpec.os.name) && variables.podSpec.os.name == 'windows')"
    + ` || ${meta('variables.podLabels', COMPUTE, 'fargate')} || ${meta('variables.acknowledgements', COMPUTE, 'fargate')})`;
})();

/** The note every pod-scoped rule carries in the coverage table. */
export const POD_BOUND_NOTE = `lint only for pods over ${CEL_BOUNDS.volumes} volumes, ${CEL_BOUNDS.containers} containers, `
  + `${CEL_BOUNDS.mountsPerContainer} mounts in one container or ${CEL_BOUNDS.sourcesPerVolume} sources in one projected volume`;

/** CEL: the pod is within CEL_BOUNDS (cheap: sizes first, then one pass over containers and volumes). */
export const WITHIN_BOUNDS = `size(variables.volumes) <= ${CEL_BOUNDS.volumes} && size(variables.containers) <= ${CEL_BOUNDS.containers}`
  + ` && variables.containers.all(c, !has(c.volumeMounts) || size(c.volumeMounts) <= ${CEL_BOUNDS.mountsPerContainer})`
  + ` && variables.volumes.all(v, !has(v.projected) || !has(v.projected.sources) || size(v.projected.sources) <= ${CEL_BOUNDS.sourcesPerVolume})`;

/**
 * CEL: the names of every volume mount of the pod, one list (empty strings
 * where a container has none). Built with join and split, which cost by the
 * character: volume names are DNS-1123 labels (the API server refuses others
 * before admission), so they never hold the space.
 */
export const MOUNTED_NAMES = "variables.containers.map(c, has(c.volumeMounts) ? c.volumeMounts.map(m, has(m.name) ? m.name : '').join(' ') : '').join(' ').split(' ')";

/**
 * CEL: the values of the pods' annotations whose key names a volume
 * (VOLUME_ANNOTATION_KEY): the token volumes an injector mounts (BT143). One
 * pass over the annotations, which the API server limits to 256 KiB.
 */
export function annotatedVolumeNames(keyWord: string): string {
  return `variables.acknowledgements.filter(k, k.contains(${celString(keyWord)})).map(k, variables.acknowledgements[k])`;
}

/** CEL: how many mount paths of the pod end in '/' (longer than '/'), counted as the length of a string of one character each. */
export const TRAILING_SLASH_MOUNTS = "variables.containers.map(c, has(c.volumeMounts) ? c.volumeMounts.filter(m, has(m.mountPath) && m.mountPath.size() > 1 && m.mountPath.endsWith('/')).map(m, '/').join('') : '').join('').size()";

/** CEL: mounts x token volumes within its bound (BT140, BT142, BT143). */
export const MOUNTS_TIMES_TOKENS_OK = `size(variables.mountedNames) * size(variables.tokenVolumes) <= ${PAIR_BOUNDS.mountsTimesTokenVolumes}`;

/** Pod-wide guards of single rules, over and above withinBounds. */
export const RULE_GUARDS: Readonly<Record<string, string>> = {
  BT140: MOUNTS_TIMES_TOKENS_OK,
  BT142: MOUNTS_TIMES_TOKENS_OK,
  BT143: MOUNTS_TIMES_TOKENS_OK,
};
