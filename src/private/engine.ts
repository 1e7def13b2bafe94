// The bridge between the pure rule catalogue (src/rules) and the construct
// tree. Internal: not part of the jsii API.
//
// How a synth runs the rules:
// - cdk8s validates every construct in pre-order, so the root (the App) is
//   validated first: the engine adds one validation to the root. It runs the
//   pass hooks (the discovery of workloads that mount a library volume with
//   plain `container.mount`), evaluates every registered subject, applies
//   acknowledgements and strict mode, prints the warnings and keeps each
//   subject's errors for the subject's own validation, which cdk8s calls
//   later in the same sweep and which returns them, so cdk8s prefixes them
//   with the construct path and fails the synth before anything is written.
//   A subject gets its own validation from the first pass that finds an
//   error in it (cdk8s reads a construct's validations when it reaches the
//   construct, after the root): the thousands of clean subjects of an app
//   carry none, which is memory every garbage collection of the synth walks.
// - Validation changes no construct; it records its outcome as data (the
//   acknowledgements that matched a warning of each subject; a workload's
//   token rotation), which the annotations describing the manifest read when
//   it renders (`fromRecord`): they never run the rules. While the rules read
//   the app, the outcome is not known yet, so those annotations are absent
//   from what they read. Errors are kept only until the subject's own
//   validation of the same sweep returns them; a subject with a validation
//   that is validated on its own (a bare `node.validate()`) is evaluated
//   afresh.
// - cdk8s validates the whole app once per `app.synth()` and again before
//   every chart it writes (and once per `chart.toJson()` / `Testing.synth()`).
//   The sweep before the first chart of an `app.synth()` only repeats the
//   first one (only cdk8s ran in between), so it reuses the first one's
//   verdict instead of running the rules again, when the first found no
//   error and every validation in the app is the library's own
//   (./synth-sweep.ts tells the sweeps apart); every other sweep runs them. A warning would print once
//   per pass: warnings are printed once per app and
//   JavaScript task: the set of printed lines lives on the root, under a
//   global symbol (so two copies of this library in one process share it),
//   and is emptied when the task ends. It decides only what is printed,
//   never a result.
// - Nothing of cdk8s or cdk8s-plus is patched or wrapped.

import { ApiObject, Lazy } from 'cdk8s';
import { IConstruct } from 'constructs';
import { printOnce } from './print-once';
import { rootOf, Slot } from './slot';
import { constructFindings, renderedFindings } from './subject-findings';
import { libraryValidation, onlyLibraryValidations, sweepOrigin } from './synth-sweep';
import { ackAnnotation, escapeControl, Finding } from '../rules';

/** Something the rules check, reported at `construct`'s path. */
export interface Subject {
  readonly construct: IConstruct;
  /** Rule ids this subject leaves to another rule. */
  readonly exclude?: ReadonlySet<string>;
  /** The findings of the subject as it is now. Reads only. */
  findings(): Finding[];
  /** Called once for every acknowledgement in force for the subject (now or added later). */
  acknowledged?(ruleId: string, key: string, value: () => string | undefined): void;
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
  /** Results of the current sweep's pass for the subjects with a validation of their own, consumed by it. */
  pending: Map<Subject, string[]>;
  /** The subjects given a validation of their own (by a pass that found an error in them). */
  readonly validated: Set<Subject>;
  /** Whether any scope of the app has an acknowledgement (most apps have none, and every subject registered asks). */
  acks: boolean;
  /** Acknowledgements that matched a warning in the last pass. */
  used: Set<Ack>;
  /** Hooks that run at the start of every pass (e.g. to discover subjects). */
  readonly passHooks: Array<() => void>;
  readonly hookKeys: Set<object>;
  /** > 0 while the rules read the app (a pass, a fresh evaluation): the outcome being made is not known yet. */
  reading: number;
  /** Passes made so far (reused ones included). */
  passes: number;
  /** The last pass, if it was the first sweep of an `App.synth()` and found no error: its number and how many subjects it checked. */
  synthPass?: { readonly no: number; readonly subjects: number };
}

