// `cdk8s-bound-tokens trust`: the documents generated from manifests are the
// presets' own, they pass `trust --verify` on the same manifests, and every
// single-field change fails with the rule id naming that field.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  AwsEksPodIdentity, AwsIamRole, AzureWorkloadIdentity, GcpWorkloadIdentityFederation, OpenShiftShortTermCredentials,
} from '../../src';
import { runCli } from '../../src/cli/run';
import { tmpdir } from '../util';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const ROLE = 'arn:aws:iam::111122223333:role/payments-api';
const POD_ROLE = 'arn:aws:iam::111122223333:role/batch';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';
const GCP = { projectNumber: '123456789012', poolId: 'on-prem', providerId: 'cluster-a' };

function run(args: string[], stdin = ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => stdin });
  return { code, out, err };
}

function deployment(chart: Chart, id: string, sa: string): kplus.Deployment {
  return new kplus.Deployment(chart, id, {
    serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, `${id}Sa`, sa),
    containers: [{ name: 'app', image: 'example.com/app:1.0.0', securityContext: { user: 1000 } }],
  });
}

/** One app with every cloud preset, and what the presets say about their own trust. */
function fixture() {
  const app = Testing.app();
  const payments = new Chart(app, 'payments', { namespace: 'payments' });
  const irsa = new AwsIamRole({ roleArn: ROLE });
  irsa.bind(deployment(payments, 'Api', 'payments-api'));
  irsa.bind(deployment(payments, 'Worker', 'payments-worker'));
  const pod = new AwsEksPodIdentity();
  pod.bind(deployment(payments, 'Batch', 'batch'));
  const reports = new Chart(app, 'reports', { namespace: 'reports' });
  const azure = new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT });
  azure.bind(deployment(reports, 'Reports', 'reports'));
  const analytics = new Chart(app, 'analytics', { namespace: 'analytics' });
  const gcp = new GcpWorkloadIdentityFederation({ ...GCP, serviceAccountEmail: 'exporter@p.iam.gserviceaccount.com' });
  gcp.bind(deployment(analytics, 'Exporter', 'exporter'));
  const op = new Chart(app, 'op', { namespace: 'my-operator' });
  const sts = OpenShiftShortTermCredentials.aws({ roleArn: 'arn:aws:iam::111122223333:role/my-operator' });
  sts.createCredentialsSecret(op, 'Credentials', { metadata: { name: 'cloud-credentials' } });
  sts.bind(deployment(op, 'Operator', 'my-operator'));
  const dir = tmpdir('bt-trust-');
  for (const c of [payments, reports, analytics, op]) {
    fs.writeFileSync(path.join(dir, `${c.node.id}.yaml`), Yaml.stringify(...Testing.synth(c)));
  }
  return { app, dir, irsa, pod, azure, gcp, sts };
}

const F = fixture();

