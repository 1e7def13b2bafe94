import { Construct } from 'constructs';
import { BoundWorkload, DEFAULT_TOKEN_MOUNT_PATH } from './private/bound-workload';
import { kplus } from './private/kplus';
import { arrayOf, checkProps, instance, pathOf, shape, str, TOKEN } from './private/props';
import { ProjectedTokenVolume } from './projected-token-volume';
import { finding, R } from './rules';
import { ServiceAccountTokenProjection } from './token-projection';

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
    super(scope, id, checked(scope, id, props));
    if (props.tokenVolume && props.tokenVolumeName !== undefined) {
      throw new Error(`[${this.node.path}] 'tokenVolumeName' cannot be combined with 'tokenVolume', got '${props.tokenVolumeName}'; name the volume you pass instead (ProjectedTokenVolumeProps.name)`);
    }
    this.tokenMountPath = props.tokenMountPath ?? DEFAULT_TOKEN_MOUNT_PATH;
    this.tokenVolume = props.tokenVolume
      ?? new ProjectedTokenVolume(this, 'TokenVolume', { name: props.tokenVolumeName ?? 'tokens' });
    for (const t of props.tokens ?? []) this.tokenVolume.addToken(t);
    const record = BoundWorkload.of(this, `[${this.node.path}]`, false);
    // BT150 says it for this construct; the manifest rule BT151 would repeat it.
    record.excludeRule(R.POD_DEFAULT_SERVICE_ACCOUNT.id);
    record.addCheck(checkServiceAccount);
    this.mountTokens();
  }

  public addToken(token: ServiceAccountTokenProjection): void {
    this.tokenVolume.addToken(token);
  }

  /** Adds a container; the token volume is mounted into it, read-only. */
  public addContainer(cont: kplus.ContainerProps): kplus.Container {
    const c = super.addContainer(cont);
    this.mountTokens();
    return c;
  }

  /** Adds an init container; the token volume is mounted into it, read-only. */
  public addInitContainer(cont: kplus.ContainerProps): kplus.Container {
    const c = super.addInitContainer(cont);
    this.mountTokens();
    return c;
  }

  /** Mounts the token volume into every container and init container (binding again adds nothing twice). */
  private mountTokens(): void {
    // During super() the volume does not exist yet; the constructor mounts those containers.
    if (!this.tokenVolume) return;
    BoundWorkload.of(this, `[${this.node.path}]`, false).bind(this.tokenVolume, { mountPath: this.tokenMountPath }, `[${this.node.path}]`, `volume '${this.tokenVolume.name}'`);
  }
}

/** BT150: a BoundTokenPod must name its service account. */
/** The props, after checking the runtime types of this construct's own (cdk8s-plus checks its own). */
function checked(scope: Construct, id: string, props: BoundTokenPodProps): BoundTokenPodProps {
  // the props object itself is required (an empty one is fine)
  checkProps(pathOf(scope, id), { props }, {
    props: shape('an object (BoundTokenPodProps)', {
      tokens: arrayOf(TOKEN, 'tokens ({ path, audience?, expiration? })'),
      tokenVolume: instance('a ProjectedTokenVolume', v => v instanceof ProjectedTokenVolume),
      tokenVolumeName: str,
      tokenMountPath: str,
    }),
  }, ['props'], 'props');
  return props;
}

function checkServiceAccount(_manifest: any, record: BoundWorkload): ReturnType<typeof finding>[] {
  return record.serviceAccountName() ? [] : [finding(R.NO_SERVICE_ACCOUNT, '/spec/serviceAccountName', 'serviceAccount',
    'must be set on a BoundTokenPod, or the token silently identifies the namespace\'s default account', 'nothing')];
}
