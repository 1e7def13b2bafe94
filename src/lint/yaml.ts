// Reading YAML as Kubernetes reads it, with two parsers that must agree.
//
// - js-yaml reads every document first: it is an order of magnitude faster
//   than the `yaml` package and detects duplicate keys.
// - The `yaml` package reads only the documents that need more: a duplicate
//   key (to check the last value, as Kubernetes does, and report every
//   duplicate with its line), a `{{ ... }}` template (whose source text
//   matters), a syntax error (for its line), or a finding whose line the
//   block scanner (locate.ts) could not tell.
//
// Kubernetes (kubectl, the API server, sigs.k8s.io/yaml) reads plain scalars
// like go-yaml v2, i.e. mostly YAML 1.1: `defaultMode: 0400` is octal (256),
// `yes` and `on` are booleans, `1_000` is 1000, and timestamps stay strings.
// Both parsers get the same resolution, from one function.
import * as jsyaml from 'js-yaml';
import type * as Y from 'yaml';

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSES = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const SPECIAL_FLOATS = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map(s => [s, NaN] as [string, number]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map(s => [s, Infinity] as [string, number]),
  ...['-.inf', '-.Inf', '-.INF'].map(s => [s, -Infinity] as [string, number]),
]);
/** What Go's strconv.ParseInt(s, 0, 64) accepts (go-yaml removes '_' first). */
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
/** go-yaml v2's yamlStyleFloat. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** What Go's strconv.ParseFloat accepts for a scalar that starts with '.'. */
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;

function goInt(s: string): number {
  const neg = s[0] === '-';
  const body = s[0] === '-' || s[0] === '+' ? s.slice(1) : s;
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body[0] === '0') n = parseInt(body, 8);
  else n = parseInt(body, 10);
  return neg ? -n : n;
}

/** The number a plain scalar stands for in go-yaml v2, or undefined when it is no number. */
function goNumber(raw: string): number | undefined {
  const c = raw.charCodeAt(0);
  if (c === 46 /* . */) {
    const special = SPECIAL_FLOATS.get(raw);
    if (special !== undefined) return special;
    return DOT_FLOAT.test(raw) ? parseFloat(raw) : undefined;
  }
  // go-yaml tries numbers only for scalars that start with a digit or a sign
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45)) return undefined;
  const special = SPECIAL_FLOATS.get(raw);
  if (special !== undefined) return special;
  const plain = raw.includes('_') ? raw.replace(/_/g, '') : raw;
  if (GO_INT.test(plain)) return goInt(plain);
  if (GO_FLOAT.test(plain)) return parseFloat(plain);
  return undefined;
}

/** A plain (unquoted, untagged) scalar as Kubernetes reads it. */
export function kubeScalar(raw: string): null | boolean | number | string {
  if (NULLS.has(raw)) return null;
  if (TRUES.has(raw)) return true;
  if (FALSES.has(raw)) return false;
  const n = goNumber(raw);
  return n === undefined ? raw : n;
}

// js-yaml asks every implicit type about every plain scalar: answer most of them by the first character.
const isNull = (s: string) => {
  const c = s.charCodeAt(0);
  return (s.length === 0 || c === 126 /* ~ */ || c === 110 /* n */ || c === 78 /* N */) && NULLS.has(s);
};
const BOOL_START = new Set('yYnNtTfFoO');
const isBool = (s: string) => s.length <= 5 && BOOL_START.has(s[0]) && (TRUES.has(s) || FALSES.has(s));
const isNumber = (s: string) => {
  const c = s.charCodeAt(0);
  return ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) && goNumber(s) !== undefined;
};

/** The js-yaml schema: strings, lists, mappings, merge keys and go-yaml's plain scalars. */
export const JS_YAML_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsyaml.Type('tag:yaml.org,2002:null', { kind: 'scalar', resolve: (s: string) => s === null || isNull(s), construct: () => null }),
    new jsyaml.Type('tag:yaml.org,2002:bool', { kind: 'scalar', resolve: (s: string) => s !== null && isBool(s), construct: (s: string) => TRUES.has(s) }),
    new jsyaml.Type('tag:yaml.org,2002:float', { kind: 'scalar', resolve: (s: string) => s !== null && isNumber(s), construct: (s: string) => goNumber(s) }),
    (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge,
  ],
});

type ScalarTag = Y.ScalarTag;
const test = (f: (s: string) => boolean) => ({ test: f } as unknown as RegExp);

/** The same resolution for the `yaml` package. */
const YAML_TAGS: ScalarTag[] = [
  { tag: 'tag:yaml.org,2002:null', default: true, test: test(isNull), resolve: () => null, identify: (v: unknown) => v === null } as ScalarTag,
  { tag: 'tag:yaml.org,2002:bool', default: true, test: test(isBool), resolve: (s: string) => TRUES.has(s), identify: (v: unknown) => typeof v === 'boolean' } as ScalarTag,
  { tag: 'tag:yaml.org,2002:float', default: true, test: test(isNumber), resolve: (s: string) => goNumber(s), identify: (v: unknown) => typeof v === 'number' } as ScalarTag,
];

/** Options of the `yaml` package that read like JS_YAML_SCHEMA, keeping duplicate keys (the last wins). */
export function yamlOptions(lineCounter?: Y.LineCounter): Y.ParseOptions & Y.DocumentOptions & Y.SchemaOptions {
  return {
    schema: 'core',
    customTags: (tags: any[]) => [...tags.filter(t => t.collection || t.tag === 'tag:yaml.org,2002:str'), ...YAML_TAGS],
    merge: true,
    uniqueKeys: false,
    logLevel: 'error',
    lineCounter,
  } as any;
}

let yamlModule: typeof Y | undefined;
/** The `yaml` package, loaded on first use (most runs never need it). */
export function yamlPackage(): typeof Y {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (!yamlModule) yamlModule = require('yaml') as typeof Y;
  return yamlModule;
}

/**
 * Reads one document with js-yaml. Throws js-yaml's YAMLException, also for
 * a duplicate key unless `lastKeyWins`.
 */
export function loadFast(text: string, lastKeyWins = false): unknown {
  return jsyaml.load(text, { schema: JS_YAML_SCHEMA, json: lastKeyWins });
}

/** True when a js-yaml error is a duplicate key (the only error that needs no other parser to explain). */
export function isDuplicateKeyError(e: unknown): boolean {
  return (e as any)?.reason === 'duplicated mapping key';
}
