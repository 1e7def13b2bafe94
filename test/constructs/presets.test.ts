import { Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { build as awsExample } from '../../examples/aws-iam-role';
import { build as azureExample } from '../../examples/azure-workload-identity';
import { build as gcpExample } from '../../examples/gcp-workload-identity';
import { build as meshExample } from '../../examples/istio-spire';
import { build as stsExample } from '../../examples/openshift-sts';
import { build as vaultExample } from '../../examples/vault-agent';
import {
  AwsEksPodIdentity, AwsIamRole, AzureCloud, AzureWebhookLayout, AzureWorkloadIdentity, BoundTokenPod, GcpWorkloadIdentityFederation,
  IstioToken, OpenShiftShortTermCredentials, SpireAgentToken, VaultAuthMethod, VaultToken, ClusterIssuerConfig, BoundTokenRules,
} from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

const ROLE = 'arn:aws:iam::111122223333:role/app';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';

function deployment(c: any, containers: string[] = ['app'], init: string[] = []) {
  const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
  const d = new kplus.Deployment(c, 'Dep', { serviceAccount: sa, containers: containers.map(name => ({ name, image: 'busybox:1.36' })) });
  for (const name of init) d.addInitContainer({ name, image: 'busybox:1.36' });
  return d;
}
const podSpec = (objs: any[]) => findKind(objs, 'Deployment').spec.template.spec;
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));

describe('examples', () => {
  test.each([
    ['aws-iam-role', awsExample], ['azure-workload-identity', azureExample], ['gcp-workload-identity', gcpExample],
    ['istio-spire', meshExample], ['openshift-sts', stsExample], ['vault-agent', vaultExample],
  ])('%s synthesizes, valid against the upstream schema', (_name, build) => {
    const app = build();
    let objs: any[] = [];
    const warnings = captureWarnings(() => { objs = Testing.synth(app.charts[0]); });
    expect(warnings).toEqual([]);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });
});

