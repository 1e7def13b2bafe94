// What a preset adds to a workload, as data, and how it is bound. Internal:
// not part of the jsii API (the public classes are in the other files here).
import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { addRenderTransform, onPass } from '../engine';
import { wholeSeconds } from '../internal';
import { ProjectedTokenVolume } from '../projected-token-volume';
import { markNeedsPublicIssuer } from '../public-issuer';
import { Finding, finding, getAt, locatePodSpec, R, show } from '../rules';
import { ServiceAccountTokenProjection } from '../token-projection';
import { ownerOf } from '../volume-bridge';
import { putAnnotation, setSorted, watchApiObject, watchWorkload } from '../workload-subject';

export interface PresetBindTarget {
  readonly containers?: string[];
  readonly mountPath?: string;
}

/** An environment variable a preset sets. */
export interface PresetEnv {
  readonly name: string;
  /** The value; `{{TOKEN_FILE}}` is replaced with the token file's path. */
  readonly value: string;
}

/** An extra volume a preset mounts (e.g. a credential configuration). */
export interface PresetExtraMount {
  readonly id: string;
  readonly mountPath: string;
  /** The volume's name in the pod spec. */
  readonly volumeName: string;
  /** Creates what the volume needs (e.g. a ConfigMap) and returns the volume as plain JSON (without name). */
  readonly create: (scope: Construct, tokenFile: string) => { kplus: kplus.Volume; json: any };
}

/** What a preset adds to a workload, as data. */
export interface PresetSpec {
  /** Who consumes the token, for messages. */
  readonly consumer: string;
  readonly volumeName: string;
  readonly token: ServiceAccountTokenProjection;
  readonly mountPath: string;
  readonly env: PresetEnv[];
  readonly extraMounts?: PresetExtraMount[];
  readonly podAnnotations?: { [key: string]: string };
  readonly serviceAccountAnnotations?: { [key: string]: string };
  /** Input checks (BT2xx) and consumer limits; `prop` names are the preset's props. */
  readonly findings: () => Finding[];
  /** Checks that need the bound workload's manifest (as it will be written). */
  readonly manifestFindings?: (manifest: any) => Finding[];
  /** The consumer fetches the issuer's discovery document from the issuer's host (BT169). */
  readonly publicIssuer?: boolean;
}

const SPECS = new WeakMap<object, PresetSpec>();

/** Records the spec of a preset. */
export function setPresetSpec(preset: object, spec: PresetSpec): void {
  SPECS.set(preset, spec);
}

/** The spec of a preset. */
export function presetSpec(preset: object): PresetSpec {
  const spec = SPECS.get(preset);
  if (!spec) throw new Error('preset has no spec');
  return spec;
}

/** Seconds of a lifetime for preset checks. */
export function presetSeconds(expiration: Duration | undefined, fallback: number): number {
  return expiration ? wholeSeconds(expiration).seconds : fallback;
}

function sameToken(a: ServiceAccountTokenProjection, b: ServiceAccountTokenProjection): boolean {
  const secs = (t: ServiceAccountTokenProjection) => (t.expiration ? wholeSeconds(t.expiration).seconds : 3600);
  return a.path === b.path && a.audience === b.audience && secs(a) === secs(b);
}

const TOKEN_FILE = '{{TOKEN_FILE}}';

/** A token volume already mounted at `mountPath` in the workload: the preset shares it. */
function tokenVolumeAt(workload: kplus.AbstractPod, mountPath: string): ProjectedTokenVolume | undefined {
  for (const c of [...workload.initContainers, ...workload.containers]) {
    for (const m of c.mounts) {
      const owner = ownerOf(m.volume);
      if (m.path === mountPath && owner instanceof ProjectedTokenVolume) return owner;
    }
  }
  return undefined;
}

interface Bound {
  readonly spec: PresetSpec;
  readonly mountPath: string;
  readonly containers?: string[];
}

const BOUND = new WeakMap<IConstruct, Bound[]>();

