import { Duration } from 'cdk8s';
import { arnPartition, checkLifetimeRange, checkRegion, checkRoleArn } from '../rules';
import { IdentityPreset } from './preset';
import { CloudTrustOptions, EksPodIdentityAssociation } from '../cloud-trust';
import { presetSeconds, PresetEnv, setPresetSpec } from '../private/preset-spec';
import { bool, checkProps, checkResolved, duration, str } from '../private/props';
import { presetPodIdentityAssociations, presetTrustPolicy } from '../trust/preset-trust';

/** Props of `AwsIamRole`. */
export interface AwsIamRoleProps {
  /** The IAM role to assume, e.g. `arn:aws:iam::111122223333:role/my-app` (partitions aws, aws-cn, aws-us-gov). */
  readonly roleArn: string;

  /**
   * Sets `AWS_REGION` and `AWS_DEFAULT_REGION`.
   *
   * @default - not set
   */
  readonly region?: string;

  /**
   * Sets `AWS_STS_REGIONAL_ENDPOINTS=regional`, so SDKs call the regional STS endpoint.
   *
   * @default true
   */
  readonly stsRegionalEndpoints?: boolean;

  /**
   * The token's lifetime; at least 10 minutes.
   *
   * @default Duration.hours(24) (the EKS webhook's default)
   */
  readonly expiration?: Duration;
}

/**
 * IAM roles for service accounts (IRSA) on EKS, as the
 * amazon-eks-pod-identity-webhook injects it: audience `sts.amazonaws.com`,
 * volume `aws-iam-token` mounted read-only at
 * `/var/run/secrets/eks.amazonaws.com/serviceaccount`, `AWS_ROLE_ARN` and
 * `AWS_WEB_IDENTITY_TOKEN_FILE`.
 *
 * IAM side: the role's trust policy trusts the cluster's OIDC provider with
 * the conditions `<issuer>:aud = sts.amazonaws.com` and
 * `<issuer>:sub = system:serviceaccount:<namespace>:<name>`.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 */
export class AwsIamRole extends IdentityPreset {
  /** The token audience STS expects. */
  public static readonly AUDIENCE = 'sts.amazonaws.com';
  /** The webhook's volume name. */
  public static readonly VOLUME_NAME = 'aws-iam-token';
  /** The webhook's mount path. */
  public static readonly MOUNT_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
  /** The ServiceAccount annotation the webhook reads. */
  public static readonly ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';

  /** The role ARN. */
  public readonly roleArn: string;

