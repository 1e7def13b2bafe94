// Image pulls with service account tokens (KEP-4412, issue 19 section 1):
// the ECR, ACR and generic image-pull presets, the node-audience grant, the
// kubelet's tokenAttributes, and the rules BT250-BT256 in the constructs and
// the lint.
import * as fs from 'fs';
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import * as kplus33 from 'cdk8s-plus-33';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import { build as buildExample, tokenAttributes as exampleTokenAttributes } from '../../examples/image-pulls';
import {
  AwsEcrImagePull, AzureAcrImagePull, BoundTokenRules, ImagePullIdentity, ImagePullTokenCacheType, NodeAudienceGrant,
} from '../../src';
import { ruleCoverage } from '../../src/policy/build';
import { findRule, isQualifiedName } from '../../src/rules';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, lintText, synth } from '../util';

const ROLE = 'arn:aws:iam::111122223333:role/ecr-pull';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';

function synthWarn(c: Chart): { objs: any[]; warnings: string[] } {
  let objs: any[] = [];
  const warnings = captureWarnings(() => { objs = synth(c); });
  return { objs, warnings };
}

const sa = (objs: any[], name: string) => objs.find(o => o.kind === 'ServiceAccount' && o.metadata.name === name);

const lint = (text: string) => lintText(text);

describe('AwsEcrImagePull', () => {
  test('defaults: the role annotation on a cdk8s-plus-33 ServiceAccount, and EKS\'s tokenAttributes', () => {
    const c = chart({ namespace: 'shop' });
    const account = new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'web' } });
    const ecr = new AwsEcrImagePull({ roleArn: ROLE });
    ecr.annotateServiceAccount(account);
    ecr.grantNodeAudience(c, 'Grant');
    const { objs, warnings } = synthWarn(c);
    expect(warnings).toEqual([]);
    expect(sa(objs, 'web').metadata.annotations).toEqual({ 'eks.amazonaws.com/ecr-role-arn': ROLE });
    // as EKS node configurations write it: the role annotation optional, so accounts without it fall back to the node's credentials
    expect(ecr.tokenAttributes()).toEqual({
      serviceAccountTokenAudience: 'sts.amazonaws.com',
      cacheType: 'ServiceAccount',
      requireServiceAccount: false,
      optionalServiceAccountAnnotationKeys: ['eks.amazonaws.com/ecr-role-arn'],
    });
    expect(ecr.requiredAnnotationKeys).toEqual([]);
    expect(ecr.roleArn).toBe(ROLE);
    expectValidManifests(objs);
  });

  test('tokenAttributesYaml() is the same object as YAML, under tokenAttributes', () => {
    const ecr = new AwsEcrImagePull({ roleArn: ROLE, cacheType: ImagePullTokenCacheType.TOKEN });
    expect(YAML.parse(ecr.tokenAttributesYaml())).toEqual({ tokenAttributes: ecr.tokenAttributes() });
    expect(ecr.tokenAttributesYaml()).toContain('cacheType: Token\n');
  });

  test('the annotation key and the audience are configurable (OpenShift plans its own keys)', () => {
    const ecr = new AwsEcrImagePull({ roleArn: ROLE, roleArnAnnotation: 'cloudcredential.openshift.io/ecr-role-arn', audience: 'openshift' });
    expect(ecr.serviceAccountAnnotations()).toEqual({ 'cloudcredential.openshift.io/ecr-role-arn': ROLE });
    expect(ecr.tokenAttributes().optionalServiceAccountAnnotationKeys).toEqual(['cloudcredential.openshift.io/ecr-role-arn']);
    expect(ecr.tokenAttributes().serviceAccountTokenAudience).toBe('openshift');
  });

  test('accepts role ARNs of every partition, and an AWS CDK token (checked where it resolves)', () => {
    for (const arn of ['arn:aws-cn:iam::111122223333:role/a', 'arn:aws-us-gov:iam::111122223333:role/path/a', '${Token[TOKEN.123]}']) {
      expect(new AwsEcrImagePull({ roleArn: arn }).roleArn).toBe(arn);
    }
  });

  test.each([
    ['arn:aws:iam::1111:role/short-account'],
    ['arn:aws:s3:::bucket'],
    ['my-role'],
    [''],
  ])('fails when the role is not an IAM role ARN: %j (BT250)', (roleArn) => {
    const msg = errorOf(() => new AwsEcrImagePull({ roleArn }));
    expect(msg).toContain("AwsEcrImagePull: BT250: 'roleArn' must be the ARN of an IAM role");
    expect(msg).toContain(`got '${roleArn}'`);
  });

  test('fails when roleArn is missing or not a string (BT230)', () => {
    expect(errorOf(() => new AwsEcrImagePull({} as any))).toContain("AwsEcrImagePull: BT230: 'roleArn' must be a string (it is required), got nothing");
    expect(errorOf(() => new AwsEcrImagePull({ roleArn: 42 } as any))).toContain("BT230: 'roleArn' must be a string, got 42");
  });
});

