import { Level, RuleDef } from './catalogue';

/** One result of a rule, on a plain object. */
export interface Finding {
  readonly ruleId: string;
  readonly level: Level;
  /** JSON pointer into the checked object ('' for the whole object or file). */
  readonly path: string;
  /** `<RULE-ID>: '<prop>' <what is wrong>, got <value>; <how to fix>` */
  readonly message: string;
  /** Set when a warning is acknowledged by annotation; holds the reason. */
  acknowledged?: string;
}

/** No findings: one shared, frozen empty list (checks that find nothing allocate nothing). */
export const NO_FINDINGS: Finding[] = Object.freeze([]) as unknown as Finding[];

/**
 * Escapes what could let an input take over a line of output (the lint's
 * text, the warnings and errors printed at synth): C0 controls
 * (LF and CR would start a new line, a fake `file:line error` or a CI workflow
 * command such as `::error`), ESC (ANSI sequences), DEL, C1 controls and the
 * Unicode line and paragraph separators. Written as `\n`, `\r`, `\t`, `\e`,
 * `\xNN` or `\uNNNN`; a backslash stays as it is.
 */
export function escapeControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, c => {
    const n = c.charCodeAt(0);
    if (n === 10) return '\\n';
    if (n === 13) return '\\r';
    if (n === 9) return '\\t';
    if (n === 27) return '\\e';
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** The longest value a message shows; longer ones end in an ellipsis. */
export const MAX_SHOWN = 80;

/** A string cut to `max` characters (code points kept whole), ending in '…' when cut. */
export function clip(s: string, max = MAX_SHOWN): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not split a surrogate pair
  return s.slice(0, end) + '…';
}

/**
 * Renders a value for a message: strings quoted, numbers as written
 * (NaN, Infinity), everything else as JSON; at most MAX_SHOWN characters,
 * and built without walking more of a value than it shows (a value may be
 * an alias bomb, or nested deeper than the stack).
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${clip(value)}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  return boundedJson(value, MAX_SHOWN);
}

/** JSON of a value, stopped after `max` characters (iterative: no recursion, no full serialisation). */
function boundedJson(value: unknown, max: number): string {
  let out = '';
  type Frame = { items: Array<[string | undefined, unknown]>; i: number; close: string };
  const stack: Frame[] = [];
  const open = (v: unknown): string | Frame => {
    if (v === null || v === undefined || typeof v === 'function') return 'null';
    if (typeof v === 'string') return JSON.stringify(v.length > max ? v.slice(0, max) : v);
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
    if (typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    if (Array.isArray(v)) return { items: v.slice(0, max).map(x => [undefined, x] as [undefined, unknown]), i: 0, close: ']' };
    const keys = Object.keys(v).slice(0, max);
    return { items: keys.map(k => [k, (v as any)[k]] as [string, unknown]), i: 0, close: '}' };
  };
  const first = open(value);
  if (typeof first === 'string') return clip(first, max);
  out = first.close === ']' ? '[' : '{';
  stack.push(first);
  while (stack.length > 0 && out.length <= max) {
    const top = stack[stack.length - 1];
    if (top.i >= top.items.length) {
      out += top.close;
      stack.pop();
      continue;
    }
    const [key, v] = top.items[top.i++];
    if (top.i > 1) out += ',';
    if (key !== undefined) out += JSON.stringify(key) + ':';
    const next = open(v);
    if (typeof next === 'string') {
      out += next;
    } else {
      out += next.close === ']' ? '[' : '{';
      stack.push(next);
    }
  }
  return stack.length > 0 || out.length > max ? clip(out, max) : out;
}

/**
 * Builds a finding with the house message shape:
 * `<RULE-ID>: '<prop>' <what is wrong>, got <value>; <how to fix>`.
 */
export function finding(def: RuleDef, path: string, prop: string, problem: string, got: string, fix?: string): Finding {
  return {
    ruleId: def.id,
    level: def.level,
    path,
    message: `${def.id}: '${prop}' ${problem}, got ${got}; ${fix ?? def.fix}`,
  };
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function ptr(...segments: Array<string | number>): string {
  let out = '';
  for (const segment of segments) {
    const s = String(segment);
    out += '/' + (s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s);
  }
  return out;
}

/** The segments of a JSON pointer, unescaped (RFC 6901); [] for ''. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  const segments = pointer.slice(1).split('/');
  return pointer.includes('~') ? segments.map(s => s.replace(/~1/g, '/').replace(/~0/g, '~')) : segments;
}

/** Segments of the pointers read so far (a pod spec is read at a handful of pointers, thousands of times). */
const SEGMENTS = new Map<string, string[]>();

/** Reads a JSON pointer. */
export function getAt(obj: any, pointer: string): any {
  if (pointer === '') return obj;
  let segments = SEGMENTS.get(pointer);
  if (segments === undefined) {
    segments = pointerSegments(pointer);
    if (SEGMENTS.size >= 4096) SEGMENTS.clear();
    SEGMENTS.set(pointer, segments);
  }
  let cur = obj;
  for (let i = 0; i < segments.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[segments[i]];
  }
  return cur;
}

