// What the cdk8s-plus model of a workload cannot show: the escape hatches
// (JSON patches, an app's own resolvers) that change what an object writes.
// Internal: not part of the jsii API.
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Slot } from './slot';

const RTTI = Symbol.for('jsii.rtti');

/**
 * True when what `obj` writes may differ from what its model shows: it has
 * JSON patches (`ApiObject.of(x).addJsonPatch`, cdk8s's escape hatch; the
 * library's own included), or its app has resolvers of its own (which may
 * change any value as it renders). Such an object is checked on its render
 * (`toJson()`), the manifest as it will be written; the others on the model,
 * which renders exactly what the model holds. The JSON patches are read from
 * the ApiObject's (private) `patches` list; should a cdk8s release rename
 * it, every object counts as changed: slower, never blind.
 */
export function escapesTheModel(obj: ApiObject, root: IConstruct = obj.node.root): boolean {
  const patches = (obj as any).patches;
  if (!Array.isArray(patches) || patches.length > 0) return true;
  return !defaultResolvers(root);
}

/** The answer of `defaultResolvers` for an app, kept with the resolvers it was given for (a copy of the list). */
const RESOLVERS_SEEN = new Slot<{ readonly items: readonly unknown[]; readonly only: boolean }>('resolvers-seen');

/** cdk8s's own resolvers, which every app has (by jsii type, so that any copy of cdk8s counts). */
const CDK8S_RESOLVERS = new Set(['cdk8s.LazyResolver', 'cdk8s.ImplicitTokenResolver', 'cdk8s.NumberStringUnionResolver']);

/** True when the app renders with cdk8s's own resolvers only (the default). */
function defaultResolvers(root: IConstruct): boolean {
  const resolvers = (root as any).resolvers;
  if (!Array.isArray(resolvers)) return false;
  const seen = RESOLVERS_SEEN.get(root);
  if (seen && sameItems(seen.items, resolvers)) return seen.only;
  return RESOLVERS_SEEN.set(root, { items: [...resolvers], only: onlyCdk8sResolvers(resolvers) }).only;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function onlyCdk8sResolvers(resolvers: any[]): boolean {
  for (let i = 0; i < resolvers.length; i++) {
    const ctor = resolvers[i]?.constructor;
    // own type information only: a subclass of a cdk8s resolver is the app's own
    const own = typeof ctor === 'function' && Object.prototype.hasOwnProperty.call(ctor, RTTI) ? ctor[RTTI]?.fqn : undefined;
    if (!CDK8S_RESOLVERS.has(own)) return false;
  }
  return true;
}
