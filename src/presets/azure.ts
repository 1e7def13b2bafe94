import { Duration } from 'cdk8s';
import { checkAuthorityHost, checkGuid, checkLifetimeRange, finding, getAt, locatePodSpec, R } from '../rules';
import { IdentityPreset } from './preset';
import { AzureFederatedIdentityCredential, CloudTrustOptions } from '../cloud-trust';
import { presetSeconds, setPresetSpec } from '../private/preset-spec';
import { checkProps, checkResolved, duration, instance, str } from '../private/props';
import { presetFederatedCredentials } from '../trust/preset-trust';

/** An Azure cloud and its Microsoft Entra authority host. */
export class AzureCloud {
  /** Azure public cloud. */
  public static readonly PUBLIC = new AzureCloud('AzurePublicCloud', 'https://login.microsoftonline.com/');
  /** Azure US Government. */
  public static readonly US_GOVERNMENT = new AzureCloud('AzureUSGovernmentCloud', 'https://login.microsoftonline.us/');
  /** Azure operated by 21Vianet (China). */
  public static readonly CHINA = new AzureCloud('AzureChinaCloud', 'https://login.chinacloudapi.cn/');

  /** Another cloud (e.g. Azure Stack), with its authority host (https, ending in '/'). */
  public static custom(name: string, authorityHost: string): AzureCloud {
    return new AzureCloud(name, authorityHost, true);
  }

  private constructor(
    /** The cloud's name. */
    public readonly name: string,
    /** The authority host, e.g. `https://login.microsoftonline.com/`. */
    public readonly authorityHost: string,
    /** True for a cloud made with `custom()`. */
    public readonly isCustom: boolean = false,
  ) {}
}

/**
 * Where the Azure Workload Identity webhook puts the token, by webhook
 * version: the preset writes the layout you choose.
 *
 * @see https://github.com/Azure/azure-workload-identity/blob/main/pkg/webhook/consts.go
 */
export class AzureWebhookLayout {
  /**
   * Webhook 1.5 (and the AKS docs and OpenShift's fork): volume and file
   * `azure-identity-token` at `/var/run/secrets/azure/tokens`. A 1.5 webhook
   * still installed skips a pod that already projects `azure-identity-token`.
   */
  public static readonly V1_5 = new AzureWebhookLayout('1.5', 'azure-identity-token', '/var/run/secrets/azure/tokens', 'azure-identity-token');

  /**
   * Webhook 1.6: mount `/var/run/secrets/azure/wi`, file
   * `token/azure-identity-token`, volume name prefix
   * `azure-workload-identity-reserved-` (the webhook appends a hash of the pod
   * name, which a manifest cannot know; the preset appends `token`).
   */
  public static readonly V1_6 = new AzureWebhookLayout('1.6', 'azure-workload-identity-reserved-token', '/var/run/secrets/azure/wi', 'token/azure-identity-token');

  /**
   * The per-pod layout of the webhook releases after 1.6.0
   * (Azure/azure-workload-identity#1749, a breaking change): the mount path
   * holds the same per-pod hash as the volume name,
   * `/var/run/secrets/azure/wi/<hash>/token/azure-identity-token`, so that a
   * webhook reinvocation cannot mount twice at one path. A manifest cannot
   * know the webhook's hash: the preset writes `token` in its place (volume
   * `azure-workload-identity-reserved-token`, mount
   * `/var/run/secrets/azure/wi/token`). Apps must read the token file from
   * `AZURE_FEDERATED_TOKEN_FILE` (the Azure SDKs do), never a fixed path: it
   * is the one contract every layout keeps.
   */
  public static readonly PER_POD = new AzureWebhookLayout('after 1.6.0 (per-pod path)', 'azure-workload-identity-reserved-token', '/var/run/secrets/azure/wi/token', 'token/azure-identity-token');

  private constructor(
    /** The webhook version, e.g. `1.6` (`after 1.6.0 (per-pod path)` for `PER_POD`). */
    public readonly version: string,
    /** The projected volume's name. */
    public readonly volumeName: string,
    /** Where the volume is mounted. */
    public readonly mountPath: string,
    /** The token's path inside the volume. */
    public readonly tokenPath: string,
  ) {}
}

/** Props of `AzureWorkloadIdentity`. */
export interface AzureWorkloadIdentityProps {
  /** The client id (GUID) of the user-assigned managed identity or app registration. */
  readonly clientId: string;
  /** The tenant id (GUID). */
  readonly tenantId: string;
  /**
   * The cloud, which sets `AZURE_AUTHORITY_HOST`.
   *
   * @default AzureCloud.PUBLIC
   */
  readonly cloud?: AzureCloud;
  /**
   * An authority host to use instead of the cloud's; it must be the cloud's.
   *
   * @default - the cloud's authority host
   */
  readonly authorityHost?: string;
  /**
   * The token's lifetime; the webhook accepts 3600 to 86400 seconds.
   *
   * @default Duration.hours(1)
   */
  readonly expiration?: Duration;
  /**
   * The webhook layout to write (volume name, mount path, token file).
   * Whatever the layout, apps read the token file's path from
   * `AZURE_FEDERATED_TOKEN_FILE`.
   *
   * @default AzureWebhookLayout.V1_5
   */
  readonly layout?: AzureWebhookLayout;
}

