// Binds a ProjectedTokenVolume to whole workloads: the implementation of
// `mountInto` (cdk8s-plus workloads) and `mountIntoApiObject` (plain
// ApiObjects). Internal: not part of the jsii API.
//
// - cdk8s-plus: the volume is mounted with the ordinary `container.mount`
//   into the containers there are now, and again at the start of every
//   validation pass into containers added since (idempotent), so the
//   cdk8s-plus model stays true and renders as it always does.
// - ApiObjects have no model: a render transform adds the volume, the mounts
//   and the env vars to the JSON on every render (for validation and for the
//   write alike), after the object's own JSON patches. It only appends:
//   existing volumes, mounts and env vars are never changed or removed, and
//   something already present (an identical volume, the same mount) is not
//   added twice.
// Binding twice is idempotent: bindings are keyed by (volume, workload,
// mount path) and merge.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { addUser } from './discovery';
import { addRenderTransform, onPass } from './engine';
import type { ProjectedTokenVolume } from './projected-token-volume';
import { Finding, finding, getAt, locatePodSpec, R, show } from './rules';
import { Slot } from './slot';
import { TokenMountOptions } from './token-mount';
import { enableRotationAnnotations, setSorted, watchApiObject, WatchOptions, watchWorkload } from './workload-subject';

/** The mount path of token volumes unless told otherwise. */
export const DEFAULT_TOKEN_MOUNT_PATH = '/var/run/secrets/tokens';

interface Binding {
  readonly volume: ProjectedTokenVolume;
  readonly mountPath: string;
  /** Container names; undefined: every container and init container. */
  containers?: Set<string>;
  /** Env var name -> token path; undefined when there are none. */
  envVars?: Map<string, string>;
  /** Containers + init containers of the workload at the last sync (-1: sync again). */
  synced: number;
}

const BINDINGS = new Slot<Binding[]>('bindings');

/** The path of a token file under a mount path. */
export function tokenFilePath(mountPath: string, tokenPath: string): string {
  return `${mountPath.replace(/\/+$/, '')}/${tokenPath}`;
}

/** Records (or merges) a binding after checking the options; returns it and whether the target is new. */
function bind(volume: ProjectedTokenVolume, target: IConstruct, options: TokenMountOptions, method: string): { binding: Binding; first: boolean } {
  // (a function: construct paths cost time, and thousands of calls succeed)
  const where = () => `[${volume.node.path}] ${method}(${target.node.path})`;
  const mountPath = options.mountPath ?? DEFAULT_TOKEN_MOUNT_PATH;
  if (typeof mountPath !== 'string') {
    throw new Error(`${where()}: 'mountPath' must be an absolute path, got ${show(mountPath)}; e.g. '${DEFAULT_TOKEN_MOUNT_PATH}'`);
  }
  if (options.containers !== undefined) {
    if (!Array.isArray(options.containers) || options.containers.length === 0) {
      throw new Error(`${where()}: 'containers' must name at least one container, got ${show(options.containers)}; omit it to mount into every container and init container`);
    }
    for (const n of options.containers) {
      if (typeof n !== 'string' || n === '') {
        throw new Error(`${where()}: 'containers' must hold container names, got ${show(n)}; name a container of the workload`);
      }
    }
  }
  const env = options.envVars && options.envVars.length > 0 ? new Map<string, string>() : undefined;
  for (const e of options.envVars ?? []) {
    if (!e || typeof e.name !== 'string' || e.name === '' || e.name.includes('=')) {
      throw new Error(`${where()}: 'envVars' name must be a non-empty variable name without '=', got ${show(e?.name)}; e.g. 'VAULT_TOKEN_FILE'`);
    }
    if (typeof e.tokenPath !== 'string' || e.tokenPath === '') {
      throw new Error(`${where()}: 'envVars' tokenPath of '${e.name}' must be the path of one of the volume's tokens, got ${show(e.tokenPath)}; e.g. 'token'`);
    }
    const prior = env!.get(e.name);
    if (prior !== undefined && prior !== e.tokenPath) {
      throw new Error(`${where()}: 'envVars' sets '${e.name}' twice, to '${prior}' and '${e.tokenPath}', got both; export each variable once`);
    }
    env!.set(e.name, e.tokenPath);
  }

  const list = BINDINGS.get(target);
  const first = list === undefined;
  let binding = list?.find(b => b.volume === volume && b.mountPath === mountPath);
  if (!binding) {
    binding = { volume, mountPath, containers: options.containers ? new Set(options.containers) : undefined, synced: -1 };
    // (a list of the exact size: most workloads have one binding, and a pushed-to empty array reserves 16 slots)
    if (list) list.push(binding); else BINDINGS.set(target, [binding]);
  } else if (binding.containers) {
    if (options.containers) options.containers.forEach(n => binding!.containers!.add(n));
    else binding.containers = undefined;
  }
  binding.synced = -1;
  for (const [name, tokenPath] of env ?? []) {
    const prior = binding.envVars?.get(name);
    if (prior !== undefined && prior !== tokenPath) {
      throw new Error(`${where()}: 'envVars' '${name}' is already bound to token '${prior}' of this volume, got '${tokenPath}'; export each variable once`);
    }
    (binding.envVars ??= new Map()).set(name, tokenPath);
  }
  addUser(volume, target);
  if (options.rotationAnnotations) enableRotationAnnotations(target);
  return { binding, first };
}

