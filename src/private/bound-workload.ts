// One record per bound workload. Internal: not part of the jsii API.
//
// "This workload mounts this token volume here, with these env vars" is
// written down once, in the BoundWorkload of the workload, made by one entry
// point (`BoundWorkload.of`) that `mountInto`, `mountIntoApiObject`, the
// identity presets, `BoundTokenPod`, the discovery of plain
// `container.mount(path, volume)` and `TokenRotation` all use. The record
// - applies a binding when it is made: to the cdk8s-plus model of a workload
//   (any line, through ./kplus), or as JSON patches (cdk8s's public escape
//   hatch, computed from the object's render at that moment) to a plain
//   ApiObject;
// - is the rule subject of the workload: its checks read the workload as it
//   is at synth time and change nothing.
// Binding twice is idempotent: bindings are keyed by (volume, mount path)
// and merge.
import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { constructFindings, manifestFindings, onPass, registerSubject, renderedFindings, Subject, subjectsUnder } from './engine';
import {
  allContainers, asWorkload, derivedValue, describeValue, escapesTheModel, kplusTypeOf, modelView, KplusVolume, KplusWorkload,
  modelManifest, mountReadOnly,
  ownerOf, readingModelNow, readingTheModel, serviceAccountName, setEnvIfAbsent, volumesInRenderOrder, createVolume,
} from './kplus';
import { explainDroppedVolumes } from './kplus-statefulset';
import { Slot } from './slot';
import { DECLARED_CONTAINER_GROUPS, Finding, finding, getAt, locatePodSpec, NO_FINDINGS, R, show } from '../rules';
import { rotationAnnotations } from '../rules/rotation';

/** The mount path of token volumes unless told otherwise. */
export const DEFAULT_TOKEN_MOUNT_PATH = '/var/run/secrets/tokens';

/** A mount path without trailing slashes ('/' stays '/'). */
export function normalizeMountPath(mountPath: string): string {
  const trimmed = mountPath.replace(/\/+$/, '');
  return trimmed === '' && mountPath.startsWith('/') ? '/' : trimmed;
}

/** The path of a token file under a mount path: the one place it is computed. */
export function tokenFilePath(mountPath: string, tokenPath: string): string {
  const dir = normalizeMountPath(mountPath);
  return `${dir === '/' ? '' : dir}/${tokenPath}`;
}

/** What a token volume must offer a binding (ProjectedTokenVolume, without an import cycle). */
export interface BindableVolume extends IConstruct {
  readonly name: string;
  readonly tokens: Array<{ readonly path: string }>;
  /** The volume cdk8s-plus renders (shared by every workload). */
  readonly _kplusVolume: KplusVolume;
  /** The volume's JSON, one object kept up to date in place (JSON patches hold it by reference). */
  _liveJson(): any;
  _addUser(workload: IConstruct): void;
  /** True when the volume reaches no workload but `workload`. */
  _onlyIn(workload: IConstruct): boolean;
}

/** An environment variable that a binding sets: a token file, or a fixed value (presets). */
export interface BindingEnv {
  readonly name: string;
  /** The token whose file the variable names; or */
  readonly tokenPath?: string;
  /** a fixed value (a role ARN, a client id, ...). */
  readonly value?: string;
}

/** Another volume a binding mounts next to the token (e.g. GCP's credential configuration). */
export interface ExtraVolume {
  /** Its name in the pod spec. */
  readonly name: string;
  readonly mountPath: string;
  /** Its JSON without the name, e.g. `{ configMap: { name: 'x' } }`. */
  readonly config: { readonly [key: string]: unknown };
}

/** One binding request (mountInto and presets alike). */
export interface BindRequest {
  readonly mountPath?: string;
  readonly containers?: string[];
  readonly env?: BindingEnv[];
  readonly extraVolumes?: ExtraVolume[];
  /** Pod-template annotations. */
  readonly podAnnotations?: { readonly [key: string]: string };
  readonly rotationAnnotations?: boolean;
}

