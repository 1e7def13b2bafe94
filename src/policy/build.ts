// Builds the ValidatingAdmissionPolicy / ValidatingAdmissionPolicyBinding
// objects from the rule catalogue. Pure: no cdk8s, no constructs, so that the
// construct and the command line produce the very same objects.
// Internal: not part of the jsii API (the construct is).

import { celRegex, celString, celStringList, goUrlParses, JS_WHITESPACE_CLASS } from './cel';
import { annotatedVolumeNames, BOUND_NOTES, EKS_POD_IDENTITY_UNSUPPORTED, MOUNTED_NAMES, POD_BOUND_NOTE, RULE_GUARDS, TRAILING_SLASH_MOUNTS, WITHIN_BOUNDS } from './cost';
import { ExpressedRule, isExpressed, POLICY_RULES, PolicyScope, PROJECTED_PATHS_BOUNDED } from './rules';
import {
  ackAnnotation, allRules, CONTAINER_GROUPS, CRON_JOB_LOCATION, DAY_SECONDS, DNS1123_LABEL_MAX_LENGTH, DNS1123_SUBDOMAIN_MAX_LENGTH, findRule,
  isDns1123Label, locationSteps, matchesDns1123Subdomain, maxExpirationProblem, POD_LOCATION, POD_TEMPLATE_LOCATION, R, RuleDef, show,
  TEMPLATE_KINDS, VOLUME_ANNOTATION_KEY, WORKLOAD_LOCATION,
} from '../rules';

/** A binding's validation actions, by name. */
export type ActionName = 'deny' | 'warn' | 'audit';

export interface PolicyBuildOptions {
  /** Prefix of the object names: `<prefix>-errors`, `<prefix>-warnings`. Default `bound-tokens`. */
  readonly namePrefix?: string;
  /** What the binding of the error-level rules does. Default 'warn' (Warn and Audit): Deny is an explicit choice. */
  readonly errorAction?: ActionName;
  /** What the binding of the warning-level rules does. Default 'warn' (Warn and Audit). */
  readonly warningAction?: ActionName;
  /** Exclude the namespaces every Kubernetes cluster reserves: kube-system, kube-public, kube-node-lease. Default true. */
  readonly excludeSystemNamespaces?: boolean;
  /**
   * The policies are for OpenShift: with excludeSystemNamespaces, also exclude
   * openshift and openshift-*. Default false: on other clusters anyone who may
   * create a namespace could name it openshift-x and escape the policies.
   */
  readonly openShift?: boolean;
  /** Namespaces excluded by exact name. */
  readonly excludeNamespaces?: readonly string[];
  /** Namespaces excluded by name prefix. */
  readonly excludeNamespacePrefixes?: readonly string[];
  /** Namespaces excluded by label: a namespace carrying any of these labels with that value. */
  readonly excludeNamespaceLabels?: Readonly<Record<string, string>>;
  /** Rule ids the policies leave out. */
  readonly disabledRules?: readonly string[];
  /**
   * The cluster's maximum token lifetime in seconds, baked into the CEL as a
   * number: BT280 joins the warnings, and BT104 leaves them when the maximum
   * is at most a day (no token the cluster issues can then live longer).
   */
  readonly maxTokenExpirationSeconds?: number;
}

export const DEFAULT_NAME_PREFIX = 'bound-tokens';
/** The namespaces every Kubernetes cluster reserves. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];
/** What OpenShift reserves besides: excluded only for OpenShift (elsewhere anyone may create openshift-x). */
export const OPENSHIFT_NAMESPACES: readonly string[] = ['openshift'];
export const OPENSHIFT_NAMESPACE_PREFIXES: readonly string[] = ['openshift-'];
export const ADMISSION_API_VERSION = 'admissionregistration.k8s.io/v1';
export const PART_OF_LABEL = { 'app.kubernetes.io/part-of': 'cdk8s-bound-tokens' };

const ACTIONS: Record<ActionName, string[]> = {
  deny: ['Deny'],
  warn: ['Warn', 'Audit'],
  audit: ['Audit'],
};

/**
 * The resources the policies match, by API group. Not OLM ClusterServiceVersions
 * (operators.coreos.com): OLM creates a Deployment from each of their
 * deployments, and that Deployment, its ReplicaSets and Pods are checked here
 * like any other; the lint reads the CSV itself (podSpecLocations).
 */
