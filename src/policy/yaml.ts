// Renders objects as YAML exactly as cdk8s synthesizes them (App.synthYaml):
// keys sorted at every level, apiVersion/kind/metadata first, null values
// left out, YAML 1.1, no line folding, documents joined by '---'.
// Internal: not part of the jsii API. The tests compare the two byte for byte.
import * as YAML from 'yaml';

function sanitize(value: any): any {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(sanitize);
  if (typeof value !== 'object') return value;
  const out: any = {};
  for (const key of Object.keys(value).sort()) {
    const v = sanitize(value[key]);
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

/** One object as cdk8s renders it. */
export function asSynthesized(obj: any): any {
  const sorted = sanitize(obj);
  const out: any = {};
  for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(sorted)]) {
    if (k in sorted && !(k in out)) out[k] = sorted[k];
  }
  return out;
}

/** A multi-document YAML string, as `App.synthYaml()` writes it. */
export function toSynthYaml(objs: readonly any[]): string {
  return objs
    .map(o => YAML.stringify(asSynthesized(o), { keepUndefined: true, lineWidth: 0, version: '1.1' }))
    .join('---\n');
}
