import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { RuleLevel } from './bound-token-rules';
import { ActionName, buildPolicyObjects, failOption, PolicyBuildOptions, PolicyOptionError, ruleCoverage } from './policy/build';
import { ClusterScopedObject } from './private/cluster-scoped';
import { wholeSeconds } from './private/internal';
import { arrayOf, bool, checkProps, duration, pathOf, str, stringMap } from './private/props';
import { limitsOf } from './private/token-limits';
import { show } from './rules';

/** What a binding does when a validation of its policy fails. */
export enum PolicyAction {
  /** Refuse the request (`validationActions: [Deny]`). */
  DENY = 'Deny',
  /** Let it through with a warning to the client, and record it in the audit log (`[Warn, Audit]`). */
  WARN = 'Warn',
  /** Let it through and only record it in the audit log (`[Audit]`). */
  AUDIT = 'Audit',
}

/** Props of a `TokenAdmissionPolicy`. */
export interface TokenAdmissionPolicyProps {
  /**
   * Prefix of the object names: the policy and binding of the error-level
   * rules are `<prefix>-errors`, those of the warning-level rules
   * `<prefix>-warnings`. Must be a DNS-1123 subdomain.
   *
   * @default 'bound-tokens'
   */
  readonly policyNamePrefix?: string;

  /**
   * What happens to a request that breaks an error-level rule. The default
   * lets it through with a warning to the client and an audit annotation:
   * read what the policy finds, then choose `PolicyAction.DENY` to refuse
   * such requests.
   *
   * @default PolicyAction.WARN (Warn and Audit)
   */
  readonly errorAction?: PolicyAction;

  /**
   * What happens to a request that breaks a warning-level rule.
   * `PolicyAction.DENY` is the cluster's strict mode.
   *
   * @default PolicyAction.WARN (Warn and Audit)
   */
  readonly warningAction?: PolicyAction;

  /**
   * Leave out the namespaces every Kubernetes cluster reserves:
   * `kube-system`, `kube-public` and `kube-node-lease` (with `openShift`,
   * also `openshift` and every `openshift-*` namespace).
   *
   * @default true
   */
  readonly excludeSystemNamespaces?: boolean;

  /**
   * The policies are for an OpenShift cluster: with
   * `excludeSystemNamespaces`, also leave out `openshift` and every
   * `openshift-*` namespace, which OpenShift reserves. Leave it off
   * elsewhere: on other clusters anyone allowed to create a namespace could
   * name it `openshift-x` and escape the policies.
   *
   * @default false
   */
  readonly openShift?: boolean;

  /**
   * More namespaces to leave out, by exact name.
   *
   * @default - none besides the system namespaces
   */
  readonly excludeNamespaces?: string[];

  /**
   * Namespaces to leave out by name prefix (`team-a-` leaves out
   * `team-a-web` and `team-a-db`). A label selector cannot match a prefix,
   * so these become a match condition on `request.namespace`.
   *
   * @default - none (`openshift-` with `openShift`)
   */
  readonly excludeNamespacePrefixes?: string[];

  /**
   * Namespaces to leave out by label: a namespace that carries any of these
   * labels with that value. Becomes the policies' `namespaceSelector`
   * (`NotIn`, which also selects namespaces without the label).
   *
   * @default - none
   */
  readonly excludeNamespaceLabels?: { [key: string]: string };

  /**
   * Rule ids the policies leave out (e.g. `['BT143']`).
   *
   * @default - every rule the policies can enforce
   */
  readonly disabledRules?: string[];

  /**
   * The cluster's maximum token lifetime (`--service-account-max-token-expiration`,
   * or an external signer's), baked into the CEL as a number of seconds:
   * warning BT280 reports longer requests, and BT104 is left out when the
   * maximum is at most a day.
   *
   * @default - the maximum of the `ClusterTokenLimits` declared for this
   * construct's scope before it; none when there is none
   */
  readonly maxTokenExpiration?: Duration;
}

