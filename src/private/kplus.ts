// The one module that knows cdk8s-plus. Internal: not part of the jsii API.
//
// Every other module reaches cdk8s-plus through this one: the cdk8s-plus-27
// types that the public API names (BoundTokenPod is a cdk8s-plus-27 Pod,
// ProjectedTokenVolume is a cdk8s-plus-27 IStorage), and the run-time view of
// a workload or ServiceAccount of ANY cdk8s-plus line (27, 32, 33, 34, ...).
//
// Why one view serves every line: the lines are generated from one code
// base. A workload of each has `containers`, `initContainers` (copies),
// `volumes`, `addVolume()`, `podMetadata`, `serviceAccount` and renders its
// pod spec from them; a container has `name`, `mounts`, `mount()` and `env`
// (`variables`, `addVariable()`); a volume is rendered from its `name` and
// `_toKube()`; an env value from its `value` / `valueFrom`. Their classes are
// distinct per line, so TypeScript and `instanceof` cannot accept one line's
// object where another's is expected. Objects are therefore recognised by
// the jsii type information every jsii class carries (`Symbol.for('jsii.rtti')`,
// e.g. `{ fqn: 'cdk8s-plus-33.Deployment' }`), on the class or the nearest
// cdk8s-plus class it extends, and then used through the members above.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct, Node } from 'constructs';
import { metadataJson } from './plain-json';
import { Slot } from './slot';

export { kplus };

/** The kinds of workload a binding accepts, as cdk8s-plus names them. */
export const WORKLOAD_KINDS: readonly string[] = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];


const RTTI = Symbol.for('jsii.rtti');
const FQN = /^(cdk8s-plus-(\d+))\.([A-Za-z]+)$/;

/** The cdk8s-plus class an object is (or extends): its line and class name. */
export interface KplusType {
  /** e.g. 'cdk8s-plus-33' */
  readonly line: string;
  /** e.g. 'Deployment' */
  readonly className: string;
}

const TYPES = new WeakMap<object, KplusType | null>();

/** The nearest cdk8s-plus (2.x line, 22 or later) class on the prototype chain of `x`, if any. */
export function kplusTypeOf(x: unknown): KplusType | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const proto = Object.getPrototypeOf(x);
  if (!proto) return undefined;
  const known = TYPES.get(proto);
  if (known !== undefined) return known ?? undefined;
  let found: KplusType | null = null;
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = p.constructor;
    if (typeof ctor !== 'function' || !Object.prototype.hasOwnProperty.call(ctor, RTTI)) continue;
    const m = FQN.exec(String(ctor[RTTI]?.fqn ?? ''));
    if (m && Number(m[2]) >= 22) {
      found = { line: m[1], className: m[3] };
      break;
    }
  }
  TYPES.set(proto, found);
  return found ?? undefined;
}

/** A container of a cdk8s-plus workload, of any line. */
export interface KplusContainer {
  readonly name: string;
  readonly mounts: ReadonlyArray<{ readonly path: string; readonly volume: KplusVolume; readonly subPath?: string }>;
  readonly env: {
    readonly variables: { [name: string]: { readonly value?: string; readonly valueFrom?: unknown } };
    addVariable(name: string, value: unknown): void;
  };
  mount(path: string, storage: { asVolume(): any }, options?: { readOnly?: boolean }): void;
}

/** A volume as cdk8s-plus renders it. */
export interface KplusVolume {
  readonly name: string;
  _toKube(): any;
}

/** A cdk8s-plus workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) of any line. */
export interface KplusWorkload extends IConstruct {
  readonly containers: KplusContainer[];
  readonly initContainers: KplusContainer[];
  readonly volumes: KplusVolume[];
  readonly serviceAccount?: { readonly name: string };
  readonly podMetadata: { addAnnotation(key: string, value: string): void };
  readonly metadata: { addAnnotation(key: string, value: string): void };
  addVolume(volume: KplusVolume): void;
}

/** `x` as a cdk8s-plus workload of any line, or undefined. */
export function asWorkload(x: unknown): KplusWorkload | undefined {
  const t = kplusTypeOf(x);
  if (!t || !WORKLOAD_KINDS.includes(t.className)) return undefined;
  return x as KplusWorkload;
}

/** A cdk8s-plus ServiceAccount, of any line. */
export interface KplusServiceAccount {
  readonly name: string;
  readonly metadata: { addAnnotation(k: string, v: string): void };
}

/** `x` as a cdk8s-plus ServiceAccount of any line, or undefined. */
export function asServiceAccount(x: unknown): KplusServiceAccount | undefined {
  const t = kplusTypeOf(x);
  return t && t.className === 'ServiceAccount' ? (x as any) : undefined;
}

