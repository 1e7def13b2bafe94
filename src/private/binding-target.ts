// Where a binding's effects go: the one interface the bound workload's
// record writes against, and its implementation for cdk8s-plus models.
// Internal: not part of the jsii API.
//
// A workload is bound in one of two ways, chosen once when its record is made
// (`bindingTarget`): a cdk8s-plus workload of any line through its model
// (./kplus), a plain ApiObject through JSON patches (./object-target, cdk8s's
// public escape hatch). cdk8s-plus 2.5.x StatefulSets are the mixed case:
// bound through the model, with the volumes that line leaves out of the
// render added as JSON patches.
import { ApiObject, JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Binding, BindableVolume, envValue, ExtraVolume, isBindableVolume, normalizeMountPath } from './binding';
import { fromRecord } from './engine';
import { escapesTheModel } from './escape-hatches';
import {
  allContainers, asWorkload, createVolume, kplusTypeOf, KplusVolume, KplusWorkload,
  modelManifest, modelView, mountReadOnly, ownerOf, setEnvIfAbsent, volumesInRenderOrder,
} from './kplus';
import { explainDroppedVolumes } from './kplus-statefulset';
import { ObjectTarget } from './object-target';
import { rootOf } from './slot';
import { Finding, getAt, locatePodSpec } from '../rules';
import { checkModelVolumeNames } from '../rules/binding';

/** What the rules read of a bound workload, once per evaluation. */
export interface TargetRead {
  /** Findings that stop the other rules (the model cannot render: BT133). */
  readonly blocking?: Finding[];
  /** The manifest the rules read. */
  readonly manifest: any;
  /** True when `manifest` is the render (`toJson()`, as it will be written): an escape hatch touched the model, or there is none. */
  readonly rendered: boolean;
  /** What the bindings wrote, for the binding rules: the model, before any resolver of the app changed it. */
  readonly bound: any;
  /** The library volumes of the model (their own checks are their construct's). */
  readonly library?: KplusVolume[];
  /** Their names. */
  readonly managed?: Set<string>;
}

/** The effects of a binding, and what the rules read, for one kind of workload. */
export interface BindingTarget {
  /** The object that renders the workload. */
  readonly apiObject: ApiObject;
  /** The cdk8s-plus model, for cdk8s-plus workloads. */
  readonly workload?: KplusWorkload;
  /** Mounts a binding (its volume, extra volumes and env vars) in the containers it reaches, adding nothing twice. */
  mount(b: Binding, all: readonly Binding[]): void;
  /** Adds fixed annotations where the pods get them. */
  annotatePod(annotations: { readonly [key: string]: string }): void;
  /** Adds an annotation where the pods get them, its value read from the app's record when the workload renders (undefined: left out). */
  annotatePodFromRecord(key: string, value: () => string | undefined): void;
  /** The manifest the rules read. */
  manifest(): any;
  /** What the rules read, with what they need to know about the model. */
  read(): TargetRead;
  /** `findings` with what the target knows about them added (why a volume is missing from the render). */
  explain(manifest: any, findings: Finding[]): Finding[];
  /** The service account the workload runs as (name), if it names one. */
  serviceAccountName(manifest?: any): string | undefined;
  /** The names of the containers and init containers that mount `volume`, and of all of them. */
  containersMounting(volume: BindableVolume): { mounting: Set<string>; all: Set<string> };
  /** A token volume of this library mounted by hand at `path`, if any. */
  volumeMountedAt(path: string): BindableVolume | undefined;
  /** The keys of the rotation annotations the workload's token volumes get. */
  rotationKeys(): string[];
}

/** The target of a construct (a cdk8s-plus workload of any line, or with `allowApiObject` a plain ApiObject), or undefined. */
export function bindingTarget(target: unknown, allowApiObject: boolean): BindingTarget | undefined {
  const workload = asWorkload(target);
  if (workload) return kplusTypeOf(workload)?.className === 'StatefulSet' ? new StatefulSetTarget(workload) : new ModelTarget(workload);
  if (allowApiObject && ApiObject.isApiObject(target)) return new ObjectTarget(target);
  return undefined;
}

/** A cdk8s-plus workload, bound through its model. */
class ModelTarget implements BindingTarget {
  public readonly apiObject: ApiObject;
  /** The app (a construct's root never changes). */
  private readonly root: IConstruct;
  /** The extra volumes of bindings (one per name), made on first use. */
  private extras?: Map<string, KplusVolume>;

  constructor(public readonly workload: KplusWorkload) {
    this.apiObject = ApiObject.of(workload);
    this.root = rootOf(workload);
  }

  public mount(b: Binding, _all: readonly Binding[]): void {
    const volume = b.volume._kplusVolume;
    for (const c of allContainers(this.workload)) {
      if (b.containers && !b.containers.has(c.name)) continue;
      mountReadOnly(c, b.mountPath, volume);
      for (const x of b.extras) mountReadOnly(c, x.mountPath, this.extraVolume(x));
      for (const e of b.env.values()) setEnvIfAbsent(c, e.name, envValue(b, e));
    }
  }