describe('AzureAcrImagePull', () => {
  test('defaults: both ids on the ServiceAccount, both keys required in tokenAttributes', () => {
    const c = chart({ namespace: 'shop' });
    const account = new kplus27.ServiceAccount(c, 'Account', { metadata: { name: 'web' } });
    const acr = new AzureAcrImagePull({ clientId: CLIENT, tenantId: TENANT });
    acr.annotateServiceAccount(account);
    acr.grantNodeAudience(c, 'Grant', { serviceAccountNames: ['web'] });
    const { objs, warnings } = synthWarn(c);
    expect(warnings).toEqual([]);
    expect(sa(objs, 'web').metadata.annotations).toEqual({
      'kubernetes.azure.com/acr-client-id': CLIENT,
      'kubernetes.azure.com/acr-tenant-id': TENANT,
    });
    expect(acr.tokenAttributes()).toEqual({
      serviceAccountTokenAudience: 'api://AzureADTokenExchange',
      cacheType: 'ServiceAccount',
      requireServiceAccount: true,
      requiredServiceAccountAnnotationKeys: ['kubernetes.azure.com/acr-client-id', 'kubernetes.azure.com/acr-tenant-id'],
    });
  });

  test('fails when an id is not a GUID, naming each (BT251)', () => {
    const msg = errorOf(() => new AzureAcrImagePull({ clientId: 'my-app', tenantId: '' }));
    expect(msg).toContain("BT251: 'clientId' must be a GUID, got 'my-app'");
    expect(msg).toContain("BT251: 'tenantId' is required, got ''");
  });

  test('custom keys go into the annotations and the required keys alike', () => {
    const acr = new AzureAcrImagePull({ clientId: CLIENT, tenantId: TENANT, clientIdAnnotation: 'example.com/client', tenantIdAnnotation: 'example.com/tenant' });
    expect(acr.serviceAccountAnnotations()).toEqual({ 'example.com/client': CLIENT, 'example.com/tenant': TENANT });
    expect(acr.requiredAnnotationKeys).toEqual(['example.com/client', 'example.com/tenant']);
  });
});