/** How one rule of the catalogue fares in the admission policy. */
export interface PolicyRuleCoverage {
  /** The rule id, e.g. `BT111`. */
  readonly ruleId: string;
  /** Error (in the error policy) or warning (in the warning policy). */
  readonly level: RuleLevel;
  /** True when the policy has a validation for the rule. */
  readonly enforced: boolean;
  /**
   * Why the policy cannot enforce the rule.
   * @default - the rule is enforced
   */
  readonly reason?: string;

  /**
   * For an enforced rule that needs a fact of the cluster: what the policy
   * must be built with to enforce it (BT280: `maxTokenExpiration`).
   * @default - enforced by every policy (unless disabled)
   */
  readonly condition?: string;
  /**
   * For an enforced rule: up to which size of object the policy checks it;
   * larger objects are admitted and checked by the lint only (Kubernetes
   * bounds the cost of admission CEL).
   * @default - the rule is not enforced
   */
  readonly sizeBound?: string;
}

const ACTION_NAMES: Record<PolicyAction, ActionName> = {
  [PolicyAction.DENY]: 'deny',
  [PolicyAction.WARN]: 'warn',
  [PolicyAction.AUDIT]: 'audit',
};

/**
 * Enforces the library's rules inside the cluster, for manifests applied by
 * hand, Helm releases and operators alike: two
 * `admissionregistration.k8s.io/v1` `ValidatingAdmissionPolicy` /
 * `ValidatingAdmissionPolicyBinding` pairs generated from the same rule
 * catalogue the constructs and the lint command use.
 *
 * - `<prefix>-errors`: the error-level rules, bound with `[Warn, Audit]`
 *   unless `errorAction` is `PolicyAction.DENY`: roll out, read the
 *   warnings and audit annotations, then choose Deny.
 * - `<prefix>-warnings`: the warning-level rules, bound with `[Warn, Audit]`
 *   (`warningAction`). A warning is skipped where the pods carry the
 *   annotation `bound-tokens.io/acknowledge-<RULE-ID>`: a Pod's (or an
 *   `Authentication`'s) own metadata, a workload's pod template; one on a
 *   workload's own metadata is not honoured (its pods never carry it) and is
 *   warning BT138. Errors ignore annotations, so nobody who can create pods
 *   can switch enforcement off.
 *
 * Both match Pods and every workload kind with a pod template (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
 * PodTemplate), so a Deployment is refused at apply time rather than when its
 * ReplicaSet fails to create pods; and OpenShift's `Authentication` objects for
 * the issuer rules. OLM `ClusterServiceVersion` objects are not matched: OLM
 * creates a Deployment from each of their deployments, which the policies
 * check like any other (the lint checks the bundle itself). Operations CREATE and UPDATE; an UPDATE that leaves the pod
 * template (or the issuer) unchanged is let through unchecked. `failurePolicy:
 * Fail`: an expression that fails (for example over the CEL cost budget) counts
 * as a failed validation of its policy. The objects are cluster-scoped and
 * never carry a namespace.
 *
 * Not enforced, because admission cannot see it or CEL cannot express it
 * (`TokenAdmissionPolicy.coverage()` lists them with the reason): BT103,
 * BT150 and BT165 (construct-only), BT105 (the API server refuses a fractional
 * expirationSeconds before admission), BT151 (the ServiceAccount admission
 * plugin has already set `serviceAccountName: default`), BT160 (needs several
 * objects), BT166 (OpenShift already refuses it).
 *
 * Needs Kubernetes 1.30+ or OpenShift 4.17+ (`admissionregistration.k8s.io/v1`).
 * On Kubernetes 1.28 and 1.29 the same objects work as `v1beta1` once the
 * `ValidatingAdmissionPolicy` feature gate and the runtime config
 * `admissionregistration.k8s.io/v1beta1=true` are on (change `apiVersion` in
 * the YAML, or with `errorPolicy?.addJsonPatch(JsonPatch.replace('/apiVersion', ...))`
 * and likewise for the other three objects); before 1.28 there is no
 * ValidatingAdmissionPolicy at all.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
export class TokenAdmissionPolicy extends Construct {
  /**
   * Every rule of the catalogue, with whether the policies enforce it and, if
   * not, why.
   */
  public static coverage(): PolicyRuleCoverage[] {
    return ruleCoverage().map(c => ({
      ruleId: c.def.id,
      level: c.def.level === 'error' ? RuleLevel.ERROR : c.def.level === 'notice' ? RuleLevel.NOTICE : RuleLevel.WARNING,
      enforced: c.expressed !== undefined,
      ...(c.expressed?.requires === 'maxTokenExpiration'
        ? { condition: "only when built with the cluster's maximum token lifetime (maxTokenExpiration, a ClusterTokenLimits declared before it, or policy --max-token-expiration)" }
        : {}),
      reason: c.notExpressible,
      sizeBound: c.sizeBound,
    }));
  }

  /** The policy of the error-level rules (`<prefix>-errors`), unless all of them are disabled. */
  public readonly errorPolicy?: ApiObject;
  /** Its binding. */
  public readonly errorBinding?: ApiObject;
  /** The policy of the warning-level rules (`<prefix>-warnings`), unless all of them are disabled. */
  public readonly warningPolicy?: ApiObject;
  /** Its binding. */
  public readonly warningBinding?: ApiObject;

  constructor(scope: Construct, id: string, props: TokenAdmissionPolicyProps = {}) {
    checkProps(pathOf(scope, id), props, {
      policyNamePrefix: str,
      // the values of errorAction and warningAction are the policy's own check
      errorAction: str,
      warningAction: str,
      excludeSystemNamespaces: bool,
      openShift: bool,
      excludeNamespaces: arrayOf(str, 'namespace names'),
      excludeNamespacePrefixes: arrayOf(str, 'namespace name prefixes'),
      excludeNamespaceLabels: stringMap('a map of label keys to values'),
      disabledRules: arrayOf(str, 'rule ids'),
      maxTokenExpiration: duration,
    });
    super(scope, id);
    let objects: any[];
    try {
      objects = buildPolicyObjects(buildOptions(props, maxSecondsFor(this, props.maxTokenExpiration)));
    } catch (e) {
      // the message starts with its rule id (BT232), written once, in the builder
      if (e instanceof PolicyOptionError) throw new Error(`[${this.node.path}] ${e.message}`);
      throw e;
    }
    const made = new Map<string, ApiObject>();
    for (const obj of objects) {
      const level = (obj.metadata.name as string).endsWith('-errors') ? 'Error' : 'Warning';
      const role = obj.kind === 'ValidatingAdmissionPolicy' ? 'Policy' : 'Binding';
      made.set(`${level}${role}`, new ClusterScopedObject(this, `${level}${role}`, obj));
    }
    this.errorPolicy = made.get('ErrorPolicy');
    this.errorBinding = made.get('ErrorBinding');
    this.warningPolicy = made.get('WarningPolicy');
    this.warningBinding = made.get('WarningBinding');
  }
}

