// Where a validation sweep of cdk8s comes from, read off the call stack (once
// per sweep, not per construct). Internal.
//
// `app.synth()` validates the whole app (the first sweep), then resolves the
// dependencies between charts and, for each chart it writes, validates the
// whole app again (`Chart.toJson()`) before rendering the chart. Between the
// first sweep and the sweep before the FIRST chart is rendered, only cdk8s's
// own code runs (the dependency resolution, which adds dependencies and
// nothing the rules read): that sweep sees the app the first one saw, so its
// verdict is the first one's. The sweeps before later charts come after a
// chart has been rendered (Lazy values and `toJson()` overrides, which are
// user code) and are made in full, as is every sweep that does not come from
// `App.synth()` (`Testing.synth()`, a `chart.toJson()` of the user's, a bare
// `node.validate()`).
//
// The stack is read as structured frames (V8's CallSite API): a frame counts
// only if its file is cdk8s's own `lib/app.js` or `lib/chart.js` and its
// function has the name cdk8s gives it. Anything else (another runtime, a
// bundled cdk8s, a future cdk8s that synthesizes differently) reads as
// `'other'`: a sweep in full, as before.
//
// The validations of a sweep run after the library's own (it is on the
// root, which cdk8s validates first), so a validation that changes the app
// would change it after the first sweep's verdict: the verdict is reused
// only when every validation in the app is the library's own (marked with
// LIBRARY_VALIDATION; cdk8s and most apps add none, cdk8s-plus adds a few
// to HPAs and Ingresses, which then get every sweep in full).

import { IConstruct } from 'constructs';

/** `'synth'`: the first sweep of `App.synth()`; `'chart'`: a sweep of `App.synth()` before it writes a chart; `'other'`: anything else. */
export type SweepOrigin = 'synth' | 'chart' | 'other';

const APP_JS = /[\\/]cdk8s[\\/]lib[\\/]app\.js$/;
const CHART_JS = /[\\/]cdk8s[\\/]lib[\\/]chart\.js$/;

interface Frame {
  readonly fn: string;
  readonly file: string;
}

function frames(below: Function): Frame[] {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  try {
    Error.stackTraceLimit = 24;
    Error.prepareStackTrace = (_e, sites) => sites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    const sites = holder.stack;
    if (!Array.isArray(sites)) return [];
    return sites.map((s: NodeJS.CallSite) => ({ fn: s.getFunctionName() ?? s.getMethodName() ?? '', file: s.getFileName() ?? '' }));
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * Where the sweep that is calling `below` (a validation of the app's root)
 * comes from. The frames above the root's validation are cdk8s's
 * `validate(app)` in `app.js`, then either `synth` (the first sweep) or
 * `_synthChart` called by `Chart.toJson()` (overrides of `toJson` in between
 * allowed) called by `synth`.
 */
export function sweepOrigin(below: Function): SweepOrigin {
  const fs = frames(below);
  const v = fs.findIndex(f => f.fn === 'validate' && APP_JS.test(f.file));
  if (v < 0) return 'other';
  const caller = fs[v + 1];
  if (!caller) return 'other';
  if (caller.fn === 'synth' && APP_JS.test(caller.file)) return 'synth';
  if (!(caller.fn === '_synthChart' && APP_JS.test(caller.file))) return 'other';
  let i = v + 2;
  if (!(fs[i] && fs[i].fn === 'toJson' && CHART_JS.test(fs[i].file))) return 'other';
  // a Chart subclass's toJson() calling super.toJson()
  while (fs[i + 1] && fs[i + 1].fn === 'toJson') i++;
  const top = fs[i + 1];
  return top && top.fn === 'synth' && APP_JS.test(top.file) ? 'chart' : 'other';
}

/** Marks a validation object as the library's own (it reads the app and changes nothing). */
export const LIBRARY_VALIDATION = Symbol.for('cdk8s-bound-tokens.validation');

/** Marks `v` as the library's own validation; returns it. */
export function libraryValidation<T extends object>(v: T): T {
  (v as any)[LIBRARY_VALIDATION] = true;
  return v;
}

/**
 * True when every validation of every construct under `root` is the
 * library's own (read from the constructs' private list of validations;
 * should a release of constructs rename it, nothing counts as the
 * library's, and every sweep runs in full).
 */
export function onlyLibraryValidations(root: IConstruct): boolean {
  for (const c of root.node.findAll()) {
    const validations = (c.node as any)._validations;
    if (!Array.isArray(validations)) return false;
    for (let i = 0; i < validations.length; i++) if (validations[i]?.[LIBRARY_VALIDATION] !== true) return false;
  }
  return true;
}
