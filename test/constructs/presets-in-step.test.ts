// Keeping the presets in step with their platforms (issue 19 section 6): the
// Azure webhook's per-pod token path, EKS Pod Identity on Windows and Fargate
// (BT290), and GCP pools that hold the cluster's keys (no BT169).
import { Chart } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import * as kplus33 from 'cdk8s-plus-33';
import * as YAML from 'yaml';
import {
  AwsEksPodIdentity, AwsIamRole, AzureWebhookLayout, AzureWorkloadIdentity, BoundTokenRules, ClusterIssuerConfig,
  GcpWorkloadIdentityFederation, OpenShiftShortTermCredentials,
} from '../../src';
import { ruleCoverage } from '../../src/policy/build';
import { findRule } from '../../src/rules';
import { captureWarnings, chart, errorOf, findKind, lintText, synth } from '../util';

const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';

function synthWarn(c: Chart): { objs: any[]; warnings: string[] } {
  let objs: any[] = [];
  const warnings = captureWarnings(() => { objs = synth(c); });
  return { objs, warnings };
}

const lint = (text: string) => lintText(text);

describe('Azure Workload Identity: the per-pod token path (Azure/azure-workload-identity#1749)', () => {
  test('AzureWebhookLayout.PER_POD: the mount path carries the volume name\'s suffix, as the webhook\'s per-pod hash; AZURE_FEDERATED_TOKEN_FILE points at the file', () => {
    const c = chart({ namespace: 'reports' });
    const account = new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'reports' } });
    const dep = new kplus33.Deployment(c, 'Reports', { serviceAccount: account, containers: [{ name: 'app', image: 'mcr.microsoft.com/azure-cli:2.61.0', securityContext: { user: 1000 } }] });
    const wi = new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, layout: AzureWebhookLayout.PER_POD });
    wi.bind(dep);
    const spec = findKind(synth(c), 'Deployment').spec.template.spec;
    expect(spec.volumes).toEqual([{
      name: 'azure-workload-identity-reserved-token',
      projected: { sources: [{ serviceAccountToken: { audience: 'api://AzureADTokenExchange', expirationSeconds: 3600, path: 'token/azure-identity-token' } }] },
    }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'azure-workload-identity-reserved-token', mountPath: '/var/run/secrets/azure/wi/token', readOnly: true }]);
    const env = Object.fromEntries(spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env[AzureWorkloadIdentity.TOKEN_FILE_ENV]).toBe('/var/run/secrets/azure/wi/token/token/azure-identity-token');
    expect(wi.tokenFile()).toBe(env.AZURE_FEDERATED_TOKEN_FILE);
    // the webhook's shape: /var/run/secrets/azure/wi/<suffix of the volume name>/token/azure-identity-token
    const suffix = AzureWebhookLayout.PER_POD.volumeName.slice('azure-workload-identity-reserved-'.length);
    expect(AzureWebhookLayout.PER_POD.mountPath).toBe(`/var/run/secrets/azure/wi/${suffix}`);
  });

  test('every layout sets AZURE_FEDERATED_TOKEN_FILE to its own token file: the one contract apps read', () => {
    const files = [AzureWebhookLayout.V1_5, AzureWebhookLayout.V1_6, AzureWebhookLayout.PER_POD].map(layout => {
      const c = chart();
      const account = new kplus27.ServiceAccount(c, 'Account', { metadata: { name: 'app' } });
      const pod = new kplus27.Pod(c, 'Pod', { serviceAccount: account, containers: [{ name: 'app', image: 'busybox:1.36' }] });
      new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT, layout }).bind(pod);
      const env = findKind(synth(c), 'Pod').spec.containers[0].env;
      return env.find((e: any) => e.name === 'AZURE_FEDERATED_TOKEN_FILE').value;
    });
    expect(files).toEqual([
      '/var/run/secrets/azure/tokens/azure-identity-token',
      '/var/run/secrets/azure/wi/token/azure-identity-token',
      '/var/run/secrets/azure/wi/token/token/azure-identity-token',
    ]);
  });
});

