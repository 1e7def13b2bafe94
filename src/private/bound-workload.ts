// One record per bound workload. Internal: not part of the jsii API.
//
// "This workload mounts this token volume here, with these env vars" is
// written down once, in the BoundWorkload of the workload, made by one entry
// point (`BoundWorkload.of`) that `mountInto`, `mountIntoApiObject`, the
// identity presets, `BoundTokenPod`, the discovery of plain
// `container.mount(path, volume)` (./discovery) and `TokenRotation` all use.
// The record
// - keeps the bindings, the presets bound and its own checks as data;
// - applies each effect (mount, pod annotations, acknowledgements, token
//   rotation) once, through its target (./binding-target: the cdk8s-plus
//   model of any line, or JSON patches on a plain ApiObject), chosen when
//   the record is made;
// - is the rule subject of the workload: its checks read the workload as it
//   is at synth time and change nothing (the binding rules themselves are
//   pure, in src/rules/binding.ts); what they find is recorded (the token
//   rotation) for the annotations that describe the manifest.
// Binding twice is idempotent: bindings are keyed by (volume, mount path)
// and merge.
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { addBinding, BindableVolume, Binding, bindingFacts, BindRequest, normalizeMountPath, notAWorkload, PresetUse } from './binding';
import { bindingTarget, BindingTarget } from './binding-target';
import { registerSubject, Subject, subjectsUnder } from './engine';
import { asWorkload, describeValue, KplusVolume, KplusWorkload } from './kplus';
import { sameJson } from './object-target';
import { Where } from './props';
import { rootOf, Slot } from './slot';
import { constructFindings, manifestFindings, renderedFindings } from './subject-findings';
import { Finding, getAt, locatePodSpec, R } from '../rules';
import { limitsOf } from './token-limits';
import { checkBindings } from '../rules/binding';
import { rotationAnnotations } from '../rules/rotation';

// (the shared vocabulary of bindings lives in ./binding; named here too for the modules that bind)
export { childOf, DEFAULT_TOKEN_MOUNT_PATH, normalizeMountPath, notAWorkload, tokenFilePath } from './binding';
export type { BindableVolume, BindingEnv, BindRequest, ExtraVolume, PresetUse } from './binding';

/** Extra checks a caller adds to a record (BoundTokenPod, presets). */
export type RecordCheck = (manifest: any | undefined, record: BoundWorkload) => Finding[];

const RECORD = new Slot<BoundWorkload>('record');
const NO_BINDINGS: readonly Binding[] = Object.freeze([]);
/** Scopes whose bound workloads carry rotation annotations (TokenRotation.annotate). */
const ROTATION_SCOPES = new Slot<true>('rotation-scope');
/** Whether any scope of an app asked for rotation (kept on the app's root: most apps never do). */
const ROTATION_IN_APP = new Slot<true>('rotation-in-app');

/** The bound workload (record) of a construct. */
export class BoundWorkload implements Subject {
  /**
   * The record of `target`, made on first use: the one entry point. `target`
   * is a cdk8s-plus workload of any line, or (with `allowApiObject`) a plain
   * ApiObject; anything else is BT149, thrown with the caller's path.
   */
  public static of(target: unknown, caller: Where, allowApiObject: boolean): BoundWorkload {
    const existing = target && typeof target === 'object' ? RECORD.get(target) : undefined;
    if (existing) return existing;
    const t = bindingTarget(target, allowApiObject);
    if (!t) throw BoundWorkload.refused(caller, allowApiObject, target);
    return new BoundWorkload(target as IConstruct, t);
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
    ROTATION_SCOPES.set(scope, true);
    ROTATION_IN_APP.set(scope.node.root, true);
    for (const r of BoundWorkload.under(scope)) r.enableRotation();
  }

  private static refused(caller: Where, allowApiObject: boolean, target: unknown): Error {
    const accepted = allowApiObject ? 'a cdk8s-plus workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) or an ApiObject with a pod spec'
      : 'a cdk8s-plus workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) of cdk8s-plus-27, -32, -33, -34 or another 2.x line';
    return notAWorkload(caller, 'workload', accepted, describeValue(target), R.NOT_A_WORKLOAD.fix);
  }

  public exclude?: Set<string>;
  /** The object that renders the workload. */
  public readonly apiObject: ApiObject;
  /** The cdk8s-plus model, for cdk8s-plus workloads; undefined for plain ApiObjects. */
  public readonly workload: KplusWorkload | undefined;
  private bindings: readonly Binding[] = NO_BINDINGS;
  // (made on first use: apps have thousands of records, and every empty Map or Set is memory
  // that each garbage collection of the synth walks)
  private checks?: RecordCheck[];
  private presets?: PresetUse[];
  private rotation = false;
  private rotationKeys?: Set<string>;
  /** The rotation annotations of the last evaluation (the record they are read from). */
  private rotationRecord?: Map<string, string>;
  private ackProducers?: Map<string, Array<() => string | undefined>>;