/** `ProjectedTokenVolume.mountInto`. */
export function mountIntoWorkload(volume: ProjectedTokenVolume, workload: kplus.AbstractPod, options: TokenMountOptions): void {
  if (!(workload instanceof kplus.AbstractPod)) {
    throw new Error(`[${volume.node.path}] mountInto: 'workload' must be a cdk8s-plus-27 workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob), got ${describe(workload)}; use mountIntoApiObject() for plain ApiObjects`);
  }
  const { binding, first } = bind(volume, workload, options, 'mountInto');
  syncWorkload(workload, binding);
  if (first) {
    watchWorkload(workload, WORKLOAD_CHECKS);
    syncAtEveryPass(workload);
  }
}

/** The checks of bound workloads: one set of functions for all of them. */
const WORKLOAD_CHECKS: WatchOptions = {
  extraFindings: (manifest, c) => bindingFindings(BINDINGS.get(c) ?? [], manifest, false),
};
const API_OBJECT_CHECKS: WatchOptions = {
  extraFindings: (manifest, c) => bindingFindings(BINDINGS.get(c) ?? [], manifest, true),
  managedVolumes: (c) => (BINDINGS.get(c) ?? []).map(b => b.volume.name),
};

const SYNCED = new WeakMap<IConstruct, kplus.AbstractPod[]>();

/** Containers added after mountInto get the mount at the start of every validation pass (one hook per app). */
function syncAtEveryPass(workload: kplus.AbstractPod): void {
  const root = workload.node.root;
  let list = SYNCED.get(root);
  if (!list) {
    const l: kplus.AbstractPod[] = [];
    list = l;
    SYNCED.set(root, l);
    onPass(root, l, () => {
      for (const w of l) for (const b of BINDINGS.get(w) ?? []) syncWorkload(w, b);
    });
  }
  list.push(workload);
}

