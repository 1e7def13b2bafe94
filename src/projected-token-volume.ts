import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { enableDiscovery, hasUsers, usersOf } from './discovery';
import { registerSubject, Subject, subjectOf } from './engine';
import { durationMs, labelFromId, wholeSeconds } from './internal';
import {
  checkProjectedVolume, CONSTRUCT_STYLE, DEFAULT_EXPIRATION_SECONDS, Finding, finding,
  R, refreshAfterSeconds,
} from './rules';
import { mountIntoApiObject, mountIntoWorkload } from './token-binding';
import { TokenMountOptions } from './token-mount';
import { ServiceAccountTokenProjection } from './token-projection';
import { createProjectedVolume, setConfig } from './volume-bridge';

/**
 * What a volume renders and what its own checks found, shared by every volume
 * with the same content (apps often have thousands of identical token
 * volumes). Never changed once made: a volume that gets a token moves to
 * another content.
 */
interface VolumeContent {
  /** The `sources` of the rendered volume, one per token (never handed out: renders copy them). */
  readonly sources: any[];
  /** The kplus volume's `config`: cdk8s-plus and cdk8s only read it (rendering copies every value). */
  readonly config: { readonly projected: any };
  /** The checks of the volume's own content (name, mode, sources). */
  readonly findings: Finding[];
}

/** Contents by `contentKey`. */
const CONTENTS = new Map<string, VolumeContent>();

/** Props of a `ProjectedTokenVolume`. */
export interface ProjectedTokenVolumeProps {
  /**
   * The volume name, a DNS-1123 label of at most 63 characters. Never truncated.
   *
   * @default - the construct id as a DNS-1123 label (`VaultToken` -> `vault-token`);
   * an id that cannot be turned into one is an error (BT130) asking for `name`
   */
  readonly name?: string;

  /**
   * The tokens the volume projects, one `serviceAccountToken` source each.
   * More can be added with `addToken()`.
   *
   * @default - no tokens
   */
  readonly tokens?: ServiceAccountTokenProjection[];

  /**
   * Mode bits of the token files, between 0 and 0o777. A mode that others
   * cannot read (e.g. 0o440) needs the pod's `fsGroup` or `runAsUser`,
   * or a non-root application cannot read the token (warning BT132).
   *
   * @default - 0o644, the kubelet's default
   * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/
   */
  readonly defaultMode?: number;
}