function selected(containerName: string | undefined, containers: string[] | undefined): boolean {
  return !containers || (containerName !== undefined && containers.includes(containerName));
}

/** Env vars with a constant value (role ARN, client id, ...), in the selected containers of a manifest. */
function constantEnv(b: Bound): PresetEnv[] {
  return b.spec.env.filter(e => e.value !== TOKEN_FILE);
}

/** BT208: a selected container sets a variable the preset needs to another value. */
function envConflicts(manifest: any, bound: Bound[]): Finding[] {
  const loc = locatePodSpec(manifest);
  const spec = loc ? getAt(manifest, loc.specPath) : undefined;
  if (!spec || typeof spec !== 'object') return [];
  const out: Finding[] = [];
  for (const b of bound) {
    for (const group of ['initContainers', 'containers']) {
      for (const c of Array.isArray(spec[group]) ? spec[group] : []) {
        if (!selected(c?.name, b.containers)) continue;
        for (const e of constantEnv(b)) {
          const have = (Array.isArray(c.env) ? c.env : []).find((x: any) => x?.name === e.name);
          if (have && have.value !== e.value) {
            out.push(finding(R.PRESET_ENV_CONFLICT, '', `env ${e.name}`,
              `of container '${c.name}' is already set, to another value than the ${b.spec.consumer} preset's ${show(e.value)}`,
              have.value !== undefined ? show(have.value) : 'a valueFrom reference'));
          }
        }
      }
    }
  }
  return out;
}

function presetFindings(manifest: any, construct: IConstruct): Finding[] {
  const bound = BOUND.get(construct) ?? [];
  const seen = new Set<PresetSpec>();
  const out: Finding[] = [];
  for (const b of bound) {
    if (seen.has(b.spec)) continue;
    seen.add(b.spec);
    out.push(...b.spec.findings());
    if (manifest) out.push(...(b.spec.manifestFindings?.(manifest) ?? []));
  }
  if (manifest) out.push(...envConflicts(manifest, bound));
  return out;
}

const PRESET_CHECKS = { extraFindings: presetFindings };

/** Records a binding once; false when the same preset was bound the same way already. */
function record(target: IConstruct, b: Bound): boolean {
  const list = BOUND.get(target) ?? [];
  BOUND.set(target, list);
  const key = (x: Bound) => `${x.mountPath}|${(x.containers ?? []).join(',')}`;
  if (list.some(x => x.spec === b.spec && key(x) === key(b))) return false;
  list.push(b);
  if (b.spec.publicIssuer) markNeedsPublicIssuer(target, b.spec.consumer);
  return true;
}

function tokenEnvVars(spec: PresetSpec): Array<{ name: string; tokenPath: string }> {
  return spec.env.filter(e => e.value === TOKEN_FILE).map(e => ({ name: e.name, tokenPath: spec.token.path }));
}

/** Binds a preset to a cdk8s-plus workload, through `ProjectedTokenVolume.mountInto`. */
export function bindPreset(preset: object, workload: kplus.AbstractPod, options: PresetBindTarget): void {
  const spec = presetSpec(preset);
  const mountPath = options.mountPath ?? spec.mountPath;
  const volume = tokenVolumeAt(workload, mountPath) ?? childVolume(workload, spec);
  if (!volume.tokens.some(t => sameToken(t, spec.token))) volume.addToken(spec.token);
  volume.mountInto(workload, { mountPath, containers: options.containers, envVars: tokenEnvVars(spec) });
  const b: Bound = { spec, mountPath, containers: options.containers };
  if (!record(workload, b)) return;
  watchWorkload(workload, PRESET_CHECKS);
  for (const [k, v] of Object.entries(spec.podAnnotations ?? {})) workload.podMetadata.addAnnotation(k, v);
  // constant env vars and extra mounts, also for containers added later (at every validation pass)
  const tokenFile = `${mountPath}/${spec.token.path}`;
  const sync = () => {
    for (const c of [...workload.initContainers, ...workload.containers]) {
      if (!selected(c.name, options.containers)) continue;
      for (const extra of spec.extraMounts ?? []) {
        const vol = extraVolume(workload, extra, tokenFile).kplus;
        if (!c.mounts.some(m => m.volume === vol)) c.mount(extra.mountPath, vol, { readOnly: true });
      }
      const vars = c.env.variables;
      for (const e of constantEnv(b)) if (!(e.name in vars)) c.env.addVariable(e.name, kplus.EnvValue.fromValue(e.value));
    }
  };
  sync();
  onPass(workload, b, sync);
}

