import { Duration } from 'cdk8s';

/**
 * One `serviceAccountToken` source of a projected volume: a token the kubelet
 * requests for the pod's service account, bound to an audience and a lifetime.
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
export interface ServiceAccountTokenProjection {
  /**
   * The file name of the token, relative to the volume's mount point.
   * Must not be absolute, contain a `..` segment or start with `..`.
   */
  readonly path: string;

  /**
   * The audience the token is issued for (its `aud` claim): the identifier
   * the token's consumer expects, e.g. `vault` or `sts.amazonaws.com`.
   * One audience per token.
   *
   * @default - no audience: the token is valid for the Kubernetes API server's
   * own audiences (warning BT120)
   */
  readonly audience?: string;

  /**
   * The requested lifetime of the token, rendered as whole `expirationSeconds`.
   * At least 10 minutes, at most 2^32 seconds. The kubelet refreshes the
   * token after `ProjectedTokenVolume.refreshAfter(expiration)`: 80% of the
   * lifetime, or 24 hours, whichever comes first. A cluster started with
   * `--service-account-max-token-expiration` may issue a shorter token.
   *
   * @default Duration.hours(1)
   */
  readonly expiration?: Duration;
}