const ROOTS = new Slot<RootState>('engine');
const ACKS = new Slot<Ack[]>('acks');
const STRICT = new Slot<true>('strict');
/** On an app's root: some scope of the app is strict (asked of every subject with findings, every pass). */
const STRICT_IN_APP = new Slot<true>('strict-in-app');
const SUBJECT = new Slot<Subject>('subject');
const NOTIFIED = new Slot<Set<Ack>>('notified');
/** The outcome of a subject's last evaluation: the acknowledgements that matched a warning of it. */
const ACKED = new Slot<ReadonlySet<Ack>>('acked');
const NONE_ACKED: ReadonlySet<Ack> = new Set();

function stateOf(c: IConstruct): RootState {
  const root = rootOf(c);
  let state = ROOTS.get(root);
  if (!state) {
    const s: RootState = {
      subjects: [],
      pending: NO_PENDING,
      used: new Set(),
      validated: new Set(),
      acks: false,
      passHooks: [],
      hookKeys: new Set(),
      reading: 0,
      passes: 0,
    };
    state = ROOTS.set(root, s);
    root.node.addValidation(libraryValidation({ validate: () => runPass(s, root) }));
  }
  return state;
}

const NO_PENDING: Map<Subject, string[]> = new Map();

/** A subject's own validation: the errors the root's pass found for it, or a fresh evaluation. */
class SubjectValidation {
  constructor(private readonly state: RootState, private readonly subject: Subject) {}

  public validate(): string[] {
    const errors = this.state.pending.get(this.subject);
    if (errors) {
      const pending = this.state.pending;
      pending.delete(this.subject);
      // (a drained map still holds its table: let it go)
      if (pending.size === 0) this.state.pending = NO_PENDING;
      return errors;
    }
    for (const hook of this.state.passHooks) hook();
    return reading(this.state, () => evaluate(this.subject, this.state, []));
  }
}

/** Runs `read` (the rules reading subjects) with the app's recorded outcome left out (see the top of this file). */
function reading<T>(state: RootState, read: () => T): T {
  state.reading++;
  try {
    return read();
  } finally {
    state.reading--;
  }
}

/**
 * A value (an annotation) read from the record of `c`'s app when the object
 * renders: what `read` returns, or nothing while the rules read the app.
 */
export function fromRecord(c: IConstruct, read: () => string | undefined): string {
  const state = stateOf(c);
  return Lazy.any({ produce: () => (state.reading > 0 ? undefined : read()) }) as unknown as string;
}

/** The same for a value that JSON patches hold (its `toJSON()` is read when the patch applies). */
export function recordedJson(c: IConstruct, read: () => unknown): { toJSON(): unknown } {
  const state = stateOf(c);
  return { toJSON: () => (state.reading > 0 ? undefined : read()) };
}

/** Registers a subject once (by construct); the root's pass checks it. */
export function registerSubject<T extends Subject>(subject: T): T {
  const existing = SUBJECT.get(subject.construct);
  if (existing) return existing as T;
  const state = stateOf(subject.construct);
  state.subjects.push(subject);
  SUBJECT.set(subject.construct, subject);
  if (state.acks) for (const scope of subject.construct.node.scopes) for (const ack of ACKS.get(scope) ?? []) notify(subject, ack);
  return subject;
}


/** Runs `hook` at the start of every validation pass of `c`'s app, once per `key`. */
export function onPass(c: IConstruct, key: object, hook: () => void): void {
  const state = stateOf(c);
  if (state.hookKeys.has(key)) return;
  state.hookKeys.add(key);
  state.passHooks.push(hook);
}

/** Runs the pass hooks of `c`'s app now (e.g. before a report that must see the final tree). */
export function runPassHooks(c: IConstruct): void {
  // (an app the library has not seen has no hooks: nothing is set up for it)
  for (const hook of ROOTS.get(c.node.root)?.passHooks ?? []) hook();
}

/** The subjects registered at or below `scope`, in registration order. */
export function subjectsUnder(scope: IConstruct): Subject[] {
  return stateOf(scope).subjects.filter(s => s.construct === scope || s.construct.node.scopes.includes(scope));
}

