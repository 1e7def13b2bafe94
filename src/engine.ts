// The bridge between the pure rule catalogue (src/rules) and the construct
// tree. Internal: not part of the jsii API.
//
// How a synth runs the rules:
// - cdk8s validates every construct in pre-order, so the root (the App) is
//   validated first. The engine adds one validation to the root: it renders
//   every registered subject once, runs the rules on the plain manifest,
//   applies acknowledgements and strict mode, prints the warnings (once per
//   synth) and keeps each subject's errors.
// - Each subject's own validation then returns its errors, so cdk8s prefixes
//   them with the construct path and fails the synth before anything is
//   written.
// - The rendered manifest is kept and handed to the very next `toJson()` of
//   that object (the write that follows validation), so validating does not
//   render every object twice.

import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ackAnnotation, checkObject, CONSTRUCT_STYLE, Finding, findRule, getAt, locatePodSpec } from './rules';

/** Something the rules check, reported at `construct`'s path. */
export interface Subject {
  readonly construct: IConstruct;
  /** The object whose manifest is checked, if any. */
  readonly apiObject?: ApiObject;
  /** Rule ids this subject leaves to another rule. */
  readonly exclude?: ReadonlySet<string>;
  /**
   * The library's volume constructs this subject's manifest contains. Their
   * sources are checked as part of this manifest; their acknowledgements apply here.
   */
  volumeOwners?(): IConstruct[];
  /** Checks only the construct can do. Receives the rendered manifest, if any. */
  extraFindings?(manifest: any | undefined): Finding[];
  /** Writes an acknowledgement annotation into the construct, for the renders to come. */
  annotate?(key: string, value: string): void;
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
  readonly byConstruct: Map<IConstruct, Subject>;
  /** Errors of the current pass, by construct; consumed by the subject's validation. */
  errors: Map<IConstruct, string[]>;
  /** Acknowledgements that matched a warning in the current pass. */
  used: Set<Ack>;
  /** Volume constructs that some subject's manifest contained in the current pass. */
  usedVolumes: Set<IConstruct>;
  /** Hooks that run at the start of every pass (e.g. to discover subjects). */
  readonly passHooks: Array<() => void>;
}

const ROOTS = new WeakMap<IConstruct, RootState>();
/** More checks for a subject, added after it registered (e.g. by presets bound to it). */
const PROVIDERS = new WeakMap<IConstruct, Array<() => Finding[]>>();
const ACKS = new WeakMap<IConstruct, Ack[]>();
const STRICT = new WeakSet<IConstruct>();
const MEMO = new WeakMap<ApiObject, any>();
const HOOKED = new WeakSet<ApiObject>();

function stateOf(c: IConstruct): RootState {
  const root = c.node.root;
  let state = ROOTS.get(root);
  if (!state) {
    const s: RootState = { subjects: [], byConstruct: new Map(), errors: new Map(), used: new Set(), usedVolumes: new Set(), passHooks: [] };
    state = s;
    ROOTS.set(root, s);
    root.node.addValidation({ validate: () => runPass(s) });
  }
  return state;
}

/** Registers a subject once (by construct) and gives it its validation. */
export function registerSubject(subject: Subject): Subject {
  const state = stateOf(subject.construct);
  const existing = state.byConstruct.get(subject.construct);
  if (existing) return existing;
  state.subjects.push(subject);
  state.byConstruct.set(subject.construct, subject);
  subject.construct.node.addValidation({
    validate: () => {
      const errors = state.errors.get(subject.construct);
      if (errors) {
        state.errors.delete(subject.construct);
        return errors;
      }
      // validated outside a synth: evaluate afresh
      return evaluate(subject, state, []).errors;
    },
  });
  return subject;
}

/** Adds checks to a construct's subject (register the subject first). */
export function addFindingsProvider(c: IConstruct, provider: () => Finding[]): void {
  const list = PROVIDERS.get(c) ?? [];
  list.push(provider);
  PROVIDERS.set(c, list);
}

