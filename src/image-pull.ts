import * as crypto from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import * as YAML from 'yaml';
import { notAWorkload } from './private/bound-workload';
import { ClusterScopedObject } from './private/cluster-scoped';
import { registerSubject } from './private/engine';
import { asServiceAccount, describeValue } from './private/kplus';
import { arrayOf, bool, checkProps, instance, str, stringMap } from './private/props';
import { Slot } from './private/slot';
import {
  ACR_CLIENT_ID_ANNOTATION, ACR_TENANT_ID_ANNOTATION, checkAcrId, checkEcrRoleArn, checkImagePullAudience, checkImagePullKeys,
  checkObject, CONSTRUCT_STYLE, ECR_ROLE_ARN_ANNOTATION, escapeControl, Finding, finding, IP, NODE_AUDIENCE_VERB, NODES_GROUP,
  ruleGrantsAudience, show,
} from './rules';

/**
 * How the kubelet caches the registry credentials a credential provider
 * returns for a service account token (`tokenAttributes.cacheType`, required
 * since the feature's beta in Kubernetes 1.34).
 *
 * @see https://kubernetes.io/docs/tasks/administer-cluster/kubelet-credential-provider/
 */
export class ImagePullTokenCacheType {
  /** Per token: the credentials live as long as the token (a provider that turns the token into a credential of the same lifetime). */
  public static readonly TOKEN = new ImagePullTokenCacheType('Token');
  /** Per ServiceAccount (namespace, name, UID and the passed annotations): every pod of the account shares them. */
  public static readonly SERVICE_ACCOUNT = new ImagePullTokenCacheType('ServiceAccount');

  private constructor(
    /** The value written into `cacheType`. */
    public readonly value: string,
  ) {}
}

/**
 * The `tokenAttributes` of one provider in the kubelet's
 * `CredentialProviderConfig` (kubelet.config.k8s.io/v1), field for field.
 * Read by kubelets of Kubernetes 1.34+ (beta, feature gate
 * `KubeletServiceAccountTokenForCredentialProviders` on by default); a kubelet
 * with the gate off refuses a configuration that has `tokenAttributes`.
 */
export interface CredentialProviderTokenAttributes {
  /** The audience of the service account token the kubelet requests for the provider. */
  readonly serviceAccountTokenAudience: string;
  /** `Token` or `ServiceAccount`. */
  readonly cacheType: string;
  /** The kubelet calls the provider only for pods that run as a ServiceAccount. */
  readonly requireServiceAccount: boolean;
  /** Annotations the ServiceAccount must carry; the kubelet passes them to the provider. */
  readonly requiredServiceAccountAnnotationKeys?: string[];
  /** Annotations the kubelet passes to the provider when the ServiceAccount carries them. */
  readonly optionalServiceAccountAnnotationKeys?: string[];
}

/** Options of a node-audience grant made by a preset (`grantNodeAudience`). */
export interface NodeAudienceGrantOptions {
  /**
   * Limit the grant to ServiceAccounts of these names (`resourceNames`; any
   * namespace).
   *
   * @default - every ServiceAccount
   */
  readonly serviceAccountNames?: string[];

  /**
   * The name of the ClusterRole and the ClusterRoleBinding.
   *
   * @default - `node-audience-` with the audience made a name and a hash of it
   */
  readonly name?: string;
}

/** Props of `NodeAudienceGrant`. */
export interface NodeAudienceGrantProps extends NodeAudienceGrantOptions {
  /** The audience the kubelets may request service account tokens for. */
  readonly audience: string;
}

/**
 * Lets the kubelets request service account tokens for an audience: a
 * ClusterRole with the verb `request-serviceaccounts-token-audience` on the
 * resource `<audience>` (apiGroups `['']`, optionally `resourceNames`: the
 * ServiceAccounts), bound to the group `system:nodes`.
 *
 * Needed for image pulls with service account tokens (Kubernetes 1.34+,
 * beta, on by default) where node audience restriction is on (beta, on by
 * default since 1.33): without it, the kubelet may request tokens only for
 * audiences that the pods of its node already project. The ClusterRole is
 * the construct's `Resource` (`ApiObject.of(grant)`).
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/node/
 */