const POD_RESOURCE_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'podtemplates', 'replicationcontrollers'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
];
const ISSUER_RESOURCE_RULE = { apiGroups: ['config.openshift.io'], apiVersions: ['v1'], resources: ['authentications'] };
const OPERATIONS = ['CREATE', 'UPDATE'];

const KIND = 'request.kind.kind';
const IS_AUTHENTICATION = `(request.kind.group == 'config.openshift.io' && ${KIND} == 'Authentication')`;

/** CEL: `cond ? path : fallback`, with every step of `path` under `root` guarded by has(). */
function guarded(root: string, steps: string[], fallback: string): string {
  const checks: string[] = [];
  let cur = root;
  for (const s of steps) {
    cur = `${cur}.${s}`;
    checks.push(`has(${cur})`);
  }
  return `(${checks.join(' && ')} ? ${cur} : ${fallback})`;
}

interface KindParts {
  /** Steps under a Pod, or null when a Pod has no such part. */
  readonly pod: string[] | null;
  /** Steps under a PodTemplate object (its template at the top). */
  readonly podTemplate: string[];
  /** Steps under a workload that keeps its template at spec.template. */
  readonly template: string[];
  readonly cronJob: string[];
  readonly issuer: string[] | null;
}

/**
 * The steps to a part of each kind's pod template (src/rules/kubernetes.ts):
 * `spec` the pod spec, `template` the template itself, `annotations` the
 * template's annotations; `pod` what a Pod has in its place (null: nothing).
 */
function templateParts(part: 'spec' | 'template' | 'annotations' | 'labels', pod: string[] | null, issuer: string[] | null = null): KindParts {
  const steps = (loc: { specPath: string; templateMetadataPath: string }): string[] => {
    const spec = locationSteps(loc.specPath);
    if (part === 'spec') return spec;
    if (part === 'template') return spec.slice(0, -1);
    return [...locationSteps(loc.templateMetadataPath), part];
  };
  return { pod, podTemplate: steps(POD_TEMPLATE_LOCATION), template: steps(WORKLOAD_LOCATION), cronJob: steps(CRON_JOB_LOCATION), issuer };
}

/** CEL: where each matched kind keeps a part of its pod template, for object `o`. */
function byKind(o: string, parts: KindParts, fallback: string): string {
  const at = (steps: string[] | null) => (steps ? guarded(o, steps, fallback) : fallback);
  return `${KIND} == 'Pod' ? ${at(parts.pod)}`
    + ` : ${KIND} == 'PodTemplate' ? ${at(parts.podTemplate)}`
    + ` : ${KIND} == 'CronJob' ? ${at(parts.cronJob)}`
    + ` : ${KIND} in ${celStringList(TEMPLATE_KINDS)} ? ${at(parts.template)}`
    + (parts.issuer ? ` : ${IS_AUTHENTICATION} ? ${at(parts.issuer)}` : '')
    + ` : ${fallback}`;
}

interface Variable { readonly name: string; readonly expression: string }

/**
 * Every variable a validation may use, in dependency order. Kubernetes
 * evaluates a variable lazily, the first time an expression refers to it,
 * and counts its cost once; the builder keeps only the ones referred to.
 */
/** Up to the host: an optional scheme, '//', and userinfo ending in the authority's last '@'. */
const AUTHORITY_START = '([A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*@)?';

/** An IPv6 address as Go's parser (and src/rules parseIPv6) reads it: 8 groups, '::' for zeros, an IPv4 tail. */
const IPV6 = (() => {
  const h16 = '[0-9A-Fa-f]{1,4}';
  const octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
  const v4 = `${octet}\\.${octet}\\.${octet}\\.${octet}`;
  const forms = [`(${h16}:){6}(${h16}:${h16}|${v4})`];
  for (let head = 0; head <= 7; head++) {
    const headPart = head === 0 ? '' : `(${h16}:){${head - 1}}${h16}`;
    const tails = [`(${h16}:){0,${6 - head}}${h16}`];
    if (5 - head >= 0) tails.push(`(${h16}:){0,${5 - head}}${v4}`);
    forms.push(head === 7 ? `${headPart}::` : `${headPart}::(${tails.join('|')})?`);
  }
  return `(${forms.join('|')})`;
})();