describe('AwsIamRole (IRSA)', () => {
  test('adds exactly what the EKS webhook adds, in containers and init containers', () => {
    const c = chart();
    new AwsIamRole({ roleArn: ROLE, region: 'eu-west-1' }).bind(deployment(c, ['app'], ['init']));
    const spec = podSpec(synth(c));
    expect(spec.volumes).toEqual([{ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } }]);
    for (const cont of [...spec.containers, ...spec.initContainers]) {
      expect(cont.volumeMounts).toEqual([{ mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', name: 'aws-iam-token', readOnly: true }]);
      expect(envOf(cont)).toEqual({
        AWS_ROLE_ARN: ROLE,
        AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
        AWS_STS_REGIONAL_ENDPOINTS: 'regional',
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
      });
    }
  });

  test('binding twice adds nothing twice', () => {
    const c = chart();
    const d = deployment(c);
    const preset = new AwsIamRole({ roleArn: ROLE });
    preset.bind(d);
    preset.bind(d);
    new AwsIamRole({ roleArn: ROLE }).bind(d);
    const spec = podSpec(synth(c));
    expect(spec.volumes).toHaveLength(1);
    expect(spec.volumes[0].projected.sources).toHaveLength(1);
    expect(spec.containers[0].volumeMounts).toHaveLength(1);
    expect(spec.containers[0].env).toHaveLength(3);
  });

  test('annotates or creates the ServiceAccount with eks.amazonaws.com/role-arn', () => {
    const c = chart();
    const preset = new AwsIamRole({ roleArn: ROLE });
    preset.createServiceAccount(c, 'Created', { metadata: { name: 'created' } });
    const sa = new kplus.ServiceAccount(c, 'Existing');
    preset.annotateServiceAccount(sa);
    const sas = synth(c).filter(o => o.kind === 'ServiceAccount');
    expect(sas.map(s => s.metadata.annotations)).toEqual([{ 'eks.amazonaws.com/role-arn': ROLE }, { 'eks.amazonaws.com/role-arn': ROLE }]);
  });

  test.each([
    ['arn:aws:iam::111122223333:role/app'], ['arn:aws-cn:iam::111122223333:role/app'], ['arn:aws-us-gov:iam::111122223333:role/path/to/app'],
  ])('accepts the role ARN %s', (arn) => {
    const c = chart();
    new AwsIamRole({ roleArn: arn }).bind(deployment(c));
    expect(envOf(podSpec(synth(c)).containers[0]).AWS_ROLE_ARN).toBe(arn);
  });

  test.each([
    ['arn:aws:iam::111122223333:user/app'], ['arn:aws:iam::1111:role/app'], ['arn:azure:iam::111122223333:role/app'], ['my-role'],
  ])('fails where it is created when the role ARN is %s (BT200)', (arn) => {
    const msg = errorOf(() => new AwsIamRole({ roleArn: arn }));
    expect(msg).toContain(`AwsIamRole: BT200: 'roleArn' must be the ARN of an IAM role, got '${arn}'`);
  });

  test('fails where it is created, even when it is only used for a ServiceAccount (BT200)', () => {
    const c = chart();
    expect(errorOf(() => new AwsIamRole({ roleArn: 'not-an-arn' }).createServiceAccount(c, 'Sa')))
      .toContain("AwsIamRole: BT200: 'roleArn' must be the ARN of an IAM role, got 'not-an-arn'");
    expect(c.node.tryFindChild('Sa')).toBeUndefined();
  });

  test('fails when the region is not a region, or not in the role\'s partition (BT201)', () => {
    expect(errorOf(() => new AwsIamRole({ roleArn: ROLE, region: 'Europe' }))).toContain("AwsIamRole: BT201: 'region' must be an AWS region name, got 'Europe'");
    expect(errorOf(() => new AwsIamRole({ roleArn: ROLE, region: 'cn-north-1' }))).toContain("BT201: 'region' is in partition 'aws-cn' but the role is in 'aws'");
  });

  test('lifetime, mount path and containers can be overridden', () => {
    const c = chart();
    new AwsIamRole({ roleArn: ROLE, expiration: Duration.hours(1), stsRegionalEndpoints: false })
      .bind(deployment(c, ['app', 'sidecar']), { containers: ['app'], mountPath: '/aws' });
    const spec = podSpec(synth(c));
    expect(spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds).toBe(3600);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/aws', name: 'aws-iam-token', readOnly: true }]);
    expect(envOf(spec.containers[0]).AWS_WEB_IDENTITY_TOKEN_FILE).toBe('/aws/token');
    expect(envOf(spec.containers[0]).AWS_STS_REGIONAL_ENDPOINTS).toBeUndefined();
    expect(spec.containers[1].volumeMounts).toBeUndefined();
  });

  test('fails when a container named does not exist (BT145, through mountInto)', () => {
    const c = chart();
    new AwsIamRole({ roleArn: ROLE }).bind(deployment(c), { containers: ['nope'] });
    expect(errorOf(() => synth(c))).toContain("BT145: 'containers' of the mount of token volume 'aws-iam-token' names a container the workload does not have (it has 'app'), got 'nope'");
  });

  test('a container added after binding is BT190 until the preset is bound again, which adds the token, the mount and the env', () => {
    const c = chart();
    const d = deployment(c);
    const preset = new AwsIamRole({ roleArn: ROLE });
    preset.bind(d);
    d.addContainer({ name: 'later', image: 'busybox:1.36' });
    expect(errorOf(() => synth(c))).toContain("[test/Dep] BT190: 'containers' container 'later' lacks the mount of token volume 'aws-iam-token' at '/var/run/secrets/eks.amazonaws.com/serviceaccount'");
    preset.bind(d);
    const spec = podSpec(synth(c));
    expect(spec.containers[1].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', name: 'aws-iam-token', readOnly: true }]);
    expect(envOf(spec.containers[1]).AWS_ROLE_ARN).toBe(ROLE);
    expect(envOf(spec.containers[1]).AWS_WEB_IDENTITY_TOKEN_FILE).toBe('/var/run/secrets/eks.amazonaws.com/serviceaccount/token');
  });

  test('fails when a container sets a needed variable to another value (BT146, the env rule of every binding)', () => {
    const c = chart();
    const d = deployment(c);
    d.containers[0].env.addVariable('AWS_ROLE_ARN', kplus.EnvValue.fromValue('arn:aws:iam::999999999999:role/other'));
    new AwsIamRole({ roleArn: ROLE }).bind(d);
    expect(errorOf(() => synth(c))).toContain("BT146: 'env' variable 'AWS_ROLE_ARN' of container 'app' is already set to something other than 'arn:aws:iam::111122223333:role/app', which the AWS IAM roles for service accounts preset sets, got 'arn:aws:iam::999999999999:role/other'");
  });

  test('fails where it is created when the lifetime is below what STS accepts (BT202)', () => {
    expect(errorOf(() => new AwsIamRole({ roleArn: ROLE, expiration: Duration.minutes(5) })))
      .toContain("AwsIamRole: BT202: 'expiration' must be at least 600 seconds for AWS STS, got 300 seconds");
  });
});

describe('AwsEksPodIdentity', () => {
  test('adds what the EKS Pod Identity webhook adds', () => {
    const c = chart();
    new AwsEksPodIdentity().bind(deployment(c));
    const spec = podSpec(synth(c));
    expect(spec.volumes).toEqual([{ name: 'eks-pod-identity-token', projected: { sources: [{ serviceAccountToken: { audience: 'pods.eks.amazonaws.com', expirationSeconds: 86400, path: 'eks-pod-identity-token' } }] } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', name: 'eks-pod-identity-token', readOnly: true }]);
    expect(envOf(spec.containers[0])).toEqual({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    });
  });
});

describe('AzureWorkloadIdentity', () => {
  test('adds what the Azure webhook (v1.5) adds, and no use label', () => {
    const c = chart();
    const preset = new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT });
    preset.bind(deployment(c));
    const objs = synth(c);
    const dep = findKind(objs, 'Deployment');
    const spec = dep.spec.template.spec;
    expect(spec.volumes).toEqual([{ name: 'azure-identity-token', projected: { sources: [{ serviceAccountToken: { audience: 'api://AzureADTokenExchange', expirationSeconds: 3600, path: 'azure-identity-token' } }] } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/azure/tokens', name: 'azure-identity-token', readOnly: true }]);
    expect(envOf(spec.containers[0])).toEqual({
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
    });
    expect(JSON.stringify(dep)).not.toContain('azure.workload.identity/use');
    expect(preset.serviceAccountAnnotations()).toEqual({ 'azure.workload.identity/client-id': CLIENT, 'azure.workload.identity/tenant-id': TENANT });
  });

  test('sovereign clouds set their authority host', () => {
    for (const [cloud, host] of [[AzureCloud.US_GOVERNMENT, 'https://login.microsoftonline.us/'], [AzureCloud.CHINA, 'https://login.chinacloudapi.cn/']] as const) {
      const c = chart();
      new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, cloud }).bind(deployment(c));
      expect(envOf(podSpec(synth(c)).containers[0]).AZURE_AUTHORITY_HOST).toBe(host);
    }
  });

  test('fails when the authority host is not the cloud\'s (BT204)', () => {
    expect(errorOf(() => new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, cloud: AzureCloud.US_GOVERNMENT, authorityHost: 'https://login.microsoftonline.com/' })))
      .toContain("AzureWorkloadIdentity: BT204: 'authorityHost' does not belong to the AzureUSGovernmentCloud cloud (https://login.microsoftonline.us/), got 'https://login.microsoftonline.com/'");
    expect(errorOf(() => new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, cloud: AzureCloud.custom('AzureStack', 'http://login.local') })))
      .toContain("BT204: 'authorityHost' must be an https URL of a host ending in '/'");
  });

  test('fails when the tenant id is missing or ids are not GUIDs (BT203)', () => {
    const msg = errorOf(() => new AzureWorkloadIdentity({ clientId: 'my-app', tenantId: '' }));
    expect(msg).toContain("BT203: 'clientId' must be a GUID, got 'my-app'");
    expect(msg).toContain("BT203: 'tenantId' is required, got ''");
  });

  test('fails when the lifetime is outside 3600..86400 s (BT202)', () => {
    for (const expiration of [Duration.minutes(30), Duration.hours(25)]) {
      expect(errorOf(() => new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, expiration }))).toContain("BT202: 'expiration' must be between 3600 and 86400 seconds for the Azure Workload Identity webhook");
    }
  });

  test('warns when the pod carries azure.workload.identity/use (BT206)', () => {
    const c = chart();
    const d = deployment(c);
    d.podMetadata.addLabel('azure.workload.identity/use', 'true');
    new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT }).bind(d);
    expect(captureWarnings(() => synth(c)).join('\n')).toContain("BT206: 'label azure.workload.identity/use' makes webhook 1.6+ inject a second token volume");
  });
});

