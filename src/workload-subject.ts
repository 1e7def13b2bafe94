// Registers workloads with the rule engine: cdk8s-plus workloads and plain
// ApiObjects that carry a pod spec. Internal.
//
// A workload is registered once; later callers (BoundTokenPod, mountInto,
// mountIntoApiObject, the discovery of plain `container.mount` users, the
// rotation annotations) add their own checks to the same subject.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { addRenderTransform, registerSubject, Subject, subjectsUnder } from './engine';
import { Finding, finding, getAt, locatePodSpec, NO_FINDINGS, R, show } from './rules';
import { rotationAnnotations } from './rules/rotation';
import { Slot } from './slot';
import { ownerOf } from './volume-bridge';

/** The containers and init containers of a workload (cdk8s-plus returns copies; this makes one array). */
function allContainers(workload: kplus.AbstractPod): kplus.Container[] {
  const out = workload.containers;
  const init = workload.initContainers;
  for (let i = 0; i < init.length; i++) out.push(init[i]);
  return out;
}

/** The volumes of a workload in render order (mounted ones first, then the pod's own), with repeats. */
function volumesInRenderOrder(workload: kplus.AbstractPod): kplus.Volume[] {
  const volumes: kplus.Volume[] = [];
  for (const c of allContainers(workload)) for (const m of c.mounts) volumes.push(m.volume);
  for (const v of workload.volumes) volumes.push(v);
  return volumes;
}

/** The bridged volumes a workload uses, in render order, without duplicates. */
export function bridgedVolumes(workload: kplus.AbstractPod): kplus.Volume[] {
  return [...new Set(volumesInRenderOrder(workload).filter(v => ownerOf(v) !== undefined))];
}

/**
 * cdk8s-plus throws while rendering when two different volume objects share a
 * name ("Invalid mount configuration"). Reports it as BT133 before rendering,
 * and returns the names of the bridged volumes on the way (one walk of the
 * workload's containers serves both).
 */
function scanKplusVolumes(workload: kplus.AbstractPod): { findings: Finding[]; managed: Set<string> } {
  const volumes = volumesInRenderOrder(workload);
  const managed = new Set<string>();
  let distinct = false;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (v !== volumes[0]) distinct = true;
    if (ownerOf(v) !== undefined) managed.add(v.name);
  }
  // the common case: one volume object (or none), nothing to compare
  if (!distinct) return { findings: NO_FINDINGS, managed };
  const byName = new Map<string, kplus.Volume>();
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const v of volumes) {
    const first = byName.get(v.name);
    if (!first) {
      byName.set(v.name, v);
      continue;
    }
    if (first === v || reported.has(v.name)) continue;
    reported.add(v.name);
    const which = (x: kplus.Volume) => (ownerOf(x) !== undefined ? 'a token volume' : 'another volume');
    findings.push(finding(R.VOLUME_NAME_DUPLICATE, '/spec/volumes', 'name',
      `of ${which(v)} is already used by ${which(first)} of the workload`, show(v.name)));
  }
  return { findings, managed };
}

export interface WatchOptions {
  /** Checks only the construct can do (given the watched construct, so one function can serve all). */
  readonly extraFindings?: (manifest: any, construct: IConstruct) => Finding[];
  /** Rule ids this subject leaves to another rule. */
  readonly exclude?: string[];
  /** Names of volumes whose own checks their construct reports. */
  readonly managedVolumes?: (construct: IConstruct) => Iterable<string>;
}


/**
 * The rule subject of one watched workload. Its checks are the engine's
 * manifest checks plus what each caller added (options add up).
 */
abstract class Watch implements Subject {
  public exclude?: Set<string>;
  private extra?: Array<(manifest: any, construct: IConstruct) => Finding[]>;
  private managed?: Array<(construct: IConstruct) => Iterable<string>>;

  constructor(public readonly construct: IConstruct, public readonly apiObject: ApiObject) {}

  public add(options: WatchOptions): void {
    // (lists of the exact size: most workloads get one of each)
    const extra = options.extraFindings;
    if (extra && !this.extra?.includes(extra)) this.extra = this.extra ? [...this.extra, extra] : [extra];
    for (const id of options.exclude ?? []) (this.exclude ??= new Set()).add(id);
    const managed = options.managedVolumes;
    if (managed && !this.managed?.includes(managed)) this.managed = this.managed ? [...this.managed, managed] : [managed];
  }

  public extraFindings(manifest: any): Finding[] {
    if (!this.extra) return NO_FINDINGS;
    if (this.extra.length === 1) return this.extra[0](manifest, this.construct);
    return this.extra.flatMap(f => f(manifest, this.construct));
  }

  public managedVolumes(): ReadonlySet<string> {
    const base = this.baseManaged();
    if (!this.managed && base instanceof Set) return base;
    const out = new Set(base);
    for (const m of this.managed ?? []) for (const n of m(this.construct)) out.add(n);
    return out;
  }

  protected abstract baseManaged(): Iterable<string>;
  public abstract annotate(key: string, value: string): void;
}

/** A cdk8s-plus workload. */
class WorkloadWatch extends Watch {
  /** The bridged volume names found by the last precheck, for the managedVolumes() call that follows it. */
  private scanned?: Set<string>;

  constructor(private readonly workload: kplus.AbstractPod) {
    super(workload, ApiObject.of(workload));
  }

