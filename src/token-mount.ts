/**
 * An environment variable that holds the path of a token file, for
 * applications and SDKs that find their token through the environment
 * (e.g. `AWS_WEB_IDENTITY_TOKEN_FILE`, `AZURE_FEDERATED_TOKEN_FILE`).
 */
export interface TokenEnvVar {
  /** The name of the environment variable, e.g. `VAULT_TOKEN_FILE`. */
  readonly name: string;

  /**
   * The token whose file path the variable holds: the `path` of one of the
   * volume's tokens. The variable's value is `<mountPath>/<tokenPath>`.
   */
  readonly tokenPath: string;
}

/**
 * Where and how `ProjectedTokenVolume.mountInto()` and `mountIntoApiObject()`
 * mount a token volume. The mount is always read-only and never uses
 * `subPath` (a `subPath` mount never receives the rotated token).
 */
export interface TokenMountOptions {
  /**
   * The absolute path the volume is mounted at; token files appear under it.
   *
   * @default '/var/run/secrets/tokens'
   */
  readonly mountPath?: string;

  /**
   * The names of the containers (or init containers) that get the mount. A
   * name the workload does not have when it is synthesized is an error (BT145).
   *
   * @default - every container and init container, also ones added later
   */
  readonly containers?: string[];

  /**
   * Environment variables to set, in every container that gets the mount, to
   * the path of one of the volume's token files. A container that already
   * sets one of them to something else is an error (BT146).
   *
   * @default - none
   */
  readonly envVars?: TokenEnvVar[];

  /**
   * Annotate the workload's pod template with when each token is refreshed
   * and when it expires, as durations from the pod's start (see
   * `TokenRotation.annotate()`).
   *
   * @default false
   */
  readonly rotationAnnotations?: boolean;
}