export class NodeAudienceGrant extends Construct {
  /** The audience. */
  public readonly audience: string;
  /** The name of the ClusterRole and the ClusterRoleBinding. */
  public readonly name: string;
  /** The ClusterRoleBinding. */
  public readonly binding: ApiObject;
  private readonly names: string[];

  constructor(scope: Construct, id: string, props: NodeAudienceGrantProps) {
    const where = `[${scope?.node?.path ? `${scope.node.path}/${id}` : id}] NodeAudienceGrant:`;
    checkProps(where, props, { audience: str, serviceAccountNames: arrayOf(str, 'ServiceAccount names'), name: str }, ['audience']);
    const bad = checkImagePullAudience(props.audience, 'audience');
    if (bad.length > 0) throw new Error(`${where} ${escapeControl(bad[0].message)}`);
    super(scope, id);
    this.audience = props.audience;
    this.names = [...(props.serviceAccountNames ?? [])];
    this.name = props.name ?? defaultGrantName(props.audience);
    const rule: { [k: string]: unknown } = { apiGroups: [''], resources: [props.audience], verbs: [NODE_AUDIENCE_VERB] };
    if (this.names.length > 0) rule.resourceNames = [...this.names];
    new ClusterScopedObject(this, 'Resource', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: this.name },
      rules: [rule],
    } as any);
    this.binding = new ClusterScopedObject(this, 'Binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: this.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: this.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NODES_GROUP }],
    } as any);
  }

  /** The ServiceAccount names the grant is limited to (empty: every ServiceAccount). */
  public get serviceAccountNames(): string[] {
    return [...this.names];
  }
}

/** `node-audience-<audience as a name>-<8 hex of its SHA-256>`: a DNS subdomain, distinct per audience. */
function defaultGrantName(audience: string): string {
  const hash = crypto.createHash('sha256').update(audience, 'utf8').digest('hex').slice(0, 8);
  const readable = audience.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/[-.]{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 200);
  return `node-audience-${readable ? `${readable}-` : ''}${hash}`;
}

/** Props of `ImagePullIdentity`. */
export interface ImagePullIdentityProps {
  /** The audience of the token the kubelet requests for the image credential provider (`serviceAccountTokenAudience`). */
  readonly audience: string;

  /**
   * The annotations to write on the ServiceAccount: every required key, and
   * optional ones.
   *
   * @default - none
   */
  readonly annotations?: { [key: string]: string };

  /**
   * Annotation keys the ServiceAccount must carry
   * (`requiredServiceAccountAnnotationKeys`); each needs a value in `annotations`.
   *
   * @default - none
   */
  readonly requiredAnnotationKeys?: string[];

  /**
   * Annotation keys the kubelet passes on when present (`optionalServiceAccountAnnotationKeys`).
   *
   * @default - none
   */
  readonly optionalAnnotationKeys?: string[];

  /**
   * How the kubelet caches the credentials.
   *
   * @default ImagePullTokenCacheType.SERVICE_ACCOUNT
   */
  readonly cacheType?: ImagePullTokenCacheType;

  /**
   * The kubelet calls the provider only for pods with a ServiceAccount
   * (`requireServiceAccount`); must be true with required keys.
   *
   * @default true
   */
  readonly requireServiceAccount?: boolean;
}

/** The image-pull presets that annotated a ServiceAccount, kept on the ServiceAccount itself (no module-level registry). */
const PRESETS = new Slot<ImagePullIdentity[]>('imagePullPresets');

/**
 * Image pulls with service account tokens (KEP-4412; Kubernetes 1.34+,
 * beta, on by default): the kubelet requests a token of the pod's
 * ServiceAccount for the `audience`, and hands it with the listed
 * ServiceAccount annotations to the image credential provider, which trades
 * them for registry credentials. The preset writes the annotations on the
 * ServiceAccount (`annotateServiceAccount`) and produces the kubelet's
 * `tokenAttributes` from the same keys (`tokenAttributes`,
 * `tokenAttributesYaml`), and the node-audience grant (`grantNodeAudience`).
 * `AwsEcrImagePull` and `AzureAcrImagePull` are ready-made; this class takes
 * any keys (e.g. OpenShift's own).
 *
 * @see https://kubernetes.io/docs/tasks/administer-cluster/kubelet-credential-provider/
 */