function generate(extra: string[] = []): any {
  const r = run(['trust', '--format', 'json', '--issuer', ISSUER, '--cluster-name', 'prod', '--role-arn', POD_ROLE, ...extra, F.dir]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

function verify(doc: unknown, extra: string[] = [], issuer = ISSUER): { code: number; out: any; err: string } {
  const file = path.join(tmpdir('bt-verify-'), 'trust.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  const r = run(['trust', '--format', 'json', '--verify', file, '--issuer', issuer, ...extra, F.dir]);
  return { code: r.code, out: r.out ? JSON.parse(r.out) : undefined, err: r.err };
}

describe('trust: the documents from manifests are the presets\' own', () => {
  const out = generate();
  const doc = (kind: string, forWhat: string) => out.documents.find((d: any) => d.kind === kind && d.for === forWhat)?.document;

  test('one document per role, association, credential, provider and binding; no finding', () => {
    expect(out.findings).toEqual([]);
    expect(out.documents.map((d: any) => `${d.cloud} ${d.kind} ${d.serviceAccounts.join(',')}`)).toEqual([
      'aws iam-role-trust-policy my-operator/my-operator',
      'aws iam-role-trust-policy payments/payments-api,payments/payments-worker',
      'eks-pod-identity iam-role-trust-policy payments/batch',
      'eks-pod-identity eks-pod-identity-association payments/batch',
      'azure azure-federated-identity-credential reports/reports',
      'gcp gcp-workload-identity-pool-provider analytics/exporter',
      'gcp gcp-service-account-iam-binding analytics/exporter',
    ]);
  });

  test('the same documents as the presets\' methods give for the same app', () => {
    expect(doc('iam-role-trust-policy', ROLE)).toEqual(F.irsa.trustPolicy({ issuer: ISSUER }));
    expect(doc('iam-role-trust-policy', 'arn:aws:iam::111122223333:role/my-operator')).toEqual(F.sts.trustPolicy({ issuer: ISSUER }));
    expect(doc('iam-role-trust-policy', POD_ROLE)).toEqual(F.pod.trustPolicy());
    expect(doc('eks-pod-identity-association', POD_ROLE)).toEqual(F.pod.podIdentityAssociations({ clusterName: 'prod', roleArn: POD_ROLE })[0]);
    expect([doc('azure-federated-identity-credential', CLIENT)]).toEqual(F.azure.federatedIdentityCredentials({ issuer: ISSUER }));
    const g = F.gcp.workloadIdentityTrust({ issuer: ISSUER });
    const provider = doc('gcp-workload-identity-pool-provider', g.providerName);
    const { name, oidc, attributeMapping } = provider;
    expect({ name, issuerUri: oidc.issuerUri, allowedAudiences: oidc.allowedAudiences, attributeMapping })
      .toEqual({ name: g.providerName, issuerUri: g.issuerUri, allowedAudiences: g.allowedAudiences, attributeMapping: g.attributeMapping });
    expect(doc('gcp-service-account-iam-binding', 'exporter@p.iam.gserviceaccount.com').bindings).toEqual([{ role: g.serviceAccountRole, members: g.principals }]);
  });

  test('the issuer of an Authentication object in the manifests is used when --issuer is not given', () => {
    const dir = tmpdir('bt-trust-auth-');
    fs.cpSync(F.dir, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'auth.yaml'), `apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n  serviceAccountIssuer: ${ISSUER}\n`);
    const r = run(['trust', '--format', 'json', '--cluster-name', 'prod', '--role-arn', POD_ROLE, dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).issuer).toBe(ISSUER);
  });

  test('text output: a titled JSON block per document', () => {
    const r = run(['trust', '--issuer', ISSUER, F.dir]);
    expect(r.out).toContain(`# AWS IAM role trust policy (web identity: IRSA, OpenShift STS) for ${ROLE}\n# trusts: payments/payments-api, payments/payments-worker\n{\n  "Version": "2012-10-17",`);
    expect(r.out).toContain('# Microsoft Entra federated identity credential for 00000000-1111-2222-3333-444444444444');
    // without a cluster name and role, the associations are an error with its rule id, and the exit code says so
    expect(r.out).toContain("error    BT214  ServiceAccount payments/batch  'clusterName and roleArn' of the EKS Pod Identity association of payments/batch are not given");
    expect(r.code).toBe(1);
  });
});

describe('trust: OpenShift credentials Secrets the operator reads through the API', () => {
  test('an Azure or Google credentials Secret of the namespace, whose token file a workload projects, is that workload\'s identity (audience openshift)', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'op', { namespace: 'op' });
    const az = OpenShiftShortTermCredentials.azure({ clientId: CLIENT, tenantId: TENANT, region: 'eastus', subscriptionId: CLIENT });
    az.createCredentialsSecret(chart, 'AzureCreds', { metadata: { name: 'azure-credentials' } });
    az.bind(deployment(chart, 'Azure', 'azure-operator'));
    const other = new Chart(app, 'gop', { namespace: 'gop' });
    const g = OpenShiftShortTermCredentials.gcp({ ...GCP, serviceAccountEmail: 'op@p.iam.gserviceaccount.com' });
    g.createCredentialsSecret(other, 'GcpCreds', { metadata: { name: 'gcp-credentials' } });
    g.bind(deployment(other, 'Gcp', 'gcp-operator'));
    const yaml = Yaml.stringify(...Testing.synth(chart), ...Testing.synth(other));
    const r = run(['trust', '--format', 'json', '--issuer', ISSUER, '-'], yaml);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.out).documents;
    expect(docs.map((d: any) => [d.kind, d.serviceAccounts])).toEqual([
      ['azure-federated-identity-credential', ['op/azure-operator']],
      ['gcp-workload-identity-pool-provider', ['gop/gcp-operator']],
      ['gcp-service-account-iam-binding', ['gop/gcp-operator']],
    ]);
    expect(docs[0].document).toEqual(az.federatedIdentityCredentials({ issuer: ISSUER })[0]);
    expect(docs[1].document.oidc.allowedAudiences).toEqual(['openshift']);
    expect(docs[2].document.bindings[0].members).toEqual(g.workloadIdentityTrust({ issuer: ISSUER }).principals);
  });
});