describe('EKS Pod Identity on Windows nodes or Fargate (BT290)', () => {
  /** A KubeDeployment bound to EKS Pod Identity, with extra pod spec and template metadata. */
  function eksDeployment(podSpec: Record<string, unknown>, meta: Record<string, unknown> = {}) {
    const c = chart({ namespace: 'payments' });
    const dep = new kplus27.k8s.KubeDeployment(c, 'Batch', {
      spec: {
        selector: { matchLabels: { app: 'batch' } },
        template: {
          metadata: { labels: { app: 'batch', ...(meta.labels as any ?? {}) }, annotations: meta.annotations as any },
          spec: { serviceAccountName: 'batch', containers: [{ name: 'batch', image: 'public.ecr.aws/aws-cli/aws-cli:2.17.0' }], ...podSpec } as any,
        },
      },
    });
    new AwsEksPodIdentity().bindApiObject(dep);
    return c;
  }

  test.each([
    ['a nodeSelector kubernetes.io/os: windows', { nodeSelector: { 'kubernetes.io/os': 'windows' } }, {}, "'nodeSelector.kubernetes.io/os' schedules the pod onto Windows nodes"],
    ['spec.os.name: windows', { os: { name: 'windows' } }, {}, "'os.name' makes the pod a Windows pod"],
    ['a nodeSelector eks.amazonaws.com/compute-type: fargate', { nodeSelector: { 'eks.amazonaws.com/compute-type': 'fargate' } }, {}, "'nodeSelector.eks.amazonaws.com/compute-type' schedules the pod onto Fargate"],
    ['a pod label eks.amazonaws.com/compute-type: fargate', {}, { labels: { 'eks.amazonaws.com/compute-type': 'fargate' } }, "'labels.eks.amazonaws.com/compute-type' marks the pod for Fargate"],
    ['a pod annotation eks.amazonaws.com/compute-type: fargate', {}, { annotations: { 'eks.amazonaws.com/compute-type': 'fargate' } }, "'annotations.eks.amazonaws.com/compute-type' marks the pod for Fargate"],
    ['a required node affinity on Windows', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['windows'] }] }] } } } }, {}, "'affinity.nodeAffinity' requires kubernetes.io/os In [windows] in every term"],
  ])('fails when the workload targets them: %s (a warning, in the constructs and the lint alike)', (_what, podSpec, meta, phrase) => {
    const c = eksDeployment(podSpec, meta);
    const { objs, warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`BT290: ${phrase}`);
    // the lint reads the synthesized manifest and gives the same verdict
    const report = lint(objs.map(o => YAML.stringify(o)).join('---\n'));
    expect(report.findings.map(f => [f.ruleId, f.level, f.kind])).toEqual([['BT290', 'warning', 'Deployment']]);
    expect(report.findings[0].message).toContain(`BT290: ${phrase}`);
  });

  test('fails when a cdk8s-plus workload attracts Windows nodes (scheduling.attract writes a required node affinity)', () => {
    const c = chart({ namespace: 'payments' });
    const account = new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'batch' } });
    const job = new kplus33.Job(c, 'Batch', { serviceAccount: account, containers: [{ name: 'batch', image: 'public.ecr.aws/aws-cli/aws-cli:2.17.0', securityContext: { user: 1000 } }] });
    job.scheduling.attract(kplus33.Node.labeled(kplus33.NodeLabelQuery.is('kubernetes.io/os', 'windows')));
    new AwsEksPodIdentity().bind(job);
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("[test/Batch] BT290: 'affinity.nodeAffinity' requires kubernetes.io/os In [windows] in every term");
  });

  test('compliant: Linux nodes; an affinity that also allows Linux; Windows without EKS Pod Identity', () => {
    expect(synthWarn(eksDeployment({ nodeSelector: { 'kubernetes.io/os': 'linux' } })).warnings).toEqual([]);
    const either = {
      nodeSelectorTerms: [
        { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['windows'] }] },
        { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
      ],
    };
    expect(synthWarn(eksDeployment({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: either } } })).warnings).toEqual([]);
    const irsa = chart();
    const dep = new kplus27.k8s.KubeDeployment(irsa, 'Win', {
      spec: {
        selector: { matchLabels: { app: 'w' } },
        template: { metadata: { labels: { app: 'w' } }, spec: { serviceAccountName: 'w', nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ name: 'w', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' }] } },
      },
    });
    new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/w' }).bindApiObject(dep);
    expect(synthWarn(irsa).warnings).toEqual([]);
  });

  test('an acknowledged Fargate warning is not printed (e.g. a profile the team knows runs EC2 too)', () => {
    const c = eksDeployment({}, { annotations: { 'eks.amazonaws.com/compute-type': 'fargate', 'bound-tokens.io/acknowledge-BT290': 'moving to IRSA next sprint' } });
    expect(synthWarn(c).warnings).toEqual([]);
  });

  test('BT290 is a warning for constructs and manifests, and the policy enforces it too, with a bound on the node affinity it reads', () => {
    expect([findRule('BT290')?.level, findRule('BT290')?.scope]).toEqual(['warning', 'all']);
    const cov = ruleCoverage().find(r => r.def.id === 'BT290')!;
    expect(cov.expressed?.scope).toBe('tokenVolume');
    expect(cov.sizeBound).toContain('the required node affinity is read in CEL while it has at most 16 terms');
  });
});

