// The bridge between the pure rule catalogue (src/rules) and the construct
// tree. Internal: not part of the jsii API.
//
// How a synth runs the rules:
// - cdk8s validates every construct in pre-order, so the root (the App) is
//   validated first. The engine adds one validation to the root: it renders
//   every registered subject once, runs the rules on the plain manifest,
//   applies acknowledgements and strict mode, prints the warnings (once per
//   synth) and keeps each subject's errors.
// - A subject with errors gets a validation of its own (added by the pass,
//   once; cdk8s validates the root first, so it sees it in the same sweep),
//   which returns them, so cdk8s prefixes them with the construct path and
//   fails the synth before anything is written. Subjects without errors get
//   none: thousands of workloads pay nothing for it.
// - One synth (`app.synth()`, `app.synthYaml()`, `chart.toJson()`, which
//   `Testing.synth()` calls) is a "session". cdk8s validates the whole app
//   once per session and again for every chart it writes; inside a session
//   the tree does not change, so the first pass renders each subject once and
//   its results serve every later pass and the write itself: validating does
//   not render any object twice, and warnings print once per synth.
// - Outside a session (a bare `node.validate()` or `obj.toJson()`) nothing is
//   memoized, so a result can never be stale.

import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ackAnnotation, checkObject, CONSTRUCT_STYLE, Finding, findRule, getAt, locatePodSpec, NO_FINDINGS } from './rules';
import { Slot } from './slot';

/** Something the rules check, reported at `construct`'s path. */
export interface Subject {
  readonly construct: IConstruct;
  /** The object whose manifest is checked, if any. */
  readonly apiObject?: ApiObject;
  /** Rule ids this subject leaves to another rule. */
  readonly exclude?: ReadonlySet<string>;
  /** Volumes whose own checks (name, mode, sources) their construct reports. */
  managedVolumes?(): ReadonlySet<string>;
  /** Checks only the construct can do. Receives the rendered manifest, if any. */
  extraFindings?(manifest: any | undefined): Finding[];
  /** Writes an acknowledgement annotation into the construct, for the renders to come. */
  annotate?(key: string, value: string): void;
  /**
   * Checks that must pass before the object can be rendered at all (e.g. two
   * cdk8s-plus volumes with one name make the render throw). An error here
   * skips the render and the other checks of the subject.
   */
  precheck?(): Finding[];
}

/** The context key that turns strict mode on. */
export const STRICT_CONTEXT_KEY = 'cdk8s-bound-tokens:strict';

interface Ack {
  readonly ruleId: string;
  readonly reason: string;
  readonly scope: IConstruct;
}

interface RootState {
  readonly subjects: Subject[];
  /** Errors of the current pass, by construct (only those with errors); consumed by the subject's validation. */
  errors: Map<IConstruct, string[]>;
  /** Acknowledgements that matched a warning in the current pass. */
  used: Set<Ack>;
  /** Hooks that run at the start of every pass (e.g. to discover subjects). */
  readonly passHooks: Array<() => void>;
  /** The session whose pass results `lastErrors` holds (0: none). */
  passSession: number;
  lastErrors: Map<IConstruct, string[]>;
}

const ROOTS = new WeakMap<IConstruct, RootState>();
const ACKS = new WeakMap<IConstruct, Ack[]>();
const STRICT = new WeakSet<IConstruct>();

// --- synth sessions --------------------------------------------------------

let sessionDepth = 0;
let sessionId = 0;
/** Renders kept for the rest of the current session (cleared when it ends). */
const SESSION_MEMO = new Map<ApiObject, any>();

function inSession<T>(fn: () => T): T {
  if (sessionDepth === 0) sessionId++;
  sessionDepth++;
  try {
    return fn();
  } finally {
    sessionDepth--;
    if (sessionDepth === 0) SESSION_MEMO.clear();
  }
}

const PATCHED = Symbol.for('cdk8s-bound-tokens.session');

/**
 * Marks every synth entry point of cdk8s as a session. The prototypes are
 * wrapped (not the instances) so that calls from jsii hosts (Python, Java,
 * ...), which invoke prototype methods, are sessions too. The wrapper only
 * counts; it changes nothing else.
 */
function patchSessions(proto: any, method: string): void {
  const original = proto[method];
  if (typeof original !== 'function' || original[PATCHED]) return;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return inSession(() => original.apply(this, args));
  };
  (wrapped as any)[PATCHED] = true;
  proto[method] = wrapped;
}
patchSessions(App.prototype, 'synth');
patchSessions(App.prototype, 'synthYaml');
patchSessions(Chart.prototype, 'toJson');

// --- rendering -------------------------------------------------------------

interface RenderHook {
  readonly original: () => any;
  /** Keyed transforms; created on first use (most objects have none). */
  transforms?: Map<object, (json: any) => void>;
  /** Run after `transforms` (e.g. annotations that describe the final pod spec). */
  late?: Map<object, (json: any) => void>;
}
const HOOKS = new Slot<RenderHook>('render');