/** A short description of what was passed, for messages: 'a cdk8s-plus-33 ConfigMap at 'chart/Cm''. */
export function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return `${typeof x} ${JSON.stringify(x)}`;
  const t = kplusTypeOf(x);
  const path = (x as any)?.node?.path;
  const what = t ? `a ${t.line} ${t.className}` : `a ${(x as any)?.constructor?.name ?? 'object'}`;
  return `${what}${typeof path === 'string' ? ` at '${path}'` : ''}`;
}

/** The service account name a workload runs as, if any. */
export function serviceAccountName(workload: KplusWorkload): string | undefined {
  return workload.serviceAccount?.name;
}

/** The containers and init containers of a workload (one array; cdk8s-plus returns copies). */
export function allContainers(workload: KplusWorkload): KplusContainer[] {
  const out = workload.initContainers;
  const main = workload.containers;
  for (let i = 0; i < main.length; i++) out.push(main[i]);
  return out;
}

/** The volumes of a workload in render order (mounted ones first, then the pod's own), with repeats. */
export function volumesInRenderOrder(workload: KplusWorkload): KplusVolume[] {
  const volumes: KplusVolume[] = [];
  for (const c of workload.containers) for (const m of c.mounts) volumes.push(m.volume);
  for (const c of workload.initContainers) for (const m of c.mounts) volumes.push(m.volume);
  for (const v of workload.volumes) volumes.push(v);
  return volumes;
}

/** Mounts `volume` read-only at `path` in `container`, unless it is mounted there already. */
export function mountReadOnly(container: KplusContainer, path: string, volume: KplusVolume): void {
  for (const m of container.mounts) if (m.volume === volume && m.path === path) return;
  container.mount(path, { asVolume: () => volume }, { readOnly: true });
}

/** Sets a constant env var in a container unless it sets the variable already (the conflict is a rule). */
export function setEnvIfAbsent(container: KplusContainer, name: string, value: string): void {
  if (name in container.env.variables) return;
  // an env value of any line renders from `value` and `valueFrom`
  container.env.addVariable(name, kplus.EnvValue.fromValue(value));
}

/**
 * The manifest a workload will render, for the rules, without cdk8s's
 * resolver: the object's metadata and the workload's own `_toKube()` (the
 * spec cdk8s-plus produces lazily). Lazy values inside stay unresolved and
 * keys unsorted; the rules read only plain fields (names, paths, volumes,
 * env, the service account). Costs a fraction of a render.
 */
export function modelManifest(workload: KplusWorkload): any {
  const obj = ApiObject.of(workload);
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: metadataJson(obj.metadata), spec: (workload as any)._toKube() };
}

/**
 * What the rules read of a workload, built straight from the cdk8s-plus
 * model (a few microseconds, where `modelManifest` costs tens): kind, the
 * pod spec's service account, security context, volumes (in render order,
 * each once) and containers (name, mounts, env), at the paths a manifest
 * has them. Metadata (object and pod template) is read only when a rule asks
 * for it (`obj` and `renderOrder` when the caller has them at hand).
 * StatefulSets use `modelManifest`: cdk8s-plus 2.5.x drops some of
 * their volumes when it renders, and the rules must see what is written.
 */
export function modelView(workload: KplusWorkload, obj = ApiObject.of(workload), renderOrder = volumesInRenderOrder(workload)): any {
  const kind = obj.kind;
  if (kind === 'StatefulSet') return modelManifest(workload);
  const volumes: any[] = [];
  for (let i = 0; i < renderOrder.length; i++) {
    const v = renderOrder[i];
    if (renderOrder.indexOf(v) === i) volumes.push(v._toKube());
  }
  const spec = new PodSpecView(workload, volumes);
  if (kind === 'Pod') return new ObjectView(obj, spec);
  const template = new TemplateView((workload as any).podMetadata, spec);
  return new ObjectView(obj, kind === 'CronJob' ? { jobTemplate: { spec: { template } } } : { template });
}

// The view's objects are classes whose lazy fields are getters on the
// prototype, read when a rule first asks and then kept: made per workload
// and pass, they share one shape each (an accessor defined on each object
// would give every object a hidden class of its own). Their sources are
// kept under symbols, which JSON and Object.keys() do not see.
const SOURCE = Symbol('source');
const MADE = Symbol('made');

/** An object of the view: apiVersion, kind, spec, and its metadata's JSON on first read. */
class ObjectView {
  public readonly apiVersion: string;
  public readonly kind: string;
  private readonly [SOURCE]: { toJson(): any };
  private [MADE]: any;

  constructor(obj: ApiObject, public readonly spec: any) {
    this.apiVersion = obj.apiVersion;
    this.kind = obj.kind;
    this[SOURCE] = obj.metadata;
  }

  public get metadata(): any {
    return (this[MADE] ??= metadataJson(this[SOURCE]));
  }
}

/** A pod template of the view: its spec, and its metadata's JSON on first read. */
class TemplateView {
  private readonly [SOURCE]: { toJson(): any };
  private [MADE]: any;

