import { Duration } from 'cdk8s';
import { IdentityPreset } from './preset';
import { setPresetSpec } from '../private/preset-spec';
import { checkProps, duration, lazyStr } from '../private/props';

/** Props of `IstioToken`. */
export interface IstioTokenProps {
  /** The token's lifetime. @default Duration.hours(12) */
  readonly expiration?: Duration;
}

/**
 * The token Istio's sidecar uses with `third-party-jwt`: volume and file
 * `istio-token`, audience `istio-ca`, lifetime 12 h, at `/var/run/secrets/tokens`
 * (bind it to the `istio-proxy` container with `containers`).
 *
 * @see https://istio.io/latest/docs/ops/best-practices/security/#configure-third-party-service-account-tokens
 */
export class IstioToken extends IdentityPreset {
  /** The volume (and file) name. */
  public static readonly VOLUME_NAME = 'istio-token';
  /** The audience istiod expects. */
  public static readonly AUDIENCE = 'istio-ca';
  /** The mount path. */
  public static readonly MOUNT_PATH = '/var/run/secrets/tokens';

  constructor(props: IstioTokenProps = {}) {
    super();
    checkProps('IstioToken:', props, { expiration: duration });
    setPresetSpec(this, {
      consumer: 'Istio',
      volumeName: IstioToken.VOLUME_NAME,
      token: { path: IstioToken.VOLUME_NAME, audience: IstioToken.AUDIENCE, expiration: props.expiration ?? Duration.hours(12) },
      mountPath: IstioToken.MOUNT_PATH,
      env: [],
      findings: () => [],
    });
  }
}

/** Props of `SpireAgentToken`. */
export interface SpireAgentTokenProps {
  /** The token's lifetime. @default Duration.hours(2) */
  readonly expiration?: Duration;
  /** The audience the SPIRE server's `k8s_psat` attestor expects. @default 'spire-server' */
  readonly audience?: string;
}

/**
 * The token a SPIRE agent presents with the `k8s_psat` node attestor: volume
 * and file `spire-agent`, audience `spire-server`, lifetime 2 h, at
 * `/var/run/secrets/tokens`.
 *
 * @see https://github.com/spiffe/spire/blob/main/doc/plugin_agent_nodeattestor_k8s_psat.md
 */
export class SpireAgentToken extends IdentityPreset {
  /** The volume (and file) name. */
  public static readonly VOLUME_NAME = 'spire-agent';
  /** The mount path. */
  public static readonly MOUNT_PATH = '/var/run/secrets/tokens';

  constructor(props: SpireAgentTokenProps = {}) {
    super();
    checkProps('SpireAgentToken:', props, { expiration: duration, audience: lazyStr });
    setPresetSpec(this, {
      consumer: 'SPIRE',
      volumeName: SpireAgentToken.VOLUME_NAME,
      token: { path: SpireAgentToken.VOLUME_NAME, audience: props.audience ?? 'spire-server', expiration: props.expiration ?? Duration.hours(2) },
      mountPath: SpireAgentToken.MOUNT_PATH,
      env: [],
      findings: () => [],
    });
  }
}