/** The subject registered for a construct, if any. */
export function subjectOf(c: IConstruct): Subject | undefined {
  return ROOTS.get(c.node.root)?.byConstruct.get(c);
}

/** Runs `hook` at the start of every validation pass of `c`'s app. */
export function onPass(c: IConstruct, key: object, hook: () => void): void {
  const state = stateOf(c);
  const k = key as any;
  if (k.__boundTokensHooked) return;
  k.__boundTokensHooked = true;
  state.passHooks.push(hook);
}

/** Renders an object for validation and keeps the result for the write that follows. */
export function renderForValidation(obj: ApiObject): any {
  if (!HOOKED.has(obj)) {
    HOOKED.add(obj);
    const original = obj.toJson;
    Object.defineProperty(obj, 'toJson', {
      configurable: true,
      writable: true,
      value: function (this: ApiObject) {
        if (MEMO.has(obj)) {
          const json = MEMO.get(obj);
          MEMO.delete(obj);
          return json;
        }
        return original.call(obj);
      },
    });
    (obj as any).__boundTokensRender = original;
  }
  MEMO.delete(obj);
  const json = (obj as any).__boundTokensRender.call(obj);
  MEMO.set(obj, json);
  return json;
}

function runPass(state: RootState): string[] {
  for (const hook of state.passHooks) hook();
  state.errors = new Map();
  state.used = new Set();
  state.usedVolumes = new Set();
  const warnings: string[] = [];
  // Objects first, so that volume constructs know whether a manifest holds them.
  const ordered = [...state.subjects.filter(s => s.apiObject), ...state.subjects.filter(s => !s.apiObject)];
  for (const subject of ordered) {
    const r = evaluate(subject, state, warnings);
    if (r.errors.length > 0) state.errors.set(subject.construct, r.errors);
  }
  const printed = new Set<string>();
  for (const w of warnings) {
    if (printed.has(w)) continue;
    printed.add(w);
    console.warn(`[cdk8s-bound-tokens] Warning: ${w}`);
  }
  return [];
}

function evaluate(subject: Subject, state: RootState, warnings: string[]): { errors: string[] } {
  const manifest = subject.apiObject ? renderForValidation(subject.apiObject) : undefined;
  const findings: Finding[] = [];
  const volumes = subject.volumeOwners?.() ?? [];
  for (const v of volumes) state.usedVolumes.add(v);
  if (manifest) {
    findings.push(...checkObject(manifest, { style: CONSTRUCT_STYLE }));
  }
  findings.push(...(subject.extraFindings?.(manifest) ?? []).filter(f => findRule(f.ruleId)?.scope !== 'manifest'));
  for (const provider of PROVIDERS.get(subject.construct) ?? []) findings.push(...provider());
  if (subject.exclude && subject.exclude.size > 0) {
    const kept = findings.filter(f => !subject.exclude!.has(f.ruleId));
    findings.length = 0;
    findings.push(...kept);
  }
  const acks = acksFor(subject.construct, volumes);
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

/**
 * The acknowledgements in force for a construct: those of its scopes (the
 * nearest wins), then those of the volume constructs it holds.
 */
function acksFor(c: IConstruct, volumes: IConstruct[] = []): Map<string, Ack> {
  const out = new Map<string, Ack>();
  for (const v of volumes) {
    for (const scope of v.node.scopes) {
      for (const ack of ACKS.get(scope) ?? []) out.set(ack.ruleId, ack);
    }
  }
  for (const scope of c.node.scopes) {
    for (const ack of ACKS.get(scope) ?? []) out.set(ack.ruleId, ack);
  }
  return out;
}

/** True when a subject's manifest held this volume construct in the current pass. */
export function isVolumeUsed(volume: IConstruct): boolean {
  return ROOTS.get(volume.node.root)?.usedVolumes.has(volume) ?? false;
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