describe('GcpWorkloadIdentityFederation', () => {
  const provider = { projectNumber: '123456789012', poolId: 'my-pool', providerId: 'my-provider' };

  test('adds the token, the credential configuration ConfigMap and GOOGLE_APPLICATION_CREDENTIALS', () => {
    const c = chart();
    new GcpWorkloadIdentityFederation({ ...provider, serviceAccountEmail: 'app@proj.iam.gserviceaccount.com' }).bind(deployment(c));
    const objs = synth(c);
    const spec = podSpec(objs);
    expect(spec.volumes[0]).toEqual({
      name: 'token',
      projected: {
        sources: [{
          serviceAccountToken: {
            audience: 'https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-pool/providers/my-provider',
            expirationSeconds: 3600,
            path: 'token',
          },
        }],
      },
    });
    expect(spec.containers[0].volumeMounts).toEqual([
      { mountPath: '/var/run/service-account', name: 'token', readOnly: true },
      { mountPath: '/etc/workload-identity', name: 'workload-identity-credential-configuration', readOnly: true },
    ]);
    expect(envOf(spec.containers[0])).toEqual({ GOOGLE_APPLICATION_CREDENTIALS: '/etc/workload-identity/credential-configuration.json' });
    const cm = findKind(objs, 'ConfigMap');
    expect(spec.volumes[1].configMap.name).toBe(cm.metadata.name);
    expect(JSON.parse(cm.data['credential-configuration.json'])).toEqual({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-pool/providers/my-provider',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: { file: '/var/run/service-account/token', format: { type: 'text' } },
      service_account_impersonation_url: 'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/app@proj.iam.gserviceaccount.com:generateAccessToken',
    });
    expectValidManifests(objs);
  });

  test('without impersonation the configuration has no impersonation URL', () => {
    const preset = new GcpWorkloadIdentityFederation(provider);
    expect(JSON.parse(preset.credentialConfiguration()).service_account_impersonation_url).toBeUndefined();
  });

  test('fails when the inputs are malformed (BT205)', () => {
    const msg = errorOf(() => new GcpWorkloadIdentityFederation({ projectNumber: 'my-project', poolId: 'gcp-pool', providerId: 'P', serviceAccountEmail: 'nope' }));
    expect(msg).toContain("BT205: 'projectNumber' must be the project number (digits), not the project id, got 'my-project'");
    expect(msg).toContain("BT205: 'poolId' must not start with 'gcp-'");
    expect(msg).toContain("BT205: 'providerId' must be 4 to 32 lowercase letters, digits or hyphens, got 'P'");
    expect(msg).toContain("BT205: 'serviceAccountEmail' must be an email address, got 'nope'");
  });
});