const VARIABLES: readonly Variable[] = [
  {
    name: 'podSpec',
    expression: byKind('object', templateParts('spec', locationSteps(POD_LOCATION.specPath)), 'null'),
  },
  {
    name: 'objectAnnotations',
    expression: guarded('object', ['metadata', 'annotations'], '{}'),
  },
  {
    name: 'templateAnnotations',
    expression: byKind('object', templateParts('annotations', null), '{}'),
  },
  {
    // Where the pods get acknowledgements: a Pod's (or an Authentication's) own metadata, a workload's pod template.
    name: 'acknowledgements',
    expression: byKind('object', templateParts('annotations', ['metadata', 'annotations'], ['metadata', 'annotations']), '{}'),
  },
  {
    // The object's pods are made from a pod template, whose annotations they carry (not the object's own).
    name: 'acksOnTemplate',
    expression: `variables.podSpec != null && ${KIND} != 'Pod'`,
  },
  {
    name: 'volumes',
    expression: 'variables.podSpec != null && has(variables.podSpec.volumes) ? variables.podSpec.volumes : []',
  },
  {
    name: 'tokenVolumes',
    expression: 'variables.volumes.filter(v, has(v.projected) && has(v.projected.sources) && v.projected.sources.exists(s, has(s.serviceAccountToken)))',
  },
  {
    name: 'volumeNames',
    expression: 'variables.volumes.filter(v, has(v.name)).map(v, v.name)',
  },
  {
    name: 'tokenVolumeNames',
    expression: 'variables.tokenVolumes.filter(v, has(v.name)).map(v, v.name)',
  },
  {
    name: 'containers',
    expression: 'variables.podSpec == null ? [] : '
      + CONTAINER_GROUPS
        .map(g => `(has(variables.podSpec.${g}) ? variables.podSpec.${g} : [])`).join(' + '),
  },
  // The size bounds of src/policy/cost.ts.
  { name: 'withinBounds', expression: WITHIN_BOUNDS },
  { name: 'mountedNames', expression: MOUNTED_NAMES },
  { name: 'annotatedVolumeNames', expression: annotatedVolumeNames(VOLUME_ANNOTATION_KEY) },
  { name: 'trailingSlashMounts', expression: TRAILING_SLASH_MOUNTS },
  { name: 'projectedPathsBounded', expression: PROJECTED_PATHS_BOUNDED },
  {
    // Each container's effective runAsUser (its own, else the pod's), -1 for none (runAsUser is never negative).
    name: 'runAsUsers',
    expression: 'variables.containers.map(c, has(c.securityContext) && has(c.securityContext.runAsUser) ? c.securityContext.runAsUser '
      + ': (has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsUser) ? variables.podSpec.securityContext.runAsUser : -1))',
  },
  {
    // podOwnsFiles in src/rules/check-pod.ts: fsGroup, or one effective runAsUser shared by every container.
    name: 'podOwnsFiles',
    expression: 'variables.podSpec != null && ((has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.fsGroup)) '
      + '|| (variables.runAsUsers.size() > 0 && variables.runAsUsers.all(u, u >= 0 && u == variables.runAsUsers[0])))',
  },
  {
    // The pods' labels: a Pod's own, a workload's pod template (BT290).
    name: 'podLabels',
    expression: byKind('object', templateParts('labels', ['metadata', 'labels']), '{}'),
  },
  { name: 'eksPodIdentityUnsupported', expression: EKS_POD_IDENTITY_UNSUPPORTED },
  {
    name: 'windowsPod',
    expression: "variables.podSpec != null && has(variables.podSpec.os) && has(variables.podSpec.os.name) && variables.podSpec.os.name == 'windows'",
  },
  {
    // An empty issuer is OpenShift's default (read as https://kubernetes.default.svc): not checked, like an absent one.
    name: 'issuer',
    expression: `${IS_AUTHENTICATION} && has(object.spec) && has(object.spec.serviceAccountIssuer) && object.spec.serviceAccountIssuer != '' `
      + '? object.spec.serviceAccountIssuer : null',
  },
  {
    name: 'issuerBlank',
    expression: `variables.issuer != null && variables.issuer.matches(${celRegex(`^[${JS_WHITESPACE_CLASS}]*$`)})`,
  },
  {
    name: 'issuerUrlValid',
    expression: `variables.issuer != null && ${goUrlParses('variables.issuer')}`,
  },
  {
    name: 'issuerHttps',
    expression: `variables.issuer != null && variables.issuer.matches(${celRegex('^[Hh][Tt][Tt][Pp][Ss]:')})`,
  },
  {
    // Go: the authority runs to the first '/', '?' or '#'; the host is what follows its last '@'.
    name: 'issuerHasHost',
    expression: `variables.issuer != null && variables.issuer.matches(${celRegex('^[Hh][Tt][Tt][Pp][Ss]://[^/?#]*[^/?#@]([/?#]|$)')})`,
  },
  {
    // The host (after the authority's last '@') is an IP literal in brackets.
    name: 'issuerBracketed',
    expression: `variables.issuer != null && variables.issuer.matches(${celRegex(`^${AUTHORITY_START}\\[[^/?#@]*([/?#]|$)`)})`,
  },
  {
    // ... and what the brackets hold (before an RFC 6874 zone) is an IPv6 address, as Go 1.24.8+ demands.
    name: 'issuerBracketIPv6',
    expression: `variables.issuer != null && variables.issuer.matches(${celRegex(`^${AUTHORITY_START}\\[${IPV6}(%25[^/?#@]*)?\\][^\\]/?#@]*([/?#]|$)`)})`,
  },
];

/** The items a scope iterates, the iteration variable and the label of an item in messages. */
const SCOPES: Record<Exclude<PolicyScope, 'issuer' | 'object'>, { list: string; item: string; label: string; noun: string }> = {
  tokenVolume: { list: 'variables.tokenVolumes', item: 'v', label: "has(v.name) ? v.name : '?'", noun: 'volume' },
  container: { list: 'variables.containers', item: 'c', label: "has(c.name) ? c.name : '?'", noun: 'container' },
};

export interface PolicyValidation {
  readonly expression: string;
  readonly message: string;
  readonly messageExpression: string;
}

/** The name of the variable that holds the items breaking a pod-scoped rule, e.g. `bt114`. */
export function ruleVariableName(id: string): string {
  return id.toLowerCase();
}

/**
 * The variable of a pod-scoped rule: the items that break it, computed once
 * for the validation and its messageExpression (the API server evaluates every
 * messageExpression on every request, a variable once), and nothing for a pod
 * beyond the size bounds (src/policy/cost.ts), which the lint checks alone.
 */
export function ruleVariable(def: RuleDef, rule: ExpressedRule): Variable | undefined {
  if (rule.scope === 'issuer' || rule.scope === 'object') return undefined;
  const s = SCOPES[rule.scope];
  const guard = RULE_GUARDS[def.id];
  const bounded = guard ? `variables.withinBounds && ${guard}` : 'variables.withinBounds';
  return { name: ruleVariableName(def.id), expression: `!(${bounded}) ? [] : ${s.list}.filter(${s.item}, ${rule.violation})` };
}

/** The validation of one expressed rule. Warnings skip objects that acknowledge them; errors never do. */
export function validationFor(def: RuleDef, rule: ExpressedRule): PolicyValidation {
  const message = `${def.id}: ${rule.problem}; ${def.fix}`;
  let expression: string;
  let messageExpression: string;
  if (rule.scope === 'issuer') {
    expression = `variables.issuer == null || !(${rule.violation})`;
    // The API server drops a warning whose text holds a control character
    // (Go's unicode.IsControl): with Warn, such an issuer would be reported to
    // nobody. Show a placeholder instead of the raw value.
    const shown = `(variables.issuer.matches(${celRegex('[\\x{0}-\\x{1F}\\x{7F}-\\x{9F}]')}) ? '(a value with control characters)' : variables.issuer)`;
    messageExpression = `${celString(`${def.id}: ${rule.problem}, got '`)} + ${shown} + ${celString(`'; ${def.fix}`)}`;
  } else if (rule.scope === 'object') {
    expression = `!(${rule.violation})`;
    messageExpression = `${celString(`${def.id}: ${rule.problem} (`)} + ${rule.label ?? "''"} + ${celString(`); ${def.fix}`)}`;
  } else {
    const s = SCOPES[rule.scope];
    const failing = `variables.${ruleVariableName(def.id)}`;
    expression = `size(${failing}) == 0`;
    messageExpression = `${celString(`${def.id}: ${rule.problem} (${s.noun} `)} + `
      + `${failing}.map(${s.item}, ${s.label}).join(', ') + ${celString(`); ${def.fix}`)}`;
  }
  if (def.level === 'warning') {
    const key = celString(ackAnnotation(def.id));
    expression = `${key} in variables.acknowledgements || ${expression}`;
  }
  return { expression, message, messageExpression };
}

/** How a rule fares in the policy: its validation, or why it has none. */
export interface RuleCoverage {
  readonly def: RuleDef;
  readonly expressed: ExpressedRule | undefined;
  readonly notExpressible: string | undefined;
  /** For an enforced rule: up to which size the policy checks it (beyond, the lint only). */
  readonly sizeBound: string | undefined;
}

/** Every catalogue rule with its place in the policy. Throws when a rule is in neither list. */
export function ruleCoverage(): RuleCoverage[] {
  return allRules().map(def => {
    const r = POLICY_RULES[def.id];
    if (!r) throw new Error(`internal: rule ${def.id} is neither expressed in CEL nor listed as not expressible (src/policy/rules.ts)`);
    if (!isExpressed(r)) return { def, expressed: undefined, notExpressible: r.notExpressible, sizeBound: undefined };
    const sizeBound = r.scope === 'issuer' || r.scope === 'object' ? BOUND_NOTES[def.id] : [BOUND_NOTES[def.id], POD_BOUND_NOTE].filter(x => x).join('; ');
    return { def, expressed: r, notExpressible: undefined, sizeBound };
  });
}

/**
 * The rule ids the policies enforce at one level, given the disabled ones and
 * the cluster's maximum token lifetime (BT280 needs it; a maximum of at most a
 * day leaves BT104 nothing to find).
 */
export function enforcedRuleIds(level: 'error' | 'warning', disabled: readonly string[] = [], maxTokenExpirationSeconds?: number): string[] {
  return ruleCoverage().filter(c => c.expressed && c.def.level === level && !disabled.includes(c.def.id)
    && (c.expressed.requires !== 'maxTokenExpiration' || maxTokenExpirationSeconds !== undefined)
    && !(c.def.id === R.LIFETIME_OVER_24H.id && maxTokenExpirationSeconds !== undefined && maxTokenExpirationSeconds <= DAY_SECONDS))
    .map(c => c.def.id);
}

/**
 * A problem with the options, in the house message shape
 * (`BT232: '<prop>' <problem>, got <value>; <fix>`). `prop` names the option:
 * the construct prefixes its path, the command line names its flag instead.
 */
export class PolicyOptionError extends Error {
  constructor(public readonly prop: string, message: string) {
    super(message);
  }
}

const NAMESPACE_PREFIX = /^[a-z0-9][-a-z0-9]*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Throws the error of rule BT232 (an option of the admission policy is not valid). */
export function failOption(prop: string, problem: string, got: string, fix: string): never {
  throw new PolicyOptionError(prop, `${R.POLICY_OPTION.id}: '${prop}' ${problem}, got ${got}; ${fix}`);
}
const fail = failOption;

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) return false;
  return prefix === undefined || (prefix.length > 0 && prefix.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && matchesDns1123Subdomain(prefix));
}

/** Checks the options and fills in the defaults. Throws PolicyOptionError. */
export function resolveOptions(o: PolicyBuildOptions): Required<PolicyBuildOptions> {
  const namePrefix = o.namePrefix ?? DEFAULT_NAME_PREFIX;
  if (!matchesDns1123Subdomain(namePrefix) || namePrefix.length > DNS1123_SUBDOMAIN_MAX_LENGTH - '-warnings'.length) {
    fail('policyNamePrefix', `must be a DNS-1123 subdomain of at most ${DNS1123_SUBDOMAIN_MAX_LENGTH - '-warnings'.length} characters (lowercase letters, digits, - and .)`, `'${namePrefix}'`,
      "use a name such as 'bound-tokens'");
  }
  for (const [prop, value] of [['errorAction', o.errorAction], ['warningAction', o.warningAction]] as const) {
    if (value !== undefined && !(value in ACTIONS)) {
      fail(prop, 'must be one of deny, warn, audit', `'${value}'`, 'pick one of them');
    }
  }
  for (const ns of o.excludeNamespaces ?? []) {
    if (!isDns1123Label(ns)) {
      fail('excludeNamespaces', 'must hold namespace names (DNS-1123 labels)', `'${ns}'`, "write a namespace name such as 'team-a'");
    }
  }
  for (const p of o.excludeNamespacePrefixes ?? []) {
    if (p.length === 0 || p.length > DNS1123_LABEL_MAX_LENGTH || !NAMESPACE_PREFIX.test(p)) {
      fail('excludeNamespacePrefixes', 'must hold namespace name prefixes (lowercase letters, digits and -, starting with a letter or digit)', `'${p}'`,
        "write a prefix such as 'team-'");
    }
  }
  const labels = o.excludeNamespaceLabels ?? {};
  // Own keys, '__proto__' included (a JSON.parse'd object can hold it as data).
  for (const k of Object.getOwnPropertyNames(labels)) {
    const v = (labels as Record<string, unknown>)[k];
    if (!isLabelKey(k)) fail('excludeNamespaceLabels', 'must have label keys as keys', `'${k}'`, "use a key such as 'bound-tokens.io/exempt'");
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      fail('excludeNamespaceLabels', `must have label values as values (key '${k}')`, show(v), "use a value such as 'true'");
    }
  }
  for (const id of o.disabledRules ?? []) {
    if (!findRule(id)) fail('disabledRules', 'must hold rule ids of cdk8s-bound-tokens', `'${id}'`, 'see the rule table in docs/rules.md');
  }
  const max = o.maxTokenExpirationSeconds;
  const maxProblem = max === undefined ? undefined : typeof max !== 'number' ? 'must be a number of seconds' : maxExpirationProblem(max);
  if (maxProblem !== undefined) {
    fail('maxTokenExpiration', maxProblem, show(max), "use the value of the cluster's --service-account-max-token-expiration");
  }
  return {
    namePrefix,
    errorAction: o.errorAction ?? 'warn',
    warningAction: o.warningAction ?? 'warn',
    excludeSystemNamespaces: o.excludeSystemNamespaces ?? true,
    openShift: o.openShift ?? false,
    excludeNamespaces: [...(o.excludeNamespaces ?? [])],
    excludeNamespacePrefixes: [...(o.excludeNamespacePrefixes ?? [])],
    excludeNamespaceLabels: { ...(o.excludeNamespaceLabels ?? {}) },
    disabledRules: [...(o.disabledRules ?? [])],
    maxTokenExpirationSeconds: max as number,
  };
}

/** The match condition that leaves excluded namespaces out, or undefined when none are. */
function namespaceCondition(o: Required<PolicyBuildOptions>): { name: string; expression: string } | undefined {
  const system = o.excludeSystemNamespaces;
  const names = [...(system ? SYSTEM_NAMESPACES : []), ...(system && o.openShift ? OPENSHIFT_NAMESPACES : []), ...o.excludeNamespaces];
  const prefixes = [...(system && o.openShift ? OPENSHIFT_NAMESPACE_PREFIXES : []), ...o.excludeNamespacePrefixes];
  const uniq = (xs: string[]) => [...new Set(xs)];
  const parts: string[] = [];
  if (names.length > 0) parts.push(`request.namespace in ${celStringList(uniq(names))}`);
  if (prefixes.length > 0) parts.push(`${celStringList(uniq(prefixes))}.exists(prefix, request.namespace.startsWith(prefix))`);
  if (parts.length === 0) return undefined;
  // request.namespace, not namespaceObject: the API server binds no
  // namespaceObject when it evaluates matchConditions (only validations get
  // it). For a cluster-scoped object (Authentication) the API server's
  // `request` has no namespace key at all (not ''): reading it is the error
  // 'no such key: namespace', which failurePolicy Fail turns into Deny.
  return { name: 'exclude-namespaces', expression: `!has(request.namespace) || !(${parts.join(' || ')})` };
}

/**
 * The match condition that lets an UPDATE through unchecked when it leaves the
 * checked part alone (the pod spec or template, the issuer): metadata-only
 * updates by controllers (owner references, finalizers, labels) of objects
 * created before the policy must not be refused.
 */
function changedCondition(): { name: string; expression: string } {
  const part = (o: string) => `(${byKind(o, templateParts('template', locationSteps(POD_LOCATION.specPath), ['spec', 'serviceAccountIssuer']), 'null')})`;
  return { name: 'checked-part-changed', expression: `request.operation != 'UPDATE' || ${part('object')} != ${part('oldObject')}` };
}

function referencedVariables(texts: string[], variables: readonly Variable[]): Variable[] {
  const needed = new Set<string>();
  const scan = (t: string) => {
    for (const m of t.matchAll(/variables\.([A-Za-z_][A-Za-z0-9_]*)/g)) needed.add(m[1]);
  };
  texts.forEach(scan);
  // Variables refer only to earlier ones: walk backwards to close the set.
  for (let i = variables.length - 1; i >= 0; i--) {
    if (needed.has(variables[i].name)) scan(variables[i].expression);
  }
  for (const n of needed) {
    if (!variables.some(v => v.name === n)) throw new Error(`internal: unknown variable ${n}`);
  }
  return variables.filter(v => needed.has(v.name));
}

/** The cluster's facts the options give, as CEL constants (the maximum lifetime, baked in as a number). */
function limitVariables(o: Required<PolicyBuildOptions>): Variable[] {
  return o.maxTokenExpirationSeconds === undefined ? [] : [{ name: 'maxTokenExpiration', expression: String(o.maxTokenExpirationSeconds) }];
}

/** The four objects (or two, when one level has no rule left), in apply order: policy, then its binding. */
export function buildPolicyObjects(options: PolicyBuildOptions = {}): any[] {
  const o = resolveOptions(options);
  const out: any[] = [];
  const levels = [
    { level: 'error' as const, suffix: 'errors', action: o.errorAction },
    { level: 'warning' as const, suffix: 'warnings', action: o.warningAction },
  ];
  for (const { level, suffix, action } of levels) {
    const ids = enforcedRuleIds(level, o.disabledRules, o.maxTokenExpirationSeconds);
    if (ids.length === 0) continue;
    const validations = ids.map(id => validationFor(findRule(id)!, POLICY_RULES[id] as ExpressedRule));
    const ruleVariables = ids.map(id => ruleVariable(findRule(id)!, POLICY_RULES[id] as ExpressedRule)).filter((v): v is Variable => v !== undefined);
    const issuer = ids.some(id => (POLICY_RULES[id] as ExpressedRule).scope === 'issuer');
    const pod = ids.some(id => (POLICY_RULES[id] as ExpressedRule).scope !== 'issuer');
    const resourceRules = [...(pod ? POD_RESOURCE_RULES : []), ...(issuer ? [ISSUER_RESOURCE_RULE] : [])]
      .map(r => ({ ...r, operations: OPERATIONS }));
    const matchConstraints: any = { resourceRules };
    const labels = Object.entries(o.excludeNamespaceLabels);
    if (labels.length > 0) {
      // NotIn also selects namespaces without the label. Cluster-scoped objects are never skipped by it.
      matchConstraints.namespaceSelector = {
        matchExpressions: labels.map(([key, value]) => ({ key, operator: 'NotIn', values: [value] })),
      };
    }
    const matchConditions = [namespaceCondition(o), changedCondition()].filter(c => c !== undefined);
    const texts = validations.flatMap(v => [v.expression, v.messageExpression]);
    const name = `${o.namePrefix}-${suffix}`;
    out.push({
      apiVersion: ADMISSION_API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels: { ...PART_OF_LABEL } },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints,
        matchConditions,
        variables: referencedVariables(texts, [...limitVariables(o), ...VARIABLES, ...ruleVariables])
          .map(v => ({ name: v.name, expression: v.expression })),
        validations,
      },
    });
    out.push({
      apiVersion: ADMISSION_API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels: { ...PART_OF_LABEL } },
      spec: { policyName: name, validationActions: ACTIONS[action] },
    });
  }
  return out;
}
