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

/** Renders a value for a message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
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
