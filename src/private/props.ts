// The runtime types of the props of every public construct and preset.
// Internal: not part of the jsii API.
//
// TypeScript checks the props only at compile time; plain JavaScript, `any`
// and JSON configuration reach the constructors with any value. Each public
// entry point checks its props here first and answers a wrong type with
// BT230, the construct path, the prop and the value received, never a
// TypeError from deep inside.
//
// A value that cdk8s resolves later (a `Lazy`, an implicit token with a
// `resolve()` method, a string holding an AWS CDK token `${Token[...]}` that
// an App resolver such as cdk8s-awscdk-resolver replaces) is accepted where
// it is given. The checks that read it run once it is resolved, with the
// App's resolvers (`known()` within `resolvingWith()`), under the same rule
// ids; a value still unresolved then, or resolved to the wrong type, is
// BT231.
import { ApiObject, Duration, Lazy, resolve } from 'cdk8s';
import { IConstruct } from 'constructs';
import { escapeControl, Finding, finding, POD_CERTIFICATE_KEY_TYPES, R, show } from '../rules';

/** What a check says about a value: undefined when it fits, else what was expected ("a string"). */
export type Check = (value: unknown) => string | undefined;

/** The checks of an object's props, by prop name. */
export interface Shape {
  readonly [prop: string]: Check;
}

const AWS_TOKEN = /\$\{Token\[[^\]]*\]\}/;

