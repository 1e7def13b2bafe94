// What a preset adds to a workload, as data, and how it is bound. Internal:
// not part of the jsii API (the public classes are in the other files here).
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { addFindingsProvider } from '../engine';
import { wholeSeconds } from '../internal';
import { ProjectedTokenVolume } from '../projected-token-volume';
import { Finding, finding, R, show } from '../rules';
import { ServiceAccountTokenProjection } from '../token-projection';
import { ownerOf } from '../volume-bridge';
import { watchWorkload } from '../workload-subject';

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
  readonly create: (scope: Construct, tokenFile: string) => kplus.Volume;
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
  /** Checks that need the bound workload. */
  readonly workloadFindings?: (workload: kplus.AbstractPod) => Finding[];
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

function selectContainers(workload: kplus.AbstractPod, names: string[] | undefined): { picked: kplus.Container[]; unknown: string[] } {
  const all = [...workload.initContainers, ...workload.containers];
  if (!names) return { picked: all, unknown: [] };
  const picked = all.filter(c => c.name !== undefined && names.includes(c.name));
  const unknown = names.filter(n => !all.some(c => c.name === n));
  return { picked, unknown };
}

const BOUND = new WeakMap<IConstruct, Set<string>>();

export function bindPreset(preset: object, workload: kplus.AbstractPod, options: PresetBindTarget): void {
  const spec = presetSpec(preset);
  const mountPath = options.mountPath ?? spec.mountPath;
  const { picked, unknown } = selectContainers(workload, options.containers);

  // Find a token volume already mounted at this path: share it.
  let volume: ProjectedTokenVolume | undefined;
  for (const c of [...workload.initContainers, ...workload.containers]) {
    for (const m of c.mounts) {
      const owner = ownerOf(m.volume);
      if (m.path === mountPath && owner instanceof ProjectedTokenVolume) volume = volume ?? owner;
    }
  }
  if (!volume) {
    const id = `BoundTokens-${spec.volumeName}`;
    volume = (workload.node.tryFindChild(id) as ProjectedTokenVolume | undefined)
      ?? new ProjectedTokenVolume(workload, id, { name: spec.volumeName });
  }
  if (!volume.tokens.some(t => sameToken(t, spec.token))) volume.addToken(spec.token);

  const tokenFile = `${mountPath}/${spec.token.path}`;
  const envFindings: Finding[] = [];
  for (const c of picked) {
    if (!c.mounts.some(m => m.volume === volume!.asVolume())) c.mount(mountPath, volume, { readOnly: true });
    for (const extra of spec.extraMounts ?? []) {
      const vol = (workload.node.tryFindChild(extra.id) as kplus.Volume | undefined) ?? extra.create(workload, tokenFile);
      if (!c.mounts.some(m => m.volume === vol)) c.mount(extra.mountPath, vol, { readOnly: true });
    }
    const existing = c.env.variables;
    for (const e of spec.env) {
      const value = e.value.replace('{{TOKEN_FILE}}', tokenFile);
      const have = existing[e.name];
      if (!have) {
        c.env.addVariable(e.name, kplus.EnvValue.fromValue(value));
      } else if (have.value !== value) {
        envFindings.push(finding(R.PRESET_ENV_CONFLICT, '', `env ${e.name}`,
          `of container '${c.name}' is already set for ${spec.consumer} to another value than ${show(value)}`, show(have.value ?? '(from a reference)')));
      }
    }
  }
  for (const [k, v] of Object.entries(spec.podAnnotations ?? {})) workload.podMetadata.addAnnotation(k, v);

  // Register the checks once per preset and workload.
  const key = `${spec.consumer}|${spec.volumeName}|${mountPath}|${(options.containers ?? []).join(',')}`;
  const bound = BOUND.get(workload) ?? new Set<string>();
  BOUND.set(workload, bound);
  watchWorkload(workload);
  const unknownFindings = unknown.map(n => finding(R.PRESET_UNKNOWN_CONTAINER, '', 'containers',
    `of the ${spec.consumer} preset names a container the workload does not have`, show(n)));
  if (bound.has(key)) return;
  bound.add(key);
  addFindingsProvider(workload, () => [
    ...spec.findings(),
    ...unknownFindings,
    ...envFindings,
    ...(spec.workloadFindings?.(workload) ?? []),
  ]);
}