describe('ImagePullIdentity (any keys)', () => {
  const quay = () => new ImagePullIdentity({
    audience: 'quay',
    annotations: { 'quay.io/federated-robot-account': 'org+robot', 'quay.io/host': 'quay.example.com' },
    requiredAnnotationKeys: ['quay.io/federated-robot-account'],
    optionalAnnotationKeys: ['quay.io/host'],
  });

  test('annotates a plain KubeServiceAccount; tokenAttributes list the same keys', () => {
    const c = chart({ namespace: 'shop' });
    const account = new kplus27.k8s.KubeServiceAccount(c, 'Account', { metadata: { name: 'robot' } });
    const p = quay();
    p.annotateServiceAccount(account);
    new NodeAudienceGrant(c, 'Grant', { audience: 'quay' });
    const { objs, warnings } = synthWarn(c);
    expect(warnings).toEqual([]);
    expect(sa(objs, 'robot').metadata.annotations).toEqual({ 'quay.io/federated-robot-account': 'org+robot', 'quay.io/host': 'quay.example.com' });
    expect(p.tokenAttributes()).toEqual({
      serviceAccountTokenAudience: 'quay',
      cacheType: 'ServiceAccount',
      requireServiceAccount: true,
      requiredServiceAccountAnnotationKeys: ['quay.io/federated-robot-account'],
      optionalServiceAccountAnnotationKeys: ['quay.io/host'],
    });
  });

  test.each([
    [{ audience: '' }, "BT252: 'audience' must name the audience the image credential provider expects, got ''"],
    [{ audience: '  ' }, "BT252: 'audience' must name the audience the image credential provider expects, got '  '"],
    [{ audience: 'a', requiredAnnotationKeys: ['cantendwithadash-'], annotations: { 'cantendwithadash-': 'x' } }, "BT253: 'requiredAnnotationKeys' must hold qualified names"],
    [{ audience: 'a', optionalAnnotationKeys: ['Bad_Prefix/x'] }, "BT253: 'optionalAnnotationKeys' must hold qualified names"],
    [{ audience: 'a', optionalAnnotationKeys: ['e.com/x', 'e.com/x'] }, "BT253: 'optionalAnnotationKeys' must list each key once (the kubelet refuses a duplicate), got 'e.com/x'"],
    [{ audience: 'a', requiredAnnotationKeys: ['e.com/x'], optionalAnnotationKeys: ['e.com/x'], annotations: { 'e.com/x': 'v' } }, "BT253: 'optionalAnnotationKeys' must not repeat a required key"],
    [{ audience: 'a', requiredAnnotationKeys: ['e.com/x'], annotations: { 'e.com/x': 'v' }, requireServiceAccount: false }, "BT253: 'requireServiceAccount' must be true when requiredAnnotationKeys are set"],
    [{ audience: 'a', requiredAnnotationKeys: ['e.com/x'] }, "BT253: 'annotations.e.com/x' must be set: it is a required key, and the kubelet does not call the provider for a ServiceAccount without it, got nothing"],
    [{ audience: 'a', annotations: { 'e.com/y': 'v' } }, "BT253: 'annotations.e.com/y' is in neither requiredAnnotationKeys nor optionalAnnotationKeys"],
  ])('fails when the kubelet would refuse the configuration: %j', (props, message) => {
    const msg = errorOf(() => new ImagePullIdentity(props as any));
    expect(msg).toContain('ImagePullIdentity: ');
    expect(msg).toContain(message);
  });

  test('fails when cacheType is not an ImagePullTokenCacheType (BT230)', () => {
    expect(errorOf(() => new ImagePullIdentity({ audience: 'a', cacheType: 'Token' as any })))
      .toContain("BT230: 'cacheType' must be an ImagePullTokenCacheType (e.g. ImagePullTokenCacheType.SERVICE_ACCOUNT), got 'Token'");
  });

  test('fails when annotateServiceAccount is given something else (BT149)', () => {
    const c = chart();
    const cm = new kplus33.ConfigMap(c, 'Cm');
    expect(errorOf(() => quay().annotateServiceAccount(cm)))
      .toContain("BT149: 'serviceAccount' of ImagePullIdentity.annotateServiceAccount() must be a ServiceAccount of cdk8s-plus (any line) or a KubeServiceAccount, got a cdk8s-plus-33 ConfigMap at 'test/Cm'");
  });

  test('isQualifiedName agrees with the one-regex form of apimachinery\'s IsQualifiedName (fast-check)', () => {
    // apimachinery: an optional DNS-1123 subdomain prefix (<= 253) and '/', then a name part (<= 63)
    const reference = (k: string) => {
      const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/.exec(k);
      return m !== null && (m[1] === undefined || m[1].length <= 253) && m[5].length <= 63;
    };
    const chars = fc.constantFrom('a', 'z', 'A', '0', '9', '-', '_', '.', '/', ' ', 'é');
    fc.assert(fc.property(fc.array(chars, { maxLength: 12 }).map(a => a.join('')), k => isQualifiedName(k) === reference(k)), { numRuns: 3000 });
    fc.assert(fc.property(fc.integer({ min: 60, max: 260 }), fc.boolean(), (n, prefixed) => {
      const k = prefixed ? `${'a'.repeat(n)}/x` : 'a'.repeat(n);
      return isQualifiedName(k) === reference(k);
    }));
  });

  test('qualified names as Kubernetes validates annotation keys', () => {
    for (const ok of ['a', 'A', 'a.b_c-d', 'example.com/x', 'kubernetes.azure.com/acr-client-id', `${'a'.repeat(63)}`]) expect([ok, isQualifiedName(ok)]).toEqual([ok, true]);
    for (const bad of ['', '-a', 'a-', '/a', 'a/', 'a/b/c', 'UPPER.com/x', `${'a'.repeat(64)}`, 'a b', `${'a'.repeat(254)}/x`]) expect([bad, isQualifiedName(bad)]).toEqual([bad, false]);
  });
});