/** The object's `toJson`, taken over once: it answers from the session memo, then applies the transforms. */
function memoizedToJson(this: ApiObject): any {
  if (sessionDepth > 0) {
    const memo = SESSION_MEMO.get(this);
    if (memo !== undefined) return memo;
  }
  return renderWith(this, HOOKS.get(this)!);
}

function hookOf(obj: ApiObject): RenderHook {
  let hook = HOOKS.get(obj);
  if (hook) return hook;
  hook = HOOKS.set(obj, { original: obj.toJson });
  Object.defineProperty(obj, 'toJson', { configurable: true, writable: true, value: memoizedToJson });
  return hook;
}

function renderWith(obj: ApiObject, hook: RenderHook): any {
  const json = hook.original.call(obj);
  if (hook.transforms) for (const t of hook.transforms.values()) t(json);
  if (hook.late) for (const t of hook.late.values()) t(json);
  return json;
}

/**
 * Adds a step that edits the object's rendered JSON on every render (for
 * validation and for the write alike), once per `key`. Transforms run in the
 * order they were added; `late` ones after all others.
 */
export function addRenderTransform(obj: ApiObject, key: object, transform: (json: any) => void, late = false): void {
  const hook = hookOf(obj);
  const map = late ? (hook.late ??= new Map()) : (hook.transforms ??= new Map());
  if (!map.has(key)) map.set(key, transform);
}

/** Renders an object afresh (with its transforms), never from or into the memo. */
export function renderManifest(obj: ApiObject): any {
  return renderWith(obj, hookOf(obj));
}

function stateOf(c: IConstruct): RootState {
  const root = c.node.root;
  let state = ROOTS.get(root);
  if (!state) {
    const s: RootState = {
      subjects: [],
      errors: new Map(),
      used: new Set(),
      passHooks: [],
      passSession: 0,
      lastErrors: new Map(),
    };
    state = s;
    ROOTS.set(root, s);
    root.node.addValidation({ validate: () => runPass(s) });
  }
  return state;
}

const SUBJECT = new Slot<Subject>('subject');

/** A subject's own validation: it returns the errors the root's pass found for it. */
class SubjectValidation {
  constructor(private readonly state: RootState, private readonly subject: Subject) {}

  public validate(): string[] {
    const errors = this.state.errors.get(this.subject.construct);
    if (errors) {
      this.state.errors.delete(this.subject.construct);
      return errors;
    }
    // the root's pass of this synth found nothing for it
    if (sessionDepth > 0 && this.state.passSession === sessionId) return [];
    // validated on its own, outside a synth: evaluate afresh
    for (const hook of this.state.passHooks) hook();
    return evaluate(this.subject, this.state, []).errors;
  }
}

const VALIDATED = new Slot<true>('validated');

/** Gives a subject its own validation, once (see the top of this file). */
function attachValidation(state: RootState, subject: Subject): void {
  if (VALIDATED.has(subject.construct)) return;
  VALIDATED.set(subject.construct, true);
  subject.construct.node.addValidation(new SubjectValidation(state, subject));
}

/** Registers a subject once (by construct); the root's pass checks it. */
export function registerSubject(subject: Subject): Subject {
  const existing = SUBJECT.get(subject.construct);
  if (existing) return existing;
  const state = stateOf(subject.construct);
  state.subjects.push(subject);
  SUBJECT.set(subject.construct, subject);
  return subject;
}

/** The subject registered for a construct, if any. */
export function subjectOf(c: IConstruct): Subject | undefined {
  return SUBJECT.get(c);
}

/** Runs `hook` at the start of every validation pass of `c`'s app. */
export function onPass(c: IConstruct, key: object, hook: () => void): void {
  const state = stateOf(c);
  const k = key as any;
  if (k.__boundTokensHooked) return;
  k.__boundTokensHooked = true;
  state.passHooks.push(hook);
}

/** Runs the pass hooks of `c`'s app now (e.g. before a report that must see the final tree). */
export function runPassHooks(c: IConstruct): void {
  for (const hook of stateOf(c).passHooks) hook();
}

/** The subjects registered at or below `scope`, in registration order. */
export function subjectsUnder(scope: IConstruct): Subject[] {
  const state = stateOf(scope);
  return state.subjects.filter(s => s.construct === scope || s.construct.node.scopes.includes(scope));
}

/**
 * Renders an object for validation. Inside a session the render is kept and
 * serves every later pass and the write; outside one it is not kept.
 */
export function renderForValidation(obj: ApiObject): any {
  const hook = hookOf(obj);
  if (sessionDepth === 0) return renderWith(obj, hook);
  const memo = SESSION_MEMO.get(obj);
  if (memo !== undefined) return memo;
  const json = renderWith(obj, hook);
  SESSION_MEMO.set(obj, json);
  return json;
}