/**
 * A projected volume of `serviceAccountToken` sources: short-lived tokens the
 * kubelet requests for the pod's service account, bound to an audience.
 *
 * Bind it to a whole workload with `mountInto()` (cdk8s-plus-27 Pod,
 * Deployment, StatefulSet, DaemonSet, Job, CronJob) or `mountIntoApiObject()`
 * (KubeDeployment and the other generated kinds, objects loaded with
 * `Include`), or mount it yourself with
 * `container.mount(path, volume, { readOnly: true })`; `asVolume()` returns
 * the same `kplus.Volume` every time. Every workload that uses it is checked
 * by the rules at synth time; a volume that no workload uses is warning BT143.
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
export class ProjectedTokenVolume extends Construct implements kplus.IStorage {
  /**
   * When the kubelet refreshes a token of this lifetime:
   * `min(L - floor(L * 20 / 100), 86400)` seconds, i.e. after 80% of the
   * lifetime or 24 hours, whichever comes first (minus up to 10 s of jitter).
   *
   * @param expiration the token's lifetime (whole seconds)
   * @see https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/token/token_manager.go
   */
  public static refreshAfter(expiration: Duration): Duration {
    const { seconds, whole } = wholeSeconds(expiration);
    if (!whole) {
      throw new Error(`BT103: 'expiration' must be a whole number of seconds, got ${expiration.toMilliseconds({ integral: false }) / 1000} seconds; ${R.LIFETIME_NOT_WHOLE.fix}`);
    }
    return Duration.seconds(refreshAfterSeconds(seconds));
  }

  /** The volume name. */
  public readonly name: string;

  /** Mode bits of the token files. @default - 0o644 */
  public readonly defaultMode?: number;

  // (an array of the exact size: apps have thousands of volumes, and an array
  // that grows by push reserves room for 16 elements)
  private readonly _tokens: ServiceAccountTokenProjection[];
  private readonly _volume: kplus.Volume;
  private readonly _nameError?: Finding;
  private _exported = false;
  private _content: VolumeContent;

  constructor(scope: Construct, id: string, props: ProjectedTokenVolumeProps = {}) {
    super(scope, id);
    if (props.name !== undefined) {
      this.name = props.name;
    } else {
      const derived = labelFromId(id);
      this.name = derived ?? id;
      if (derived === undefined) {
        this._nameError = finding(R.VOLUME_NAME, '/name', 'name',
          'is not set and the construct id cannot be turned into a DNS-1123 label of at most 63 characters', `id '${id}'`,
          "set 'name' to a DNS-1123 label, e.g. 'vault-token'");
      }
    }
    this.defaultMode = props.defaultMode;
    const tokens = props.tokens ?? [];
    this._tokens = tokens.map(t => ({ ...t }));
    // checked now, while its data is at hand (synth then reads one field per volume)
    this._content = this.content();
    this._volume = createProjectedVolume(this.name, this._content.config, this);
    registerSubject(new VolumeSubject(this));
  }

  /**
   * Mounts the volume, read-only, into every container and init container of
   * a cdk8s-plus-27 workload (also containers added later), or into the ones
   * named in `options.containers`, and optionally exports token file paths
   * as environment variables. Calling it again with the same volume, workload
   * and mount path changes nothing (the options merge).
   *
   * The workload is then checked by the rules at synth time, on its manifest
   * as it will be written: a mount path or volume name that collides with
   * another volume (BT141, BT133), a container name it does not have (BT145),
   * an env var already set to something else (BT146), a bare Pod without
   * service account (BT151), ...
   *
   * @param workload the Pod, Deployment, StatefulSet, DaemonSet, Job or CronJob
   * @param options where to mount and what to export
   */
  public mountInto(workload: kplus.AbstractPod, options: TokenMountOptions = {}): void {
    mountIntoWorkload(this, workload, options);
  }

  /**
   * Mounts the volume, read-only, into a plain ApiObject that carries a pod
   * spec: `KubePod`, `KubeDeployment`, `KubeStatefulSet`, `KubeDaemonSet`,
   * `KubeJob`, `KubeCronJob`, `KubeReplicaSet`, `KubeReplicationController`,
   * `KubePodTemplate`, or an object loaded with `Include` (also kinds such as
   * Argo `Rollout` with a pod template at `spec.template.spec`).
   *
   * The volume, mounts and env vars are added to the object's JSON when it
   * renders, after its own JSON patches; volumes, mounts and env vars already
   * there are kept as they are, and a `volumes` list is created when the pod
   * has none. Idempotent like `mountInto()`. An object without a pod spec is
   * error BT148.
   *
   * @param obj the object to mount the volume into
   * @param options where to mount and what to export
   */
  public mountIntoApiObject(obj: ApiObject, options: TokenMountOptions = {}): void {
    mountIntoApiObject(this, obj, options);
  }

  /** The tokens of the volume (a copy). */
  public get tokens(): ServiceAccountTokenProjection[] {
    return [...this._tokens];
  }

  /** Adds a token source. */
  public addToken(token: ServiceAccountTokenProjection): void {
    this._tokens.push({ ...token });
    // rendered once per change, not on every render of every workload that mounts it
    this._content = this.content();
    setConfig(this._volume, this._content.config);
  }

  /**
   * The `kplus.Volume` to mount; the same object every time. cdk8s-plus calls
   * it in `container.mount(path, volume)`; every cdk8s-plus workload that
   * uses it is then found at synth time and checked by the rules.
   */
  public asVolume(): kplus.Volume {
    // handed out: the library no longer knows where it goes, so it looks
    enableDiscovery(this);
    return this._volume;
  }

  /**
   * The `kplus.Volume`, for the library's own mounts (which record where the
   * volume goes, so no tree scan is needed).
   * @internal
   */
  public get _kplusVolume(): kplus.Volume {
    return this._volume;
  }

  /**
   * The volume as it appears in a pod spec (`spec.volumes[]`), as plain JSON,
   * for objects you write by hand. Once called, the library cannot know where
   * the volume is used, so it no longer warns that it is mounted nowhere (BT143).
   */
  public toVolumeJson(): any {
    this._exported = true;
    return this._renderVolume();
  }

  /** @internal */
  public _renderVolume(): any {
    return { name: this.name, projected: this.renderProjected() };
  }

  /** The `projected` field, as a fresh copy (for JSON that others may change). */
  private renderProjected(): any {
    const sources = this._content.sources.map(s => ({ serviceAccountToken: { ...s.serviceAccountToken } }));
    return this.defaultMode !== undefined ? { defaultMode: this.defaultMode, sources } : { sources };
  }

  /** @internal */
  public _findings(): Finding[] {
    const own = this._content.findings;
    if (this._exported || hasUsers(this)) return own;
    return [...own, finding(R.MOUNT_NOWHERE, '', 'volume', `'${this.name}' is mounted in no workload, so no application can read its tokens`, 'no workload',
      'mount it with mountInto(), mountIntoApiObject() or container.mount(), or remove it')];
  }

  /** The content of the volume as it is now: shared with every volume of the same content, made for the first. */
  private content(): VolumeContent {
    const key = this.contentKey();
    let content = CONTENTS.get(key);
    if (!content) {
      const sources = this._tokens.map(sourceOf);
      const projected = this.defaultMode !== undefined ? { defaultMode: this.defaultMode, sources } : { sources };
      content = { sources, config: { projected }, findings: this.checkContent(sources) };
      if (CONTENTS.size >= 1000) CONTENTS.clear();
      CONTENTS.set(key, content);
    }
    return content;
  }

  /** Everything the content (render and checks) depends on, as a string. */
  private contentKey(): string {
    let key = `${this.name}\u0000${this.defaultMode ?? ''}\u0000${this._nameError ? 1 : 0}`;
    for (const t of this._tokens) key += `\u0000${t.path}\u0000${t.audience ?? '\u0001'}\u0000${t.expiration ? durationMs(t.expiration) : ''}`;
    return key;
  }

  private checkContent(sources: any[]): Finding[] {
    const out: Finding[] = [];
    if (this._nameError) out.push(this._nameError);
    const vol = { name: this.name, projected: { defaultMode: this.defaultMode, sources } };
    const all = checkProjectedVolume(vol, '', { style: CONSTRUCT_STYLE });
    out.push(...all.filter(f => !(this._nameError && f.ruleId === R.VOLUME_NAME.id)));
    this._tokens.forEach((t, i) => {
      if (t.expiration && !wholeSeconds(t.expiration).whole) {
        out.push(finding(R.LIFETIME_NOT_WHOLE, `/projected/sources/${i}/serviceAccountToken/expirationSeconds`, 'expiration',
          `of token '${t.path}' in volume '${this.name}' must be a whole number of seconds`,
          `${Math.round(durationMs(t.expiration)) / 1000} seconds`));
      }
    });
    return out;
  }
}

/** The `serviceAccountToken` source of a token, as cdk8s renders it. */
function sourceOf(t: ServiceAccountTokenProjection): any {
  // keys in cdk8s's (sorted) order; built by assignment, since an object
  // spread followed by more keys is ~100x slower in V8, and this runs per volume
  const source: any = {};
  if (t.audience !== undefined) source.audience = t.audience;
  source.expirationSeconds = t.expiration ? wholeSeconds(t.expiration).seconds : DEFAULT_EXPIRATION_SECONDS;
  source.path = t.path;
  return { serviceAccountToken: source };
}

/** The rule subject of a token volume: its own checks, and acknowledgements passed on to the workloads that use it. */
class VolumeSubject implements Subject {
  constructor(public readonly construct: ProjectedTokenVolume) {}

  public extraFindings(): Finding[] {
    return this.construct._findings();
  }

  /** An acknowledged warning of the volume is written on the workloads that use it. */
  public annotate(key: string, value: string): void {
    for (const u of usersOf(this.construct)) subjectOf(u)?.annotate?.(key, value);
  }
}