describe('NodeAudienceGrant', () => {
  test('a ClusterRole with the audience verb, bound to system:nodes, without the chart namespace', () => {
    const c = chart({ namespace: 'shop' });
    const g = new NodeAudienceGrant(c, 'Grant', { audience: 'api://AzureADTokenExchange', serviceAccountNames: ['web', 'batch'] });
    const objs = synth(c);
    const role = findKind(objs, 'ClusterRole');
    const binding = findKind(objs, 'ClusterRoleBinding');
    expect(role).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: g.name },
      rules: [{ apiGroups: [''], resources: ['api://AzureADTokenExchange'], verbs: ['request-serviceaccounts-token-audience'], resourceNames: ['web', 'batch'] }],
    });
    expect(binding).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: g.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: g.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    });
    expect(ApiObject.of(g).kind).toBe('ClusterRole');
    expect(g.serviceAccountNames).toEqual(['web', 'batch']);
    expectValidManifests(objs);
  });

  test('the default name is a DNS subdomain, readable, and distinct per audience', () => {
    const c = chart();
    const a = new NodeAudienceGrant(c, 'A', { audience: 'api://AzureADTokenExchange' });
    const b = new NodeAudienceGrant(c, 'B', { audience: 'api://azureadtokenexchange' });
    const d = new NodeAudienceGrant(c, 'D', { audience: 'sts.amazonaws.com' });
    expect(a.name).toMatch(/^node-audience-api-azureadtokenexchange-[0-9a-f]{8}$/);
    expect(a.name).not.toBe(b.name);
    expect(d.name).toMatch(/^node-audience-sts\.amazonaws\.com-[0-9a-f]{8}$/);
    expect(new NodeAudienceGrant(chart(), 'A', { audience: 'api://AzureADTokenExchange' }).name).toBe(a.name);
    expect(new NodeAudienceGrant(c, 'E', { audience: 'x', name: 'my-grant' }).name).toBe('my-grant');
  });

  test('fails when the audience is empty (BT252), with the construct path', () => {
    expect(errorOf(() => new NodeAudienceGrant(chart(), 'Grant', { audience: '' })))
      .toBe("[test/Grant] NodeAudienceGrant: BT252: 'audience' must name the audience the image credential provider expects, got ''; set the audience the image credential provider expects (e.g. 'sts.amazonaws.com', 'api://AzureADTokenExchange')");
  });
});