  private constructor(public readonly construct: IConstruct, private readonly target: BindingTarget) {
    this.apiObject = target.apiObject;
    this.workload = target.workload;
    RECORD.set(construct, this);
    registerSubject(this);
    if (ROTATION_IN_APP.has(rootOf(construct)) && construct.node.scopes.some(s => ROTATION_SCOPES.has(s))) this.enableRotation();
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

  /** Records a preset bound to the workload (once per preset and mount path). */
  public addPresetUse(use: PresetUse): void {
    if (this.presets?.some(u => u.key === use.key && u.mountPath === use.mountPath)) return;
    (this.presets ??= []).push(use);
  }

  /** The presets bound to the workload, in the order of binding. */
  public presetUses(): readonly PresetUse[] {
    return this.presets ?? [];
  }

  /** Leaves a rule to another one of this workload. */
  public excludeRule(ruleId: string): void {
    (this.exclude ??= new Set()).add(ruleId);
  }

  /** The service account the workload runs as (name), if it names one. */
  public serviceAccountName(manifest?: any): string | undefined {
    return this.target.serviceAccountName(manifest);
  }

  /** The token volume bound (or, on cdk8s-plus, mounted) at `mountPath`, if any. */
  public tokenVolumeAt(mountPath: string): BindableVolume | undefined {
    const path = normalizeMountPath(mountPath);
    for (const b of this.bindings) if (b.mountPath === path) return b.volume;
    return this.target.volumeMountedAt(path);
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
    return this.target.containersMounting(volume);
  }

  /**
   * Binds a token volume: mounts it read-only at the mount path in the
   * matching containers (every container and init container there is now,
   * or those named), with the env vars, extra volumes and annotations asked
   * for. `caller` prefixes the errors thrown for bad options.
   */
  public bind(volume: BindableVolume, request: BindRequest, caller: Where, by: string): void {
    const { binding: b, bindings } = addBinding(this.bindings, volume, request, caller, by);
    this.bindings = bindings;
    volume._addUser(this.construct);
    this.target.mount(b, this.bindings);
    if (request.podAnnotations) this.target.annotatePod(request.podAnnotations);
    if (request.rotationAnnotations) BoundWorkload.enableRotation(this.construct);
    else if (this.rotation) this.installRotation();
  }

  // --- annotations read from the record ------------------------------------------

  /** Annotates the pod template with the rotation of the workload's tokens. */
  public enableRotation(): void {
    this.rotation = true;
    this.installRotation();
  }

  /** One annotation per token volume, its value the rotation the last evaluation recorded. */
  private installRotation(): void {
    for (const key of this.target.rotationKeys()) {
      const keys = (this.rotationKeys ??= new Set());
      if (keys.has(key)) continue;
      keys.add(key);
      this.target.annotatePodFromRecord(key, () => this.rotationRecord?.get(key));
    }
  }

  /** A token of a bound volume changed: a volume that had no token may now get an annotation. */
  public _volumeChanged(): void {
    if (this.rotation) this.installRotation();
  }

  /**
   * Records an acknowledgement in the manifest where the pods get it (a
   * Pod's own metadata, a workload's pod template: a workload's own metadata
   * never reaches its pods, BT138), while it applies: its value is the reason
   * of the first of the acknowledgements of `key` that applied when the
   * workload was last checked, and an annotation that applies nowhere is left out.
   */
  public acknowledged(_ruleId: string, key: string, value: () => string | undefined): void {
    const producers = this.ackProducers?.get(key);
    if (producers) {
      producers.push(value);
      return;
    }
    const list = [value];
    (this.ackProducers ??= new Map()).set(key, list);
    this.target.annotatePodFromRecord(key, () => {
      for (const p of list) {
        const v = p();
        if (v !== undefined) return v;
      }
      return undefined;
    });
  }

  // --- checks -----------------------------------------------------------------

  /**
   * The manifest the rules read: the ApiObject's render (`toJson()`, as it
   * will be written) for a plain ApiObject and for a workload that escapes
   * its model (JSON patches, the app's own resolvers); otherwise the
   * cdk8s-plus model's view, which shows what the model renders.
   */
  public manifest(): any {
    return this.target.manifest();
  }

  public findings(): Finding[] {
    // (written for the common case, thousands of workloads with nothing to report)
    const read = this.target.read();
    if (read.blocking) return read.blocking;
    const manifest = read.manifest;
    const limits = limitsOf(this.construct);
    let out = read.rendered
      ? renderedFindings(manifest, this.unchangedLibraryVolumes(manifest, read.library), limits)
      : manifestFindings(manifest, read.managed, limits);
    if (this.bindings.length > 0) {
      const own = checkBindings(read.bound, this.bindings.map(bindingFacts));
      if (own.length > 0) out = out.length > 0 ? out.concat(own) : own;
    }
    for (const check of this.checks ?? []) {
      const extra = check(manifest, this);
      if (extra.length > 0) out = out.concat(constructFindings(extra));
    }
    if (this.rotation) this.rotationRecord = rotationAnnotations(manifest, limits);
    return this.target.explain(manifest, out);
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
    const volumes = loc ? getAt(manifest, loc.specPath)?.volumes : undefined;
    for (const [name, json] of made) {
      const rendered = Array.isArray(volumes) ? volumes.filter(v => v?.name === name) : [];
      if (rendered.length === 1 && sameJson(rendered[0], json)) out.add(name);
    }
    return out;
  }
}