/** True for a value that cdk8s resolves later: a Lazy, an implicit token, a string with an AWS CDK token. */
export function isDeferred(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${Token[') && AWS_TOKEN.test(value);
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Lazy) return true;
  return typeof (value as any).resolve === 'function' && !isDuration(value);
}

/** A Duration of any copy of cdk8s (checked by shape, not by class). */
export function isDuration(value: unknown): value is Duration {
  return value instanceof Duration
    || (typeof value === 'object' && value !== null && typeof (value as any).toMilliseconds === 'function' && typeof (value as any).toSeconds === 'function');
}

function plainObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string, or a value resolved later to one (a Lazy too: for values cdk8s renders as they are, e.g. a token's path and audience). */
export const lazyStr: Check = v => (typeof v === 'string' || isDeferred(v) ? undefined : 'a string');
/**
 * A string, or an App resolver's token string (`${Token[...]}`), but not a
 * Lazy or other object: for values written into environment variables and
 * annotations, which cdk8s-plus turns into text ('[object Object]').
 */
export const str: Check = v => (typeof v === 'string' ? undefined
  : isDeferred(v) ? "a string: a Lazy cannot be written into an environment variable or annotation (it would be '[object Object]'); pass the value through an App resolver instead"
    : 'a string');
/** A number (its range is another rule's). */
export const num: Check = v => (typeof v === 'number' ? undefined : 'a number');
/** true or false. */
export const bool: Check = v => (typeof v === 'boolean' ? undefined : 'true or false');
/** A cdk8s Duration. */
export const duration: Check = v => (isDuration(v) ? undefined : 'a Duration (e.g. Duration.hours(1))');
/** One of these strings (an enum). */
export function oneOf(name: string, values: readonly string[]): Check {
  return v => (typeof v === 'string' && values.includes(v) ? undefined : `one of ${name} (${values.map(x => `'${x}'`).join(', ')})`);
}
/** An instance made by the library or cdk8s, recognised by `is`. */
export function instance(name: string, is: (v: unknown) => boolean): Check {
  return v => (is(v) ? undefined : name);
}
/** Anything (checked elsewhere, e.g. the props of cdk8s-plus). */
export const anything: Check = () => undefined;

/** How `arrayOf`, `shape` and `stringMap` check what is inside a value. */
const NESTED = new WeakMap<Check, (v: unknown, prop: string, out: Array<[string, string, unknown]>) => boolean>();
/**
 * How they tell that everything inside a value fits, naming nothing: the
 * common case, answered without making the name of every prop and item
 * (`tokens[0].audience`) that only a problem needs.
 */
const FITS = new WeakMap<Check, (v: any) => boolean>();

function fits(check: Check, value: unknown): boolean {
  if (value === undefined) return true;
  if (check(value) !== undefined) return false;
  const inner = FITS.get(check);
  return inner === undefined || inner(value);
}

function shapeFits(props: { [key: string]: unknown }, spec: Shape, required: readonly string[]): boolean {
  for (let i = 0; i < required.length; i++) if (props[required[i]] === undefined) return false;
  for (const p in spec) if (!fits(spec[p], props[p])) return false;
  return true;
}

/** A list whose items pass `item` (with `nonEmpty`, at least one). */
export function arrayOf(item: Check, what: string, nonEmpty?: string): Check {
  const check: Check = v => (Array.isArray(v) && !(nonEmpty && v.length === 0) ? undefined
    : nonEmpty ? `a non-empty list of ${what} (${nonEmpty})` : `a list of ${what}`);
  NESTED.set(check, (v, prop, out) => {
    if (!Array.isArray(v)) return false;
    v.forEach((x, i) => checkValue(item, x, `${prop}[${i}]`, out));
    return true;
  });
  FITS.set(check, (v: unknown[]) => {
    for (let i = 0; i < v.length; i++) if (!fits(item, v[i])) return false;
    return true;
  });
  return check;
}

/** An object whose props pass `spec` (props not in the spec are left alone). */
export function shape(what: string, spec: Shape, required: readonly string[] = []): Check {
  const check: Check = v => (plainObject(v) && !isDuration(v) ? undefined : what);
  NESTED.set(check, (v, prop, out) => {
    if (!plainObject(v)) return false;
    checkShape(v, spec, required, prop, out);
    return true;
  });
  FITS.set(check, v => shapeFits(v, spec, required));
  return check;
}

/** A map of strings to strings. */
export function stringMap(what: string): Check {
  const check: Check = v => (plainObject(v) ? undefined : what);
  NESTED.set(check, (v, prop, out) => {
    if (!plainObject(v)) return false;
    for (const [k, x] of Object.entries(v)) checkValue(str, x, `${prop}.${k}`, out);
    return true;
  });
  FITS.set(check, v => {
    for (const k in v) if (!fits(str, v[k])) return false;
    return true;
  });
  return check;
}

function checkValue(check: Check, value: unknown, prop: string, out: Array<[string, string, unknown]>): void {
  if (value === undefined) return;
  const expected = check(value);
  if (expected !== undefined) {
    out.push([prop, expected, value]);
    return;
  }
  NESTED.get(check)?.(value, prop, out);
}

type Problems = Array<[string, string, unknown]>;

function checkShape(props: { [key: string]: unknown }, spec: Shape, required: readonly string[], prefix: string, out: Problems): void {
  const at = (p: string) => (prefix === '' ? p : `${prefix}.${p}`);
  for (const p of required) {
    if (props[p] === undefined) out.push([at(p), `${describe(spec[p])} (it is required)`, undefined]);
  }
  for (const [p, check] of Object.entries(spec)) checkValue(check, props[p], at(p), out);
}

/** What a check expects, for a missing required prop. */
function describe(check: Check): string {
  return check(Symbol('missing')) ?? 'a value';
}

/**
 * The BT230 findings of a props object: not an object at all, a required prop
 * missing, or a prop of the wrong type (nested props and list items named
 * `tokens[0].audience`).
 */
export function propFindings(props: unknown, spec: Shape, required: readonly string[] = [], what = 'props'): Finding[] {
  if (props === undefined && required.length === 0) return [];
  if (!plainObject(props)) {
    return [finding(R.PROP_TYPE, '', what, `must be an object with ${required.length ? `at least ${required.map(r => `'${r}'`).join(', ')}` : 'the documented props'}`, show(props))];
  }
  if (shapeFits(props, spec, required)) return [];
  const out: Array<[string, string, unknown]> = [];
  checkShape(props, spec, required, '', out);
  return out.map(([prop, expected, value]) => finding(R.PROP_TYPE, '', prop, `must be ${expected}`, typeof value === 'function' ? 'a function' : show(value)));
}

/**
 * Throws the BT230 findings of `props` as one error: `where` (a construct
 * path in brackets, or a preset's class name) and one line per finding.
 */
export function checkProps(where: Where, props: unknown, spec: Shape, required: readonly string[] = [], what = 'props'): void {
  throwErrors(where, propFindings(props, spec, required, what));
}

/**
 * Throws the error-level findings as one error, in the shape of `checkProps`
 * (`where`, then one line per finding): for the rules about one prop, which a
 * constructor checks where the prop is given. Warnings are left to the synth
 * (they can be acknowledged).
 */
export function throwErrors(where: Where, found: readonly Finding[]): void {
  if (found.length === 0) return;
  const errors = found.filter(f => f.level === 'error');
  if (errors.length === 0) return;
  const at = whereText(where);
  throw new Error(`${escapeControl(at)} ${errors.map(f => escapeControl(f.message)).join(`\n${' '.repeat(at.length + 1)}`)}`);
}

/**
 * Where an error is thrown from (`[path] method(...)`), for its message: a
 * string, or a function that makes it only when an error needs it (a
 * construct path is built from every scope, and an app binds thousands of
 * workloads without an error).
 */
export type Where = string | (() => string);

/** The text of a `Where`. */
export function whereText(where: Where): string {
  return typeof where === 'string' ? where : where();
}

/** `[path]` of the construct `id` that is about to be created in `scope` (before super()). */
export function pathOf(scope: IConstruct | undefined, id: string): string {
  const parent = (scope as any)?.node?.path;
  return `[${parent ? `${parent}/${id}` : id}]`;
}

// --- values resolved later ---------------------------------------------------

/** Stands for a value that is not resolved yet: the checks that read it wait. */
export const NOT_YET = Symbol('not resolved yet');

let resolver: ApiObject | undefined;

/**
 * Runs `f` with the App of `obj` resolving the values `known()` reads: its
 * resolvers, as cdk8s runs them when it writes `obj` (at validation, so that
 * a value that resolves wrong fails before anything is written).
 */
export function resolvingWith<T>(obj: ApiObject | undefined, f: () => T): T {
  const before = resolver;
  resolver = obj;
  try {
    return f();
  } finally {
    resolver = before;
  }
}

/**
 * A value as the checks may read it: itself when it is not resolved later;
 * within `resolvingWith()` its resolution; outside, NOT_YET.
 */
export function known(value: unknown): unknown {
  if (!isDeferred(value)) return value;
  if (!resolver) return NOT_YET;
  return resolve([], value, resolver);
}

/**
 * The findings of `check` on a value resolved later: none while it is not
 * resolved; BT231 when it resolves to something `type` refuses or is still
 * an unresolved token; else the check's own.
 */
export function checkKnown(value: unknown, prop: string, type: Check, check: (v: any) => Finding[]): Finding[] {
  const v = known(value);
  if (v === NOT_YET) return [];
  if (v === value && !isDeferred(value)) return check(v);
  if (isDeferred(v) || type(v) !== undefined) {
    const problem = isDeferred(v)
      ? 'is still unresolved when the manifest is written (no resolver of the App resolves it)'
      : `resolved to a value that is not ${type(v)}`;
    return [finding(R.PROP_UNRESOLVED, '', prop, problem, typeof v === 'function' ? 'a function' : show(v))];
  }
  return check(v);
}

/** The ApiObject of a construct whose values are resolved (itself, or its `Resource` child). */
export function apiObjectOf(c: IConstruct | undefined): ApiObject | undefined {
  if (!c) return undefined;
  if (ApiObject.isApiObject(c)) return c;
  const child = c.node.tryFindChild('Resource');
  if (child && ApiObject.isApiObject(child)) return child;
  return c.node.children.find(ApiObject.isApiObject) as ApiObject | undefined;
}

/** A value for a message: nested values are shown as `show` does, functions as 'a function'. */
export function shown(value: unknown): string {
  return typeof value === 'function' ? 'a function' : show(value);
}

/**
 * The findings of `check` on props whose string values may be resolved
 * later: `sample` names those props with a value the check accepts. A prop
 * not resolved yet is checked as its sample and its own findings are left
 * out (it is checked when the workload is validated, within
 * `resolvingWith()`); one that resolves to something other than a string,
 * or stays unresolved, is BT231.
 */
export function checkResolved<T extends object>(
  props: T, sample: { readonly [K in keyof T]?: string }, check: (p: T, pending: ReadonlySet<string>) => Finding[],
): Finding[] {
  const values: any = { ...props };
  const pending = new Set<string>();
  const out: Finding[] = [];
  for (const key of Object.keys(sample)) {
    const raw = (props as any)[key];
    if (!isDeferred(raw)) continue;
    const found = checkKnown(raw, key, lazyStr, () => []);
    const v = known(raw);
    if (v === NOT_YET || found.length > 0) {
      out.push(...found);
      pending.add(key);
      values[key] = (sample as any)[key];
    } else {
      values[key] = v;
    }
  }
  for (const f of check(values, pending)) {
    if (![...pending].some(k => f.message.startsWith(`${f.ruleId}: '${k}'`))) out.push(f);
  }
  return out;
}

// --- the shapes the public props share ------------------------------------------

/** A ServiceAccountTokenProjection. */
export const TOKEN = shape('a token ({ path, audience?, expiration? })', { path: lazyStr, audience: lazyStr, expiration: duration }, ['path']);

/** A ClusterTrustBundleProjection. */
export const TRUST_BUNDLE = shape('a trust bundle ({ path, name?, signerName?, labelSelector?, optional? })', {
  path: str, name: str, signerName: str, labelSelector: stringMap('a map of label keys to values'), optional: bool,
}, ['path']);

/** A PodCertificateProjection. */
export const POD_CERTIFICATE = shape('a pod certificate ({ signerName, keyType, maxExpiration?, credentialBundlePath?, keyPath?, certificateChainPath?, userAnnotations? })', {
  signerName: str,
  keyType: oneOf('PodCertificateKeyType', POD_CERTIFICATE_KEY_TYPES),
  maxExpiration: duration,
  credentialBundlePath: str,
  keyPath: str,
  certificateChainPath: str,
  userAnnotations: stringMap('a map of annotation keys to values'),
}, ['signerName', 'keyType']);

/** GitOpsOptions. */
export const GITOPS = shape('GitOps options ({ argoCd?, flux?, syncWave?, restartSyncWave? })', {
  argoCd: bool, flux: bool, syncWave: num, restartSyncWave: num,
});

/** IssuerRestartOptions. */
export const RESTART_OPTIONS: Shape = {
  method: oneOf('RestartMethod', ['rollout', 'delete-pods']),
  namespaces: arrayOf(str, 'namespace names'),
  excludeNamespaces: arrayOf(str, 'namespace names or patterns'),
  pauseBetweenNamespaces: duration,
  waitTimeout: duration,
  pollInterval: duration,
  confirmations: num,
  image: str,
  namespace: str,
  createNamespace: bool,
};

/** TokenMountOptions. */
export const MOUNT_OPTIONS: Shape = {
  mountPath: str,
  containers: arrayOf(str, 'container names', 'omit it to mount into every container and init container'),
  envVars: arrayOf(shape('an env var ({ name, tokenPath })', { name: str, tokenPath: str }, ['name', 'tokenPath']), 'env vars ({ name, tokenPath })'),
  rotationAnnotations: bool,
};
