// What a preset adds to a workload, as data, and how it is bound. Internal:
// not part of the jsii API (the public classes are in the other files here).
import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { BindableVolume, BoundWorkload, childOf, ExtraVolume, normalizeMountPath, notAWorkload, tokenFilePath } from './bound-workload';
import { wholeSeconds } from './internal';
import { asServiceAccount, describeValue } from './kplus';
import { apiObjectOf, resolvingWith } from './props';
import { markIssuerKeysUploaded, markNeedsPublicIssuer } from './public-issuer';
import { Slot } from './slot';
import { ProjectedTokenVolume } from '../projected-token-volume';
import { DEFAULT_EXPIRATION_SECONDS, Finding, finding, R } from '../rules';
import { ServiceAccountTokenProjection } from '../token-projection';

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
  readonly mountPath: string;
  /** The volume's name in the pod spec. */
  readonly volumeName: string;
  /** Creates what the volume needs (e.g. a ConfigMap, once per scope) and returns the volume's JSON without its name. */
  readonly create: (scope: Construct, tokenFile: string) => { readonly [key: string]: unknown };
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
  /** Pod-template annotations; `{{VOLUME_NAME}}` is replaced with the name of the volume that holds the token, `{{TOKEN_FILE}}` with the token file's path. */
  readonly podAnnotations?: { [key: string]: string };
  readonly serviceAccountAnnotations?: { [key: string]: string };
  /** Input checks (BT2xx) and consumer limits; `prop` names are the preset's props. */
  readonly findings: () => Finding[];
  /** Checks that need the bound workload's manifest (as it will be written). */
  readonly manifestFindings?: (manifest: any) => Finding[];
  /** The consumer fetches the issuer's discovery document from the issuer's host (BT169). */
  readonly publicIssuer?: boolean;
  /** The verifier of the token's audience holds the cluster's keys (an uploaded JWKS): no public issuer needed for it (BT169). */
  readonly issuerKeysUploaded?: boolean;
  /** The cloud identity the token is exchanged for: what the trust documents are generated from (issue 20). */
  readonly trust?: PresetTrustFacts;
}

/** The cloud side of a preset, as facts (see src/trust/core.ts). */
export interface PresetTrustFacts {
  readonly cloud: 'aws' | 'eks-pod-identity' | 'azure' | 'gcp';
  readonly roleArn?: string;
  readonly clientId?: string;
  readonly gcp?: { readonly projectNumber: string; readonly poolId: string; readonly providerId: string; readonly serviceAccountEmail?: string };
}

/** What a preset was bound to, for its trust documents: the workloads' records and the ServiceAccounts it annotated. */
export interface PresetTargets {
  readonly workloads: BoundWorkload[];
  readonly serviceAccounts: ApiObject[];
}

/** What a preset was bound to: a record kept on the preset itself. */
const TARGETS = new Slot<PresetTargets>('preset-targets');

/** The workloads and ServiceAccounts a preset was bound to, in the order of binding. */
export function presetTargets(preset: object): PresetTargets {
  const t = TARGETS.get(preset);
  return { workloads: [...(t?.workloads ?? [])], serviceAccounts: [...(t?.serviceAccounts ?? [])] };
}

function targetsOf(preset: object): { workloads: BoundWorkload[]; serviceAccounts: ApiObject[] } {
  let t = TARGETS.get(preset) as { workloads: BoundWorkload[]; serviceAccounts: ApiObject[] } | undefined;
  if (!t) TARGETS.set(preset, t = { workloads: [], serviceAccounts: [] });
  return t;
}

/** The spec of a preset, kept on the preset itself. */
const SPECS = new Slot<PresetSpec>('preset-spec');

/** Records the spec of a preset. */
export function setPresetSpec(preset: object, spec: PresetSpec): void {
  // a bad prop fails where the preset is created, not at a synth that may never bind it
  const errors = spec.findings().filter(f => f.level === 'error');
  if (errors.length > 0) {
    const name = (preset as any)?.constructor?.name ?? 'IdentityPreset';
    throw new Error(`${name}: ${errors.map(f => f.message).join('\n' + ' '.repeat(name.length + 2))}`);
  }
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
  const secs = (t: ServiceAccountTokenProjection) => (t.expiration ? wholeSeconds(t.expiration).seconds : DEFAULT_EXPIRATION_SECONDS);
  return a.path === b.path && a.audience === b.audience && secs(a) === secs(b);
}

