// Evaluates the generated ValidatingAdmissionPolicies as the API server would,
// with @bufbuild/cel, and compares their verdict with the lint's (checkObject).
//
// What this evaluator is and is not (see also the README, "What the tests cover"):
// - It runs the policy's own expressions (matchConditions, variables,
//   validations, messageExpressions) with `object`, `oldObject`, `request` and
//   `namespaceObject` bound, plus matchConstraints (resource rules, operations,
//   namespaceSelector) done in TypeScript.
// - @bufbuild/cel is not cel-go: it has no cost accounting, does not type-check
//   against the OpenAPI schemas, and does not enforce Kubernetes'
//   HomogeneousAggregateLiterals (a separate test keeps literals homogeneous).
//   Its strings extension counts UTF-16 units in indexOf/lastIndexOf/substring
//   (cel-go counts code points); the expressions never mix those positions with
//   size(), so both agree.
// - Objects are shown to CEL as the API server shows them: integers as int,
//   null fields and null list entries left out (a typed object has none), and
//   the lint sees the very same normalized object.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { buildPolicyObjects, enforcedRuleIds } from '../../src/policy/build';
import { checkObject, MANIFEST_STYLE } from '../../src/rules';
import { authenticationValidator, schemaErrors } from '../schema';

const ENV = celEnv({ funcs: strings });

/** Compiles the Authentication CRD schema once, without ajv's notes on formats it does not check. */
function quietSchemas(): void {
  const spy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    authenticationValidator();
  } finally {
    spy.mockRestore();
  }
}
const PLANS = new Map<string, (ctx: any) => any>();

/** Evaluates one CEL expression; returns the value or throws with the CEL error. */
export function evalCel(expr: string, bindings: Record<string, any>): any {
  let p = PLANS.get(expr);
  if (!p) {
    p = plan(ENV, parse(expr)) as (ctx: any) => any;
    PLANS.set(expr, p);
  }
  const r = p(bindings);
  if (isCelError(r)) throw new Error(`CEL error: ${r.message}\n  in: ${expr.slice(0, 300)}`);
  return r;
}

/** The object as the API server shows it to CEL: no nulls, integers as int (bigint). */
export function admissionView(value: any): any {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.filter(x => x !== null && x !== undefined).map(admissionView);
  if (typeof value === 'object') {
    const out: any = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = admissionView(v);
    }
    return out;
  }
  return value;
}

function toCel(value: any): any {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'object') {
    const out: any = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** Group and resource of the kinds the policies know. */
export const RESOURCES: Record<string, { group: string; version: string; resource: string; namespaced: boolean }> = {
  Pod: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  PodTemplate: { group: '', version: 'v1', resource: 'podtemplates', namespaced: true },
  ReplicationController: { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  Job: { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true },
  Authentication: { group: 'config.openshift.io', version: 'v1', resource: 'authentications', namespaced: false },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps', namespaced: true },
};

export interface AdmissionInput {
  readonly object: any;
  readonly oldObject?: any;
  readonly operation?: 'CREATE' | 'UPDATE';
  /** Namespace of the request; default 'default' for namespaced kinds. */
  readonly namespace?: string;
  readonly namespaceLabels?: Record<string, string>;
}

/** The outcome of one policy on one request. */
export interface PolicyOutcome {
  /** The policy does not apply (resource rules, namespace selector or a match condition). */
  readonly skipped: boolean;
  /** Rule ids of the validations that evaluated to false. */
  readonly failed: string[];
  /** The messages (messageExpression, or message) of the failed validations. */
  readonly messages: string[];
  /** Evaluation errors (with failurePolicy Fail they would be enforced like a failure). */
  readonly errors: string[];
}

function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': if (!has || !e.values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && e.values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new Error(`unknown operator ${e.operator}`);
    }
  }
  return true;
}

