import { ApiObjectMetadata, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { kplus } from '../private/kplus';
import { checkGcpInputs, checkGuid, checkRegion, checkRoleArn, arnPartition } from '../rules';
import { GcpWorkloadIdentityProvider } from './gcp';
import { credentialConfiguration } from './gcp-config';
import { IdentityPreset } from './preset';
import { AzureFederatedIdentityCredential, CloudTrustOptions, GcpWorkloadIdentityTrust } from '../cloud-trust';
import { PresetTrustFacts, setPresetSpec } from '../private/preset-spec';
import { bool, checkProps, checkResolved, str } from '../private/props';
import { presetFederatedCredentials, presetGcpTrust, presetTrustPolicy } from '../trust/preset-trust';

/** Props of `OpenShiftShortTermCredentials.aws()`. */
export interface OpenShiftAwsCredentialsProps {
  /** The IAM role the operator assumes. */
  readonly roleArn: string;
}

/** Props of `OpenShiftShortTermCredentials.azure()`. */
export interface OpenShiftAzureCredentialsProps {
  /** The managed identity's client id (GUID). */
  readonly clientId: string;
  /** The tenant id (GUID). */
  readonly tenantId: string;
  /** The Azure region, e.g. `eastus`. */
  readonly region: string;
  /** The subscription id (GUID). */
  readonly subscriptionId: string;
}

/** Props of `OpenShiftShortTermCredentials.gcp()`. */
export interface OpenShiftGcpCredentialsProps extends GcpWorkloadIdentityProvider {
  /** The Google service account to impersonate. */
  readonly serviceAccountEmail: string;

  /**
   * The pool's OIDC provider holds the cluster's keys: `ccoctl` of OpenShift
   * 4.22+ uploaded the JWKS to it, so Google fetches nothing from the issuer
   * and a non-public issuer works. Silences BT169 for the audience `openshift`.
   *
   * @default false (Google fetches the discovery document and keys from the issuer, which must be public: BT169)
   */
  readonly jwksUploaded?: boolean;
}

/** Props of the credentials Secret. */
export interface CredentialsSecretOptions {
  /** The Secret's metadata (name, namespace). @default - a generated name */
  readonly metadata?: ApiObjectMetadata;
}

const MOUNT_PATH = '/var/run/secrets/openshift/serviceaccount';
const TOKEN_FILE = `${MOUNT_PATH}/token`;

/**
 * OpenShift short-term credentials (the cloud credential operator's STS /
 * workload identity mode): the token `bound-sa-token` with audience
 * `openshift` at `/var/run/secrets/openshift/serviceaccount`, and the
 * credentials Secret layout the operator uses for AWS, Azure or GCP
 * (`createCredentialsSecret()`).
 *
 * Cloud side: the cluster's issuer is the public bucket `ccoctl` filled; the
 * role / federated credential / provider trusts audience `openshift` and the
 * subject `system:serviceaccount:<namespace>:<name>`.
 *
 * @see https://docs.openshift.com/container-platform/4.14/authentication/managing_cloud_provider_credentials/cco-short-term-creds.html
 */
export class OpenShiftShortTermCredentials extends IdentityPreset {
  /** The token audience. */
  public static readonly AUDIENCE = 'openshift';
  /** The volume name. */
  public static readonly VOLUME_NAME = 'bound-sa-token';
  /** The mount path. */
  public static readonly MOUNT_PATH = MOUNT_PATH;

  /** For AWS: the Secret key `credentials` with `role_arn` and `web_identity_token_file`. */
  public static aws(props: OpenShiftAwsCredentialsProps): OpenShiftShortTermCredentials {
    checkProps('OpenShiftShortTermCredentials.aws():', props, { roleArn: str }, ['roleArn']);
    return new OpenShiftShortTermCredentials('aws', { cloud: 'aws', roleArn: props.roleArn }, {
      credentials: ['[default]', 'sts_regional_endpoints = regional', `role_arn = ${props.roleArn}`, `web_identity_token_file = ${TOKEN_FILE}`].join('\n') + '\n',
    }, () => checkResolved(props, { roleArn: 'arn:aws:iam::111122223333:role/resolved-later' }, (p, pending) => [...checkRoleArn(p.roleArn, 'roleArn'), ...checkRegion(undefined, 'region', pending.has('roleArn') ? undefined : arnPartition(p.roleArn))]));
  }

  /** For Azure: the Secret keys `azure_client_id`, `azure_tenant_id`, `azure_region`, `azure_subscription_id`, `azure_federated_token_file`. */
  public static azure(props: OpenShiftAzureCredentialsProps): OpenShiftShortTermCredentials {
    checkProps('OpenShiftShortTermCredentials.azure():', props, { clientId: str, tenantId: str, region: str, subscriptionId: str }, ['clientId', 'tenantId', 'region', 'subscriptionId']);
    return new OpenShiftShortTermCredentials('azure', { cloud: 'azure', clientId: props.clientId }, {
      azure_client_id: props.clientId,
      azure_tenant_id: props.tenantId,
      azure_region: props.region,
      azure_subscription_id: props.subscriptionId,
      azure_federated_token_file: TOKEN_FILE,
    }, () => checkResolved(props, { clientId: '00000000-0000-0000-0000-000000000000', tenantId: '00000000-0000-0000-0000-000000000000', subscriptionId: '00000000-0000-0000-0000-000000000000' }, p => [...checkGuid(p.clientId, 'clientId'), ...checkGuid(p.tenantId, 'tenantId'), ...checkGuid(p.subscriptionId, 'subscriptionId')]));
  }

  /** For GCP: the Secret key `service_account.json` with the `external_account` configuration. */
  public static gcp(props: OpenShiftGcpCredentialsProps): OpenShiftShortTermCredentials {
    checkProps('OpenShiftShortTermCredentials.gcp():', props, {
      projectNumber: str, poolId: str, providerId: str, serviceAccountEmail: str, jwksUploaded: bool,
    }, ['projectNumber', 'poolId', 'providerId', 'serviceAccountEmail']);
    const config = credentialConfiguration(props, TOKEN_FILE, props.serviceAccountEmail);
    const { projectNumber, poolId, providerId, serviceAccountEmail } = props;
    const gcp = { projectNumber, poolId, providerId, serviceAccountEmail };
    return new OpenShiftShortTermCredentials('gcp', { cloud: 'gcp', gcp }, { 'service_account.json': config }, () => checkResolved(props, { projectNumber: '1', poolId: 'pool', providerId: 'provider', serviceAccountEmail: 'sa@example.iam.gserviceaccount.com' }, p => checkGcpInputs(p)), props.jwksUploaded === true);
  }

  /** The cloud: `aws`, `azure` or `gcp`. */
  public readonly cloud: string;
  private readonly secretData: { [key: string]: string };

  private constructor(cloud: string, trust: PresetTrustFacts, secretData: { [key: string]: string }, findings: () => any[], jwksUploaded = false) {
    super();
    this.cloud = cloud;
    this.secretData = secretData;
    setPresetSpec(this, {
      consumer: `OpenShift short-term credentials (${cloud})`,
      volumeName: OpenShiftShortTermCredentials.VOLUME_NAME,
      token: { path: 'token', audience: OpenShiftShortTermCredentials.AUDIENCE, expiration: Duration.hours(1) },
      mountPath: MOUNT_PATH,
      env: [],
      findings,
      // with the cluster's JWKS uploaded to the pool (ccoctl, OpenShift 4.22+ on GCP), Google never fetches the issuer (no BT169)
      publicIssuer: !jwksUploaded,
      issuerKeysUploaded: jwksUploaded,
      trust,
    });
  }

  /** The credentials Secret's data, as the cloud credential operator lays it out. */
  public credentialsData(): { [key: string]: string } {
    return { ...this.secretData };
  }

  /** For `aws()`: the role's trust policy (audience `openshift`), as plain JSON; see `AwsIamRole.trustPolicy()`. */
  public trustPolicy(options: CloudTrustOptions = {}): any {
    return presetTrustPolicy(this, options, 'OpenShiftShortTermCredentials.trustPolicy()');
  }

  /** For `azure()`: the federated identity credentials (audience `openshift`). */
  public federatedIdentityCredentials(options: CloudTrustOptions = {}): AzureFederatedIdentityCredential[] {
    return presetFederatedCredentials(this, options, 'OpenShiftShortTermCredentials.federatedIdentityCredentials()');
  }

  /** For `gcp()`: the pool's trust (allowed audience `openshift`). */
  public workloadIdentityTrust(options: CloudTrustOptions = {}): GcpWorkloadIdentityTrust {
    return presetGcpTrust(this, options, 'OpenShiftShortTermCredentials.workloadIdentityTrust()');
  }

  /** Creates the credentials Secret (stringData) in the operator's layout. */
  public createCredentialsSecret(scope: Construct, id: string, options: CredentialsSecretOptions = {}): kplus.Secret {
    const secret = new kplus.Secret(scope, id, { metadata: options.metadata });
    for (const [k, v] of Object.entries(this.secretData)) secret.addStringData(k, v);
    return secret;
  }
}