function runPass(state: RootState, root: IConstruct): string[] {
  const no = ++state.passes;
  const origin = sweepOrigin(runPass);
  const subjects = state.subjects;
  const first = state.synthPass;
  state.synthPass = undefined;
  if (origin === 'chart' && first && first.no === no - 1 && first.subjects === subjects.length && onlyLibraryValidations(root)) {
    // the sweep before `App.synth()` writes its first chart: only cdk8s ran
    // since its first sweep, which found no error (see synth-sweep.ts), and
    // so its verdict stands: every subject's own validation returns nothing
    const pending = new Map<Subject, string[]>();
    for (const subject of state.validated) pending.set(subject, CLEAN);
    state.pending = pending.size > 0 ? pending : NO_PENDING;
    return [];
  }
  for (const hook of state.passHooks) hook();
  const pending = new Map<Subject, string[]>();
  state.used = new Set();
  const warnings: string[] = [];
  let clean = true;
  reading(state, () => {
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[i];
      const errors = evaluate(subject, state, warnings);
      if (errors !== CLEAN) {
        clean = false;
        if (!state.validated.has(subject)) {
          state.validated.add(subject);
          subject.construct.node.addValidation(libraryValidation(new SubjectValidation(state, subject)));
        }
      }
      if (state.validated.has(subject)) pending.set(subject, errors);
    }
  });
  state.pending = pending.size > 0 ? pending : NO_PENDING;
  if (origin === 'synth' && clean) state.synthPass = { no, subjects: subjects.length };
  if (warnings.length > 0) printOnce(subjects[0].construct.node.root, warnings);
  return [];
}

const CLEAN: string[] = Object.freeze([]) as unknown as string[];

/** A subject's errors; its warnings are appended to `warnings`; records which acknowledgements matched. */
function evaluate(subject: Subject, state: RootState, warnings: string[]): string[] {
  let findings = subject.findings();
  const notified = NOTIFIED.has(subject);
  if (findings.length === 0) {
    if (notified) ACKED.set(subject, NONE_ACKED);
    return CLEAN;
  }
  const acks = acksFor(subject.construct);
  if (notified) recordAcked(subject, findings, acks);
  if (subject.exclude && subject.exclude.size > 0) findings = findings.filter(f => !subject.exclude!.has(f.ruleId));
  const strict = isStrict(subject.construct);
  const errors: string[] = [];
  const path = subject.construct.node.path;
  for (const f of findings) {
    if (f.level === 'warning') {
      const ack = acks.get(f.ruleId);
      if (ack) {
        state.used.add(ack);
        continue;
      }
      if (f.acknowledged !== undefined) continue;
      if (strict) errors.push(`${escapeControl(f.message)} (a warning, made an error by strict mode)`);
      else warnings.push(`[${path}] ${f.message}`);
    } else {
      errors.push(escapeControl(f.message));
    }
  }
  return errors.length > 0 ? errors : CLEAN;
}

/** The acknowledgements in force for a construct: the nearest scope wins. */
function acksFor(c: IConstruct): Map<string, Ack> {
  const out = new Map<string, Ack>();
  for (const scope of c.node.scopes) for (const ack of ACKS.get(scope) ?? []) out.set(ack.ruleId, ack);
  return out;
}

export function isStrict(c: IConstruct): boolean {
  const ctx = c.node.tryGetContext(STRICT_CONTEXT_KEY);
  if (ctx === true || ctx === 'true') return true;
  return STRICT_IN_APP.has(rootOf(c)) && c.node.scopes.some(s => STRICT.has(s));
}

export function setStrict(scope: IConstruct): void {
  STRICT.set(scope, true);
  STRICT_IN_APP.set(rootOf(scope), true);
}

/**
 * Records the acknowledgements that matched a warning of the subject (the
 * nearest one of each rule; the subject's exclusions do not hide them), for
 * the annotations that record an acknowledgement in the manifest: rendered
 * only while it applies.
 */