/**
 * Azure Workload Identity, as its webhook injects it (the 1.5 layout unless
 * `layout` says 1.6, see `AzureWebhookLayout`): audience
 * `api://AzureADTokenExchange`, volume and file `azure-identity-token` at
 * `/var/run/secrets/azure/tokens`, and `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
 * `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`. It does not add the
 * `azure.workload.identity/use` label: webhook 1.6+ would add a second volume.
 *
 * Azure side: a federated identity credential on the identity with issuer =
 * the cluster's issuer, subject `system:serviceaccount:<namespace>:<name>` and
 * audience `api://AzureADTokenExchange`.
 *
 * @see https://azure.github.io/azure-workload-identity/docs/
 */
export class AzureWorkloadIdentity extends IdentityPreset {
  /** The audience Microsoft Entra ID expects. */
  public static readonly AUDIENCE = 'api://AzureADTokenExchange';
  /** The webhook's volume (and file) name (1.5 layout). */
  public static readonly VOLUME_NAME = 'azure-identity-token';
  /** The webhook's mount path (1.5 layout). */
  public static readonly MOUNT_PATH = '/var/run/secrets/azure/tokens';
  /** The label that makes the webhook mutate a pod. */
  public static readonly USE_LABEL = 'azure.workload.identity/use';

  /** The environment variable that holds the token file's path: the contract apps read, whatever the layout. */
  public static readonly TOKEN_FILE_ENV = 'AZURE_FEDERATED_TOKEN_FILE';

  /** The webhook layout the preset writes. */
  public readonly layout: AzureWebhookLayout;

  constructor(props: AzureWorkloadIdentityProps) {
    super();
    checkProps('AzureWorkloadIdentity:', props, {
      clientId: str,
      tenantId: str,
      authorityHost: str,
      expiration: duration,
      cloud: instance('an AzureCloud (e.g. AzureCloud.PUBLIC)', v => v instanceof AzureCloud),
      layout: instance('an AzureWebhookLayout (e.g. AzureWebhookLayout.V1_5)', v => v instanceof AzureWebhookLayout),
    }, ['clientId', 'tenantId']);
    const cloud = props.cloud ?? AzureCloud.PUBLIC;
    const host = props.authorityHost ?? cloud.authorityHost;
    const seconds = presetSeconds(props.expiration, 3600);
    const layout = props.layout ?? AzureWebhookLayout.V1_5;
    this.layout = layout;
    setPresetSpec(this, {
      consumer: 'Azure Workload Identity',
      volumeName: layout.volumeName,
      token: { path: layout.tokenPath, audience: AzureWorkloadIdentity.AUDIENCE, expiration: props.expiration ?? Duration.hours(1) },
      mountPath: layout.mountPath,
      env: [
        { name: 'AZURE_CLIENT_ID', value: props.clientId },
        { name: 'AZURE_TENANT_ID', value: props.tenantId },
        { name: AzureWorkloadIdentity.TOKEN_FILE_ENV, value: '{{TOKEN_FILE}}' },
        { name: 'AZURE_AUTHORITY_HOST', value: host },
      ],
      serviceAccountAnnotations: {
        'azure.workload.identity/client-id': props.clientId,
        'azure.workload.identity/tenant-id': props.tenantId,
      },
      findings: () => checkResolved({ ...props, authorityHost: host }, { clientId: '00000000-0000-0000-0000-000000000000', tenantId: '00000000-0000-0000-0000-000000000000', authorityHost: cloud.authorityHost }, p => [
        ...checkGuid(p.clientId, 'clientId'),
        ...checkGuid(p.tenantId, 'tenantId'),
        ...checkAuthorityHost(p.authorityHost!, cloud.isCustom ? undefined : cloud.authorityHost, cloud.name, 'authorityHost'),
        ...checkLifetimeRange(seconds, 3600, 86400, 'the Azure Workload Identity webhook', 'expiration'),
      ]),
      publicIssuer: true,
      trust: { cloud: 'azure', clientId: props.clientId },
      manifestFindings: (manifest: any) => {
        const loc = locatePodSpec(manifest);
        const meta = loc?.templateMetadataPath ? getAt(manifest, loc.templateMetadataPath) : manifest?.metadata;
        const label = meta?.labels?.[AzureWorkloadIdentity.USE_LABEL];
        return label === undefined ? [] : [finding(R.PRESET_AZURE_USE_LABEL, '', `label ${AzureWorkloadIdentity.USE_LABEL}`,
          'makes webhook 1.6+ inject a second token volume next to the preset\'s', `'${label}'`)];
      },
    });
  }

  /**
   * One federated identity credential per ServiceAccount the preset is bound
   * through: the cluster's issuer, subject `system:serviceaccount:<namespace>:<name>`,
   * audience `api://AzureADTokenExchange` (at most 20 per identity: BT217).
   *
   * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust-user-assigned-managed-identity
   */
  public federatedIdentityCredentials(options: CloudTrustOptions = {}): AzureFederatedIdentityCredential[] {
    return presetFederatedCredentials(this, options, 'AzureWorkloadIdentity.federatedIdentityCredentials()');
  }
}
