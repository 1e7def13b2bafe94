import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { isVolumeUsed, registerSubject } from './engine';
import { labelFromId, wholeSeconds } from './internal';
import {
  checkProjectedVolume, CONSTRUCT_STYLE, DEFAULT_EXPIRATION_SECONDS, Finding, finding,
  R, refreshAfterSeconds,
} from './rules';
import { ServiceAccountTokenProjection } from './token-projection';
import { createProjectedVolume } from './volume-bridge';

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
 * Mount it on any cdk8s-plus-27 workload with
 * `container.mount(path, volume, { readOnly: true })`; `asVolume()` returns
 * the same `kplus.Volume` every time.
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

  private readonly _tokens: ServiceAccountTokenProjection[] = [];
  private readonly _volume: kplus.Volume;
  private readonly _nameError?: Finding;

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
    for (const t of props.tokens ?? []) this.addToken(t);
    this._volume = createProjectedVolume(this, 'Volume', this.name, () => this.renderProjected(), this);
    registerSubject({
      construct: this,
      extraFindings: () => this.findings(),
    });
  }

  /** The tokens of the volume (a copy). */
  public get tokens(): ServiceAccountTokenProjection[] {
    return [...this._tokens];
  }

  /** Adds a token source. */
  public addToken(token: ServiceAccountTokenProjection): void {
    this._tokens.push({ ...token });
  }

  /** The `kplus.Volume` to mount; the same object every time. */
  public asVolume(): kplus.Volume {
    return this._volume;
  }

  /** The volume as it appears in a pod spec (`spec.volumes[]`), as plain JSON. */
  public toVolumeJson(): any {
    return { name: this.name, projected: this.renderProjected() };
  }

  private renderProjected(): any {
    return {
      ...(this.defaultMode !== undefined ? { defaultMode: this.defaultMode } : {}),
      sources: this._tokens.map(t => ({
        serviceAccountToken: {
          ...(t.audience !== undefined ? { audience: t.audience } : {}),
          expirationSeconds: t.expiration ? wholeSeconds(t.expiration).seconds : DEFAULT_EXPIRATION_SECONDS,
          path: t.path,
        },
      })),
    };
  }

  private findings(): Finding[] {
    const out: Finding[] = [];
    if (this._nameError) out.push(this._nameError);
    if (!isVolumeUsed(this)) {
      // No checked manifest holds this volume: check its sources here, and say it is unused.
      const vol = this.toVolumeJson();
      const all = checkProjectedVolume(vol, '', { style: CONSTRUCT_STYLE });
      out.push(...all.filter(f => !(this._nameError && f.ruleId === R.VOLUME_NAME.id)));
    }
    this._tokens.forEach((t, i) => {
      if (t.expiration && !wholeSeconds(t.expiration).whole) {
        out.push(finding(R.LIFETIME_NOT_WHOLE, `/projected/sources/${i}/serviceAccountToken/expirationSeconds`, 'expiration',
          `of token '${t.path}' in volume '${this.name}' must be a whole number of seconds`,
          `${Math.round(t.expiration.toMilliseconds({ integral: false })) / 1000} seconds`));
      }
    });
    return out;
  }
}