function runPass(state: RootState): string[] {
  if (sessionDepth > 0 && state.passSession === sessionId) {
    // a later pass of the same synth: the tree has not changed since the first
    state.errors = new Map(state.lastErrors);
    return [];
  }
  for (const hook of state.passHooks) hook();
  state.errors = new Map();
  state.used = new Set();
  const warnings: string[] = [];
  const subjects = state.subjects.slice();
  for (let i = 0; i < subjects.length; i++) {
    const subject = subjects[i];
    const r = evaluate(subject, state, warnings);
    if (r.errors.length > 0) {
      state.errors.set(subject.construct, r.errors);
      attachValidation(state, subject);
    }
  }
  state.lastErrors = new Map(state.errors);
  state.passSession = sessionDepth > 0 ? sessionId : 0;
  const printed = new Set<string>();
  for (const w of warnings) {
    if (printed.has(w)) continue;
    printed.add(w);
    console.warn(`[cdk8s-bound-tokens] Warning: ${w}`);
  }
  return [];
}

const CLEAN: { readonly errors: string[] } = Object.freeze({ errors: Object.freeze([]) as unknown as string[] });

function evaluate(subject: Subject, state: RootState, warnings: string[]): { errors: string[] } {
  // (written for the common case, thousands of workloads with nothing to
  // report: it allocates nothing of its own then)
  let findings: Finding[] = subject.precheck ? subject.precheck() : NO_FINDINGS;
  let blocked = false;
  for (let i = 0; i < findings.length; i++) if (findings[i].level === 'error') blocked = true;
  const manifest = subject.apiObject && !blocked ? renderForValidation(subject.apiObject) : undefined;
  if (manifest) {
    const found = checkObject(manifest, { style: CONSTRUCT_STYLE, managedVolumes: subject.managedVolumes?.() });
    if (found.length > 0) findings = findings.length > 0 ? findings.concat(found) : found;
  }
  if (!blocked && subject.extraFindings) {
    const extra = subject.extraFindings(manifest);
    if (extra.length > 0) findings = findings.concat(extra.filter(f => findRule(f.ruleId)?.scope !== 'manifest'));
  }
  if (findings.length === 0) return CLEAN;
  if (subject.exclude && subject.exclude.size > 0) {
    findings = findings.filter(f => !subject.exclude!.has(f.ruleId));
  }
  const acks = acksFor(subject.construct);
  const strict = isStrict(subject.construct);
  const errors: string[] = [];
  const path = subject.construct.node.path;
  for (const f of findings) {
    if (f.level === 'warning') {
      const ack = acks.get(f.ruleId);
      if (ack) {
        state.used.add(ack);
        const key = ackAnnotation(f.ruleId);
        subject.annotate?.(key, ack.reason);
        if (manifest) annotateManifest(manifest, key, ack.reason);
        continue;
      }
      if (f.acknowledged !== undefined) continue;
      if (strict) {
        errors.push(`${f.message} (a warning, made an error by strict mode)`);
      } else {
        warnings.push(`[${path}] ${f.message}`);
      }
    } else {
      errors.push(f.message);
    }
  }
  return { errors };
}

/** Adds an annotation to a rendered manifest and its pod template, keeping keys sorted as cdk8s does. */
function annotateManifest(manifest: any, key: string, value: string): void {
  const put = (meta: any) => {
    if (!meta || typeof meta !== 'object') return;
    const annotations = { ...(meta.annotations ?? {}), [key]: value };
    meta.annotations = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  };
  if (!manifest.metadata) manifest.metadata = {};
  put(manifest.metadata);
  const loc = locatePodSpec(manifest);
  if (loc && loc.templateMetadataPath) {
    const parentPath = loc.templateMetadataPath.replace(/\/metadata$/, '');
    const template = getAt(manifest, parentPath);
    if (template && typeof template === 'object') {
      if (!template.metadata) template.metadata = {};
      put(template.metadata);
    }
  }
}

/** The acknowledgements in force for a construct: the nearest scope wins. */
function acksFor(c: IConstruct): Map<string, Ack> {
  const out = new Map<string, Ack>();
  for (const scope of c.node.scopes) {
    for (const ack of ACKS.get(scope) ?? []) out.set(ack.ruleId, ack);
  }
  return out;
}

function isStrict(c: IConstruct): boolean {
  const ctx = c.node.tryGetContext(STRICT_CONTEXT_KEY);
  if (ctx === true || ctx === 'true') return true;
  return c.node.scopes.some(s => STRICT.has(s));
}

export function setStrict(scope: IConstruct): void {
  STRICT.add(scope);
}

/** Records an acknowledgement; an acknowledgement that matches nothing fails the synth. */
export function addAcknowledgement(scope: IConstruct, ruleId: string, reason: string): void {
  const state = stateOf(scope);
  const list = ACKS.get(scope) ?? [];
  const existing = list.findIndex(a => a.ruleId === ruleId);
  const ack: Ack = { ruleId, reason, scope };
  if (existing >= 0) list[existing] = ack; else list.push(ack);
  if (!ACKS.has(scope)) {
    ACKS.set(scope, list);
    scope.node.addValidation({
      validate: () => (ACKS.get(scope) ?? [])
        .filter(a => !state.used.has(a))
        .map(a => `${a.ruleId}: the acknowledgement of ${a.ruleId} ('${a.reason}') matches no warning of this construct or its children; remove it`),
    });
  }
}