/** Evaluates one ValidatingAdmissionPolicy object on one request. */
export function evaluatePolicy(policy: any, input: AdmissionInput): PolicyOutcome {
  const skipped: PolicyOutcome = { skipped: true, failed: [], messages: [], errors: [] };
  const obj = admissionView(input.object);
  const kind = obj.kind;
  const res = RESOURCES[kind];
  if (!res) throw new Error(`no resource for kind ${kind}`);
  const operation = input.operation ?? 'CREATE';
  const spec = policy.spec;
  const matched = spec.matchConstraints.resourceRules.some((r: any) =>
    r.apiGroups.includes(res.group) && r.resources.includes(res.resource) && r.operations.includes(operation)
    && (r.apiVersions.includes('*') || r.apiVersions.includes(res.version)));
  if (!matched) return skipped;
  const namespace = res.namespaced ? (input.namespace ?? 'default') : '';
  const nsLabels = { 'kubernetes.io/metadata.name': namespace, ...(input.namespaceLabels ?? {}) };
  if (res.namespaced && !selectorMatches(spec.matchConstraints.namespaceSelector, nsLabels)) return skipped;

  // As the API server builds it: a cluster-scoped object's request has no
  // namespace key at all (reading request.namespace is 'no such key'), not ''.
  const request = {
    kind: { group: res.group, version: res.version, kind },
    resource: { group: res.group, version: res.version, resource: res.resource },
    requestKind: { group: res.group, version: res.version, kind },
    name: obj.metadata?.name ?? '',
    ...(res.namespaced ? { namespace } : {}),
    operation,
    userInfo: { username: 'test-user', groups: ['system:authenticated'] },
    dryRun: false,
  };
  const namespaceObject = res.namespaced
    ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: nsLabels } }
    : null;
  const oldObject = input.oldObject ? admissionView(input.oldObject) : null;
  // matchConditions see no namespaceObject (the API server binds none there).
  const matchBindings = { object: toCel(obj), oldObject: toCel(oldObject), request: toCel(request), namespaceObject: null };
  const errors: string[] = [];
  for (const c of spec.matchConditions ?? []) {
    try {
      if (evalCel(c.expression, matchBindings) === false) return skipped;
    } catch (e) {
      errors.push(`matchCondition ${c.name}: ${(e as Error).message}`);
    }
  }
  if (errors.length > 0) return { skipped: false, failed: [], messages: [], errors };

  const base = { ...matchBindings, namespaceObject: toCel(namespaceObject) };
  const variables: Record<string, any> = {};
  const variableErrors = new Map<string, string>();
  for (const v of spec.variables ?? []) {
    try {
      variables[v.name] = evalCel(v.expression, { ...base, variables });
    } catch (e) {
      variableErrors.set(v.name, (e as Error).message);
    }
  }
  const bindings = { ...base, variables };
  const failed: string[] = [];
  const messages: string[] = [];
  for (const val of spec.validations) {
    const refs = [...(val.expression as string).matchAll(/variables\.([A-Za-z0-9_]+)/g)].map(m => m[1]);
    const broken = refs.find(r => variableErrors.has(r));
    if (broken) {
      errors.push(`variable ${broken}: ${variableErrors.get(broken)}`);
      continue;
    }
    let ok: any;
    try {
      ok = evalCel(val.expression, bindings);
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    if (ok === true) continue;
    if (ok !== false) {
      errors.push(`validation did not return a bool: ${String(ok)}`);
      continue;
    }
    const id = /^(BT\d+):/.exec(val.message)?.[1];
    if (!id) throw new Error(`message names no rule id: ${val.message}`);
    failed.push(id);
    let msg = val.message;
    if (val.messageExpression) {
      try {
        const m = evalCel(val.messageExpression, bindings);
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) msg = m.trim();
        // The API server drops a warning (Warn) whose text has a control character: nobody would see it.
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f-\u009f]/.test(msg)) errors.push(`message of ${id} holds a control character, so the API server drops its warning: ${JSON.stringify(msg)}`);
      } catch (e) {
        errors.push(`messageExpression of ${id}: ${(e as Error).message}`);
      }
    }
    messages.push(msg);
  }
  return { skipped: false, failed: failed.sort(), messages, errors };
}

/** The verdict of a pair of policies: rule ids of the error policy and of the warning policy that failed. */
export interface Verdict {
  readonly denied: string[];
  readonly warned: string[];
}

/** Evaluates every policy in `objs` (ValidatingAdmissionPolicy objects; bindings are ignored). */
export function policyVerdict(objs: any[], input: AdmissionInput): Verdict & { errors: string[]; messages: string[] } {
  const denied: string[] = [];
  const warned: string[] = [];
  const errors: string[] = [];
  const messages: string[] = [];
  for (const p of objs.filter(o => o.kind === 'ValidatingAdmissionPolicy')) {
    const r = evaluatePolicy(p, input);
    const isErrorPolicy = (p.metadata.name as string).endsWith('-errors');
    (isErrorPolicy ? denied : warned).push(...r.failed);
    errors.push(...r.errors.map(e => `${p.metadata.name}: ${e}`));
    messages.push(...r.messages);
  }
  return { denied: denied.sort(), warned: warned.sort(), errors, messages };
}

/**
 * The object with every container's mounts at a path already mounted in that
 * container left out, or undefined when no container repeats a path.
 */