const TOKEN_FILE = '{{TOKEN_FILE}}';
const VOLUME_NAME = '{{VOLUME_NAME}}';

/** The token file of a preset under a mount path: the same path the binding writes into env vars. */
export function presetTokenFile(preset: object, mountPath?: string): string {
  const spec = presetSpec(preset);
  return tokenFilePath(mountPath ?? spec.mountPath, spec.token.path);
}

/** The checks of the presets bound to a workload: their inputs, their own manifest checks, a named service account. */
function presetChecks(manifest: any, record: BoundWorkload): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<object>();
  const consumers: string[] = [];
  for (const u of record.presetUses()) {
    if (seen.has(u.key)) continue;
    seen.add(u.key);
    consumers.push(u.consumer);
    // values cdk8s resolves later are checked here, resolved by the App's resolvers
    out.push(...resolvingWith(apiObjectOf(record.construct), u.findings));
    if (manifest) out.push(...(u.manifestFindings?.(manifest) ?? []));
  }
  if (seen.size > 0 && !record.serviceAccountName(manifest)) {
    out.push(finding(R.PRESET_NO_SERVICE_ACCOUNT, '/spec/serviceAccountName', 'serviceAccount',
      `of the workload is not set, so its token names the namespace's default account, which ${consumers.join(', ')} does not trust`, 'nothing'));
  }
  return out;
}

/**
 * Binds a preset to a workload (cdk8s-plus of any line, or with
 * `apiObject` a plain ApiObject) through the same binding as `mountInto`:
 * the preset's token joins the token volume already mounted at the mount
 * path, or a volume of its own; env vars, extra volumes and annotations are
 * part of the binding.
 */
export function bindPreset(preset: object, target: unknown, options: PresetBindTarget, apiObject: boolean): void {
  const spec = presetSpec(preset);
  const method = apiObject ? 'bindApiObject' : 'bind';
  const targetPath = (target as any)?.node?.path ?? '';
  const caller = `[${targetPath}] ${(preset as any)?.constructor?.name ?? 'IdentityPreset'}.${method}()`;
  if (!apiObject && ApiObject.isApiObject(target)) {
    throw notAWorkload(caller, 'workload', 'a cdk8s-plus workload', `the ApiObject '${target.node.path}' (kind ${target.kind})`, 'use bindApiObject() for plain ApiObjects');
  }
  if (apiObject && !ApiObject.isApiObject(target)) {
    throw notAWorkload(caller, 'obj', 'a cdk8s ApiObject', describeValue(target), 'use bind() for cdk8s-plus workloads');
  }
  const record = BoundWorkload.of(target, caller, apiObject);
  const scope = record.construct as Construct;
  const mountPath = normalizeMountPath(options.mountPath ?? spec.mountPath);
  const volume = presetVolume(record, spec, mountPath, options.containers);
  if (!volume.tokens.some(t => sameToken(t, spec.token))) volume.addToken(spec.token);
  const tokenFile = tokenFilePath(mountPath, spec.token.path);
  const extraVolumes: ExtraVolume[] = (spec.extraMounts ?? [])
    .map(x => ({ name: x.volumeName, mountPath: x.mountPath, config: x.create(scope, tokenFile) }));
  const podAnnotations: { [key: string]: string } = {};
  for (const [k, v] of Object.entries(spec.podAnnotations ?? {})) {
    podAnnotations[k] = v.split(VOLUME_NAME).join(volume.name).split(TOKEN_FILE).join(tokenFile);
  }
  record.bind(volume, {
    mountPath,
    containers: options.containers,
    // the token file first, then the fixed values (the order the webhooks write them in)
    env: [
      ...spec.env.filter(e => e.value === TOKEN_FILE).map(e => ({ name: e.name, tokenPath: spec.token.path })),
      ...spec.env.filter(e => e.value !== TOKEN_FILE).map(e => ({ name: e.name, value: e.value })),
    ],
    extraVolumes,
    podAnnotations,
  }, caller, `the ${spec.consumer} preset`);
  record.addPresetUse({
    key: spec,
    consumer: spec.consumer,
    mountPath,
    containers: options.containers,
    findings: spec.findings,
    manifestFindings: spec.manifestFindings,
  });
  record.addCheck(presetChecks);
  // BT152 (an error) reports a preset-bound workload without a service account: the warning BT151 would repeat it
  record.excludeRule(R.POD_DEFAULT_SERVICE_ACCOUNT.id);
  const targets = targetsOf(preset);
  if (!targets.workloads.includes(record)) targets.workloads.push(record);
  if (spec.publicIssuer) markNeedsPublicIssuer(record.construct, spec.consumer);
  if (spec.issuerKeysUploaded && typeof spec.token.audience === 'string') markIssuerKeysUploaded(record.construct, spec.token.audience);
}