/** The builder's options from the construct's props. */
/** The maximum lifetime the policy bakes in: the prop's, or the declared ClusterTokenLimits'. */
function maxSecondsFor(c: IConstruct, prop: Duration | undefined): number | undefined {
  if (prop === undefined) return limitsOf(c)?.maxExpirationSeconds;
  const { seconds, whole } = wholeSeconds(prop);
  return whole ? seconds : prop.toMilliseconds({ integral: false }) / 1000;
}

function buildOptions(props: TokenAdmissionPolicyProps, maxTokenExpirationSeconds: number | undefined): PolicyBuildOptions {
  const action = (prop: string, a: PolicyAction | undefined): ActionName | undefined => {
    if (a === undefined) return undefined;
    const name = ACTION_NAMES[a];
    if (!name) failOption(prop, 'must be a PolicyAction', show(a), 'use PolicyAction.DENY, WARN or AUDIT');
    return name;
  };
  return {
    namePrefix: props.policyNamePrefix,
    errorAction: action('errorAction', props.errorAction),
    warningAction: action('warningAction', props.warningAction),
    excludeSystemNamespaces: props.excludeSystemNamespaces,
    openShift: props.openShift,
    excludeNamespaces: props.excludeNamespaces,
    excludeNamespacePrefixes: props.excludeNamespacePrefixes,
    excludeNamespaceLabels: props.excludeNamespaceLabels,
    disabledRules: props.disabledRules,
    maxTokenExpirationSeconds,
  };
}