interface Binding {
  readonly volume: BindableVolume;
  readonly mountPath: string;
  /** Container names; undefined: every container and init container. */
  containers?: Set<string>;
  /** By variable name (NO_ENV, shared, until a variable is set). */
  env: ReadonlyMap<string, BindingEnv>;
  /** NO_EXTRAS, shared, until one is added. */
  extras: readonly ExtraVolume[];
  /** Who asked for the variables, for messages ("volume 'x'", "the AWS preset"). */
  readonly by: string;
}

/** The env of a binding that sets no variables (most of them): one empty map for all. */
const NO_ENV: ReadonlyMap<string, BindingEnv> = new Map();
const NO_EXTRAS: readonly ExtraVolume[] = Object.freeze([]);

/** Extra checks a caller adds to a record (BoundTokenPod, presets). */
export type RecordCheck = (manifest: any | undefined, record: BoundWorkload) => Finding[];

const RECORD = new Slot<BoundWorkload>('record');
const EXTRA_KPLUS = new Slot<Map<string, KplusVolume>>('extra-volumes');
/** Scopes whose bound workloads carry rotation annotations (TokenRotation.annotate). */
const ROTATION_SCOPES = new Slot<true>('rotation-scope');
let rotationScopes = 0;

/** The bound workload (record) of a construct. */
export class BoundWorkload implements Subject {
  /**
   * The record of `target`, made on first use: the one entry point. `target`
   * is a cdk8s-plus workload of any line, or (with `allowApiObject`) a plain
   * ApiObject; anything else is BT149, thrown with the caller's path.
   */
  public static of(target: unknown, caller: string, allowApiObject: boolean): BoundWorkload {
    const existing = target && typeof target === 'object' ? RECORD.get(target) : undefined;
    if (existing) return existing;
    const workload = asWorkload(target);
    if (workload) return new BoundWorkload(workload, ApiObject.of(workload), workload);
    if (allowApiObject && ApiObject.isApiObject(target)) return new BoundWorkload(target, target, undefined);
    throw BoundWorkload.refused(caller, allowApiObject, target);
  }

  /**
   * The object that renders `target`, accepted as `of` accepts it, for a
   * query: makes no record, so asking never changes what is checked.
   */
  public static apiObjectOf(target: unknown, caller: string): ApiObject {
    const existing = target && typeof target === 'object' ? RECORD.get(target) : undefined;
    if (existing) return existing.apiObject;
    const workload = asWorkload(target);
    if (workload) return ApiObject.of(workload);
    if (ApiObject.isApiObject(target)) return target;
    throw BoundWorkload.refused(caller, true, target);
  }

  /** The record of a construct, if it has one. */
  public static find(c: IConstruct): BoundWorkload | undefined {
    return RECORD.get(c);
  }

  /** The records at or below `scope`. */
  public static under(scope: IConstruct): BoundWorkload[] {
    return subjectsUnder(scope).filter((s): s is BoundWorkload => s instanceof BoundWorkload);
  }

  /** Turns rotation annotations on for every record at or below `scope`, now and later. */
  public static enableRotation(scope: IConstruct): void {
    if (!ROTATION_SCOPES.has(scope)) {
      ROTATION_SCOPES.set(scope, true);
      rotationScopes++;
    }
    for (const r of BoundWorkload.under(scope)) r.enableRotation();
  }

  private static refused(caller: string, allowApiObject: boolean, target: unknown): Error {
    const accepted = allowApiObject ? 'a cdk8s-plus workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) or an ApiObject with a pod spec'
      : 'a cdk8s-plus workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) of cdk8s-plus-27, -32, -33, -34 or another 2.x line';
    return notAWorkload(caller, 'workload', accepted, describeValue(target), R.NOT_A_WORKLOAD.fix);
  }