export class ImagePullIdentity {
  /** The token audience. */
  public readonly audience: string;
  /** How the kubelet caches the credentials. */
  public readonly cacheType: ImagePullTokenCacheType;
  /** Whether the provider is called only for pods with a ServiceAccount. */
  public readonly requireServiceAccount: boolean;
  private readonly required: string[];
  private readonly optional: string[];
  private readonly annotations: { [key: string]: string };

  constructor(props: ImagePullIdentityProps) {
    const name = new.target?.name ?? 'ImagePullIdentity';
    checkProps(`${name}:`, props, {
      audience: str,
      annotations: stringMap('a map of annotation keys to values'),
      requiredAnnotationKeys: arrayOf(str, 'annotation keys'),
      optionalAnnotationKeys: arrayOf(str, 'annotation keys'),
      cacheType: instance('an ImagePullTokenCacheType (e.g. ImagePullTokenCacheType.SERVICE_ACCOUNT)', v => v instanceof ImagePullTokenCacheType),
      requireServiceAccount: bool,
    }, ['audience']);
    this.audience = props.audience;
    this.cacheType = props.cacheType ?? ImagePullTokenCacheType.SERVICE_ACCOUNT;
    this.requireServiceAccount = props.requireServiceAccount ?? true;
    this.required = [...(props.requiredAnnotationKeys ?? [])];
    this.optional = [...(props.optionalAnnotationKeys ?? [])];
    this.annotations = { ...(props.annotations ?? {}) };
    throwFindings(name, [
      ...checkImagePullAudience(props.audience, 'audience'),
      ...checkImagePullKeys({
        required: this.required, optional: this.optional, requireServiceAccount: this.requireServiceAccount, annotations: this.annotations,
      }),
    ]);
  }

  /** The keys the ServiceAccount must carry. */
  public get requiredAnnotationKeys(): string[] {
    return [...this.required];
  }

  /** The keys passed on when present. */
  public get optionalAnnotationKeys(): string[] {
    return [...this.optional];
  }

  /** The annotations the preset writes on a ServiceAccount. */
  public serviceAccountAnnotations(): { [key: string]: string } {
    return { ...this.annotations };
  }

  /**
   * Adds the annotations to a ServiceAccount of any cdk8s-plus line or a
   * plain `KubeServiceAccount` (anything else is error BT149). At synth, the
   * ServiceAccount is checked (BT254, BT255) and warning BT256 says when the
   * app grants the nodes no token for the audience.
   */
  public annotateServiceAccount(serviceAccount: IConstruct): void {
    const caller = `[${(serviceAccount as any)?.node?.path ?? ''}] ${this.constructor.name}.annotateServiceAccount()`;
    const sa = asServiceAccount(serviceAccount)
      ?? (ApiObject.isApiObject(serviceAccount) && serviceAccount.kind === 'ServiceAccount' ? serviceAccount : undefined);
    if (!sa) {
      throw notAWorkload(caller, 'serviceAccount', 'a ServiceAccount of cdk8s-plus (any line) or a KubeServiceAccount', describeValue(serviceAccount), 'pass the account the pods run as');
    }
    for (const [k, v] of Object.entries(this.annotations)) sa.metadata.addAnnotation(k, v);
    const obj = ApiObject.isApiObject(sa) ? sa : ApiObject.of(sa as any);
    const presets = PRESETS.get(obj) ?? PRESETS.set(obj, []);
    if (!presets.includes(this)) presets.push(this);
    registerSubject({ construct: obj, findings: () => serviceAccountFindings(obj) });
  }

  /** The kubelet's `tokenAttributes` for the provider, from the same keys the ServiceAccounts carry. */
  public tokenAttributes(): CredentialProviderTokenAttributes {
    return {
      serviceAccountTokenAudience: this.audience,
      cacheType: this.cacheType.value,
      requireServiceAccount: this.requireServiceAccount,
      ...(this.required.length > 0 ? { requiredServiceAccountAnnotationKeys: [...this.required] } : {}),
      ...(this.optional.length > 0 ? { optionalServiceAccountAnnotationKeys: [...this.optional] } : {}),
    };
  }

  /**
   * `tokenAttributes()` as YAML, to paste under the provider's entry of the
   * kubelet's CredentialProviderConfig (`providers[].tokenAttributes`).
   */
  public tokenAttributesYaml(): string {
    return YAML.stringify({ tokenAttributes: this.tokenAttributes() });
  }