describe('BT256: an image-pull audience without a node-audience grant in the app', () => {
  test('warns at the ServiceAccount when nothing grants the audience', () => {
    const c = chart();
    new AwsEcrImagePull({ roleArn: ROLE }).annotateServiceAccount(new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'web' } }));
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("[test/Account/Resource] BT256: 'audience' of AwsEcrImagePull has no node-audience grant in the app for ServiceAccount 'web'");
    expect(warnings[0]).toContain("got 'sts.amazonaws.com'");
  });

  test('a grant limited to other ServiceAccounts does not count; one that names the account does', () => {
    const c = chart();
    const acr = new AzureAcrImagePull({ clientId: CLIENT, tenantId: TENANT });
    acr.annotateServiceAccount(new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'web' } }));
    acr.grantNodeAudience(c, 'Other', { serviceAccountNames: ['batch'] });
    expect(synthWarn(c).warnings.join('\n')).toContain('BT256');
    acr.grantNodeAudience(c, 'Web', { serviceAccountNames: ['web'] });
    expect(synthWarn(c).warnings).toEqual([]);
  });

  test('a hand-written ClusterRole with the verb on the audience counts', () => {
    const c = chart();
    new AwsEcrImagePull({ roleArn: ROLE }).annotateServiceAccount(new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'web' } }));
    new kplus33.k8s.KubeClusterRole(c, 'Role', {
      metadata: { name: 'ecr-audience' },
      rules: [{ apiGroups: [''], resources: ['sts.amazonaws.com'], verbs: ['request-serviceaccounts-token-audience'] }],
    });
    expect(synthWarn(c).warnings).toEqual([]);
  });

  test('acknowledged, it is not printed; in strict mode it fails the synth', () => {
    const a = chart();
    new AwsEcrImagePull({ roleArn: ROLE }).annotateServiceAccount(new kplus33.ServiceAccount(a, 'Account', { metadata: { name: 'web' } }));
    BoundTokenRules.acknowledge(a, 'BT256', 'EKS grants sts.amazonaws.com to the nodes');
    expect(synthWarn(a).warnings).toEqual([]);
    const b = chart({ context: { 'cdk8s-bound-tokens:strict': true } });
    new AwsEcrImagePull({ roleArn: ROLE }).annotateServiceAccount(new kplus33.ServiceAccount(b, 'Account', { metadata: { name: 'web' } }));
    expect(errorOf(() => Testing.synth(b))).toContain('BT256');
  });
});

describe('the lint on ServiceAccounts (BT254, BT255)', () => {
  const account = (annotations: Record<string, string>) => YAML.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', annotations } });

  test('fails when a ServiceAccount has the ACR client id without the tenant id (BT254, a warning)', () => {
    const r = lint(account({ 'kubernetes.azure.com/acr-client-id': CLIENT }));
    expect(r.findings.map(f => [f.ruleId, f.level, f.line, f.path])).toEqual([['BT254', 'warning', 6, '/metadata/annotations/kubernetes.azure.com~1acr-client-id']]);
    expect(r.findings[0].message).toContain("'kubernetes.azure.com/acr-client-id' is set without kubernetes.azure.com/acr-tenant-id, and the ACR credential provider requires both");
  });

  test('fails when an image-pull annotation has a value the provider cannot use (BT255, a warning)', () => {
    const r = lint(account({ 'eks.amazonaws.com/ecr-role-arn': 'ecr-pull', 'kubernetes.azure.com/acr-client-id': CLIENT, 'kubernetes.azure.com/acr-tenant-id': 'contoso' }));
    expect(r.findings.map(f => [f.ruleId, f.level])).toEqual([['BT255', 'warning'], ['BT255', 'warning']]);
    expect(r.findings[0].message).toContain("'eks.amazonaws.com/ecr-role-arn' is not an IAM role ARN, so the ECR credential provider cannot assume it, got 'ecr-pull'");
    expect(r.findings[1].message).toContain("'kubernetes.azure.com/acr-tenant-id' is not a GUID");
  });

  test('compliant: both ACR ids, a role ARN, no image-pull annotation; an acknowledgement is honoured', () => {
    expect(lint(account({ 'kubernetes.azure.com/acr-client-id': CLIENT, 'kubernetes.azure.com/acr-tenant-id': TENANT })).findings).toEqual([]);
    expect(lint(account({ 'eks.amazonaws.com/ecr-role-arn': ROLE })).findings).toEqual([]);
    expect(lint(account({ 'eks.amazonaws.com/role-arn': 'anything' })).findings).toEqual([]);
    const acked = lint(account({ 'kubernetes.azure.com/acr-client-id': CLIENT, 'bound-tokens.io/acknowledge-BT254': 'tenant set by the platform' }));
    expect(acked.findings).toEqual([]);
    expect(acked.acknowledged.map(f => f.ruleId)).toEqual(['BT254']);
  });

  test('the constructs give the same verdict on a ServiceAccount an image-pull preset annotated', () => {
    const c = chart();
    const account2 = new kplus33.ServiceAccount(c, 'Account', { metadata: { name: 'web' } });
    // the provider's own key, written by hand beside a preset with keys of its own
    account2.metadata.addAnnotation('kubernetes.azure.com/acr-tenant-id', TENANT);
    const p = new ImagePullIdentity({ audience: 'quay', annotations: { 'quay.io/robot': 'r' }, optionalAnnotationKeys: ['quay.io/robot'] });
    p.annotateServiceAccount(account2);
    p.grantNodeAudience(c, 'Grant');
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("[test/Account/Resource] BT254: 'kubernetes.azure.com/acr-tenant-id' is set without kubernetes.azure.com/acr-client-id");
  });
});