  public exclude?: Set<string>;
  private readonly bindings: Binding[] = [];
  private checks?: RecordCheck[];
  private rotation = false;
  // (made on first use: apps have thousands of records, and every empty Map or Set is memory
  // that each garbage collection of the synth walks)
  private rotationKeys?: Set<string>;
  private ackProducers?: Map<string, Array<() => string | undefined>>;
  /** Volumes the cdk8s-plus model leaves out of the render, added as JSON patches (see keepVolumesRendered). */
  private patchedVolumes?: Set<string>;

  private constructor(
    public readonly construct: IConstruct,
    /** The object that renders the workload. */
    public readonly apiObject: ApiObject,
    /** The cdk8s-plus model, for cdk8s-plus workloads; undefined for plain ApiObjects. */
    public readonly workload: KplusWorkload | undefined,
  ) {
    RECORD.set(construct, this);
    registerSubject(this);
    if (rotationScopes > 0 && construct.node.scopes.some(s => ROTATION_SCOPES.has(s))) this.enableRotation();
  }

  /** The workload's tokens rendered as it is now (a full render, for reports). */
  public render(): any {
    return this.apiObject.toJson();
  }

  /** Adds a check of the record's own (once per function). */
  public addCheck(check: RecordCheck): void {
    if (this.checks?.includes(check)) return;
    this.checks = this.checks ? [...this.checks, check] : [check];
  }

  /** Leaves a rule to another one of this workload. */
  public excludeRule(ruleId: string): void {
    (this.exclude ??= new Set()).add(ruleId);
  }

  /** The service account the workload runs as (name), if it names one. */
  public serviceAccountName(manifest?: any): string | undefined {
    if (this.workload) return serviceAccountName(this.workload);
    const m = manifest ?? this.render();
    const loc = locatePodSpec(m);
    const spec = loc ? getAt(m, loc.specPath) : undefined;
    const name = spec?.serviceAccountName ?? spec?.serviceAccount;
    return typeof name === 'string' && name !== '' ? name : undefined;
  }

  /** The token volume bound (or, on cdk8s-plus, mounted) at `mountPath`, if any. */
  public tokenVolumeAt(mountPath: string): BindableVolume | undefined {
    const path = normalizeMountPath(mountPath);
    for (const b of this.bindings) if (b.mountPath === path) return b.volume;
    if (this.workload) {
      for (const c of allContainers(this.workload)) {
        for (const m of c.mounts) {
          const owner = ownerOf(m.volume) as BindableVolume | undefined;
          if (owner && typeof owner._liveJson === 'function' && normalizeMountPath(m.path) === path) return owner;
        }
      }
    }
    return undefined;
  }

  /**
   * The containers each binding of `volume` to this workload asked for
   * (undefined: every container and init container); empty when it has none.
   */
  public boundContainers(volume: BindableVolume): Array<ReadonlySet<string> | undefined> {
    return this.bindings.filter(b => b.volume === volume).map(b => b.containers);
  }