  public annotatePod(annotations: { readonly [key: string]: string }): void {
    for (const [k, v] of Object.entries(annotations)) this.workload.podMetadata.addAnnotation(k, v);
  }

  public annotatePodFromRecord(key: string, value: () => string | undefined): void {
    const w = this.workload;
    (w.podMetadata !== (w.metadata as unknown) ? w.podMetadata : this.apiObject.metadata).addAnnotation(key, fromRecord(w, value));
  }

  public manifest(): any {
    return escapesTheModel(this.apiObject, this.root) ? this.apiObject.toJson() : modelView(this.workload, this.apiObject);
  }

  public read(): TargetRead {
    const volumes = volumesInRenderOrder(this.workload);
    // two volume objects with one name make cdk8s-plus throw while rendering
    const blocking = checkModelVolumeNames(volumes, v => ownerOf(v) !== undefined);
    if (blocking.length > 0) return { blocking, manifest: undefined, rendered: false, bound: undefined };
    const managed = new Set<string>();
    const library: KplusVolume[] = [];
    for (let i = 0; i < volumes.length; i++) {
      if (ownerOf(volumes[i]) !== undefined && !managed.has(volumes[i].name)) {
        managed.add(volumes[i].name);
        library.push(volumes[i]);
      }
    }
    if (!escapesTheModel(this.apiObject, this.root)) {
      const view = modelView(this.workload, this.apiObject, volumes);
      return { manifest: view, rendered: false, bound: view, library, managed };
    }
    // the manifest as it will be written: what an escape hatch did is in it; the bindings' own checks
    // compare with what the binding wrote into the model, before any resolver of the app changed it
    return { manifest: this.apiObject.toJson(), rendered: true, bound: modelView(this.workload, this.apiObject, volumes), library, managed };
  }

  public explain(manifest: any, findings: Finding[]): Finding[] {
    return explainDroppedVolumes(this.workload, manifest, findings);
  }

  public serviceAccountName(): string | undefined {
    return this.workload.serviceAccount?.name;
  }

  public containersMounting(volume: BindableVolume): { mounting: Set<string>; all: Set<string> } {
    const mounting = new Set<string>();
    const all = new Set<string>();
    for (const c of allContainers(this.workload)) {
      all.add(c.name);
      if (c.mounts.some(m => m.volume === volume._kplusVolume)) mounting.add(c.name);
    }
    return { mounting, all };
  }

  public volumeMountedAt(path: string): BindableVolume | undefined {
    for (const c of allContainers(this.workload)) {
      for (const m of c.mounts) {
        const owner = ownerOf(m.volume);
        if (isBindableVolume(owner) && normalizeMountPath(m.path) === path) return owner;
      }
    }
    return undefined;
  }

  public rotationKeys(): string[] {
    const keys: string[] = [];
    for (const v of new Set(volumesInRenderOrder(this.workload))) {
      if (Array.isArray(v._toKube()?.projected?.sources)) keys.push(`token-rotation.bound-tokens.io/${v.name}`);
    }
    return keys;
  }

  /** The cdk8s-plus volume of an extra volume, one per workload and name. */
  private extraVolume(x: ExtraVolume): KplusVolume {
    const map = (this.extras ??= new Map());
    let v = map.get(x.name);
    if (!v) map.set(x.name, v = createVolume(x.name, x.config, undefined));
    return v;
  }
}

/**
 * A cdk8s-plus StatefulSet. cdk8s-plus 2.5.x (lines 32 to 34) renders a
 * StatefulSet's pod volumes only when it has volume claim templates: every
 * other mounted volume is dropped (BT144 reports it). The bound volumes that
 * the model leaves out are added to its manifest as JSON patches, and the
 * rules then read the render; the model is read as it renders.
 */
class StatefulSetTarget extends ModelTarget {
  /** Volumes the model leaves out of the render, added as JSON patches. */
  private patchedVolumes?: Set<string>;

  public mount(b: Binding, all: readonly Binding[]): void {
    super.mount(b, all);
    let manifest: any;
    try {
      manifest = modelManifest(this.workload);
    } catch {
      return; // a model that cannot render (no container yet, ...) is reported by the rules
    }
    const loc = locatePodSpec(manifest);
    if (!loc) return;
    const volumes = getAt(manifest, loc.specPath)?.volumes;
    const rendered = (Array.isArray(volumes) ? volumes : []).map(v => v?.name);
    const missing: any[] = [];
    for (const x of all) {
      if (!rendered.includes(x.volume.name) && !this.patchedVolumes?.has(x.volume.name)) missing.push(x.volume._liveJson());
      for (const e of x.extras) if (!rendered.includes(e.name) && !this.patchedVolumes?.has(e.name)) missing.push({ name: e.name, ...e.config });
    }
    if (missing.length === 0) return;
    const pointer = `${loc.specPath}/volumes`;
    const ops = (this.patchedVolumes?.size ?? 0) === 0 && rendered.length === 0
      ? [JsonPatch.add(pointer, missing)]
      : missing.map(v => JsonPatch.add(`${pointer}/-`, v));
    const patched = (this.patchedVolumes ??= new Set());
    for (const v of missing) patched.add(v.name);
    this.apiObject.addJsonPatch(...ops);
  }
}