describe('OpenShiftShortTermCredentials', () => {
  test('projects bound-sa-token with audience openshift and lays out the AWS credentials Secret', () => {
    const c = chart();
    const creds = OpenShiftShortTermCredentials.aws({ roleArn: ROLE });
    creds.createCredentialsSecret(c, 'Creds', { metadata: { name: 'cloud-credentials' } });
    creds.bind(deployment(c));
    const objs = synth(c);
    const spec = podSpec(objs);
    expect(spec.volumes).toEqual([{ name: 'bound-sa-token', projected: { sources: [{ serviceAccountToken: { audience: 'openshift', expirationSeconds: 3600, path: 'token' } }] } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/openshift/serviceaccount', name: 'bound-sa-token', readOnly: true }]);
    expect(findKind(objs, 'Secret').stringData).toEqual({
      credentials: '[default]\nsts_regional_endpoints = regional\nrole_arn = arn:aws:iam::111122223333:role/app\nweb_identity_token_file = /var/run/secrets/openshift/serviceaccount/token\n',
    });
  });

  test('lays out the Azure and GCP credentials Secrets', () => {
    const sub = '99999999-8888-7777-6666-555555555555';
    expect(OpenShiftShortTermCredentials.azure({ clientId: CLIENT, tenantId: TENANT, region: 'eastus', subscriptionId: sub }).credentialsData()).toEqual({
      azure_client_id: CLIENT,
      azure_tenant_id: TENANT,
      azure_region: 'eastus',
      azure_subscription_id: sub,
      azure_federated_token_file: '/var/run/secrets/openshift/serviceaccount/token',
    });
    const gcp = JSON.parse(OpenShiftShortTermCredentials.gcp({ projectNumber: '1', poolId: 'pool', providerId: 'prov', serviceAccountEmail: 'a@b.iam.gserviceaccount.com' }).credentialsData()['service_account.json']);
    expect(gcp.credential_source.file).toBe('/var/run/secrets/openshift/serviceaccount/token');
    expect(gcp.type).toBe('external_account');
  });

  test('fails when the AWS role ARN is not a role (BT200)', () => {
    expect(errorOf(() => OpenShiftShortTermCredentials.aws({ roleArn: 'nope' }))).toContain("BT200: 'roleArn' must be the ARN of an IAM role, got 'nope'");
  });
});

describe('VaultToken, IstioToken, SpireAgentToken', () => {
  test('Vault: the seed layout, and the agent injector annotation as an option', () => {
    const c = chart();
    new VaultToken({ authMethod: VaultAuthMethod.JWT, agentInjector: true }).bind(deployment(c));
    const dep = findKind(synth(c), 'Deployment');
    expect(dep.spec.template.spec.volumes).toEqual([{ name: 'vault-token', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } }] } }]);
    expect(dep.spec.template.spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/tokens', name: 'vault-token', readOnly: true }]);
    // JWT auth through the injector: the agent reads the read-only projected token and must not delete it (vault-k8s#660)
    expect(dep.spec.template.metadata.annotations).toEqual({
      'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token',
      'vault.hashicorp.com/auth-type': 'jwt',
      'vault.hashicorp.com/auth-path': 'auth/jwt',
      'vault.hashicorp.com/auth-config-path': '/var/run/secrets/tokens/vault-token',
      'vault.hashicorp.com/auth-config-remove-jwt-after-reading': 'false',
    });
  });

  test('Vault agent injector with Kubernetes auth: only the token volume annotation (the kubernetes auto-auth never deletes the token)', () => {
    const c = chart();
    new VaultToken({ agentInjector: true }).bind(deployment(c));
    const dep = findKind(synth(c), 'Deployment');
    expect(dep.spec.template.metadata.annotations).toEqual({ 'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token' });
  });

  test('Vault agent injector with JWT auth: the token path follows the mount path, the auth path is configurable', () => {
    const c = chart();
    new VaultToken({ authMethod: VaultAuthMethod.JWT, agentInjector: true, authPath: 'auth/jwt-cluster-a' }).bind(deployment(c), { mountPath: '/vault/jwt' });
    const a = findKind(synth(c), 'Deployment').spec.template.metadata.annotations;
    expect(a['vault.hashicorp.com/auth-config-path']).toBe('/vault/jwt/vault-token');
    expect(a['vault.hashicorp.com/auth-path']).toBe('auth/jwt-cluster-a');
    expect(a[VaultToken.AGENT_REMOVE_JWT_ANNOTATION]).toBe('false');
  });

  test('Vault: authPath of the wrong type is BT230', () => {
    expect(errorOf(() => new VaultToken({ authMethod: VaultAuthMethod.JWT, agentInjector: true, authPath: 42 as any }))).toContain("BT230: 'authPath' must be");
  });

  test('tokens at /var/run/secrets/tokens share one projected volume, also a BoundTokenPod\'s', () => {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const pod = new BoundTokenPod(c, 'Pod', { serviceAccount: sa, tokens: [{ path: 'app-token', audience: 'app' }], containers: [{ image: 'busybox:1.36', name: 'app' }] });
    new VaultToken().bind(pod);
    new IstioToken().bind(pod);
    new SpireAgentToken().bind(pod);
    const spec = findKind(synth(c), 'Pod').spec;
    expect(spec.volumes).toHaveLength(1);
    expect(spec.volumes[0].projected.sources.map((s: any) => s.serviceAccountToken.path)).toEqual(['app-token', 'vault-token', 'istio-token', 'spire-agent']);
    expect(spec.volumes[0].projected.sources[2].serviceAccountToken).toEqual({ audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' });
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/tokens', name: 'tokens', readOnly: true }]);
  });

  test('fails when two tokens sharing a volume clash on a path (BT114)', () => {
    const c = chart();
    const d = deployment(c);
    new VaultToken().bind(d);
    new VaultToken({ audience: 'other-vault' }).bind(d);
    expect(errorOf(() => synth(c))).toContain("BT114: 'path' of ServiceAccountToken in volume 'vault-token' overlaps 'vault-token' of ServiceAccountToken, got 'vault-token'");
  });

  test('presets apply to every workload kind', () => {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const workloads: kplus.AbstractPod[] = [
      new kplus.Pod(c, 'Pod', { serviceAccount: sa, containers: [{ image: 'busybox:1.36' }] }),
      new kplus.Deployment(c, 'Deployment', { serviceAccount: sa, containers: [{ image: 'busybox:1.36' }] }),
      new kplus.StatefulSet(c, 'StatefulSet', { serviceAccount: sa, containers: [{ image: 'busybox:1.36', portNumber: 8080 }] }),
      new kplus.DaemonSet(c, 'DaemonSet', { serviceAccount: sa, containers: [{ image: 'busybox:1.36' }] }),
      new kplus.Job(c, 'Job', { serviceAccount: sa, containers: [{ image: 'busybox:1.36' }] }),
      new kplus.CronJob(c, 'CronJob', { serviceAccount: sa, schedule: Cron.daily(), containers: [{ image: 'busybox:1.36' }] }),
    ];
    for (const w of workloads) new SpireAgentToken().bind(w);
    const objs = synth(c);
    expectValidManifests(objs);
    const specs = objs.filter(o => !['ServiceAccount', 'Service'].includes(o.kind)).map(o => o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);
    expect(specs).toHaveLength(6);
    for (const s of specs) expect(s.volumes[0].name).toBe('spire-agent');
  });
});

describe('presets on plain ApiObjects (bindApiObject, through mountIntoApiObject)', () => {
  function kubeDeployment(c: any, extraEnv: any[] = []) {
    return new kplus.k8s.KubeDeployment(c, 'Raw', {
      metadata: { name: 'raw' },
      spec: {
        selector: { matchLabels: { app: 'raw' } },
        template: {
          metadata: { labels: { app: 'raw' } },
          spec: {
            serviceAccountName: 'raw',
            containers: [{ name: 'app', image: 'busybox:1.36', env: extraEnv }],
            volumes: [{ name: 'scratch', emptyDir: {} }],
          },
        },
      },
    });
  }

  test('AWS IRSA on a KubeDeployment: volume, mount and env added, what was there kept', () => {
    const c = chart();
    const raw = kubeDeployment(c, [{ name: 'KEEP', value: 'me' }]);
    const preset = new AwsIamRole({ roleArn: ROLE });
    preset.bindApiObject(raw);
    preset.bindApiObject(raw);
    const objs = synth(c);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }] } },
    ]);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', name: 'aws-iam-token', readOnly: true }]);
    expect(envOf(spec.containers[0])).toEqual({
      KEEP: 'me',
      AWS_ROLE_ARN: ROLE,
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    });
    expectValidManifests(objs);
  });

  test('GCP on a KubeDeployment: the credential configuration volume and mount too', () => {
    const c = chart();
    new GcpWorkloadIdentityFederation({ projectNumber: '123456789012', poolId: 'my-pool', providerId: 'my-provider' }).bindApiObject(kubeDeployment(c));
    const objs = synth(c);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    const cm = findKind(objs, 'ConfigMap');
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['scratch', 'token', 'workload-identity-credential-configuration']);
    expect(spec.volumes[2]).toEqual({ name: 'workload-identity-credential-configuration', configMap: { name: cm.metadata.name } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ mountPath: '/etc/workload-identity', name: 'workload-identity-credential-configuration', readOnly: true });
    expect(envOf(spec.containers[0]).GOOGLE_APPLICATION_CREDENTIALS).toBe('/etc/workload-identity/credential-configuration.json');
    expectValidManifests(objs);
  });

  test('Vault agent annotation lands on the pod template of a raw object', () => {
    const c = chart();
    new VaultToken({ agentInjector: true }).bindApiObject(kubeDeployment(c));
    const dep = findKind(synth(c), 'Deployment');
    expect(dep.spec.template.metadata.annotations).toEqual({ 'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token' });
  });

  test('fails when a raw container sets a needed variable to another value (BT146)', () => {
    const c = chart();
    new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT }).bindApiObject(kubeDeployment(c, [{ name: 'AZURE_CLIENT_ID', value: 'other' }]));
    expect(errorOf(() => synth(c))).toContain("[test/Raw] BT146: 'env' variable 'AZURE_CLIENT_ID' of container 'app' is already set to something other than '00000000-1111-2222-3333-444444444444'");
  });
});