export function withoutEqualMountPaths(obj: any): any | undefined {
  const copy = JSON.parse(JSON.stringify(obj ?? null));
  let changed = false;
  const visit = (x: any): void => {
    if (Array.isArray(x)) {
      x.forEach(visit);
      return;
    }
    if (!x || typeof x !== 'object') return;
    for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
      if (!Array.isArray(x[key])) continue;
      for (const c of x[key]) {
        if (!c || !Array.isArray(c.volumeMounts)) continue;
        const seen = new Set<string>();
        c.volumeMounts = c.volumeMounts.filter((m: any) => {
          if (typeof m?.mountPath !== 'string') return true;
          if (seen.has(m.mountPath)) {
            changed = true;
            return false;
          }
          seen.add(m.mountPath);
          return true;
        });
      }
    }
    Object.values(x).forEach(visit);
  };
  visit(copy);
  return changed ? copy : undefined;
}

/** The lint's verdict restricted to the rules the policies enforce: errors, and warnings not acknowledged. */
export function lintVerdict(obj: any, disabled: readonly string[] = []): Verdict {
  const errorIds = new Set(enforcedRuleIds('error', disabled));
  const warningIds = new Set(enforcedRuleIds('warning', disabled));
  let findings = checkObject(admissionView(obj), { style: MANIFEST_STYLE });
  const distinct = withoutEqualMountPaths(admissionView(obj));
  if (distinct !== undefined) {
    // The API server refuses equal mount paths in one container ("must be unique") before
    // admission, and the policy checks only paths that differ by trailing slashes: BT141 as
    // the policy could ever see it is the lint's BT141 with the equal paths left out.
    const narrowed = checkObject(distinct, { style: MANIFEST_STYLE }).filter(f => f.ruleId === 'BT141');
    findings = [...findings.filter(f => f.ruleId !== 'BT141'), ...narrowed];
  }
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return {
    denied: uniq(findings.filter(f => f.level === 'error' && errorIds.has(f.ruleId)).map(f => f.ruleId)),
    warned: uniq(findings.filter(f => f.level === 'warning' && f.acknowledged === undefined && warningIds.has(f.ruleId)).map(f => f.ruleId)),
  };
}

export interface Disagreement {
  readonly name: string;
  readonly lint: Verdict;
  readonly policy: Verdict;
  readonly errors: string[];
}

export interface Agreement {
  /** Names of the objects both judged. */
  readonly compared: string[];
  /** Objects left out, and why: kinds the policies do not match, or objects the API server would refuse to decode. */
  readonly skipped: Array<{ name: string; reason: string }>;
  /** Where the policies' verdict differs from the lint's, or their evaluation failed. */
  readonly disagreements: Disagreement[];
}

/**
 * Evaluates the policies on every (name, object) as a CREATE in a namespace
 * the policies do not exclude, and compares their verdict with the lint's
 * (checkObject) for every rule the policies enforce: the same rule ids denied
 * by the error policy, the same ids warned by the warning policy.
 *
 * Left out: kinds the policies do not match (Argo Rollout, Knative Service,
 * DeploymentConfig, ...: the lint checks them, admission cannot), and objects
 * that fail the upstream schema (unrendered template values, fractional
 * integers): the API server refuses to decode those before any policy runs.
 */
export function policyAgreesWithLint(
  objs: ReadonlyArray<readonly [string, any]>,
  policies: any[] = buildPolicyObjects(),
  disabled: readonly string[] = [],
): Agreement {
  quietSchemas();
  const compared: string[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  const disagreements: Disagreement[] = [];
  for (const [name, obj] of objs) {
    const res = RESOURCES[obj?.kind];
    if (!res || obj.kind === 'ConfigMap' || (obj.kind === 'Authentication' && !String(obj.apiVersion).startsWith('config.openshift.io/'))) {
      skipped.push({ name, reason: `kind ${obj?.apiVersion}/${obj?.kind} is not matched by the policies` });
      continue;
    }
    let schemaError: string | undefined;
    try {
      schemaError = schemaErrors(admissionView(obj));
    } catch (e) {
      schemaError = (e as Error).message;
    }
    if (!schemaError && withoutEqualMountPaths(admissionView(obj)) !== undefined) {
      schemaError = 'a container mounts two volumes at one mountPath ("must be unique")';
    }
    if (schemaError) {
      skipped.push({ name, reason: `the API server would refuse it before admission: ${schemaError}` });
      continue;
    }
    compared.push(name);
    const lint = lintVerdict(obj, disabled);
    const r = policyVerdict(policies, { object: obj, namespace: 'apps' });
    const policy = { denied: [...new Set(r.denied)].sort(), warned: [...new Set(r.warned)].sort() };
    if (r.errors.length > 0 || JSON.stringify(lint) !== JSON.stringify(policy)) {
      disagreements.push({ name, lint, policy, errors: r.errors });
    }
  }
  return { compared, skipped, disagreements };
}
