// The binding rules: what a token binding (mountInto, mountIntoApiObject, an
// identity preset) promised, checked against the manifest as it will be
// written. Pure: no cdk8s imports; the construct layer (src/private/
// bound-workload.ts) describes its bindings as data and calls these.
//
// BT133 two volumes of one pod share a name (cdk8s-plus throws while rendering)
// BT145 a binding names a container the workload does not have
// BT146 a container sets a variable of the binding to something else
// BT147 a variable of the binding names a token the volume does not project
// BT148 the bound object carries no pod spec
// BT190 a container the binding reaches lacks the mount (added after the binding)
import { R } from './catalogue';
import { Finding, finding, NO_FINDINGS, show } from './finding';
import { DECLARED_CONTAINER_GROUPS, locatePodSpec } from './kubernetes';
import { getAt } from './manifest';

/** An environment variable a binding sets. */
export interface BoundEnvFacts {
  readonly name: string;
  /** The token whose file the variable names, if it names one. */
  readonly tokenPath?: string;
  /** The value the binding writes (the token file's path, or the fixed value). */
  readonly expected: string;
}

/** One binding of a token volume to a workload, as data. */
export interface BindingFacts {
  readonly volumeName: string;
  /** The mount path, without trailing slashes. */
  readonly mountPath: string;
  /** The containers asked for; undefined: every container and init container. */
  readonly containers?: ReadonlySet<string>;
  /** The paths of the volume's tokens. */
  readonly tokenPaths: readonly string[];
  readonly env: Iterable<BoundEnvFacts>;
  /** Who sets the fixed values, for messages ("the AWS preset"). */
  readonly by: string;
}

function asArray(x: unknown): any[] {
  return Array.isArray(x) ? x : [];
}

/** BT145-148 and BT190: the checks of a workload's bindings, on the manifest as it will be written. */
export function checkBindings(manifest: any, bindings: readonly BindingFacts[]): Finding[] {
  if (bindings.length === 0) return NO_FINDINGS;
  const loc = locatePodSpec(manifest);
  if (!loc) {
    const names = [...new Set(bindings.map(b => `'${b.volumeName}'`))].join(', ');
    return [finding(R.MOUNT_NO_POD_SPEC, '', 'kind', `of the object carries no pod spec to mount token volume ${names} into`, show(manifest?.kind))];
  }
  // (written for thousands of workloads with nothing to report: no list, closure or string is made unless a rule fires)
  let out: Finding[] = NO_FINDINGS;
  const push = (f: Finding) => { out = out === NO_FINDINGS ? [f] : (out.push(f), out); };
  const spec = getAt(manifest, loc.specPath) ?? {};
  for (const b of bindings) {
    const vname = b.volumeName;
    if (b.containers) {
      for (const n of b.containers) {
        if (!hasContainerNamed(spec, n)) {
          const names = containerNames(spec);
          push(finding(R.MOUNT_CONTAINER_UNKNOWN, `${loc.specPath}/containers`, 'containers',
            `of the mount of token volume '${vname}' names a container the workload does not have (it has ${names.map(x => `'${x}'`).join(', ') || 'none'})`,
            show(n)));
        }
      }
    }
    const env = b.env;
    for (const e of env) {
      if (e.tokenPath !== undefined && !b.tokenPaths.includes(e.tokenPath)) {
        push(finding(R.TOKEN_ENV_UNKNOWN_TOKEN, `${loc.specPath}/containers`, 'tokenPath',
          `of env variable '${e.name}' names no token of volume '${vname}' (its tokens: ${b.tokenPaths.map(p => `'${p}'`).join(', ') || 'none'})`,
          show(e.tokenPath)));
      }
    }
    for (let g = 0; g < DECLARED_CONTAINER_GROUPS.length; g++) {
      const group = DECLARED_CONTAINER_GROUPS[g];
      const list = spec[group];
      if (!Array.isArray(list)) continue;
      for (let ci = 0; ci < list.length; ci++) {
        const c = list[ci];
        if (!c || typeof c !== 'object' || (b.containers && !b.containers.has(c.name))) continue;
        // a container that mounts the volume elsewhere by hand made its own choice
        if (!mountsVolume(c, vname)) {
          push(finding(R.MOUNT_MISSING, `${loc.specPath}/${group}/${ci}`, 'containers',
            `container '${c.name}' lacks the mount of token volume '${vname}' at '${b.mountPath}' (it was added after the volume was bound)`, show(c.name)));
          continue;
        }
        const have = c.env;
        if (!Array.isArray(have) || have.length === 0) continue;
        for (const want of env) {
          for (let ei = 0; ei < have.length; ei++) {
            const h = have[ei];
            if (h?.name !== want.name) continue;
            if (h.value === want.expected && h.valueFrom === undefined) continue;
            push(finding(R.TOKEN_ENV_CONFLICT, `${loc.specPath}/${group}/${ci}/env/${ei}`, 'env',
              `variable '${want.name}' of container '${c.name}' is already set to something other than ${want.tokenPath !== undefined ? `the token file '${want.expected}' of volume '${vname}'` : `${show(want.expected)}, which ${b.by} sets`}`,
              h.valueFrom !== undefined ? `valueFrom ${show(h.valueFrom)}` : show(h.value)));
          }
        }
      }
    }
  }
  return out;
}

function mountsVolume(container: any, volumeName: string): boolean {
  const mounts = container.volumeMounts;
  if (!Array.isArray(mounts)) return false;
  for (let i = 0; i < mounts.length; i++) if (mounts[i]?.name === volumeName) return true;
  return false;
}

function hasContainerNamed(spec: any, name: string): boolean {
  for (let g = 0; g < DECLARED_CONTAINER_GROUPS.length; g++) {
    const list = spec[DECLARED_CONTAINER_GROUPS[g]];
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) if (list[i]?.name === name) return true;
  }
  return false;
}

/** The names of the containers of every declared group, for messages. */
function containerNames(spec: any): string[] {
  const names: string[] = [];
  for (const g of DECLARED_CONTAINER_GROUPS) for (const c of asArray(spec[g])) if (typeof c?.name === 'string') names.push(c.name);
  return names;
}

/**
 * BT133 on a workload's model: two different volume objects with one name
 * (cdk8s-plus would throw "Invalid mount configuration" while rendering, so
 * the other rules cannot read a manifest). `volumes` in render order,
 * repeats included (one object per volume, however often it is mounted);
 * `isLibrary` tells a token volume of this library from another volume.
 */
export function checkModelVolumeNames<V extends { readonly name: string }>(volumes: readonly V[], isLibrary: (v: V) => boolean): Finding[] {
  let distinct = false;
  for (let i = 1; i < volumes.length && !distinct; i++) if (volumes[i] !== volumes[0]) distinct = true;
  if (!distinct) return NO_FINDINGS;
  const byName = new Map<string, V>();
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const which = (x: V) => (isLibrary(x) ? 'a token volume' : 'another volume');
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
  return findings.length > 0 ? findings : NO_FINDINGS;
}