  public precheck(): Finding[] {
    const { findings, managed } = scanKplusVolumes(this.workload);
    this.scanned = managed;
    return findings;
  }

  protected baseManaged(): Iterable<string> {
    const managed = this.scanned ?? scanKplusVolumes(this.workload).managed;
    this.scanned = undefined;
    return managed;
  }

  public annotate(key: string, value: string): void {
    this.workload.metadata.addAnnotation(key, value);
    if (this.workload.podMetadata !== this.workload.metadata) this.workload.podMetadata.addAnnotation(key, value);
  }
}

/** A plain ApiObject; acknowledgements land on the object and its pod template. */
class ApiObjectWatch extends Watch {
  private acks?: Map<string, string>;

  protected baseManaged(): Iterable<string> {
    return NO_NAMES;
  }

  public annotate(key: string, value: string): void {
    const acks = (this.acks ??= new Map());
    acks.set(key, value);
    // the renders to come carry it on the object and its pod template
    addRenderTransform(this.apiObject, ACK_TRANSFORM, (json) => {
      const loc = locatePodSpec(json);
      for (const [k, v] of acks) {
        putAnnotation(json, '/metadata', k, v);
        if (loc && loc.templateMetadataPath) putAnnotation(json, loc.templateMetadataPath, k, v);
      }
    });
  }
}

const NO_NAMES: string[] = [];
const ACK_TRANSFORM = {};
const WATCHED = new Slot<Watch>('watch');

/** Scopes whose watched workloads carry rotation annotations (TokenRotation.annotate). */
const ROTATION_SCOPES = new WeakSet<IConstruct>();
let rotationScopeCount = 0;
const ROTATION_TRANSFORM = {};

/** Turns the rotation annotations on for every watched workload at or below `scope`, now and later. */
export function enableRotationAnnotations(scope: IConstruct): void {
  if (ROTATION_SCOPES.has(scope)) return;
  ROTATION_SCOPES.add(scope);
  rotationScopeCount++;
  for (const s of subjectsUnder(scope)) {
    if (WATCHED.has(s.construct) && s.apiObject) installRotation(s.apiObject);
  }
}

/** Installs the rotation annotations on a newly watched workload when a scope of it asked for them. */
function maybeInstallRotation(workload: IConstruct, obj: ApiObject): void {
  if (rotationScopeCount > 0 && workload.node.scopes.some(s => ROTATION_SCOPES.has(s))) installRotation(obj);
}

/** Annotates the pod template with the rotation of its tokens, read from the final pod spec. */
function installRotation(obj: ApiObject): void {
  addRenderTransform(obj, ROTATION_TRANSFORM, (json) => {
    const loc = locatePodSpec(json);
    if (!loc) return;
    for (const [k, v] of rotationAnnotations(json)) putAnnotation(json, loc.templateMetadataPath || '/metadata', k, v);
  }, true);
}

/** Puts a cdk8s-plus workload (Pod, Deployment, ...) under the rules, once; options add up. */
export function watchWorkload(workload: kplus.AbstractPod, options: WatchOptions = {}): Subject {
  return watch(workload, options, () => new WorkloadWatch(workload));
}

/**
 * Puts a plain ApiObject (KubeDeployment, an object loaded with Include, ...)
 * under the rules, once; options add up. Acknowledgements land on the object
 * and on its pod template.
 */
export function watchApiObject(obj: ApiObject, options: WatchOptions = {}): Subject {
  return watch(obj, options, () => new ApiObjectWatch(obj, obj));
}

function watch(c: IConstruct, options: WatchOptions, make: () => Watch): Subject {
  let w = WATCHED.get(c);
  if (!w) {
    w = WATCHED.set(c, make());
    registerSubject(w);
    maybeInstallRotation(c, w.apiObject);
  }
  w.add(options);
  return w;
}

/** The construct is watched (a subject of the rules as a workload). */
export function isWatched(c: IConstruct): boolean {
  return WATCHED.has(c);
}

/**
 * Sets one annotation in the metadata at `metaPointer`, creating what is
 * missing and keeping keys sorted, as cdk8s renders them.
 */
export function putAnnotation(json: any, metaPointer: string, key: string, value: string): void {
  const parentPointer = metaPointer.slice(0, metaPointer.lastIndexOf('/'));
  const parent = getAt(json, parentPointer);
  if (!parent || typeof parent !== 'object') return;
  if (!parent.metadata || typeof parent.metadata !== 'object') setSorted(parent, 'metadata', {});
  const meta = parent.metadata;
  if (!meta.annotations || typeof meta.annotations !== 'object') setSorted(meta, 'annotations', {});
  setSorted(meta.annotations, key, value);
}

/** Sets `obj[key]`, inserting a new key at its sorted place (cdk8s sorts keys). */
export function setSorted(obj: any, key: string, value: unknown): void {
  if (key in obj) {
    obj[key] = value;
    return;
  }
  const entries = Object.entries(obj);
  entries.push([key, value]);
  const sorted = isSorted(entries.slice(0, -1)) ? entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
  for (const [k] of entries) delete obj[k];
  for (const [k, v] of sorted) obj[k] = v;
}

function isSorted(entries: Array<[string, unknown]>): boolean {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1][0] > entries[i][0]) return false;
  return true;
}