/** `ProjectedTokenVolume.mountIntoApiObject`. */
export function mountIntoApiObject(volume: ProjectedTokenVolume, obj: ApiObject, options: TokenMountOptions): void {
  if (!ApiObject.isApiObject(obj)) {
    throw new Error(`[${volume.node.path}] mountIntoApiObject: 'obj' must be a cdk8s ApiObject (KubeDeployment, an object of an Include, ...), got ${describe(obj)}; use mountInto() for cdk8s-plus workloads`);
  }
  const { first } = bind(volume, obj, options, 'mountIntoApiObject');
  if (first) {
    const list = BINDINGS.get(obj)!;
    watchApiObject(obj, API_OBJECT_CHECKS);
    addRenderTransform(obj, list, (json) => applyToJson(json, list));
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  const ctor = (x as any)?.constructor?.name;
  const path = (x as any)?.node?.path;
  return `${ctor ?? typeof x}${path !== undefined ? ` at '${path}'` : ''}`;
}

/**
 * Mounts the volume (and sets the env vars) in the matching containers that
 * lack it. Idempotent; does nothing when no container was added since the
 * last sync (cdk8s-plus cannot remove containers).
 */
function syncWorkload(workload: kplus.AbstractPod, b: Binding): void {
  const containers = [...workload.initContainers, ...workload.containers];
  if (containers.length === b.synced) return;
  b.synced = containers.length;
  const volume = b.volume._kplusVolume;
  for (const c of containers) {
    if (b.containers && !b.containers.has(c.name)) continue;
    if (!c.mounts.some(m => m.volume === volume && m.path === b.mountPath)) {
      c.mount(b.mountPath, volume, { readOnly: true });
    }
    if (!b.envVars) continue;
    const vars = c.env.variables;
    for (const [name, tokenPath] of b.envVars) {
      // an existing variable is never overwritten; BT146 reports a different value
      if (!(name in vars)) c.env.addVariable(name, kplus.EnvValue.fromValue(tokenFilePath(b.mountPath, tokenPath)));
    }
  }
}

/** Adds the bindings to a rendered manifest. Only appends; never changes what is there. */
function applyToJson(json: any, bindings: Binding[]): void {
  const loc = locatePodSpec(json);
  if (!loc) return; // BT148
  const spec = getAt(json, loc.specPath);
  if (!spec || typeof spec !== 'object') return;
  for (const b of bindings) {
    const volume = b.volume._renderVolume();
    if (spec.volumes === undefined || spec.volumes === null) setSorted(spec, 'volumes', []);
    if (!Array.isArray(spec.volumes)) continue;
    if (!spec.volumes.some((v: any) => sameJson(v, volume))) spec.volumes.push(volume);
    for (const group of ['initContainers', 'containers']) {
      const list: any[] = Array.isArray(spec[group]) ? spec[group] : [];
      for (const c of list) {
        if (!c || typeof c !== 'object') continue;
        if (b.containers && !b.containers.has(c.name)) continue;
        if (c.volumeMounts === undefined || c.volumeMounts === null) setSorted(c, 'volumeMounts', []);
        if (Array.isArray(c.volumeMounts) && !c.volumeMounts.some((m: any) => m?.name === volume.name && m?.mountPath === b.mountPath)) {
          c.volumeMounts.push({ mountPath: b.mountPath, name: volume.name, readOnly: true });
        }
        if (!b.envVars) continue;
        if (c.env === undefined || c.env === null) setSorted(c, 'env', []);
        if (!Array.isArray(c.env)) continue;
        for (const [name, tokenPath] of b.envVars) {
          if (!c.env.some((e: any) => e?.name === name)) c.env.push({ name, value: tokenFilePath(b.mountPath, tokenPath) });
        }
      }
    }
  }
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

/** The checks of a workload's bindings, on its manifest as it will be written. */
function bindingFindings(bindings: Binding[], manifest: any, apiObject: boolean): Finding[] {
  // nothing to check without a container filter or env vars, when the pod spec is certain
  if (!apiObject && bindings.every(b => b.containers === undefined && !b.envVars)) return [];
  const out: Finding[] = [];
  const loc = manifest ? locatePodSpec(manifest) : undefined;
  if (!loc) {
    if (apiObject && manifest) {
      const names = [...new Set(bindings.map(b => `'${b.volume.name}'`))].join(', ');
      out.push(finding(R.MOUNT_NO_POD_SPEC, '', 'kind', `of the object carries no pod spec to mount token volume ${names} into`, show(manifest.kind)));
    }
    return out;
  }
  const spec = getAt(manifest, loc.specPath) ?? {};
  const groups: Array<[string, any[]]> = ['initContainers', 'containers'].map(g => [g, Array.isArray(spec[g]) ? spec[g] : []]);
  const names = groups.flatMap(([, list]) => list.map(c => c?.name)).filter((n): n is string => typeof n === 'string');
  for (const b of bindings) {
    const vname = b.volume.name;
    for (const n of b.containers ?? []) {
      if (!names.includes(n)) {
        out.push(finding(R.MOUNT_CONTAINER_UNKNOWN, `${loc.specPath}/containers`, 'containers',
          `of the mount of token volume '${vname}' names a container the workload does not have (it has ${names.map(x => `'${x}'`).join(', ') || 'none'})`,
          show(n)));
      }
    }
    const tokenPaths = b.volume.tokens.map(t => t.path);
    for (const [name, tokenPath] of b.envVars ?? []) {
      if (!tokenPaths.includes(tokenPath)) {
        out.push(finding(R.TOKEN_ENV_UNKNOWN_TOKEN, `${loc.specPath}/containers`, 'tokenPath',
          `of env variable '${name}' names no token of volume '${vname}' (its tokens: ${tokenPaths.map(p => `'${p}'`).join(', ') || 'none'})`,
          show(tokenPath)));
      }
      const expected = tokenFilePath(b.mountPath, tokenPath);
      for (const [group, list] of groups) {
        list.forEach((c, ci) => {
          if (b.containers && !b.containers.has(c?.name)) return;
          const env: any[] = Array.isArray(c?.env) ? c.env : [];
          env.forEach((e, ei) => {
            if (e?.name !== name) return;
            if (e.value === expected && e.valueFrom === undefined) return;
            out.push(finding(R.TOKEN_ENV_CONFLICT, `${loc.specPath}/${group}/${ci}/env/${ei}`, 'env',
              `variable '${name}' of container '${c?.name}' is already set to something other than the token file '${expected}' of volume '${vname}'`,
              e.valueFrom !== undefined ? `valueFrom ${show(e.valueFrom)}` : show(e.value)));
          });
        });
      }
    }
  }
  return out;
}
