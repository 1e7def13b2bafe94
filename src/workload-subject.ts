// Registers workloads with the rule engine: cdk8s-plus workloads and plain
// ApiObjects that carry a pod spec. Internal.
//
// A workload is registered once; later callers (BoundTokenPod, mountInto,
// mountIntoApiObject, the discovery of plain `container.mount` users, the
// rotation annotations) add their own checks to the same subject.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { addRenderTransform, registerSubject, Subject } from './engine';
import { Finding, finding, getAt, locatePodSpec, R, show } from './rules';
import { rotationAnnotations } from './rules/rotation';
import { ownerOf } from './volume-bridge';

/** The names of the bridged (library-made) volumes a workload uses. */
export function managedVolumeNames(workload: kplus.AbstractPod): Set<string> {
  const names = new Set<string>();
  const add = (v: kplus.Volume) => {
    if (ownerOf(v) !== undefined) names.add(v.name);
  };
  workload.volumes.forEach(add);
  for (const c of [...workload.containers, ...workload.initContainers]) {
    for (const m of c.mounts) add(m.volume);
  }
  return names;
}

/** The bridged volumes a workload uses, in render order, without duplicates. */
export function bridgedVolumes(workload: kplus.AbstractPod): kplus.Volume[] {
  const out = new Set<kplus.Volume>();
  for (const c of [...workload.containers, ...workload.initContainers]) {
    for (const m of c.mounts) if (ownerOf(m.volume) !== undefined) out.add(m.volume);
  }
  for (const v of workload.volumes) if (ownerOf(v) !== undefined) out.add(v);
  return [...out];
}

/**
 * cdk8s-plus throws while rendering when two different volume objects share a
 * name ("Invalid mount configuration"). Report it as BT133 before rendering.
 */
function kplusVolumeCollisions(workload: kplus.AbstractPod): Finding[] {
  const byName = new Map<string, kplus.Volume>();
  const out: Finding[] = [];
  const reported = new Set<string>();
  const visit = (v: kplus.Volume) => {
    const first = byName.get(v.name);
    if (!first) {
      byName.set(v.name, v);
      return;
    }
    if (first === v || reported.has(v.name)) return;
    reported.add(v.name);
    const which = (x: kplus.Volume) => (ownerOf(x) !== undefined ? 'a token volume' : 'another volume');
    out.push(finding(R.VOLUME_NAME_DUPLICATE, '/spec/volumes', 'name',
      `of ${which(v)} is already used by ${which(first)} of the workload`, show(v.name)));
  };
  for (const c of [...workload.containers, ...workload.initContainers]) {
    for (const m of c.mounts) visit(m.volume);
  }
  workload.volumes.forEach(visit);
  return out;
}

export interface WatchOptions {
  /** Checks only the construct can do. */
  readonly extraFindings?: (manifest: any) => Finding[];
  /** Rule ids this subject leaves to another rule. */
  readonly exclude?: string[];
  /** Names of volumes whose own checks their construct reports. */
  readonly managedVolumes?: () => Iterable<string>;
}

interface Watch {
  readonly subject: Subject;
  readonly extra: Array<(manifest: any) => Finding[]>;
  readonly exclude: Set<string>;
  readonly managed: Array<() => Iterable<string>>;
}

const WATCHED = new WeakMap<IConstruct, Watch>();

function addOptions(w: Watch, options: WatchOptions): void {
  if (options.extraFindings) w.extra.push(options.extraFindings);
  for (const id of options.exclude ?? []) w.exclude.add(id);
  if (options.managedVolumes) w.managed.push(options.managedVolumes);
}

function collect(w: Watch, manifest: any): Finding[] {
  return w.extra.flatMap(f => f(manifest));
}

function managedOf(w: Watch, base: Iterable<string>): Set<string> {
  const out = new Set(base);
  for (const m of w.managed) for (const n of m()) out.add(n);
  return out;
}

/** Scopes whose watched workloads carry rotation annotations (TokenRotation.annotate). */
const ROTATION_SCOPES = new WeakSet<IConstruct>();
const ROTATION_TRANSFORM = {};

/** Turns the rotation annotations on for every watched workload at or below `scope`. */
export function enableRotationAnnotations(scope: IConstruct): void {
  ROTATION_SCOPES.add(scope);
}

/** Every watched workload adds its rotation annotations when a scope of it asked for them. */
function installRenderHooks(workload: IConstruct, obj: ApiObject): void {
  addRenderTransform(obj, ROTATION_TRANSFORM, (json) => {
    if (!workload.node.scopes.some(s => ROTATION_SCOPES.has(s))) return;
    const loc = locatePodSpec(json);
    if (!loc) return;
    for (const [k, v] of rotationAnnotations(json)) putAnnotation(json, loc.templateMetadataPath || '/metadata', k, v);
  }, true);
}

/** Puts a cdk8s-plus workload (Pod, Deployment, ...) under the rules, once; options add up. */
export function watchWorkload(workload: kplus.AbstractPod, options: WatchOptions = {}): Subject {
  const existing = WATCHED.get(workload);
  if (existing) {
    addOptions(existing, options);
    return existing.subject;
  }
  const apiObject = ApiObject.of(workload);
  const w: Watch = {
    extra: [],
    exclude: new Set(),
    managed: [],
    subject: undefined as any,
  };
  addOptions(w, options);
  (w as any).subject = registerSubject({
    construct: workload,
    apiObject,
    managedVolumes: () => managedOf(w, managedVolumeNames(workload)),
    extraFindings: (manifest) => collect(w, manifest),
    exclude: w.exclude,
    precheck: () => kplusVolumeCollisions(workload),
    annotate: (key, value) => {
      workload.metadata.addAnnotation(key, value);
      if (workload.podMetadata !== workload.metadata) workload.podMetadata.addAnnotation(key, value);
    },
  });
  WATCHED.set(workload, w);
  installRenderHooks(workload, apiObject);
  return w.subject;
}

/**
 * Puts a plain ApiObject (KubeDeployment, an object loaded with Include, ...)
 * under the rules, once; options add up. Acknowledgements land on the object
 * and on its pod template.
 */
export function watchApiObject(obj: ApiObject, options: WatchOptions = {}): Subject {
  const existing = WATCHED.get(obj);
  if (existing) {
    addOptions(existing, options);
    return existing.subject;
  }
  const acks = new Map<string, string>();
  const w: Watch = { extra: [], exclude: new Set(), managed: [], subject: undefined as any };
  addOptions(w, options);
  (w as any).subject = registerSubject({
    construct: obj,
    apiObject: obj,
    managedVolumes: () => managedOf(w, []),
    extraFindings: (manifest) => collect(w, manifest),
    exclude: w.exclude,
    annotate: (key, value) => {
      acks.set(key, value);
    },
  });
  WATCHED.set(obj, w);
  addRenderTransform(obj, ACK_TRANSFORM, (json) => {
    for (const [k, v] of acks) {
      putAnnotation(json, '/metadata', k, v);
      const loc = locatePodSpec(json);
      if (loc && loc.templateMetadataPath) putAnnotation(json, loc.templateMetadataPath, k, v);
    }
  });
  installRenderHooks(obj, obj);
  return w.subject;
}

const ACK_TRANSFORM = {};

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