describe('the catalogue and the policy', () => {
  test('BT250-BT256 are in the catalogue, with levels that match what fails for certain', () => {
    expect(['BT250', 'BT251', 'BT252', 'BT253', 'BT254', 'BT255', 'BT256'].map(id => [id, findRule(id)?.level, findRule(id)?.scope])).toEqual([
      ['BT250', 'error', 'construct'],
      ['BT251', 'error', 'construct'],
      ['BT252', 'error', 'construct'],
      ['BT253', 'error', 'construct'],
      ['BT254', 'warning', 'all'],
      ['BT255', 'warning', 'all'],
      ['BT256', 'warning', 'construct'],
    ]);
  });

  test('the policy says why it does not enforce them', () => {
    const byId = new Map(ruleCoverage().map(c => [c.def.id, c]));
    for (const id of ['BT250', 'BT251', 'BT252', 'BT253', 'BT254', 'BT255', 'BT256']) {
      expect([id, byId.get(id)?.expressed, typeof byId.get(id)?.notExpressible]).toEqual([id, undefined, 'string']);
    }
  });
});

describe('example image-pulls', () => {
  test('synthesizes the ECR and ACR ServiceAccounts, their grants and a workload, without warnings', () => {
    let objs: any[] = [];
    const warnings = captureWarnings(() => { objs = Testing.synth(buildExample().charts[0]); });
    expect(warnings).toEqual([]);
    expect(objs.filter(o => o.kind === 'ClusterRole').map(o => o.rules[0].resources[0]).sort()).toEqual(['api://AzureADTokenExchange', 'sts.amazonaws.com']);
    expect(sa(objs, 'storefront').metadata.annotations['eks.amazonaws.com/ecr-role-arn']).toBe('arn:aws:iam::111122223333:role/storefront-ecr-pull');
    expect(Object.keys(sa(objs, 'reports').metadata.annotations).sort()).toEqual(['kubernetes.azure.com/acr-client-id', 'kubernetes.azure.com/acr-tenant-id']);
    expect(findKind(objs, 'Deployment').spec.template.spec.serviceAccountName).toBe('storefront');
    expectValidManifests(objs);
  });
});

describe('docs/image-pulls.md', () => {
  test('the tokenAttributes block is what the example prints', () => {
    const page: string = fs.readFileSync(`${__dirname}/../../docs/image-pulls.md`, 'utf8');
    const block = /```yaml\n(# providers\[name=ecr-credential-provider\][\s\S]*?)```/.exec(page);
    expect(block?.[1]).toBe(exampleTokenAttributes());
  });
});
