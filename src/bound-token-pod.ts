import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addUser } from './discovery';
import { ProjectedTokenVolume } from './projected-token-volume';
import { finding, R } from './rules';
import { DEFAULT_TOKEN_MOUNT_PATH } from './token-binding';
import { ServiceAccountTokenProjection } from './token-projection';
import { watchWorkload } from './workload-subject';

/** Props of a `BoundTokenPod`. */
export interface BoundTokenPodProps extends kplus.PodProps {
  /**
   * Tokens to project into the pod's token volume.
   *
   * @default - no tokens; add them with `addToken()`
   */
  readonly tokens?: ServiceAccountTokenProjection[];

  /**
   * A token volume you made. `tokens` are added to it.
   *
   * @default - a new `ProjectedTokenVolume` named `tokenVolumeName`
   */
  readonly tokenVolume?: ProjectedTokenVolume;

  /**
   * The name of the token volume the pod creates. Not allowed with `tokenVolume`.
   *
   * @default 'tokens'
   */
  readonly tokenVolumeName?: string;

  /**
   * Where the token volume is mounted, read-only, in every container and init container.
   *
   * @default '/var/run/secrets/tokens'
   */
  readonly tokenMountPath?: string;
}

/**
 * A Pod whose token volume is mounted read-only into every container,
 * init containers too. It must have a service account (BT150): the token
 * identifies it.
 *
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#launch-a-pod-using-service-account-token-projection
 */
export class BoundTokenPod extends kplus.Pod {
  /** The mount path of token volumes unless told otherwise: `/var/run/secrets/tokens`. */
  public static readonly DEFAULT_TOKEN_MOUNT_PATH = DEFAULT_TOKEN_MOUNT_PATH;

  /** The projected volume holding the pod's tokens. */
  public readonly tokenVolume: ProjectedTokenVolume;

  /** Where the token volume is mounted in every container. */
  public readonly tokenMountPath: string;

  constructor(scope: Construct, id: string, props: BoundTokenPodProps) {
    super(scope, id, props);
    if (props.tokenVolume && props.tokenVolumeName !== undefined) {
      throw new Error(`[${this.node.path}] 'tokenVolumeName' cannot be combined with 'tokenVolume', got '${props.tokenVolumeName}'; name the volume you pass instead (ProjectedTokenVolumeProps.name)`);
    }
    this.tokenMountPath = props.tokenMountPath ?? DEFAULT_TOKEN_MOUNT_PATH;
    this.tokenVolume = props.tokenVolume
      ?? new ProjectedTokenVolume(this, 'TokenVolume', { name: props.tokenVolumeName ?? 'tokens' });
    for (const t of props.tokens ?? []) this.tokenVolume.addToken(t);
    addUser(this.tokenVolume, this);
    for (const c of [...this.initContainers, ...this.containers]) this.mountTokens(c);
    watchWorkload(this, {
      // BT150 says it for this construct; the manifest rule BT151 would repeat it.
      exclude: [R.POD_DEFAULT_SERVICE_ACCOUNT.id],
      extraFindings: () => this.serviceAccount ? [] : [finding(R.NO_SERVICE_ACCOUNT, '/spec/serviceAccountName', 'serviceAccount',
        'must be set on a BoundTokenPod, or the token silently identifies the namespace\'s default account', 'nothing')],
    });
  }

  /** Adds a token to the pod's token volume. */
  public addToken(token: ServiceAccountTokenProjection): void {
    this.tokenVolume.addToken(token);
  }

  /** Adds a container; the token volume is mounted into it, read-only. */
  public addContainer(cont: kplus.ContainerProps): kplus.Container {
    const c = super.addContainer(cont);
    this.mountTokens(c);
    return c;
  }

  /** Adds an init container; the token volume is mounted into it, read-only. */
  public addInitContainer(cont: kplus.ContainerProps): kplus.Container {
    const c = super.addInitContainer(cont);
    this.mountTokens(c);
    return c;
  }

  private mountTokens(c: kplus.Container): void {
    // During super() the volume does not exist yet; the constructor mounts those containers.
    if (!this.tokenVolume) return;
    const volume = this.tokenVolume._kplusVolume;
    if (c.mounts.some(m => m.volume === volume)) return;
    c.mount(this.tokenMountPath, volume, { readOnly: true });
  }
}
