import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { kplus } from '../private/kplus';
import { checkGcpInputs } from '../rules';
import { credentialConfiguration, providerName } from './gcp-config';
import { IdentityPreset } from './preset';
import { CloudTrustOptions, GcpWorkloadIdentityTrust } from '../cloud-trust';
import { setPresetSpec } from '../private/preset-spec';
import { bool, checkProps, checkResolved, duration, str } from '../private/props';
import { presetGcpTrust } from '../trust/preset-trust';

/** The coordinates of a Workload Identity Federation provider. */
export interface GcpWorkloadIdentityProvider {
  /** The project NUMBER (digits, not the project id). */
  readonly projectNumber: string;
  /** The workload identity pool id. */
  readonly poolId: string;
  /** The pool's provider id. */
  readonly providerId: string;
}

/** Props of `GcpWorkloadIdentityFederation`. */
export interface GcpWorkloadIdentityFederationProps extends GcpWorkloadIdentityProvider {
  /**
   * A Google service account to impersonate. Without it, the federated
   * identity accesses resources directly (grant roles to the principal
   * `principal://iam.googleapis.com/projects/<NUM>/locations/global/workloadIdentityPools/<POOL>/subject/system:serviceaccount:<ns>:<name>`).
   *
   * @default - direct resource access, no impersonation
   */
  readonly serviceAccountEmail?: string;

  /**
   * The token's lifetime.
   *
   * @default Duration.hours(1)
   */
  readonly expiration?: Duration;

  /**
   * The pool's OIDC provider holds the cluster's keys: its JWKS was uploaded
   * to the provider (`ccoctl` does it on OpenShift 4.22+; `gcloud iam
   * workload-identity-pools providers create-oidc --jwk-json-path`), so
   * Google fetches nothing from the issuer and a cluster-internal,
   * non-public issuer works. Silences BT169 for the provider's audience.
   * Upload the keys again after every rotation of the service account
   * signing key.
   *
   * @default false (Google fetches the discovery document and keys from the issuer, which must be public: BT169)
   */
  readonly jwksUploaded?: boolean;
}

/**
 * Google Cloud Workload Identity Federation for clusters outside GKE: a
 * token with the provider's audience at `/var/run/service-account/token`, a
 * ConfigMap with the `external_account` credential configuration mounted
 * read-only at `/etc/workload-identity`, and `GOOGLE_APPLICATION_CREDENTIALS`.
 *
 * Google Cloud side: a pool whose OIDC provider has issuer = the cluster's
 * issuer and the allowed audience
 * `https://iam.googleapis.com/projects/<NUM>/locations/global/workloadIdentityPools/<POOL>/providers/<PROVIDER>`
 * (the default), and, with impersonation, `roles/iam.workloadIdentityUser`
 * on the service account for the principal of
 * `system:serviceaccount:<namespace>:<name>`.
 *
 * @see https://cloud.google.com/iam/docs/workload-identity-federation-with-kubernetes
 */
export class GcpWorkloadIdentityFederation extends IdentityPreset {
  /** The token volume's name. */
  public static readonly VOLUME_NAME = 'token';
  /** The token volume's mount path. */
  public static readonly MOUNT_PATH = '/var/run/service-account';
  /** Where the credential configuration is mounted. */
  public static readonly CONFIG_MOUNT_PATH = '/etc/workload-identity';
  /** The credential configuration's file (ConfigMap key). */
  public static readonly CONFIG_FILE = 'credential-configuration.json';

  /** The token audience: the provider's full resource name with `https:`. */
  public readonly audience: string;

  /** The service account to impersonate, if any. */
  public readonly serviceAccountEmail?: string;

  /** The pool's provider holds the cluster's keys (`jwksUploaded`): no public issuer needed. */
  public readonly jwksUploaded: boolean;

  private readonly provider: GcpWorkloadIdentityProvider;

  constructor(props: GcpWorkloadIdentityFederationProps) {
    super();
    checkProps('GcpWorkloadIdentityFederation:', props, { projectNumber: str, poolId: str, providerId: str, serviceAccountEmail: str, expiration: duration, jwksUploaded: bool }, ['projectNumber', 'poolId', 'providerId']);
    this.provider = { projectNumber: props.projectNumber, poolId: props.poolId, providerId: props.providerId };
    this.serviceAccountEmail = props.serviceAccountEmail;
    this.jwksUploaded = props.jwksUploaded === true;
    this.audience = `https:${providerName(props)}`;
    const configFile = `${GcpWorkloadIdentityFederation.CONFIG_MOUNT_PATH}/${GcpWorkloadIdentityFederation.CONFIG_FILE}`;
    setPresetSpec(this, {
      consumer: 'Google Cloud Workload Identity Federation',
      volumeName: GcpWorkloadIdentityFederation.VOLUME_NAME,
      token: { path: 'token', audience: this.audience, expiration: props.expiration ?? Duration.hours(1) },
      mountPath: GcpWorkloadIdentityFederation.MOUNT_PATH,
      env: [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: configFile }],
      extraMounts: [{
        mountPath: GcpWorkloadIdentityFederation.CONFIG_MOUNT_PATH,
        volumeName: 'workload-identity-credential-configuration',
        create: (scope: Construct, tokenFile: string) => {
          const cm = (scope.node.tryFindChild('GcpCredentialConfiguration') as kplus.ConfigMap | undefined)
            ?? new kplus.ConfigMap(scope, 'GcpCredentialConfiguration', {
              data: { [GcpWorkloadIdentityFederation.CONFIG_FILE]: this.credentialConfiguration(tokenFile) },
            });
          return { configMap: { name: cm.name } };
        },
      }],
      findings: () => checkResolved(props, { projectNumber: '1', poolId: 'pool', providerId: 'provider', serviceAccountEmail: 'sa@example.iam.gserviceaccount.com' }, p => checkGcpInputs(p)),
      // with the cluster's JWKS uploaded to the provider, Google never fetches the issuer (BT169 does not apply)
      publicIssuer: props.jwksUploaded !== true,
      issuerKeysUploaded: props.jwksUploaded === true,
      trust: { cloud: 'gcp', gcp: { ...this.provider, serviceAccountEmail: props.serviceAccountEmail } },
    });
  }

  /**
   * What the pool needs to trust the ServiceAccounts the preset is bound
   * through: the provider's issuer URI, allowed audience and attribute
   * mapping (`google.subject=assertion.sub`, at most 127 bytes: BT213), the
   * principals, and the impersonation role.
   *
   * @see https://cloud.google.com/iam/docs/workload-identity-federation-with-kubernetes
   */
  public workloadIdentityTrust(options: CloudTrustOptions = {}): GcpWorkloadIdentityTrust {
    return presetGcpTrust(this, options, 'GcpWorkloadIdentityFederation.workloadIdentityTrust()');
  }

  /** The `external_account` credential configuration for a token file (default: the preset's token file). */
  public credentialConfiguration(tokenFile?: string): string {
    return credentialConfiguration(this.provider, tokenFile ?? this.tokenFile(), this.serviceAccountEmail);
  }
}