  /** A `NodeAudienceGrant` for the audience. */
  public grantNodeAudience(scope: Construct, id: string, options: NodeAudienceGrantOptions = {}): NodeAudienceGrant {
    return new NodeAudienceGrant(scope, id, { ...options, audience: this.audience });
  }
}

function throwFindings(name: string, found: Finding[]): void {
  const errors = found.filter(f => f.level === 'error');
  if (errors.length > 0) throw new Error(`${name}: ${errors.map(f => escapeControl(f.message)).join('\n' + ' '.repeat(name.length + 2))}`);
}

/** The checks of a ServiceAccount that image-pull presets annotated: its annotations (as the lint reads them) and the app's grants. */
function serviceAccountFindings(obj: ApiObject): Finding[] {
  const manifest = obj.toJson();
  const out = checkObject(manifest, { style: CONSTRUCT_STYLE });
  const saName = manifest?.metadata?.name ?? '(unnamed)';
  const grants = clusterRoleRules(obj.node.root);
  const seen = new Set<string>();
  for (const p of PRESETS.get(obj) ?? []) {
    if (seen.has(p.audience)) continue;
    seen.add(p.audience);
    if (grants.some(r => ruleGrantsAudience(r, p.audience, saName))) continue;
    out.push(finding(IP.NO_GRANT, '', 'audience',
      `of ${p.constructor.name} has no node-audience grant in the app for ServiceAccount '${saName}', so with node audience restriction the kubelet may not request its token`,
      show(p.audience)));
  }
  return out;
}

/** The rules of every ClusterRole in the app, rendered. */
function clusterRoleRules(root: IConstruct): any[] {
  const out: any[] = [];
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c) || c.kind !== 'ClusterRole') continue;
    let json: any;
    try {
      json = c.toJson();
    } catch {
      continue;
    }
    if (Array.isArray(json?.rules)) out.push(...json.rules);
  }
  return out;
}

/** Props of `AwsEcrImagePull`. */
export interface AwsEcrImagePullProps {
  /** The IAM role the ECR credential provider assumes with the pod's token, e.g. `arn:aws:iam::111122223333:role/ecr-pull`. */
  readonly roleArn: string;

  /**
   * The annotation that carries the role.
   *
   * @default 'eks.amazonaws.com/ecr-role-arn'
   */
  readonly roleArnAnnotation?: string;

  /**
   * The token audience.
   *
   * @default 'sts.amazonaws.com'
   */
  readonly audience?: string;

  /**
   * How the kubelet caches the credentials.
   *
   * @default ImagePullTokenCacheType.SERVICE_ACCOUNT
   */
  readonly cacheType?: ImagePullTokenCacheType;
}

/**
 * Pulls from Amazon ECR with the pod's service account token (Kubernetes
 * 1.34+): the ServiceAccount carries `eks.amazonaws.com/ecr-role-arn`, and
 * the ECR credential provider assumes that role with
 * `AssumeRoleWithWebIdentity` (audience `sts.amazonaws.com`). The kubelet's
 * `tokenAttributes` are those EKS node configurations use:
 * `cacheType: ServiceAccount`, `requireServiceAccount: false`, the role
 * annotation optional (the provider falls back to the node's credentials for
 * a ServiceAccount without it, kubernetes/cloud-provider-aws#1281).
 *
 * IAM side: the role trusts the cluster's OIDC provider for
 * `system:serviceaccount:<namespace>:<name>` and audience `sts.amazonaws.com`,
 * and may pull (`ecr:GetAuthorizationToken`, `ecr:BatchGetImage`, ...).
 *
 * @see https://github.com/kubernetes/cloud-provider-aws/tree/master/cmd/ecr-credential-provider
 */
export class AwsEcrImagePull extends ImagePullIdentity {
  /** The annotation the ECR credential provider reads. */
  public static readonly ROLE_ARN_ANNOTATION = ECR_ROLE_ARN_ANNOTATION;
  /** The audience STS expects. */
  public static readonly AUDIENCE = 'sts.amazonaws.com';

  /** The role ARN. */
  public readonly roleArn: string;