describe('trust: missing facts are rule ids, not guesses', () => {
  test('fails when no issuer is known (BT210)', () => {
    const r = run(['trust', '--format', 'json', '--cluster-name', 'prod', '--role-arn', POD_ROLE, F.dir]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out);
    expect(out.findings.map((f: any) => f.ruleId)).toEqual(['BT210']);
    expect(out.findings[0].message).toContain("'issuer' is not known, and the cloud side names it");
    // Pod Identity needs no issuer: its documents are still there
    expect(out.documents.map((d: any) => d.cloud)).toEqual(['eks-pod-identity', 'eks-pod-identity']);
  });

  test('fails when an object has no namespace (BT211), unless --namespace gives it', () => {
    const yaml = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app\n';
    const r = run(['trust', '--format', 'json', '--issuer', ISSUER, '-'], yaml);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings[0].message).toMatch(/^BT211: 'namespace' of -: ServiceAccount app is not set/);
    const ok = run(['trust', '--format', 'json', '--issuer', ISSUER, '--namespace', 'team', '-'], yaml);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).documents[0].document.Statement[0].Condition.StringEquals['oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub'])
      .toBe('system:serviceaccount:team:app');
  });

  test('fails for a workload without ServiceAccount (BT215) and for a token file nothing projects (BT216)', () => {
    const yaml = [
      'apiVersion: v1', 'kind: Pod', 'metadata: {name: p, namespace: ns}', 'spec:', '  containers:', '    - name: a', '      image: x:1',
      '      env:', '        - {name: AWS_ROLE_ARN, value: "arn:aws:iam::111122223333:role/app"}',
      '        - {name: AWS_WEB_IDENTITY_TOKEN_FILE, value: /var/run/secrets/eks.amazonaws.com/serviceaccount/token}', '',
    ].join('\n');
    const r = run(['trust', '--format', 'json', '--issuer', ISSUER, '-'], yaml);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.out).findings;
    expect(findings.map((f: any) => f.ruleId)).toEqual(['BT215', 'BT216']);
    expect(findings[0].message).toContain("'serviceAccountName' of Pod 'p' is not set, yet container 'a' uses a cloud identity");
    expect(findings[1].message).toContain("'AWS_WEB_IDENTITY_TOKEN_FILE' of container 'a' names a token file that no projected token of the container writes");
  });

  test('a ServiceAccount annotated for the EKS webhook is trusted with the webhook\'s audience (or its audience annotation)', () => {
    const yaml = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: ns\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app\n    eks.amazonaws.com/audience: custom\n';
    const r = run(['trust', '--format', 'json', '--issuer', ISSUER, '-'], yaml);
    expect(JSON.parse(r.out).documents[0].document.Statement[0].Condition.StringEquals['oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud']).toBe('custom');
  });
});