  /**
   * The names of the containers and init containers that mount `volume` in
   * this workload (by hand or through a binding), and of all of them.
   */
  public containersMounting(volume: BindableVolume): { mounting: Set<string>; all: Set<string> } {
    const mounting = new Set<string>();
    const all = new Set<string>();
    if (this.workload) {
      for (const c of allContainers(this.workload)) {
        all.add(c.name);
        if (c.mounts.some(m => m.volume === volume._kplusVolume)) mounting.add(c.name);
      }
      return { mounting, all };
    }
    const json = readingTheModel(() => this.apiObject.toJson());
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

  /**
   * Binds a token volume: mounts it read-only at the mount path in the
   * matching containers (every container and init container there is now,
   * or those named), with the env vars, extra volumes and annotations asked
   * for. `caller` prefixes the errors thrown for bad options.
   */
  public bind(volume: BindableVolume, request: BindRequest, caller: string, by: string): void {
    const mountPath = request.mountPath ?? DEFAULT_TOKEN_MOUNT_PATH;
    if (typeof mountPath !== 'string') {
      throw new Error(`${caller}: 'mountPath' must be an absolute path, got ${show(mountPath)}; e.g. '${DEFAULT_TOKEN_MOUNT_PATH}'`);
    }
    const containers = request.containers;
    if (containers !== undefined) {
      if (!Array.isArray(containers) || containers.length === 0) {
        throw new Error(`${caller}: 'containers' must name at least one container, got ${show(containers)}; omit it to mount into every container and init container`);
      }
      for (const n of containers) {
        if (typeof n !== 'string' || n === '') throw new Error(`${caller}: 'containers' must hold container names, got ${show(n)}; name a container of the workload`);
      }
    }
    const path = normalizeMountPath(mountPath);
    let b = this.bindings.find(x => x.volume === volume && x.mountPath === path);
    if (!b) {
      b = { volume, mountPath: path, containers: containers ? new Set(containers) : undefined, env: NO_ENV, extras: NO_EXTRAS, by };
      this.bindings.push(b);
    } else if (b.containers) {
      if (containers) containers.forEach(n => b!.containers!.add(n));
      else b.containers = undefined;
    }
    for (const e of request.env ?? []) {
      const prior = b.env.get(e.name);
      if (prior && (prior.tokenPath !== e.tokenPath || prior.value !== e.value)) {
        throw new Error(`${caller}: 'envVars' '${e.name}' is already bound to ${describeEnv(prior)} at this mount, got ${describeEnv(e)}; export each variable once`);
      }
      (b.env === NO_ENV ? (b.env = new Map()) : b.env as Map<string, BindingEnv>).set(e.name, e);
    }
    for (const x of request.extraVolumes ?? []) if (!b.extras.some(y => y.name === x.name)) b.extras = [...b.extras, x];
    volume._addUser(this.construct);
    if (this.workload) this.applyToModel(this.workload, b, request.podAnnotations);
    else this.applyAsPatches(b, request.podAnnotations);
    if (request.rotationAnnotations) BoundWorkload.enableRotation(this.construct);
    else if (this.rotation) this.installRotation();
  }

  // --- applying ---------------------------------------------------------------

  private applyToModel(w: KplusWorkload, b: Binding, annotations: { readonly [key: string]: string } | undefined): void {
    const volume = b.volume._kplusVolume;
    for (const c of allContainers(w)) {
      if (b.containers && !b.containers.has(c.name)) continue;
      mountReadOnly(c, b.mountPath, volume);
      for (const x of b.extras) mountReadOnly(c, x.mountPath, this.kplusExtra(x));
      for (const e of b.env.values()) setEnvIfAbsent(c, e.name, envValue(b, e));
    }
    for (const [k, v] of Object.entries(annotations ?? {})) w.podMetadata.addAnnotation(k, v);
    this.keepVolumesRendered(w);
  }

  /**
   * cdk8s-plus 2.5.x (lines 32 to 34) renders a StatefulSet's pod volumes only
   * when it has volume claim templates: every other mounted volume is dropped
   * (BT144 reports it). The bound volumes that the model leaves out are added
   * to its manifest as JSON patches, and the rules then read the render.
   */
  private keepVolumesRendered(w: KplusWorkload): void {
    if (kplusTypeOf(w)?.className !== 'StatefulSet') return;
    let manifest: any;
    try {
      manifest = modelManifest(w);
    } catch {
      return; // a model that cannot render (no container yet, ...) is reported by the rules
    }
    const loc = locatePodSpec(manifest);
    if (!loc) return;
    const rendered = asArray(getAt(manifest, loc.specPath)?.volumes).map(v => v?.name);
    const missing: any[] = [];
    for (const b of this.bindings) {
      if (!rendered.includes(b.volume.name) && !this.patchedVolumes?.has(b.volume.name)) missing.push(b.volume._liveJson());
      for (const x of b.extras) if (!rendered.includes(x.name) && !this.patchedVolumes?.has(x.name)) missing.push({ name: x.name, ...x.config });
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

  /** The cdk8s-plus volume of an extra volume, one per workload and name. */
  private kplusExtra(x: ExtraVolume): KplusVolume {
    const map = EXTRA_KPLUS.get(this.construct) ?? EXTRA_KPLUS.set(this.construct, new Map());
    let v = map.get(x.name);
    if (!v) map.set(x.name, v = createVolume(x.name, x.config, undefined));
    return v;
  }

  /**
   * Adds what a binding needs to a plain ApiObject's manifest as JSON patches,
   * computed from its render now (its own patches included): only appends,
   * never changes or removes what is there, and adds nothing twice.
   */
  private applyAsPatches(b: Binding, annotations: { readonly [key: string]: string } | undefined): void {
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
    ops.push(...annotationPatches(json, loc.templateMetadataPath || '/metadata', annotations ?? {}));
    if (ops.length > 0) this.apiObject.addJsonPatch(...ops);
  }

  // --- rotation annotations ---------------------------------------------------

  /** Annotates the pod template with the rotation of the workload's tokens. */
  public enableRotation(): void {
    this.rotation = true;
    this.installRotation();
  }

  private installRotation(): void {
    const w = this.workload;
    if (w) {
      // one annotation per token volume, its value computed when the workload renders
      for (const v of new Set(volumesInRenderOrder(w))) {
        const kube = v._toKube();
        if (!Array.isArray(kube?.projected?.sources)) continue;
        const key = `token-rotation.bound-tokens.io/${v.name}`;
        const keys = (this.rotationKeys ??= new Set());
        if (keys.has(key)) continue;
        keys.add(key);
        w.podMetadata.addAnnotation(key, derivedValue(() => rotationAnnotations(this.manifest()).get(key)));
      }
      return;
    }
    const json = this.apiObject.toJson();
    const loc = locatePodSpec(json);
    if (!loc) return;
    const wanted: { [key: string]: string } = {};
    for (const [k, v] of rotationAnnotations(json)) {
      const meta = getAt(json, loc.templateMetadataPath || '/metadata');
      if (meta?.annotations?.[k] !== v) wanted[k] = v;
    }
    const ops = annotationPatches(json, loc.templateMetadataPath || '/metadata', wanted);
    if (ops.length > 0) this.apiObject.addJsonPatch(...ops);
  }

  /** A token of a bound volume changed (ApiObjects hold rotation annotations as values, not functions). */
  public _volumeChanged(): void {
    if (this.rotation && !this.workload) this.installRotation();
  }

  // --- acknowledgements -------------------------------------------------------

  /**
   * Records an acknowledgement in the manifest where the pods get it (a
   * Pod's own metadata, a workload's pod template: a workload's own metadata
   * never reaches its pods, BT138), while it applies: its value is the reason
   * of the first of the acknowledgements of `key` that applies when the
   * workload renders, and an annotation that applies nowhere is left out.
   */
  public acknowledged(_ruleId: string, key: string, value: () => string | undefined): void {
    const producers = this.ackProducers?.get(key);
    if (producers) {
      producers.push(value);
      return;
    }
    const list = [value];
    (this.ackProducers ??= new Map()).set(key, list);
    const reason = (): string | undefined => {
      for (const p of list) {
        const v = p();
        if (v !== undefined) return v;
      }
      return undefined;
    };
    const w = this.workload;
    if (w) {
      (w.podMetadata !== (w.metadata as unknown) ? w.podMetadata : this.apiObject.metadata).addAnnotation(key, derivedValue(reason));
      return;
    }
    // a plain object's pod template: a JSON patch whose value is computed when the patch is applied
    const json = readingTheModel(() => this.apiObject.toJson());
    const loc = locatePodSpec(json);
    if (!loc || !loc.templateMetadataPath) {
      this.apiObject.metadata.addAnnotation(key, derivedValue(reason));
      return;
    }
    const late = { toJSON: () => (readingModelNow() ? undefined : reason()) };
    const meta = getAt(json, loc.templateMetadataPath);
    if (!meta || typeof meta !== 'object') {
      this.apiObject.addJsonPatch(JsonPatch.add(loc.templateMetadataPath, { annotations: { [key]: late } }));
    } else if (!meta.annotations || typeof meta.annotations !== 'object') {
      this.apiObject.addJsonPatch(JsonPatch.add(`${loc.templateMetadataPath}/annotations`, { toJSON: () => { const v = late.toJSON(); return v === undefined ? undefined : { [key]: v }; } }));
    } else {
      this.apiObject.addJsonPatch(JsonPatch.add(`${loc.templateMetadataPath}/annotations/${escapePointer(key)}`, late));
    }
  }

  // --- checks -----------------------------------------------------------------

  /**
   * The manifest the rules read: the ApiObject's render (`toJson()`, as it
   * will be written) for a plain ApiObject and for a workload that escapes
   * its model (JSON patches, the app's own resolvers); otherwise the
   * cdk8s-plus model's view, which shows what the model renders.
   */
  public manifest(): any {
    return this.workload && !escapesTheModel(this.apiObject) ? modelView(this.workload) : readingTheModel(() => this.apiObject.toJson());
  }

  public findings(): Finding[] {
    // (written for the common case, thousands of workloads with nothing to report)
    let managed: Set<string> | undefined;
    let kplusVolumes: KplusVolume[] | undefined;
    if (this.workload) {
      const scan = scanVolumes(this.workload);
      // two volume objects with one name make cdk8s-plus throw while rendering
      if (scan.findings.length > 0) return scan.findings;
      managed = scan.managed;
      kplusVolumes = scan.library;
    }
    let manifest: any;
    let out: Finding[];
    // the bindings' own checks (construct-only rules: containers named, mounts made, env set)
    // compare with what the binding wrote into the model, before any resolver of the app's changed it
    let bound: any;
    if (this.workload && !escapesTheModel(this.apiObject)) {
      manifest = bound = modelView(this.workload);
      out = manifestFindings(manifest, managed);
    } else {
      // the manifest as it will be written: what an escape hatch did is in it
      manifest = readingTheModel(() => this.apiObject.toJson());
      out = renderedFindings(manifest, this.unchangedLibraryVolumes(manifest, kplusVolumes));
      bound = this.workload ? modelView(this.workload) : manifest;
    }
    const own = this.bindingFindings(bound);
    if (own.length > 0) out = out.length > 0 ? out.concat(own) : own;
    for (const check of this.checks ?? []) {
      const extra = check(manifest, this);
      if (extra.length > 0) out = out.concat(constructFindings(extra));
    }
    return this.workload ? explainDroppedVolumes(this.workload, manifest, out) : out;
  }

  /**
   * The names of the library volumes that a render shows exactly as their
   * construct made them (their own checks are the construct's); a volume an
   * escape hatch changed, or that shares its name with another, is checked
   * here like any volume.
   */
  private unchangedLibraryVolumes(manifest: any, kplusVolumes: KplusVolume[] | undefined): Set<string> {
    const made = new Map<string, any>();
    for (const v of kplusVolumes ?? []) made.set(v.name, v._toKube());
    for (const b of this.bindings) if (!made.has(b.volume.name)) made.set(b.volume.name, b.volume._liveJson());
    const out = new Set<string>();
    if (made.size === 0) return out;
    const loc = locatePodSpec(manifest);
    const volumes = loc ? asArray(getAt(manifest, loc.specPath)?.volumes) : [];
    for (const [name, json] of made) {
      const rendered = volumes.filter(v => v?.name === name);
      if (rendered.length === 1 && sameJson(rendered[0], json)) out.add(name);
    }
    return out;
  }

  /** The checks of the bindings, on the manifest as it will be written. */
  private bindingFindings(manifest: any): Finding[] {
    if (this.bindings.length === 0) return NO_FINDINGS;
    const loc = locatePodSpec(manifest);
    if (!loc) {
      const names = [...new Set(this.bindings.map(b => `'${b.volume.name}'`))].join(', ');
      return [finding(R.MOUNT_NO_POD_SPEC, '', 'kind', `of the object carries no pod spec to mount token volume ${names} into`, show(manifest?.kind))];
    }
    let out: Finding[] = NO_FINDINGS;
    const push = (f: Finding) => { out = out === NO_FINDINGS ? [f] : (out.push(f), out); };
    const spec = getAt(manifest, loc.specPath) ?? {};
    const groups: Array<[string, any[]]> = DECLARED_CONTAINER_GROUPS.map(g => [g, asArray(spec[g])]);
    const names: string[] = [];
    for (const [, list] of groups) for (const c of list) if (typeof c?.name === 'string') names.push(c.name);
    for (const b of this.bindings) {
      const vname = b.volume.name;
      for (const n of b.containers ?? []) {
        if (!names.includes(n)) {
          push(finding(R.MOUNT_CONTAINER_UNKNOWN, `${loc.specPath}/containers`, 'containers',
            `of the mount of token volume '${vname}' names a container the workload does not have (it has ${names.map(x => `'${x}'`).join(', ') || 'none'})`,
            show(n)));
        }
      }
      const tokenPaths = b.volume.tokens.map(t => t.path);
      for (const e of b.env.values()) {
        if (e.tokenPath !== undefined && !tokenPaths.includes(e.tokenPath)) {
          push(finding(R.TOKEN_ENV_UNKNOWN_TOKEN, `${loc.specPath}/containers`, 'tokenPath',
            `of env variable '${e.name}' names no token of volume '${vname}' (its tokens: ${tokenPaths.map(p => `'${p}'`).join(', ') || 'none'})`,
            show(e.tokenPath)));
        }
      }
      for (const [group, list] of groups) {
        list.forEach((c, ci) => {
          if (!c || typeof c !== 'object' || (b.containers && !b.containers.has(c.name))) return;
          const mounts = asArray(c.volumeMounts);
          // a container that mounts the volume elsewhere by hand made its own choice
          if (!mounts.some(m => m?.name === vname)) {
            push(finding(R.MOUNT_MISSING, `${loc.specPath}/${group}/${ci}`, 'containers',
              `container '${c.name}' lacks the mount of token volume '${vname}' at '${b.mountPath}' (it was added after the volume was bound)`, show(c.name)));
            return;
          }
          const env = asArray(c.env);
          for (const want of b.env.values()) {
            const expected = envValue(b, want);
            env.forEach((have, ei) => {
              if (have?.name !== want.name) return;
              if (have.value === expected && have.valueFrom === undefined) return;
              push(finding(R.TOKEN_ENV_CONFLICT, `${loc.specPath}/${group}/${ci}/env/${ei}`, 'env',
                `variable '${want.name}' of container '${c.name}' is already set to something other than ${want.tokenPath !== undefined ? `the token file '${expected}' of volume '${vname}'` : `${show(expected)}, which ${b.by} sets`}`,
                have.valueFrom !== undefined ? `valueFrom ${show(have.valueFrom)}` : show(have.value)));
            });
          }
        });
      }
    }
    return out;
  }
}

function asArray(x: unknown): any[] {
  return Array.isArray(x) ? x : [];
}

function envValue(b: Binding, e: BindingEnv): string {
  return e.tokenPath !== undefined ? tokenFilePath(b.mountPath, e.tokenPath) : String(e.value);
}

function describeEnv(e: BindingEnv): string {
  return e.tokenPath !== undefined ? `token '${e.tokenPath}'` : show(e.value);
}

/** JSON patches that set annotations in the metadata at `metaPointer`, creating what is missing. */
function annotationPatches(json: any, metaPointer: string, annotations: { readonly [key: string]: string }): JsonPatch[] {
  const entries = Object.entries(annotations);
  if (entries.length === 0) return [];
  const meta = getAt(json, metaPointer);
  if (!meta || typeof meta !== 'object') return [JsonPatch.add(metaPointer, { annotations: Object.fromEntries(entries) })];
  if (!meta.annotations || typeof meta.annotations !== 'object') return [JsonPatch.add(`${metaPointer}/annotations`, Object.fromEntries(entries))];
  return entries.map(([k, v]) => JsonPatch.add(`${metaPointer}/annotations/${escapePointer(k)}`, v));
}

/** A key as one segment of a JSON pointer. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Order-insensitive equality of two JSON values (objects by keys, arrays by position). */
function sameJson(a: any, b: any): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every(k => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
}

/**
 * The library volumes of a cdk8s-plus workload by name (their own checks are
 * their construct's), and BT133 when two different volume objects share a
 * name (cdk8s-plus would throw "Invalid mount configuration" while rendering).
 */
function scanVolumes(w: KplusWorkload): { findings: Finding[]; managed: Set<string>; library: KplusVolume[] } {
  const volumes = volumesInRenderOrder(w);
  const managed = new Set<string>();
  const library: KplusVolume[] = [];
  let distinct = false;
  for (let i = 0; i < volumes.length; i++) {
    if (volumes[i] !== volumes[0]) distinct = true;
    if (ownerOf(volumes[i]) !== undefined && !managed.has(volumes[i].name)) {
      managed.add(volumes[i].name);
      library.push(volumes[i]);
    }
  }
  if (!distinct) return { findings: NO_FINDINGS, managed, library };
  const byName = new Map<string, KplusVolume>();
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const which = (x: KplusVolume) => (ownerOf(x) !== undefined ? 'a token volume' : 'another volume');
  for (const v of volumes) {
    const first = byName.get(v.name);
    if (!first) {
      byName.set(v.name, v);
      continue;
    }
    if (first === v || reported.has(v.name)) continue;
    reported.add(v.name);
    findings.push(finding(R.VOLUME_NAME_DUPLICATE, '/spec/volumes', 'name', `of ${which(v)} is already used by ${which(first)} of the workload`, show(v.name)));
  }
  return { findings, managed, library };
}

// --- discovery ------------------------------------------------------------------
//
// A library volume can also reach a cdk8s-plus workload through the ordinary
// `container.mount(path, volume)` or `addVolume(volume)`, which the library
// does not see. Once a volume has been handed out (`asVolume()`), every
// validation pass starts by looking for cdk8s-plus workloads (any line) that
// use a library volume, and gives them a record.

const DISCOVERY = new Slot<object>('discovery');

/** Looks for workloads that mount library volumes by hand, at the start of every pass of `c`'s app. */
export function enableDiscovery(c: IConstruct): void {
  const root = c.node.root;
  if (DISCOVERY.has(root)) return;
  const key = DISCOVERY.set(root, {});
  onPass(root, key, () => discover(root));
}

function discover(root: IConstruct): void {
  for (const c of root.node.findAll()) {
    const w = asWorkload(c);
    if (!w) continue;
    const owners = new Set<BindableVolume>();
    for (const v of volumesInRenderOrder(w)) {
      const owner = ownerOf(v) as BindableVolume | undefined;
      if (owner && typeof owner._addUser === 'function') owners.add(owner);
    }
    if (owners.size === 0) continue;
    BoundWorkload.of(w, '', false);
    for (const owner of owners) owner._addUser(w);
  }
}

/** A child construct of `scope` by id, made by `make` on first use. */
export function childOf<T extends IConstruct>(scope: Construct, id: string, make: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? make();
}


/**
 * BT149, thrown by a method given something it cannot bind: `caller` is
 * `[<path>] <method>(<target>)`; the message keeps the house shape
 * `[<path>] BT149: '<param>' of <method>(...) must be ..., got ...; <fix>`.
 */
export function notAWorkload(caller: string, param: string, accepted: string, got: string, fix: string): Error {
  const m = /^(\[[^\]]*\]) ?(.*)$/.exec(caller);
  const [where, call] = m ? [m[1], m[2]] : ['[]', caller];
  return new Error(`${where} BT149: '${param}'${call ? ` of ${call}` : ''} must be ${accepted}, got ${got}; ${fix}`);
}