/**
 * The volume a preset's token goes into: the token volume already mounted at
 * the mount path when its tokens reach exactly the containers the preset
 * binds (no other container, no other workload), so that sharing it shows
 * no token where it was not bound; otherwise a volume of the preset's own,
 * named after the webhook's volume (`istio-token`), or `<name>-2`, `-3`, ...
 * when that one's tokens reach other containers. Separate volumes may share
 * a mount path in different containers; in one container they cannot
 * (BT141).
 */
function presetVolume(record: BoundWorkload, spec: PresetSpec, mountPath: string, containers: string[] | undefined): BindableVolume {
  const scope = record.construct as Construct;
  const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every(n => b.has(n));
  const reachesExactly = (v: BindableVolume): boolean => {
    if (!v._onlyIn(record.construct)) return false;
    const bound = record.boundContainers(v);
    if (bound.length > 0) {
      // bound by the library: the same request (every container, or the same names), whatever was added since
      const wanted = containers ? new Set(containers) : undefined;
      return bound.every(b => (b === undefined || wanted === undefined ? b === wanted : sameSet(b, wanted)));
    }
    // mounted by hand: exactly the containers that mount it now
    const { mounting, all } = record.containersMounting(v);
    return sameSet(mounting, new Set(containers ?? all));
  };
  const existing = record.tokenVolumeAt(mountPath);
  if (existing && reachesExactly(existing)) return existing;
  for (let i = 1; ; i++) {
    const suffix = i === 1 ? '' : `-${i}`;
    const id = `BoundTokens-${spec.volumeName}${suffix}`;
    const child = scope.node.tryFindChild(id) as BindableVolume | undefined;
    if (!child) return childOf(scope, id, () => new ProjectedTokenVolume(scope, id, { name: `${spec.volumeName}${suffix}` }));
    if (child === existing) continue;
    // a volume of this preset made earlier, not yet mounted here or mounted in exactly these containers
    if (child._onlyIn(record.construct) && (record.containersMounting(child).mounting.size === 0 || reachesExactly(child))) return child;
  }
}

/** Adds the preset's annotations to a ServiceAccount of any cdk8s-plus line, or to a plain ServiceAccount ApiObject. */
export function annotateServiceAccount(preset: object, serviceAccount: unknown): void {
  const caller = `[${(serviceAccount as any)?.node?.path ?? ''}] ${(preset as any)?.constructor?.name ?? 'IdentityPreset'}.annotateServiceAccount()`;
  const sa = asServiceAccount(serviceAccount)
    ?? (ApiObject.isApiObject(serviceAccount) && serviceAccount.kind === 'ServiceAccount' ? serviceAccount : undefined);
  if (!sa) {
    throw notAWorkload(caller, 'serviceAccount', 'a ServiceAccount of cdk8s-plus (any line) or a KubeServiceAccount', describeValue(serviceAccount), 'pass the account the workload runs as');
  }
  for (const [k, v] of Object.entries(presetSpec(preset).serviceAccountAnnotations ?? {})) sa.metadata.addAnnotation(k, v);
  const obj = ApiObject.isApiObject(sa) ? sa : ApiObject.of(sa as any);
  const targets = targetsOf(preset);
  if (!targets.serviceAccounts.includes(obj)) targets.serviceAccounts.push(obj);
}