  constructor(podMetadata: { toJson(): any }, public readonly spec: PodSpecView) {
    this[SOURCE] = podMetadata;
  }

  public get metadata(): any {
    return (this[MADE] ??= metadataJson(this[SOURCE]));
  }
}

/**
 * The pod spec of the view: service account, containers, init containers
 * and volumes (when there are any); the security context, and where the pod
 * is scheduled (BT290: cdk8s-plus writes scheduling.attract() as a node
 * affinity), on first read.
 */
class PodSpecView {
  public readonly serviceAccountName: string | undefined;
  public readonly initContainers: any[];
  public readonly containers: any[];
  public readonly volumes?: any[];
  private readonly [SOURCE]: any;
  private [MADE]?: { securityContext?: any; affinity?: any };

  constructor(workload: KplusWorkload, volumes: any[]) {
    const w = workload as any;
    this[SOURCE] = w;
    this.serviceAccountName = w.serviceAccount?.name;
    this.initContainers = workload.initContainers.map(containerView);
    this.containers = workload.containers.map(containerView);
    if (volumes.length > 0) this.volumes = volumes;
  }

  public get securityContext(): any {
    const made = (this[MADE] ??= {});
    return ('securityContext' in made) ? made.securityContext : (made.securityContext = this[SOURCE].securityContext?._toKube?.());
  }

  public get affinity(): any {
    const made = (this[MADE] ??= {});
    return ('affinity' in made) ? made.affinity : (made.affinity = this[SOURCE].scheduling?._toKube?.()?.affinity);
  }
}

function containerView(c: KplusContainer): any {
  const env: any[] = [];
  const variables = c.env.variables;
  for (const name in variables) {
    const v = variables[name];
    env.push({ name, value: v.value, valueFrom: v.valueFrom });
  }
  return {
    name: c.name,
    volumeMounts: c.mounts.map((m: any) => ({
      mountPath: m.path, name: m.volume.name, readOnly: m.readOnly, subPath: m.subPath, subPathExpr: m.subPathExpr,
    })),
    env,
  };
}

// --- projected volumes --------------------------------------------------------
//
// No cdk8s-plus line has projected volumes (its `Volume` has a private
// constructor and only `from*` factories; cdk8s-plus issue #353). A volume is
// rendered from its `name` and `_toKube()` alone, and cdk8s-plus never uses
// its place in the construct tree, so a projected volume is a plain object on
// the cdk8s-plus-27 `Volume` prototype (what `IStorage.asVolume()` must
// return by type), made without running the Construct constructor: every
// construct costs synth time, and apps with thousands of workloads would pay
// for an object that renders nothing by itself. Its `node` is made on first
// use, in a small tree of its own, for code that asks for it.

// shared by every copy of the library: each copy knows the other's volumes as library volumes
const OWNER = new Slot<unknown>('volume-owner', true);
const NODE = new Slot<Node>('node');
const CONFIG = new Slot<{ readonly [key: string]: unknown }>('volume-config');

/** An owner that makes the volume's `config` when it renders (so that thousands of volumes keep no copy of it). */
export interface VolumeConfigSource {
  _kplusConfig(): { readonly [key: string]: unknown };
}

const BRIDGED: kplus.Volume = Object.create(kplus.Volume.prototype, {
  node: {
    get(this: kplus.Volume) {
      return NODE.get(this) ?? NODE.set(this, new Construct(new Construct(undefined as unknown as Construct, ''), this.name).node);
    },
  },
  // what cdk8s-plus renders (`{ name, ...config }`): the config given, or the owner's, made now
  config: {
    get(this: kplus.Volume) {
      return CONFIG.get(this) ?? (OWNER.get(this) as VolumeConfigSource)._kplusConfig();
    },
  },
});

/**
 * A volume named `name` that renders `{ name, ...config }` in a workload of
 * any line: `config`, plain JSON that cdk8s-plus only reads, or when it is
 * undefined what the owner's `_kplusConfig()` makes each time it renders.
 */
export function createVolume(name: string, config: { readonly [key: string]: unknown } | undefined, owner: unknown): kplus.Volume {
  const volume: any = Object.create(BRIDGED);
  // cdk8s-plus truncates names to 63 characters; the rules report such names, never truncate them.
  volume.name = name;
  if (config !== undefined) CONFIG.set(volume, config);
  OWNER.set(volume, owner);
  return volume;
}

/** The owner given to `createVolume` (a ProjectedTokenVolume, ...), or undefined for other volumes. */
export function ownerOf(volume: unknown): unknown {
  return volume && typeof volume === 'object' ? OWNER.get(volume) : undefined;
}

/** Creates a cdk8s-plus-27 ServiceAccount (the line `createServiceAccount` returns). */
export function createServiceAccount27(scope: Construct, id: string, props: kplus.ServiceAccountProps): kplus.ServiceAccount {
  return new kplus.ServiceAccount(scope, id, props);
}