describe('presets and the cluster issuer', () => {
  test('warns when a cloud preset is in an app whose issuer is cluster-internal (BT169)', () => {
    const c = chart();
    new AwsIamRole({ roleArn: ROLE }).bind(deployment(c));
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://kubernetes.default.svc' });
    BoundTokenRules.acknowledge(c, 'BT165', 'restart planned');
    expect(captureWarnings(() => synth(c)).join('\n')).toContain('BT169');
  });

  test('in-cluster consumers (Istio) do not need a public issuer', () => {
    const c = chart();
    new IstioToken().bind(deployment(c));
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://kubernetes.default.svc' });
    BoundTokenRules.acknowledge(c, 'BT165', 'restart planned');
    expect(captureWarnings(() => synth(c)).join('\n')).not.toContain('BT169');
  });
});

describe('AzureWorkloadIdentity webhook layouts', () => {
  test('writes the 1.5 layout by default and the 1.6 layout when asked (pkg/webhook/consts.go of 1.6.0)', () => {
    const c = chart();
    new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, layout: AzureWebhookLayout.V1_6 }).bind(deployment(c));
    const spec = podSpec(synth(c));
    expect(spec.volumes).toEqual([{
      name: 'azure-workload-identity-reserved-token',
      projected: { sources: [{ serviceAccountToken: { audience: 'api://AzureADTokenExchange', expirationSeconds: 3600, path: 'token/azure-identity-token' } }] },
    }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/azure/wi', name: 'azure-workload-identity-reserved-token', readOnly: true }]);
    expect(envOf(spec.containers[0]).AZURE_FEDERATED_TOKEN_FILE).toBe('/var/run/secrets/azure/wi/token/azure-identity-token');
    expect(new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT }).layout).toBe(AzureWebhookLayout.V1_5);
    expect(AzureWebhookLayout.V1_5.mountPath).toBe('/var/run/secrets/azure/tokens');
  });
});
