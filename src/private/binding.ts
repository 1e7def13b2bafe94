// What a binding is, as data: the request a caller makes (mountInto, a
// preset's bind), the binding the record keeps, and the small facts every
// part of the construct layer shares (mount paths, the token file's path).
// Internal: not part of the jsii API.
import { Construct, IConstruct } from 'constructs';
import { KplusVolume } from './kplus';
import { Where, whereText } from './props';
import { Finding, show } from '../rules';
import { BindingFacts, BoundEnvFacts } from '../rules/binding';
import { ServiceAccountTokenProjection } from '../token-projection';

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
  /** The tokens the volume projects (a copy). */
  readonly tokens: ServiceAccountTokenProjection[];
  /** The volume cdk8s-plus renders (shared by every workload). */
  readonly _kplusVolume: KplusVolume;
  /** Adds a token source (a preset's token joins a volume it shares). */
  addToken(token: ServiceAccountTokenProjection): void;
  /** The volume's JSON, one object kept up to date in place (JSON patches hold it by reference). */
  _liveJson(): any;
  _addUser(workload: IConstruct): void;
  /** True when the volume reaches no workload but `workload`. */
  _onlyIn(workload: IConstruct): boolean;
}

/** True when `x` is a token volume of this library (any copy of it). */
export function isBindableVolume(x: unknown): x is BindableVolume {
  return typeof (x as any)?._liveJson === 'function' && typeof (x as any)?._addUser === 'function';
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

/** A binding as the record keeps it: bindings are keyed by (volume, mount path) and merge. */
export interface Binding {
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
export const NO_ENV: ReadonlyMap<string, BindingEnv> = new Map();
export const NO_EXTRAS: readonly ExtraVolume[] = Object.freeze([]);

/** The value a binding writes into a variable: the token file's path, or the fixed value. */
export function envValue(b: Binding, e: BindingEnv): string {
  return e.tokenPath !== undefined ? tokenFilePath(b.mountPath, e.tokenPath) : String(e.value);
}

function describeEnv(e: BindingEnv): string {
  return e.tokenPath !== undefined ? `token '${e.tokenPath}'` : show(e.value);
}

/**
 * A binding as the pure binding rules read it (src/rules/binding.ts): a view
 * made per evaluation and not kept (a class, so that V8 gives every view one
 * shape, where an object literal with a getter is a dictionary).
 */
class BindingFactsView implements BindingFacts {
  private _env?: BoundEnvFacts[];
  constructor(private readonly b: Binding) {}
  public get volumeName(): string { return this.b.volume.name; }
  public get mountPath(): string { return this.b.mountPath; }
  public get containers(): ReadonlySet<string> | undefined { return this.b.containers; }
  public get tokenPaths(): readonly string[] { return this.b.volume.tokens.map(t => t.path); }
  public get by(): string { return this.b.by; }
  public get env(): Iterable<BoundEnvFacts> {
    const b = this.b;
    return (this._env ??= b.env.size === 0 ? [] : [...b.env.values()].map(e => ({ name: e.name, tokenPath: e.tokenPath, expected: envValue(b, e) })));
  }
}

export function bindingFacts(b: Binding): BindingFacts {
  return new BindingFactsView(b);
}

/** An identity preset bound to a workload: kept on the workload's record (see preset-spec.ts). */
export interface PresetUse {
  /** Who consumes the token, for messages. */
  readonly consumer: string;
  readonly mountPath: string;
  readonly containers?: string[];
  /** The preset's own checks (its inputs, resolved by the App's resolvers when they are values resolved later). */
  readonly findings: () => Finding[];
  /** Its checks of the workload's manifest. */
  readonly manifestFindings?: (manifest: any) => Finding[];
  /** The same preset (its spec), for telling uses apart. */
  readonly key: object;
}

/**
 * Adds a binding request to a workload's `bindings`, or merges it into the
 * binding of the same volume and mount path; returns the binding and the
 * bindings after it (a new list of the exact size when it is new: a list that
 * grows by push reserves room for 16, in every one of thousands of records).
 * `where` prefixes the errors thrown for bad options; nothing is added then.
 */
export function addBinding(
  bindings: readonly Binding[], volume: BindableVolume, request: BindRequest, where: Where, by: string,
): { binding: Binding; bindings: readonly Binding[] } {
  const mountPath = request.mountPath ?? DEFAULT_TOKEN_MOUNT_PATH;
  if (typeof mountPath !== 'string') {
    throw new Error(`${whereText(where)}: 'mountPath' must be an absolute path, got ${show(mountPath)}; e.g. '${DEFAULT_TOKEN_MOUNT_PATH}'`);
  }
  const containers = request.containers;
  if (containers !== undefined) {
    if (!Array.isArray(containers) || containers.length === 0) {
      throw new Error(`${whereText(where)}: 'containers' must name at least one container, got ${show(containers)}; omit it to mount into every container and init container`);
    }
    for (const n of containers) {
      if (typeof n !== 'string' || n === '') throw new Error(`${whereText(where)}: 'containers' must hold container names, got ${show(n)}; name a container of the workload`);
    }
  }
  const path = normalizeMountPath(mountPath);
  let b = bindings.find(x => x.volume === volume && x.mountPath === path);
  let after = bindings;
  if (!b) {
    b = { volume, mountPath: path, containers: containers ? new Set(containers) : undefined, env: NO_ENV, extras: NO_EXTRAS, by };
    after = bindings.length === 0 ? [b] : [...bindings, b];
  } else if (b.containers) {
    if (containers) containers.forEach(n => b!.containers!.add(n));
    else b.containers = undefined;
  }
  for (const e of request.env ?? []) {
    const prior = b.env.get(e.name);
    if (prior && (prior.tokenPath !== e.tokenPath || prior.value !== e.value)) {
      throw new Error(`${whereText(where)}: 'envVars' '${e.name}' is already bound to ${describeEnv(prior)} at this mount, got ${describeEnv(e)}; export each variable once`);
    }
    (b.env === NO_ENV ? (b.env = new Map()) : b.env as Map<string, BindingEnv>).set(e.name, e);
  }
  for (const x of request.extraVolumes ?? []) if (!b.extras.some(y => y.name === x.name)) b.extras = [...b.extras, x];
  return { binding: b, bindings: after };
}

/** A child construct of `scope` by id, made by `make` on first use. */
export function childOf<T extends IConstruct>(scope: Construct, id: string, make: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? make();
}

/**
 * BT149, thrown by a method given something it cannot bind: `from` is
 * `[<path>] <method>(<target>)`; the message keeps the house shape
 * `[<path>] BT149: '<param>' of <method>(...) must be ..., got ...; <fix>`.
 */
export function notAWorkload(from: Where, param: string, accepted: string, got: string, fix: string): Error {
  const caller = whereText(from);
  const m = /^(\[[^\]]*\]) ?(.*)$/.exec(caller);
  const [where, call] = m ? [m[1], m[2]] : ['[]', caller];
  return new Error(`${where} BT149: '${param}'${call ? ` of ${call}` : ''} must be ${accepted}, got ${got}; ${fix}`);
}