/** Binds a preset to a plain ApiObject with a pod spec, through `ProjectedTokenVolume.mountIntoApiObject`. */
export function bindPresetToApiObject(preset: object, obj: ApiObject, options: PresetBindTarget): void {
  const spec = presetSpec(preset);
  const mountPath = options.mountPath ?? spec.mountPath;
  const volume = childVolume(obj, spec);
  if (!volume.tokens.some(t => sameToken(t, spec.token))) volume.addToken(spec.token);
  volume.mountIntoApiObject(obj, { mountPath, containers: options.containers, envVars: tokenEnvVars(spec) });
  const b: Bound = { spec, mountPath, containers: options.containers };
  if (!record(obj, b)) return;
  watchApiObject(obj, PRESET_CHECKS);
  const tokenFile = `${mountPath}/${spec.token.path}`;
  const extras = (spec.extraMounts ?? []).map(extra => ({ extra, volume: extraVolume(obj, extra, tokenFile) }));
  addRenderTransform(obj, b, (json: any) => {
    const loc = locatePodSpec(json);
    if (!loc) return; // BT148, reported by mountIntoApiObject
    const podSpec = getAt(json, loc.specPath);
    if (!podSpec || typeof podSpec !== 'object') return;
    for (const { extra, volume: v } of extras) {
      if (!Array.isArray(podSpec.volumes)) setSorted(podSpec, 'volumes', []);
      if (!podSpec.volumes.some((x: any) => x?.name === extra.volumeName)) podSpec.volumes.push({ name: extra.volumeName, ...v.json });
    }
    for (const group of ['initContainers', 'containers']) {
      for (const c of Array.isArray(podSpec[group]) ? podSpec[group] : []) {
        if (!c || typeof c !== 'object' || !selected(c.name, options.containers)) continue;
        for (const { extra } of extras) {
          if (!Array.isArray(c.volumeMounts)) setSorted(c, 'volumeMounts', []);
          if (!c.volumeMounts.some((m: any) => m?.name === extra.volumeName)) {
            c.volumeMounts.push({ mountPath: extra.mountPath, name: extra.volumeName, readOnly: true });
          }
        }
        const env = constantEnv(b);
        if (env.length === 0) continue;
        if (!Array.isArray(c.env)) setSorted(c, 'env', []);
        for (const e of env) if (!c.env.some((x: any) => x?.name === e.name)) c.env.push({ name: e.name, value: e.value });
      }
    }
    for (const [k, v] of Object.entries(spec.podAnnotations ?? {})) {
      putAnnotation(json, loc.templateMetadataPath || '/metadata', k, v);
    }
  });
}

function childVolume(scope: Construct, spec: PresetSpec): ProjectedTokenVolume {
  const id = `BoundTokens-${spec.volumeName}`;
  return (scope.node.tryFindChild(id) as ProjectedTokenVolume | undefined)
    ?? new ProjectedTokenVolume(scope, id, { name: spec.volumeName });
}

const EXTRA = new WeakMap<IConstruct, Map<string, { kplus: kplus.Volume; json: any }>>();

function extraVolume(scope: Construct, extra: PresetExtraMount, tokenFile: string): { kplus: kplus.Volume; json: any } {
  const map = EXTRA.get(scope) ?? new Map();
  EXTRA.set(scope, map);
  let v = map.get(extra.id);
  if (!v) {
    v = extra.create(scope, tokenFile);
    map.set(extra.id, v);
  }
  return v;
}
