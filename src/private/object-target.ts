// A plain ApiObject as a binding target (see binding-target.ts): every
// effect is a JSON patch (cdk8s's public escape hatch) computed from the
// object's render at the time of the call, its own patches included. Patches
// only append: they never change or remove what is there, and add nothing
// twice. Internal: not part of the jsii API.
import { ApiObject, JsonPatch } from 'cdk8s';
import { Binding, BindableVolume, envValue } from './binding';
import type { BindingTarget, TargetRead } from './binding-target';
import { fromRecord, recordedJson } from './engine';
import { DECLARED_CONTAINER_GROUPS, Finding, getAt, locatePodSpec } from '../rules';
import { rotationAnnotations } from '../rules/rotation';

type Producer = () => string | undefined;

/**
 * Annotations whose values are read when the object renders, added by one
 * JSON patch that creates the `annotations` map (or the metadata holding it):
 * the annotations added later join it rather than replace it.
 */
class AnnotationBag {
  public readonly entries = new Map<string, Producer>();

  /** The map of the annotations that have a value now. */
  public values(): { [key: string]: string } {
    const out: { [key: string]: string } = {};
    for (const [k, p] of this.entries) {
      const v = p();
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
}

export class ObjectTarget implements BindingTarget {
  public readonly workload = undefined;
  /** Pod metadata pointer -> the bag of annotations a patch of ours created there. */
  private bags?: Map<string, AnnotationBag>;

  constructor(public readonly apiObject: ApiObject) {}

  public mount(b: Binding): void {
    const json = this.apiObject.toJson();
    const loc = locatePodSpec(json);
    if (!loc) return; // BT148
    const spec = getAt(json, loc.specPath);
    if (!spec || typeof spec !== 'object') return;
    const ops: JsonPatch[] = [];
    const at = loc.specPath;
    const addTo = (parent: any, pointer: string, key: string, value: unknown) => {
      if (!Array.isArray(parent[key])) {
        ops.push(JsonPatch.add(`${pointer}/${key}`, [value]));
        parent[key] = [value];
      } else {
        ops.push(JsonPatch.add(`${pointer}/${key}/-`, value));
        parent[key].push(value);
      }
    };
    const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : [];
    // an identical volume is not added twice; one of the same name but other content is, and is BT133
    if (!volumes.some(v => sameJson(v, b.volume._liveJson()))) addTo(spec, at, 'volumes', b.volume._liveJson());
    for (const x of b.extras) {
      if (!(spec.volumes as any[]).some(v => v?.name === x.name)) addTo(spec, at, 'volumes', { name: x.name, ...x.config });
    }
    for (const group of DECLARED_CONTAINER_GROUPS) {
      const list: any[] = Array.isArray(spec[group]) ? spec[group] : [];
      list.forEach((c, i) => {
        if (!c || typeof c !== 'object' || (b.containers && !b.containers.has(c.name))) return;
        const cp = `${at}/${group}/${i}`;
        const mounts: any[] = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
        if (!mounts.some(m => m?.name === b.volume.name && m?.mountPath === b.mountPath)) {
          addTo(c, cp, 'volumeMounts', { mountPath: b.mountPath, name: b.volume.name, readOnly: true });
        }
        for (const x of b.extras) {
          if (!(c.volumeMounts as any[]).some(m => m?.name === x.name)) addTo(c, cp, 'volumeMounts', { mountPath: x.mountPath, name: x.name, readOnly: true });
        }
        for (const e of b.env.values()) {
          const env: any[] = Array.isArray(c.env) ? c.env : [];
          if (!env.some(x => x?.name === e.name)) addTo(c, cp, 'env', { name: e.name, value: envValue(b, e) });
        }
      });
    }
    if (ops.length > 0) this.apiObject.addJsonPatch(...ops);
  }

  public annotatePod(annotations: { readonly [key: string]: string }): void {
    const entries = Object.entries(annotations);
    if (entries.length === 0) return;
    const json = this.apiObject.toJson();
    const loc = locatePodSpec(json);
    if (!loc) return; // BT148
    const pointer = loc.templateMetadataPath || '/metadata';
    const bag = this.bags?.get(pointer);
    if (bag) {
      for (const [k, v] of entries) bag.entries.set(k, () => v);
      return;
    }
    const meta = getAt(json, pointer);
    let ops: JsonPatch[];
    if (!meta || typeof meta !== 'object') ops = [JsonPatch.add(pointer, { annotations: Object.fromEntries(entries) })];
    else if (!meta.annotations || typeof meta.annotations !== 'object') ops = [JsonPatch.add(`${pointer}/annotations`, Object.fromEntries(entries))];
    else ops = entries.map(([k, v]) => JsonPatch.add(`${pointer}/annotations/${escapePointer(k)}`, v));
    this.apiObject.addJsonPatch(...ops);
  }

  public annotatePodFromRecord(key: string, value: Producer): void {
    const json = this.apiObject.toJson();
    const loc = locatePodSpec(json);
    if (!loc || !loc.templateMetadataPath) {
      // a Pod's own metadata (or an object without pods: BT148)
      this.apiObject.metadata.addAnnotation(key, fromRecord(this.apiObject, value));
      return;
    }
    const pointer = loc.templateMetadataPath;
    const existing = this.bags?.get(pointer);
    if (existing) {
      existing.entries.set(key, value);
      return;
    }
    const meta = getAt(json, pointer);
    if (meta && typeof meta === 'object' && meta.annotations && typeof meta.annotations === 'object') {
      this.apiObject.addJsonPatch(JsonPatch.add(`${pointer}/annotations/${escapePointer(key)}`, recordedJson(this.apiObject, value)));
      return;
    }
    const bag = new AnnotationBag();
    bag.entries.set(key, value);
    (this.bags ??= new Map()).set(pointer, bag);
    if (!meta || typeof meta !== 'object') {
      this.apiObject.addJsonPatch(JsonPatch.add(pointer, { annotations: recordedJson(this.apiObject, () => bag.values()) }));
    } else {
      this.apiObject.addJsonPatch(JsonPatch.add(`${pointer}/annotations`, recordedJson(this.apiObject, () => {
        const values = bag.values();
        return Object.keys(values).length === 0 ? undefined : values;
      })));
    }
  }

  public manifest(): any {
    return this.apiObject.toJson();
  }

  public read(): TargetRead {
    const manifest = this.apiObject.toJson();
    return { manifest, rendered: true, bound: manifest };
  }

  public explain(_manifest: any, findings: Finding[]): Finding[] {
    return findings;
  }

  public serviceAccountName(manifest?: any): string | undefined {
    const m = manifest ?? this.apiObject.toJson();
    const loc = locatePodSpec(m);
    const spec = loc ? getAt(m, loc.specPath) : undefined;
    const name = spec?.serviceAccountName ?? spec?.serviceAccount;
    return typeof name === 'string' && name !== '' ? name : undefined;
  }

  public containersMounting(volume: BindableVolume): { mounting: Set<string>; all: Set<string> } {
    const mounting = new Set<string>();
    const all = new Set<string>();
    const json = this.apiObject.toJson();
    const loc = locatePodSpec(json);
    const spec = loc ? getAt(json, loc.specPath) : undefined;
    for (const group of DECLARED_CONTAINER_GROUPS) {
      for (const c of asArray(spec?.[group])) {
        if (typeof c?.name !== 'string') continue;
        all.add(c.name);
        if (asArray(c.volumeMounts).some(m => m?.name === volume.name)) mounting.add(c.name);
      }
    }
    return { mounting, all };
  }

  public volumeMountedAt(): BindableVolume | undefined {
    return undefined;
  }

  public rotationKeys(): string[] {
    return [...rotationAnnotations(this.apiObject.toJson()).keys()];
  }
}

function asArray(x: unknown): any[] {
  return Array.isArray(x) ? x : [];
}

/** A key as one segment of a JSON pointer. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Order-insensitive equality of two JSON values (objects by keys, arrays by position). */
export function sameJson(a: any, b: any): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every(k => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
}
