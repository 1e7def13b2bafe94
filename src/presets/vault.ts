import { Duration } from 'cdk8s';
import { IdentityPreset } from './preset';
import { setPresetSpec } from '../private/preset-spec';
import { bool, checkProps, duration, lazyStr, oneOf, str } from '../private/props';

/** How Vault verifies the token. */
export enum VaultAuthMethod {
  /** The Kubernetes auth method: the role's `audience` must be in the token's `aud`. */
  KUBERNETES = 'kubernetes',
  /** The JWT auth method: the role's `bound_audiences`; since Vault 1.17 a token with `aud` needs them. */
  JWT = 'jwt',
}

/** Props of `VaultToken`. */
export interface VaultTokenProps {
  /** @default VaultAuthMethod.KUBERNETES */
  readonly authMethod?: VaultAuthMethod;
  /** The audience the Vault role expects. @default 'vault' */
  readonly audience?: string;
  /** The token's lifetime. @default Duration.hours(2) */
  readonly expiration?: Duration;
  /**
   * Adds `vault.hashicorp.com/agent-service-account-token-volume-name: vault-token`
   * to the pod template, so the Vault Agent injector uses this token.
   *
   * With `authMethod: VaultAuthMethod.JWT` it also writes what the injected
   * agent's JWT auto-auth needs to read this read-only projected token
   * (hashicorp/vault-k8s#660, hashicorp/vault#11968):
   * `vault.hashicorp.com/auth-type: jwt`, `vault.hashicorp.com/auth-path`
   * (see `authPath`), `vault.hashicorp.com/auth-config-path` (the token
   * file) and `vault.hashicorp.com/auth-config-remove-jwt-after-reading: "false"`
   * (the agent deletes the JWT file after reading it by default, which fails
   * on the read-only volume every 500 ms). The Vault role is still yours to
   * name (`vault.hashicorp.com/role`).
   *
   * @default false
   */
  readonly agentInjector?: boolean;

  /**
   * With `agentInjector` and JWT auth: the path of the JWT auth method in
   * Vault, written as `vault.hashicorp.com/auth-path` (the injector's default,
   * `auth/kubernetes`, is the Kubernetes method's).
   *
   * @default 'auth/jwt' (where `vault auth enable jwt` mounts it)
   */
  readonly authPath?: string;
}

/**
 * A token for HashiCorp Vault's Kubernetes or JWT auth, in the seed
 * document's layout: volume and file `vault-token`, audience `vault`,
 * lifetime 2 h, mounted at `/var/run/secrets/tokens`.
 *
 * Vault side: the role's `audience` (Kubernetes auth) or `bound_audiences`
 * (JWT auth) is the token's audience, and `bound_service_account_names` /
 * `bound_subject` name the ServiceAccount (`system:serviceaccount:<namespace>:<name>`).
 *
 * @see https://developer.hashicorp.com/vault/docs/auth/kubernetes
 */
export class VaultToken extends IdentityPreset {
  /** The volume (and file) name. */
  public static readonly VOLUME_NAME = 'vault-token';
  /** The mount path. */
  public static readonly MOUNT_PATH = '/var/run/secrets/tokens';
  /** The Vault Agent injector annotation. */
  public static readonly AGENT_TOKEN_VOLUME_ANNOTATION = 'vault.hashicorp.com/agent-service-account-token-volume-name';
  /** The injector's annotation that keeps the agent's JWT auto-auth from deleting the (read-only) token file. */
  public static readonly AGENT_REMOVE_JWT_ANNOTATION = 'vault.hashicorp.com/auth-config-remove-jwt-after-reading';
  /** The injector's annotation that tells the agent's JWT auto-auth where the token file is. */
  public static readonly AGENT_JWT_PATH_ANNOTATION = 'vault.hashicorp.com/auth-config-path';

  /** How Vault verifies the token. */
  public readonly authMethod: VaultAuthMethod;

  constructor(props: VaultTokenProps = {}) {
    super();
    checkProps('VaultToken:', props, {
      authMethod: oneOf('VaultAuthMethod', Object.values(VaultAuthMethod)), audience: lazyStr, expiration: duration, agentInjector: bool, authPath: str,
    });
    this.authMethod = props.authMethod ?? VaultAuthMethod.KUBERNETES;
    const jwtAgent = props.agentInjector === true && this.authMethod === VaultAuthMethod.JWT;
    setPresetSpec(this, {
      consumer: `Vault ${this.authMethod} auth`,
      volumeName: VaultToken.VOLUME_NAME,
      token: { path: VaultToken.VOLUME_NAME, audience: props.audience ?? 'vault', expiration: props.expiration ?? Duration.hours(2) },
      mountPath: VaultToken.MOUNT_PATH,
      env: [],
      podAnnotations: !props.agentInjector ? undefined : jwtAgent ? {
        [VaultToken.AGENT_TOKEN_VOLUME_ANNOTATION]: '{{VOLUME_NAME}}',
        'vault.hashicorp.com/auth-type': 'jwt',
        'vault.hashicorp.com/auth-path': props.authPath ?? 'auth/jwt',
        [VaultToken.AGENT_JWT_PATH_ANNOTATION]: '{{TOKEN_FILE}}',
        [VaultToken.AGENT_REMOVE_JWT_ANNOTATION]: 'false',
      } : { [VaultToken.AGENT_TOKEN_VOLUME_ANNOTATION]: '{{VOLUME_NAME}}' },
      findings: () => [],
    });
  }
}
