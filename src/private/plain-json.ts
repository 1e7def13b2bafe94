// What cdk8s renders of an object's metadata, without its resolver, for the
// model view the rules read. Internal: not part of the jsii API.
//
// `ApiObjectMetadataDefinition.toJson()` runs cdk8s's resolver over every
// value and then `sanitizeValue` (keys sorted; null, undefined, empty lists
// and empty maps left out). For plain JSON (strings, numbers, booleans,
// lists, maps made by `{}`) under an app with cdk8s's own resolvers only
// (the model view is read only then, see `escapesTheModel`), the resolver
// returns every value as it is, so the result is `sanitizeValue` alone. Any
// other value (a Lazy, a token, an instance of a class, a function) makes
// the whole metadata go through `toJson()`, as does metadata whose fields a
// cdk8s release renamed: slower, never different.

const NOT_PLAIN = Symbol('not plain JSON');

/** cdk8s's `sanitizeValue(x, { filterEmptyArrays: true, filterEmptyObjects: true })` on plain JSON; NOT_PLAIN otherwise. */
function sanitizePlain(x: unknown): unknown {
  if (x === null || x === undefined) return undefined;
  const t = typeof x;
  if (t === 'string' || t === 'number' || t === 'boolean') return x;
  if (t !== 'object') return NOT_PLAIN;
  if (Array.isArray(x)) {
    if (x.length === 0) return undefined;
    const out = new Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = sanitizePlain(x[i]);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  // (cdk8s walks a map only when its `constructor` is Object: a key named `constructor` is not plain either)
  if (Object.getPrototypeOf(x) !== Object.prototype || (x as any).constructor !== Object) return NOT_PLAIN;
  const keys = Object.keys(x as object).sort();
  const out: { [key: string]: unknown } = {};
  let empty = true;
  for (const k of keys) {
    if (k === '__proto__') return NOT_PLAIN;
    const v = sanitizePlain((x as any)[k]);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined && v !== null) {
      out[k] = v;
      empty = false;
    }
  }
  return empty ? undefined : out;
}

/** A map of strings as cdk8s sanitizes it (keys sorted, undefined when empty), or NOT_PLAIN. */
function stringMap(x: any): unknown {
  if (Object.getPrototypeOf(x) !== Object.prototype || x.constructor !== Object) return NOT_PLAIN;
  const keys = Object.keys(x);
  for (const k of keys) if (typeof x[k] !== 'string' || k === '__proto__') return NOT_PLAIN;
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return { [keys[0]]: x[keys[0]] };
  const out: { [key: string]: string } = {};
  for (const k of keys.sort()) out[k] = x[k];
  return out;
}

const SIMPLE_KEYS = new Set(['name', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences']);

/**
 * The common case, built directly: a name and namespace (strings or
 * nothing), labels and annotations of strings, no finalizers, no owner
 * references, no other field. Keys in cdk8s's (sorted) order.
 */
function simpleMetadata(m: any, extra: any): unknown {
  if (m.finalizers.length > 0 || m.ownerReferences.length > 0) return NOT_PLAIN;
  for (const k in extra) if (!SIMPLE_KEYS.has(k)) return NOT_PLAIN;
  const { name, namespace } = m;
  if ((name !== undefined && typeof name !== 'string') || (namespace !== undefined && typeof namespace !== 'string')) return NOT_PLAIN;
  const annotations = stringMap(m.annotations);
  const labels = annotations === NOT_PLAIN ? NOT_PLAIN : stringMap(m.labels);
  if (annotations === NOT_PLAIN || labels === NOT_PLAIN) return NOT_PLAIN;
  const out: { [key: string]: unknown } = {};
  if (annotations !== undefined) out.annotations = annotations;
  if (labels !== undefined) out.labels = labels;
  if (name !== undefined) out.name = name;
  if (namespace !== undefined) out.namespace = namespace;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** What `meta.toJson()` returns (cdk8s's ApiObjectMetadataDefinition), computed without the resolver when its values are plain JSON. */
export function metadataJson(meta: { toJson(): any }): any {
  const m = meta as any;
  const extra = m._additionalAttributes;
  if (extra && typeof extra === 'object' && Array.isArray(m.finalizers) && Array.isArray(m.ownerReferences)
    && m.labels && typeof m.labels === 'object' && m.annotations && typeof m.annotations === 'object') {
    const simple = simpleMetadata(m, extra);
    if (simple !== NOT_PLAIN) return simple;
    const json = sanitizePlain({
      ...extra,
      name: m.name,
      namespace: m.namespace,
      annotations: m.annotations,
      finalizers: m.finalizers,
      ownerReferences: m.ownerReferences,
      labels: m.labels,
    });
    if (json !== NOT_PLAIN) return json;
  }
  return meta.toJson();
}