function recordAcked(subject: Subject, findings: Finding[], acks: Map<string, Ack>): void {
  let acked: Set<Ack> | undefined;
  for (const f of findings) {
    const ack = f.level === 'warning' ? acks.get(f.ruleId) : undefined;
    if (ack) (acked ??= new Set()).add(ack);
  }
  ACKED.set(subject, acked ?? NONE_ACKED);
}

function notify(subject: Subject, ack: Ack): void {
  if (!subject.acknowledged) return;
  const done = NOTIFIED.get(subject) ?? NOTIFIED.set(subject, new Set());
  if (done.has(ack)) return;
  done.add(ack);
  subject.acknowledged(ack.ruleId, ackAnnotation(ack.ruleId), () => (ACKED.get(subject)?.has(ack) ? ack.reason : undefined));
}

/**
 * The error of an acknowledgement that matches nothing: where the warning is
 * reported instead (an acknowledgement applies to the construct that reports
 * the warning and to its children), so the user can move it there.
 */
function unusedAckMessage(state: RootState, a: Ack): string {
  const head = `${a.ruleId}: the acknowledgement of ${a.ruleId} ('${a.reason}') matches no warning of this construct or its children`;
  const elsewhere: string[] = [];
  let mounted: string | undefined;
  for (const s of state.subjects) {
    const c = s.construct;
    if (c === a.scope || c.node.scopes.includes(a.scope) || acksFor(c).has(a.ruleId)) continue;
    if (!s.findings().some(f => f.ruleId === a.ruleId && f.level === 'warning' && f.acknowledged === undefined)) continue;
    elsewhere.push(c.node.path);
    // a token volume reports its own warnings, once, though the workload mounts it
    const users: unknown = typeof (c as any)._usersList === 'function' ? (c as any)._usersList() : undefined;
    const mountedHere = Array.isArray(users) && users.some((u: IConstruct) => u === a.scope || u.node.scopes.includes(a.scope));
    if (mounted === undefined && mountedHere) mounted = c.node.path;
  }
  if (elsewhere.length === 0) return `${head}; remove it`;
  const first = mounted ?? elsewhere[0];
  const others = elsewhere.filter(p => p !== first);
  const also = others.length === 0 ? '' : ` (also at ${others.slice(0, 3).map(p => `'${p}'`).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''})`;
  const what = mounted !== undefined ? ', the token volume this workload mounts: the warning belongs to the volume' : '';
  return `${head}; ${a.ruleId} is reported at '${first}'${what}${also}. Acknowledge it there, `
    + `BoundTokenRules.acknowledge(<the construct at '${first}'>, '${a.ruleId}', reason) (or on a scope that contains it), and remove it here`;
}

/** Records an acknowledgement; an acknowledgement that matches nothing fails the synth. */
export function addAcknowledgement(scope: IConstruct, ruleId: string, reason: string): void {
  const state = stateOf(scope);
  state.acks = true;
  const list = ACKS.get(scope) ?? [];
  const existing = list.findIndex(a => a.ruleId === ruleId);
  const ack: Ack = { ruleId, reason, scope };
  if (existing >= 0) list[existing] = ack; else list.push(ack);
  if (!ACKS.has(scope)) {
    ACKS.set(scope, list);
    scope.node.addValidation(libraryValidation({
      validate: () => reading(state, () => (ACKS.get(scope) ?? [])
        .filter(a => !state.used.has(a))
        .map(a => unusedAckMessage(state, a))),
    }));
  }
  for (const s of subjectsUnder(scope)) notify(s, ack);
}

/**
 * The subject of a construct that renders one plain object (an issuer
 * config, a restart Job): the rules on its render plus its own checks; an
 * acknowledgement is recorded on the object while it applies.
 */
export function objectSubject(construct: IConstruct, apiObject: ApiObject, own: () => Finding[]): Subject {
  return {
    construct,
    findings: () => {
      const found = renderedFindings(apiObject.toJson());
      const extra = constructFindings(own());
      return extra.length === 0 ? found : found.length === 0 ? extra : found.concat(extra);
    },
    acknowledged: (_ruleId, key, value) => apiObject.metadata.addAnnotation(key, fromRecord(construct, value)),
  };
}