  constructor(props: AwsIamRoleProps) {
    super();
    checkProps('AwsIamRole:', props, { roleArn: str, region: str, stsRegionalEndpoints: bool, expiration: duration }, ['roleArn']);
    this.roleArn = props.roleArn;
    const env: PresetEnv[] = [
      { name: 'AWS_ROLE_ARN', value: props.roleArn },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '{{TOKEN_FILE}}' },
    ];
    if (props.stsRegionalEndpoints ?? true) env.push({ name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' });
    if (props.region !== undefined) {
      env.push({ name: 'AWS_REGION', value: props.region }, { name: 'AWS_DEFAULT_REGION', value: props.region });
    }
    const seconds = presetSeconds(props.expiration, 86400);
    setPresetSpec(this, {
      consumer: 'AWS IAM roles for service accounts',
      volumeName: AwsIamRole.VOLUME_NAME,
      token: { path: 'token', audience: AwsIamRole.AUDIENCE, expiration: props.expiration ?? Duration.seconds(86400) },
      mountPath: AwsIamRole.MOUNT_PATH,
      env,
      serviceAccountAnnotations: { [AwsIamRole.ROLE_ARN_ANNOTATION]: props.roleArn },
      publicIssuer: true,
      trust: { cloud: 'aws', roleArn: props.roleArn },
      // a roleArn or region that cdk8s resolves later (cdk8s-awscdk-resolver, Lazy) is checked once resolved
      findings: () => checkResolved(props, { roleArn: 'arn:aws:iam::111122223333:role/resolved-later', region: 'us-east-1' }, (p, pending) => [
        ...checkRoleArn(p.roleArn, 'roleArn'),
        ...checkRegion(p.region, 'region', pending.has('roleArn') ? undefined : arnPartition(p.roleArn)),
        ...checkLifetimeRange(seconds, 600, undefined, 'AWS STS', 'expiration'),
      ]),
    });
  }

  /**
   * The role's trust policy (its assume-role policy document), as plain JSON:
   * `Federated` the cluster's IAM OIDC provider, `sts:AssumeRoleWithWebIdentity`,
   * `StringEquals` on `<issuer>:sub` (every ServiceAccount the preset is bound
   * through) and `<issuer>:aud` (`sts.amazonaws.com`). Pass it to an AWS CDK
   * `iam.Role` (e.g. `iam.PolicyDocument.fromJson(policy)` statements) or to
   * `aws iam create-role --assume-role-policy-document`.
   *
   * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
   */
  public trustPolicy(options: CloudTrustOptions = {}): any {
    return presetTrustPolicy(this, options, 'AwsIamRole.trustPolicy()');
  }
}

/** Props of `AwsEksPodIdentity`. */
export interface AwsEksPodIdentityProps {
  /**
   * The token's lifetime; at least 10 minutes.
   *
   * @default Duration.hours(24)
   */
  readonly expiration?: Duration;
}

/**
 * EKS Pod Identity, as the EKS Pod Identity webhook injects it: audience
 * `pods.eks.amazonaws.com`, volume and file `eks-pod-identity-token` at
 * `/var/run/secrets/pods.eks.amazonaws.com/serviceaccount`, and the
 * container credentials endpoint of the EKS Pod Identity Agent.
 *
 * IAM side: an EKS Pod Identity association of the role with the
 * namespace and service account; the role trusts `pods.eks.amazonaws.com`.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
 */
export class AwsEksPodIdentity extends IdentityPreset {
  /** The token audience the EKS Pod Identity Agent expects. */
  public static readonly AUDIENCE = 'pods.eks.amazonaws.com';
  /** The webhook's volume (and file) name. */
  public static readonly VOLUME_NAME = 'eks-pod-identity-token';
  /** The webhook's mount path. */
  public static readonly MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
  /** The agent's credentials endpoint. */
  public static readonly CREDENTIALS_FULL_URI = 'http://169.254.170.23/v1/credentials';

  constructor(props: AwsEksPodIdentityProps = {}) {
    super();
    checkProps('AwsEksPodIdentity:', props, { expiration: duration });
    const seconds = presetSeconds(props.expiration, 86400);
    setPresetSpec(this, {
      consumer: 'EKS Pod Identity',
      volumeName: AwsEksPodIdentity.VOLUME_NAME,
      token: { path: AwsEksPodIdentity.VOLUME_NAME, audience: AwsEksPodIdentity.AUDIENCE, expiration: props.expiration ?? Duration.seconds(86400) },
      mountPath: AwsEksPodIdentity.MOUNT_PATH,
      env: [
        { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: AwsEksPodIdentity.CREDENTIALS_FULL_URI },
        { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: '{{TOKEN_FILE}}' },
      ],
      findings: () => checkLifetimeRange(seconds, 600, undefined, 'EKS Pod Identity', 'expiration'),
      trust: { cloud: 'eks-pod-identity' },
    });
  }

  /**
   * The trust policy the associated role needs, as plain JSON: the service
   * principal `pods.eks.amazonaws.com` with `sts:AssumeRole` and `sts:TagSession`.
   *
   * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
   */
  public trustPolicy(options: CloudTrustOptions = {}): any {
    return presetTrustPolicy(this, options, 'AwsEksPodIdentity.trustPolicy()');
  }

  /**
   * One EKS Pod Identity association per ServiceAccount the preset is bound
   * through (the `clusterName` and `roleArn` options are required: BT214).
   */
  public podIdentityAssociations(options: CloudTrustOptions): EksPodIdentityAssociation[] {
    return presetPodIdentityAssociations(this, options, 'AwsEksPodIdentity.podIdentityAssociations()');
  }
}