describe('GCP pools that hold the cluster\'s keys (jwksUploaded): no BT169', () => {
  function gcpApp(jwksUploaded?: boolean, issuer = 'https://kubernetes.default.svc') {
    const c = chart({ namespace: 'analytics' });
    const cfg = new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: issuer });
    BoundTokenRules.acknowledge(cfg, 'BT165', 'restart planned by the test');
    const account = new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'exporter' } });
    const dep = new kplus33.Deployment(c, 'Exporter', { serviceAccount: account, containers: [{ name: 'exporter', image: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:480.0.0-slim', securityContext: { user: 1000 } }] });
    const gcp = new GcpWorkloadIdentityFederation({ projectNumber: '123456789012', poolId: 'on-prem-clusters', providerId: 'cluster-a', jwksUploaded });
    gcp.bind(dep);
    return { c, gcp };
  }

  test('fails when the issuer is cluster-internal and Google must fetch the keys (BT169, as before)', () => {
    const { warnings } = synthWarn(gcpApp().c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("BT169: 'serviceAccountIssuer' has the cluster-internal host 'kubernetes.default.svc'");
    expect(warnings[0]).toContain('Google Cloud Workload Identity Federation');
  });

  test('compliant: with jwksUploaded the cluster-internal issuer works (ccoctl on OpenShift 4.22 uploads the JWKS)', () => {
    const { c, gcp } = gcpApp(true);
    expect(gcp.jwksUploaded).toBe(true);
    expect(synthWarn(c).warnings).toEqual([]);
  });

  test('jwksUploaded silences BT169 for the pool\'s audience only: an AWS token in the same app still needs a public issuer', () => {
    const { c } = gcpApp(true);
    const account = new kplus33.ServiceAccount(c, 'AwsAccount', { metadata: { name: 'uploader' } });
    const job = new kplus33.Job(c, 'Upload', { serviceAccount: account, containers: [{ name: 'upload', image: 'public.ecr.aws/aws-cli/aws-cli:2.17.0', securityContext: { user: 1000 } }] });
    new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/uploader' }).bind(job);
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('BT169');
    expect(warnings[0]).toContain('AWS IAM');
    expect(warnings[0]).not.toContain('Google');
  });

  test('OpenShiftShortTermCredentials.gcp({ jwksUploaded: true }) too: ccoctl of OpenShift 4.22 uploads the JWKS to the pool', () => {
    const run = (jwksUploaded?: boolean) => {
      const c = chart({ namespace: 'operator' });
      const cfg = new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://kubernetes.default.svc' });
      BoundTokenRules.acknowledge(cfg, 'BT165', 'restart planned by the test');
      const account = new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'operator' } });
      const dep = new kplus33.Deployment(c, 'Operator', { serviceAccount: account, containers: [{ name: 'operator', image: 'quay.io/example/operator:1.0.0', securityContext: { user: 1000 } }] });
      OpenShiftShortTermCredentials.gcp({
        projectNumber: '123456789012', poolId: 'on-prem-clusters', providerId: 'cluster-a', serviceAccountEmail: 'op@p.iam.gserviceaccount.com', jwksUploaded,
      }).bind(dep);
      return synthWarn(c).warnings;
    };
    expect(run().join('\n')).toContain("BT169: 'serviceAccountIssuer' has the cluster-internal host 'kubernetes.default.svc'");
    expect(run(true)).toEqual([]);
  });

  test('fails when jwksUploaded is not a boolean (BT230)', () => {
    expect(errorOf(() => new GcpWorkloadIdentityFederation({ projectNumber: '1', poolId: 'pool', providerId: 'prov', jwksUploaded: 'yes' as any })))
      .toContain("BT230: 'jwksUploaded' must be true or false, got 'yes'");
  });
});
