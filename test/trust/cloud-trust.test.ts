// The cloud side of the trust, from the presets (issue 20): each document is
// compared field by field with the shape its cloud documents (pages cited).
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  AwsEksPodIdentity, AwsIamRole, AzureWorkloadIdentity, ClusterIssuerConfig, GcpWorkloadIdentityFederation,
  OpenShiftShortTermCredentials, VaultToken,
} from '../../src';
import { runCli } from '../../src/cli/run';
import { generateTrust, TrustBinding } from '../../src/trust/core';
import { tmpdir } from '../util';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const HOST = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const ROLE = 'arn:aws:iam::111122223333:role/payments-api';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';

function deployment(chart: Chart, id: string, sa?: string): kplus.Deployment {
  return new kplus.Deployment(chart, id, {
    serviceAccount: sa ? kplus.ServiceAccount.fromServiceAccountName(chart, `${id}Sa`, sa) : undefined,
    containers: [{ name: 'app', image: 'example.com/app:1.0.0', securityContext: { user: 1000 } }],
  });
}

function appChart(namespace?: string): { app: App; chart: Chart } {
  const app = Testing.app();
  return { app, chart: new Chart(app, 'c', { namespace }) };
}

describe('AwsIamRole.trustPolicy()', () => {
  // AWS IAM, "Create a role for OpenID Connect federation" and the EKS IRSA guide: the trust policy is
  // Principal.Federated = arn:aws:iam::<account>:oidc-provider/<issuer without https://>,
  // Action sts:AssumeRoleWithWebIdentity, StringEquals <provider>:sub = system:serviceaccount:<ns>:<sa> and <provider>:aud = sts.amazonaws.com.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
  // https://docs.amazonaws.cn/en_us/eks/latest/userguide/associate-service-account-role.html
  test('trusts the bound ServiceAccount in the chart namespace, through the OIDC provider of the role\'s account', () => {
    const { chart } = appChart('payments');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api', 'payments-api'));
    expect(irsa.trustPolicy({ issuer: ISSUER })).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${HOST}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${HOST}:sub`]: 'system:serviceaccount:payments:payments-api',
            [`${HOST}:aud`]: 'sts.amazonaws.com',
          },
        },
      }],
    });
  });

  test('the issuer comes from the app\'s ClusterIssuerConfig; the partition from the role ARN', () => {
    const { app, chart } = appChart('payments');
    new ClusterIssuerConfig(new Chart(app, 'cluster'), 'Issuer', { serviceAccountIssuer: 'https://issuer.example.cn/cluster-a' });
    const irsa = new AwsIamRole({ roleArn: 'arn:aws-cn:iam::111122223333:role/app' });
    irsa.bind(deployment(chart, 'Api', 'api'));
    const st = irsa.trustPolicy().Statement[0];
    expect(st.Principal.Federated).toBe('arn:aws-cn:iam::111122223333:oidc-provider/issuer.example.cn/cluster-a');
    expect(st.Condition.StringEquals['issuer.example.cn/cluster-a:sub']).toBe('system:serviceaccount:payments:api');
  });

  test('every ServiceAccount the role is bound through (workloads, annotated accounts) is one subject; the object namespace wins over the chart\'s', () => {
    const { chart } = appChart('payments');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api', 'payments-api'));
    irsa.bind(deployment(chart, 'Worker', 'payments-worker'));
    irsa.createServiceAccount(chart, 'Other', { metadata: { name: 'reports', namespace: 'reporting' } });
    const sub = irsa.trustPolicy({ issuer: ISSUER }).Statement[0].Condition.StringEquals[`${HOST}:sub`];
    expect(sub).toEqual([
      'system:serviceaccount:payments:payments-api',
      'system:serviceaccount:payments:payments-worker',
      'system:serviceaccount:reporting:reports',
    ]);
  });

  test('a plain ApiObject bound with bindApiObject() is trusted by its serviceAccountName', () => {
    const { chart } = appChart('jobs');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    const obj = new ApiObject(chart, 'Job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { template: { spec: { serviceAccountName: 'batch', restartPolicy: 'Never', containers: [{ name: 'a', image: 'x:1' }] } } },
    });
    irsa.bindApiObject(obj);
    expect(irsa.trustPolicy({ issuer: ISSUER }).Statement[0].Condition.StringEquals[`${HOST}:sub`]).toBe('system:serviceaccount:jobs:batch');
  });

  test('fails when the issuer is not known (BT210), rather than guessing one', () => {
    const { chart } = appChart('payments');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api', 'api'));
    expect(() => irsa.trustPolicy()).toThrow(/AwsIamRole\.trustPolicy\(\): BT210: 'issuer' is not known, and the cloud side names it/);
  });

  test('fails when the issuer is not https (BT212)', () => {
    const { chart } = appChart('payments');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api', 'api'));
    expect(() => irsa.trustPolicy({ issuer: 'http://issuer.example.com' })).toThrow(/BT212: 'issuer' must be an https URL without query or fragment/);
  });

  test('fails when the workload has no namespace (BT211): the namespace it lands in is not known', () => {
    const { chart } = appChart();
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api', 'api'));
    expect(() => irsa.trustPolicy({ issuer: ISSUER })).toThrow(/BT211: 'namespace' of c\/Api is not set, so the subject system:serviceaccount:<namespace>:api is not known/);
  });

  test('fails when the preset is bound to nothing (BT219)', () => {
    expect(() => new AwsIamRole({ roleArn: ROLE }).trustPolicy({ issuer: ISSUER })).toThrow(/BT219: 'preset' is bound to no workload/);
  });

  test('names ServiceAccounts given by hand (serviceAccounts)', () => {
    const irsa = new AwsIamRole({ roleArn: ROLE });
    const p = irsa.trustPolicy({ issuer: ISSUER, serviceAccounts: [{ namespace: 'ns', name: 'sa' }] });
    expect(p.Statement[0].Condition.StringEquals[`${HOST}:sub`]).toBe('system:serviceaccount:ns:sa');
  });

  test('an AWS CDK token as the role ARN is accepted (a cdk8s resolver writes it at synth); its trust needs the provider ARN (BT218)', () => {
    const token = '${Token[TOKEN.123]}';
    const irsa = new AwsIamRole({ roleArn: token });
    const opts = { issuer: ISSUER, serviceAccounts: [{ namespace: 'ns', name: 'sa' }] };
    expect(() => irsa.trustPolicy(opts)).toThrow(/BT218: 'roleArn' is an unresolved token, so the account of the OIDC provider is not known/);
    const provider = '${Token[TOKEN.456]}';
    expect(irsa.trustPolicy({ ...opts, oidcProviderArn: provider }).Statement[0].Principal.Federated).toBe(provider);
    // a string that is neither an ARN nor a token is still BT200
    expect(() => new AwsIamRole({ roleArn: 'Token[1]' })).toThrow(/BT200/);
  });
});

describe('AwsEksPodIdentity', () => {
  // Amazon EKS, "Create IAM role with trust policy required by EKS Pod Identity":
  // https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
  test('trustPolicy() is the documented Pod Identity trust, exactly', () => {
    const { chart } = appChart('batch');
    const pi = new AwsEksPodIdentity();
    pi.bind(deployment(chart, 'Job', 'batch'));
    expect(pi.trustPolicy()).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'AllowEksAuthToAssumeRoleForPodIdentity',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      }],
    });
  });

  // Amazon EKS, "Assign an IAM role to a Kubernetes service account" (CreatePodIdentityAssociation: clusterName, namespace, serviceAccount, roleArn):
  // https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html
  test('podIdentityAssociations() has the CreatePodIdentityAssociation fields, one per ServiceAccount', () => {
    const { chart } = appChart('batch');
    const pi = new AwsEksPodIdentity();
    pi.bind(deployment(chart, 'A', 'one'));
    pi.bind(deployment(chart, 'B', 'two'));
    expect(pi.podIdentityAssociations({ clusterName: 'prod', roleArn: ROLE })).toEqual([
      { clusterName: 'prod', namespace: 'batch', serviceAccount: 'one', roleArn: ROLE },
      { clusterName: 'prod', namespace: 'batch', serviceAccount: 'two', roleArn: ROLE },
    ]);
  });

  test('fails when the cluster name or role is not given (BT214)', () => {
    const { chart } = appChart('batch');
    const pi = new AwsEksPodIdentity();
    pi.bind(deployment(chart, 'A', 'one'));
    expect(() => pi.podIdentityAssociations({ roleArn: ROLE })).toThrow(/BT214: 'clusterName' of the EKS Pod Identity association of batch\/one is not given/);
    expect(() => pi.podIdentityAssociations({})).toThrow(/BT214: 'clusterName and roleArn' .* are not given/);
  });
});

describe('AzureWorkloadIdentity.federatedIdentityCredentials()', () => {
  // Microsoft Graph, federatedIdentityCredential resource (name, issuer, subject, audiences; audiences api://AzureADTokenExchange):
  // https://learn.microsoft.com/graph/api/resources/federatedidentitycredential
  test('one credential per ServiceAccount: the issuer, system:serviceaccount:<ns>:<name>, api://AzureADTokenExchange', () => {
    const { chart } = appChart('reports');
    const az = new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT });
    az.bind(deployment(chart, 'Api', 'reports.api'));
    expect(az.federatedIdentityCredentials({ issuer: 'https://oidc.prod-aks.azure.com/tenant/cluster/' })).toEqual([{
      name: 'reports-reports-api',
      issuer: 'https://oidc.prod-aks.azure.com/tenant/cluster/',
      subject: 'system:serviceaccount:reports:reports.api',
      audiences: ['api://AzureADTokenExchange'],
    }]);
  });

  // Microsoft Entra, "Important considerations and restrictions for federated identity credentials": at most 20 per identity.
  // https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations
  test('warns when an identity would need more than 20 credentials (BT217)', () => {
    const bindings: TrustBinding[] = Array.from({ length: 21 }, (_, i) => ({
      cloud: 'azure', source: `sa${i}`, namespace: 'ns', serviceAccount: `sa${i}`, audience: 'api://AzureADTokenExchange', clientId: CLIENT,
    }));
    const g = generateTrust(bindings, { issuer: ISSUER });
    expect(g.documents).toHaveLength(21);
    expect(g.findings.map(f => [f.ruleId, f.level])).toEqual([['BT217', 'warning']]);
    expect(g.findings[0].message).toContain('needs 21 federated identity credentials, more than the 20 Microsoft Entra accepts');
    expect(generateTrust(bindings.slice(1), { issuer: ISSUER }).findings).toEqual([]);
  });

  test('fails when the credential name cannot be made (BT227: 3 to 120 characters)', () => {
    const long = 'a'.repeat(130);
    const g = generateTrust([{ cloud: 'azure', source: 'x', namespace: 'ns', serviceAccount: long, audience: 'api://AzureADTokenExchange', clientId: CLIENT }], { issuer: ISSUER });
    expect(g.findings.map(f => f.ruleId)).toEqual(['BT227']);
    expect(g.findings[0].message).toContain("'name' of the federated identity credential is not 3 to 120");
  });

  test('the other clouds\' methods refuse an Azure preset by name', () => {
    const az = OpenShiftShortTermCredentials.azure({ clientId: CLIENT, tenantId: TENANT, region: 'eastus', subscriptionId: CLIENT });
    expect(() => az.trustPolicy({ issuer: ISSUER })).toThrow(/OpenShiftShortTermCredentials\.trustPolicy\(\): the preset is for azure, and this document is for AWS/);
  });
});

describe('GcpWorkloadIdentityFederation.workloadIdentityTrust()', () => {
  const provider = { projectNumber: '123456789012', poolId: 'on-prem', providerId: 'cluster-a' };
  // Google Cloud, "Configure Workload Identity Federation with Kubernetes": provider --issuer-uri, --attribute-mapping=google.subject=assertion.sub,
  // principal://iam.googleapis.com/projects/<NUM>/locations/global/workloadIdentityPools/<POOL>/subject/system:serviceaccount:<ns>:<sa>,
  // roles/iam.workloadIdentityUser for impersonation.
  // https://docs.cloud.google.com/iam/docs/workload-identity-federation-with-kubernetes.md.txt
  test('the provider settings, the principal and the impersonation role', () => {
    const { chart } = appChart('analytics');
    const g = new GcpWorkloadIdentityFederation({ ...provider, serviceAccountEmail: 'exporter@p.iam.gserviceaccount.com' });
    g.bind(deployment(chart, 'Exporter', 'exporter'));
    expect(g.workloadIdentityTrust({ issuer: ISSUER })).toEqual({
      providerName: 'projects/123456789012/locations/global/workloadIdentityPools/on-prem/providers/cluster-a',
      issuerUri: ISSUER,
      allowedAudiences: ['https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/on-prem/providers/cluster-a'],
      attributeMapping: { 'google.subject': 'assertion.sub' },
      principals: ['principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/on-prem/subject/system:serviceaccount:analytics:exporter'],
      serviceAccountEmail: 'exporter@p.iam.gserviceaccount.com',
      serviceAccountRole: 'roles/iam.workloadIdentityUser',
    });
  });

  // Google IAM API, WorkloadIdentityPoolProvider.attributeMapping: "google.subject ... Cannot exceed 127 bytes."
  // https://pub.dev/documentation/googleapis/latest/iam_v1/WorkloadIdentityPoolProvider/attributeMapping.html
  test('fails when system:serviceaccount:<ns>:<name> exceeds 127 bytes (BT213), and not at 127', () => {
    const { chart } = appChart('n'.repeat(63));
    const g = new GcpWorkloadIdentityFederation(provider);
    // 22 + 63 + 1 + 41 = 127 bytes: accepted
    g.bind(deployment(chart, 'Ok', 's'.repeat(41)));
    expect(g.workloadIdentityTrust({ issuer: ISSUER }).principals).toHaveLength(1);
    g.bind(deployment(chart, 'TooLong', 's'.repeat(42)));
    expect(() => g.workloadIdentityTrust({ issuer: ISSUER })).toThrow(/BT213: 'google.subject' is 128 bytes, more than the 127 Google accepts/);
  });
});

describe('OpenShift short-term credentials: the trust names audience openshift', () => {
  test('aws(): the role trust policy requires aud openshift', () => {
    const { chart } = appChart('my-operator');
    const creds = OpenShiftShortTermCredentials.aws({ roleArn: ROLE });
    creds.bind(deployment(chart, 'Operator', 'my-operator'));
    const cond = creds.trustPolicy({ issuer: 'https://my-bucket.s3.us-east-1.amazonaws.com' }).Statement[0].Condition.StringEquals;
    expect(cond).toEqual({
      'my-bucket.s3.us-east-1.amazonaws.com:sub': 'system:serviceaccount:my-operator:my-operator',
      'my-bucket.s3.us-east-1.amazonaws.com:aud': 'openshift',
    });
  });

  test('azure() and gcp(): the credential\'s audiences and the provider\'s allowed audiences are openshift', () => {
    const { chart } = appChart('op');
    const az = OpenShiftShortTermCredentials.azure({ clientId: CLIENT, tenantId: TENANT, region: 'eastus', subscriptionId: CLIENT });
    az.bind(deployment(chart, 'A', 'a'));
    expect(az.federatedIdentityCredentials({ issuer: ISSUER })[0].audiences).toEqual(['openshift']);
    const g = OpenShiftShortTermCredentials.gcp({ projectNumber: '1', poolId: 'pool', providerId: 'prov', serviceAccountEmail: 'x@p.iam.gserviceaccount.com' });
    g.bind(deployment(chart, 'G', 'g'));
    expect(g.workloadIdentityTrust({ issuer: ISSUER }).allowedAudiences).toEqual(['openshift']);
  });
});

describe('trustDocuments()', () => {
  test('is the list of documents with what they are for; empty for a preset without a cloud side', () => {
    const { chart } = appChart('payments');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api', 'api'));
    const docs = irsa.trustDocuments({ issuer: ISSUER });
    expect(docs.map((d: any) => [d.cloud, d.kind, d.for, d.serviceAccounts])).toEqual([['aws', 'iam-role-trust-policy', ROLE, ['payments/api']]]);
    expect(docs[0].document).toEqual(irsa.trustPolicy({ issuer: ISSUER }));
    const vault = new VaultToken();
    vault.bind(deployment(chart, 'V', 'v'));
    expect(vault.trustDocuments({ issuer: ISSUER })).toEqual([]);
  });

  test('EKS Pod Identity: the associations are included once the cluster name and role are given', () => {
    const { chart } = appChart('batch');
    const pi = new AwsEksPodIdentity();
    pi.bind(deployment(chart, 'A', 'one'));
    expect(pi.trustDocuments().map((d: any) => d.kind)).toEqual(['iam-role-trust-policy']);
    expect(pi.trustDocuments({ clusterName: 'prod', roleArn: ROLE }).map((d: any) => d.kind)).toEqual(['iam-role-trust-policy', 'eks-pod-identity-association']);
  });

  test('fails when a bound workload runs as no named ServiceAccount (BT215)', () => {
    const { chart } = appChart('payments');
    const irsa = new AwsIamRole({ roleArn: ROLE });
    irsa.bind(deployment(chart, 'Api'));
    expect(() => irsa.trustDocuments({ issuer: ISSUER })).toThrow(/BT215: 'serviceAccount' of the workload 'c\/Api' is not set/);
  });
});

describe('examples/aws-cdk-trust.ts: a role from an AWS CDK-shaped program, and its trust back', () => {
  test('the token role ARN is resolved in the manifests, and the trust policy written beside them is the one trust --verify accepts', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { build, ISSUER: EXAMPLE_ISSUER } = require('../../examples/aws-cdk-trust');
    const outdir = tmpdir('bt-aws-cdk-trust-');
    const app = build(outdir);
    app.synth();
    const manifests = fs.readFileSync(path.join(outdir, 'aws-cdk-trust.k8s.yaml'), 'utf8');
    expect(manifests).not.toContain('${Token[');
    expect(manifests).toContain('eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/payments-api');
    expect(manifests).toContain('value: arn:aws:iam::111122223333:role/payments-api');
    const policy = JSON.parse(fs.readFileSync(path.join(outdir, 'trust-policy.json'), 'utf8'));
    const host = EXAMPLE_ISSUER.replace('https://', '');
    expect(policy.Statement[0].Principal.Federated).toBe(`arn:aws:iam::111122223333:oidc-provider/${host}`);
    expect(policy.Statement[0].Condition.StringEquals[`${host}:sub`]).toBe('system:serviceaccount:payments:payments-api');
    let out = '';
    const code = runCli(['trust', '--verify', path.join(outdir, 'trust-policy.json'), '--issuer', EXAMPLE_ISSUER, path.join(outdir, 'aws-cdk-trust.k8s.yaml')],
      { stdout: t => { out += t; }, stderr: t => { out += t; }, stdin: () => '' });
    expect(out).toContain('1 of 1 ServiceAccount binding trusted');
    expect(code).toBe(0);
  });
});

describe('generateTrust (property)', () => {
  const fcLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/);
  const bindingArb = fc.record({
    cloud: fc.constantFrom('aws', 'azure', 'gcp', 'eks-pod-identity'),
    namespace: fcLabel,
    serviceAccount: fcLabel,
    role: fc.integer({ min: 1, max: 3 }),
  }).map(({ cloud, namespace, serviceAccount, role }): TrustBinding => ({
    cloud: cloud as TrustBinding['cloud'],
    source: `${namespace}/${serviceAccount}`,
    namespace,
    serviceAccount,
    audience: cloud === 'aws' ? 'sts.amazonaws.com' : cloud === 'azure' ? 'api://AzureADTokenExchange' : cloud === 'gcp' ? 'https://iam.googleapis.com/x' : 'pods.eks.amazonaws.com',
    roleArn: cloud === 'aws' ? `arn:aws:iam::111122223333:role/r${role}` : undefined,
    clientId: cloud === 'azure' ? `0000000${role}-1111-2222-3333-444444444444` : undefined,
    gcp: cloud === 'gcp' ? { projectNumber: '1', poolId: `pool${role}`, providerId: 'prov' } : undefined,
  }));

  test('the documents do not depend on the order the bindings are found in, and every binding is trusted by one', () => {
    const pairs = fc.array(bindingArb, { maxLength: 12 }).chain(bs => fc.tuple(fc.constant(bs), fc.shuffledSubarray(bs, { minLength: bs.length })));
    fc.assert(fc.property(pairs, ([bs, shuffled]) => {
      const ctx = { issuer: ISSUER, clusterName: 'prod', podIdentityRoleArn: ROLE };
      const a = generateTrust(bs, ctx);
      expect(generateTrust(shuffled, ctx)).toEqual(a);
      for (const b of bs) {
        expect(a.documents.some(d => d.cloud === b.cloud && d.serviceAccounts.includes(`${b.namespace}/${b.serviceAccount}`))).toBe(true);
      }
    }), { numRuns: 100 });
  });
});