  constructor(props: AwsEcrImagePullProps) {
    checkProps('AwsEcrImagePull:', props, {
      roleArn: str,
      roleArnAnnotation: str,
      audience: str,
      cacheType: instance('an ImagePullTokenCacheType (e.g. ImagePullTokenCacheType.SERVICE_ACCOUNT)', v => v instanceof ImagePullTokenCacheType),
    }, ['roleArn']);
    throwFindings('AwsEcrImagePull', checkEcrRoleArn(props.roleArn, 'roleArn'));
    const key = props.roleArnAnnotation ?? ECR_ROLE_ARN_ANNOTATION;
    super({
      audience: props.audience ?? AwsEcrImagePull.AUDIENCE,
      annotations: { [key]: props.roleArn },
      optionalAnnotationKeys: [key],
      requireServiceAccount: false,
      cacheType: props.cacheType,
    });
    this.roleArn = props.roleArn;
  }
}

/** Props of `AzureAcrImagePull`. */
export interface AzureAcrImagePullProps {
  /** The client id (GUID) of the managed identity that may pull from the registry. */
  readonly clientId: string;
  /** The tenant id (GUID). */
  readonly tenantId: string;

  /**
   * The annotation that carries the client id.
   *
   * @default 'kubernetes.azure.com/acr-client-id'
   */
  readonly clientIdAnnotation?: string;

  /**
   * The annotation that carries the tenant id.
   *
   * @default 'kubernetes.azure.com/acr-tenant-id'
   */
  readonly tenantIdAnnotation?: string;

  /**
   * The token audience.
   *
   * @default 'api://AzureADTokenExchange'
   */
  readonly audience?: string;

  /**
   * How the kubelet caches the credentials.
   *
   * @default ImagePullTokenCacheType.SERVICE_ACCOUNT
   */
  readonly cacheType?: ImagePullTokenCacheType;
}

/**
 * Pulls from Azure Container Registry with the pod's service account token
 * (Kubernetes 1.34+): the ServiceAccount carries
 * `kubernetes.azure.com/acr-client-id` and `kubernetes.azure.com/acr-tenant-id`
 * (both required: without either the kubelet does not call the ACR
 * credential provider), which exchanges the token (audience
 * `api://AzureADTokenExchange`) with Microsoft Entra.
 *
 * Azure side: a federated identity credential on the identity for the
 * cluster's issuer and `system:serviceaccount:<namespace>:<name>`, and the
 * `AcrPull` role on the registry.
 *
 * @see https://github.com/kubernetes-sigs/cloud-provider-azure
 */
export class AzureAcrImagePull extends ImagePullIdentity {
  /** The client id annotation the ACR credential provider reads. */
  public static readonly CLIENT_ID_ANNOTATION = ACR_CLIENT_ID_ANNOTATION;
  /** The tenant id annotation the ACR credential provider reads. */
  public static readonly TENANT_ID_ANNOTATION = ACR_TENANT_ID_ANNOTATION;
  /** The audience Microsoft Entra expects. */
  public static readonly AUDIENCE = 'api://AzureADTokenExchange';

  /** The client id. */
  public readonly clientId: string;
  /** The tenant id. */
  public readonly tenantId: string;

  constructor(props: AzureAcrImagePullProps) {
    checkProps('AzureAcrImagePull:', props, {
      clientId: str,
      tenantId: str,
      clientIdAnnotation: str,
      tenantIdAnnotation: str,
      audience: str,
      cacheType: instance('an ImagePullTokenCacheType (e.g. ImagePullTokenCacheType.SERVICE_ACCOUNT)', v => v instanceof ImagePullTokenCacheType),
    }, ['clientId', 'tenantId']);
    throwFindings('AzureAcrImagePull', [...checkAcrId(props.clientId, 'clientId'), ...checkAcrId(props.tenantId, 'tenantId')]);
    const clientKey = props.clientIdAnnotation ?? ACR_CLIENT_ID_ANNOTATION;
    const tenantKey = props.tenantIdAnnotation ?? ACR_TENANT_ID_ANNOTATION;
    super({
      audience: props.audience ?? AzureAcrImagePull.AUDIENCE,
      annotations: { [clientKey]: props.clientId, [tenantKey]: props.tenantId },
      requiredAnnotationKeys: [clientKey, tenantKey],
      requireServiceAccount: true,
      cacheType: props.cacheType,
    });
    this.clientId = props.clientId;
    this.tenantId = props.tenantId;
  }
}