describe('trust: bad input behaves as lint does', () => {
  test('a document that does not parse is BT900 and exit 1; the other files are still read', () => {
    const dir = tmpdir('bt-trust-bad-');
    fs.cpSync(F.dir, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'a: [b\n');
    const r = run(['trust', '--format', 'json', '--issuer', ISSUER, '--cluster-name', 'prod', '--role-arn', POD_ROLE, dir]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out);
    expect(out.inputFindings.map((f: any) => [f.ruleId, f.file.endsWith('broken.yaml')])).toEqual([['BT900', true]]);
    expect(out.documents).toHaveLength(7);
  });

  test('an input that does not exist is exit 2 with lint\'s message', () => {
    const r = run(['trust', '--issuer', ISSUER, 'no/such/file.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cdk8s-bound-tokens trust: no/such/file.yaml: no such file or directory');
  });

  test('usage errors are exit 2', () => {
    expect(run(['trust']).code).toBe(2);
    expect(run(['trust', '--format', 'sarif', F.dir]).err).toContain("--format must be text or json, got 'sarif'");
    expect(run(['trust', '--help']).out).toContain('Usage: cdk8s-bound-tokens trust');
  });
});

describe('trust --verify', () => {
  const generated = generate();

  test('round trip: what trust generates passes trust --verify on the same manifests', () => {
    const r = verify(generated);
    expect(r.err).toBe('');
    expect(r.out.findings).toEqual([]);
    expect(r.out.trusted.sort()).toEqual(['analytics/exporter', 'my-operator/my-operator', 'payments/batch', 'payments/payments-api', 'payments/payments-worker', 'reports/reports']);
    expect(r.code).toBe(0);
  });

  test('each generated document alone passes, as the cloud returns it (aws iam get-role, az ... list, gcloud ... describe)', () => {
    for (const d of generated.documents) {
      const r = verify(d.cloud === 'azure' ? [d.document] : d.document, d.cloud === 'aws' ? ['--role-arn', d.for] : []);
      expect([d.kind, r.code, r.out.findings]).toEqual([d.kind, 0, []]);
      expect(r.out.checked).toBeGreaterThan(0);
    }
  });

  /** A single-field change of one document, and the rule id that must name it. */
  type Mutation = { index: number; field: 'namespace' | 'name' | 'audience' | 'issuer'; value: string };
  const mutable = generated.documents
    .map((d: any, index: number) => ({ d, index }))
    .filter(({ d }: any) => d.kind !== 'iam-role-trust-policy' || d.cloud === 'aws');
  const RULE = { namespace: 'BT220', name: 'BT221', audience: 'BT222', issuer: 'BT223' };
  const fieldsOf = (d: any): Array<Mutation['field']> => (d.kind === 'eks-pod-identity-association' ? ['namespace', 'name']
    : d.kind === 'gcp-service-account-iam-binding' ? ['namespace', 'name']
      : d.kind === 'gcp-workload-identity-pool-provider' ? ['audience', 'issuer'] : ['namespace', 'name', 'audience', 'issuer']);
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/).map(s => `x${s}`);

  function mutate(docs: any[], m: Mutation): { docs: any[]; serviceAccount?: string } {
    const copy = JSON.parse(JSON.stringify(docs));
    const d = copy[m.index];
    const doc = d.document;
    const sub = (s: string) => {
      const [, , ns, name] = s.split(':');
      return m.field === 'namespace' ? `system:serviceaccount:${m.value}:${name}` : `system:serviceaccount:${ns}:${m.value}`;
    };
    const target = d.serviceAccounts[0];
    switch (d.kind) {
      case 'iam-role-trust-policy': {
        const st = doc.Statement[0];
        const cond = st.Condition.StringEquals;
        const prefix = Object.keys(cond)[0].replace(/:sub$/, '');
        if (m.field === 'audience') {cond[`${prefix}:aud`] = m.value;} else if (m.field === 'issuer') {
          const host = `${m.value}.example.com`;
          st.Principal.Federated = st.Principal.Federated.replace(prefix, host);
          st.Condition.StringEquals = { [`${host}:sub`]: cond[`${prefix}:sub`], [`${host}:aud`]: cond[`${prefix}:aud`] };
        } else {
          const subs: string[] = [].concat(cond[`${prefix}:sub`]);
          subs[0] = sub(subs[0]);
          cond[`${prefix}:sub`] = subs.length === 1 ? subs[0] : subs;
        }
        return { docs: copy, serviceAccount: m.field === 'audience' || m.field === 'issuer' ? undefined : target };
      }
      case 'eks-pod-identity-association':
        if (m.field === 'namespace') doc.namespace = m.value;
        else doc.serviceAccount = m.value;
        return { docs: copy, serviceAccount: target };
      case 'azure-federated-identity-credential':
        if (m.field === 'audience') doc.audiences = [m.value];
        else if (m.field === 'issuer') doc.issuer = `https://${m.value}.example.com`;
        else doc.subject = sub(doc.subject);
        return { docs: copy, serviceAccount: target };
      case 'gcp-workload-identity-pool-provider':
        if (m.field === 'audience') doc.oidc.allowedAudiences = [m.value];
        else doc.oidc.issuerUri = `https://${m.value}.example.com`;
        return { docs: copy, serviceAccount: target };
      default: {
        const members = doc.bindings[0].members;
        const i = members[0].indexOf('/subject/');
        members[0] = members[0].slice(0, i + '/subject/'.length) + sub(members[0].slice(i + '/subject/'.length));
        return { docs: copy, serviceAccount: target };
      }
    }
  }

  test('every single-field change (namespace, name, audience, issuer) fails with the rule id naming that field', () => {
    const mutation = fc.constantFrom(...mutable).chain(({ d, index }: any) =>
      fc.record({ index: fc.constant(index), field: fc.constantFrom(...fieldsOf(d)), value: label }));
    fc.assert(fc.property(mutation, (m: Mutation) => {
      const { docs, serviceAccount } = mutate(generated.documents, m);
      const r = verify({ documents: docs });
      expect(r.code).toBe(1);
      const rules = r.out.findings.filter((f: any) => !serviceAccount || f.serviceAccount === serviceAccount).map((f: any) => f.ruleId);
      expect(rules).toContain(RULE[m.field]);
      // only the rule of that field, never another one's
      expect(r.out.findings.filter((f: any) => f.level === 'error').every((f: any) => f.ruleId === RULE[m.field])).toBe(true);
    }), { numRuns: 60 });
  });

  test('the manifests\' side changed: another issuer (BT223), another token audience (BT222)', () => {
    const r = verify(generated, [], 'https://other.example.com');
    expect(r.code).toBe(1);
    expect(new Set(r.out.findings.map((f: any) => f.ruleId))).toEqual(new Set(['BT223']));
    // the token's audience in the manifests: the Pod Identity Agent accepts only its own
    const dir = tmpdir('bt-trust-aud-');
    fs.cpSync(F.dir, dir, { recursive: true });
    const file = path.join(dir, 'payments.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('audience: pods.eks.amazonaws.com', 'audience: sts.amazonaws.com'));
    const g = run(['trust', '--format', 'json', '--issuer', ISSUER, '--cluster-name', 'prod', '--role-arn', POD_ROLE, dir]);
    expect(g.code).toBe(1);
    expect(JSON.parse(g.out).findings.map((f: any) => f.ruleId)).toEqual(['BT222']);
  });

  // Microsoft Entra compares issuer and subject as exact strings: a trailing slash is another issuer.
  // https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations
  test('an Azure credential whose issuer differs by a trailing slash is BT223, and says so', () => {
    const cred = { name: 'x', issuer: `${ISSUER}/`, subject: 'system:serviceaccount:reports:reports', audiences: ['api://AzureADTokenExchange'] };
    const r = verify([cred]);
    expect(r.code).toBe(1);
    expect(r.out.findings[0].ruleId).toBe('BT223');
    expect(r.out.findings[0].message).toContain('they differ in the trailing slash, and Entra compares exact strings');
  });

  test('a trust policy without sub condition trusts, with warning BT225; a StringLike wildcard too', () => {
    const host = ISSUER.replace('https://', '');
    const base = { Effect: 'Allow', Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${host}` }, Action: 'sts:AssumeRoleWithWebIdentity' };
    const open = verify({ Version: '2012-10-17', Statement: [{ ...base, Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' } } }] }, ['--role-arn', ROLE]);
    expect(open.code).toBe(0);
    expect(open.out.findings.map((f: any) => [f.ruleId, f.level])).toEqual([['BT225', 'warning'], ['BT225', 'warning']]);
    expect(open.out.findings[0].message).toContain('so every ServiceAccount of the cluster may assume the role');
    const like = verify({ Statement: [{ ...base, Condition: { StringLike: { [`${host}:sub`]: 'system:serviceaccount:payments:*' } } }] }, ['--role-arn', ROLE]);
    expect(like.code).toBe(0);
    expect(like.out.findings[0].message).toContain('trusts the ServiceAccount through a wildcard');
    const wrong = verify({ Statement: [{ ...base, Condition: { StringLike: { [`${host}:sub`]: 'system:serviceaccount:other:*' } } }] }, ['--role-arn', ROLE]);
    expect(wrong.code).toBe(1);
    expect(wrong.out.findings.map((f: any) => f.ruleId)).toEqual(['BT220', 'BT221', 'BT220', 'BT221']);
  });

  test('a policy without the web identity action, and a Pod Identity trust without sts:TagSession, are BT224', () => {
    const r = verify({ Statement: [{ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/x' }, Action: 'sts:AssumeRole' }] }, ['--role-arn', ROLE]);
    expect(r.code).toBe(1);
    expect(r.out.findings[0].message).toMatch(/^BT224: 'Statement' has no Allow statement of sts:AssumeRoleWithWebIdentity/);
    const p = verify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    expect(p.code).toBe(1);
    expect(p.out.findings[0].message).toMatch(/^BT224: 'Action' lacks sts:TagSession, which EKS Pod Identity needs/);
  });

  test('a Google IAM policy that binds the whole pool trusts, with warning BT225', () => {
    const pool = `principalSet://iam.googleapis.com/projects/${GCP.projectNumber}/locations/global/workloadIdentityPools/${GCP.poolId}/*`;
    const r = verify({ bindings: [{ role: 'roles/iam.workloadIdentityUser', members: [pool] }] });
    expect(r.code).toBe(0);
    expect(r.out.findings.map((f: any) => f.ruleId)).toEqual(['BT225']);
  });

  test('a file that is not a trust document is BT226', () => {
    const r = verify({ hello: 'world' });
    expect(r.code).toBe(1);
    expect(r.out.findings[0].message).toMatch(/^BT226: '--verify' holds no trust document this command reads/);
    const file = path.join(tmpdir('bt-verify-'), 'x.json');
    fs.writeFileSync(file, '{');
    const t = run(['trust', '--verify', file, F.dir]);
    expect(t.code).toBe(1);
    expect(t.out).toContain('BT226');
    expect(run(['trust', '--verify', 'no/such.json', F.dir]).code).toBe(2);
  });

  test('text output names the ServiceAccounts not trusted', () => {
    const cred = { name: 'x', issuer: ISSUER, subject: 'system:serviceaccount:reports:other', audiences: ['api://AzureADTokenExchange'] };
    const file = path.join(tmpdir('bt-verify-'), 'cred.json');
    fs.writeFileSync(file, JSON.stringify(cred));
    const r = run(['trust', '--verify', file, '--issuer', ISSUER, F.dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("error    BT221  ServiceAccount reports/reports  'subject' trusts ServiceAccount 'other' of namespace 'reports', not 'reports'");
    expect(r.out).toContain(`${file}: 0 of 1 ServiceAccount binding trusted; not trusted: reports/reports`);
  });
});


describe('trust as a process', () => {
  test('runs from src/cli/main.ts and never loads cdk8s, cdk8s-plus or constructs', () => {
    const dir = tmpdir('bt-trust-proc-');
    const report = path.join(dir, 'loaded.json');
    const hook = path.join(dir, 'hook.js');
    fs.writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(process.env.BT_LOADED, JSON.stringify(
      Object.keys(require.cache).filter(k => /[\\\\/]node_modules[\\\\/](cdk8s|cdk8s-plus-\\d+|constructs)[\\\\/]/.test(k)))));`);
    const root = path.resolve(__dirname, '..', '..');
    const r = spawnSync(process.execPath, ['-r', hook, '-r', 'ts-node/register', 'src/cli/main.ts', 'trust', '--format', 'json', '--issuer', ISSUER, F.dir], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BT_LOADED: report, TS_NODE_PROJECT: path.join(root, 'tsconfig.dev.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1); // BT214: no cluster name given
    expect(JSON.parse(r.stdout).documents.length).toBeGreaterThan(4);
    expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toEqual([]);
    // control: the same hook sees cdk8s when it is loaded
    spawnSync(process.execPath, ['-r', hook, '-e', "require('cdk8s')"], { cwd: root, env: { ...process.env, BT_LOADED: report } });
    expect(JSON.parse(fs.readFileSync(report, 'utf8')).length).toBeGreaterThan(0);
  });
});
