// Issue 21: the facts about Kubernetes are written once (src/rules/kubernetes.ts)
// and the rules, the lint's input reader and the generated policy read them.
import { buildPolicyObjects } from '../../src/policy/build';
import {
  CONTAINER_GROUPS, CRON_JOB_LOCATION, DAY_SECONDS, DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_PATTERN, isDns1123Label, locatePodSpec,
  locationOfKind, MIN_EXPIRATION_SECONDS, POD_LOCATION, podSpecLocationOf, podSpecLocations, refreshAfterSeconds, TEMPLATE_KINDS, WORKLOAD_LOCATION,
} from '../../src/rules';

const spec = { containers: [{ name: 'app', image: 'i:1' }] };
const errors = () => buildPolicyObjects({}).find(o => o.metadata.name === 'bound-tokens-errors');
const warnings = () => buildPolicyObjects({}).find(o => o.metadata.name === 'bound-tokens-warnings');
const variable = (policy: any, name: string) => policy.spec.variables.find((v: any) => v.name === name).expression as string;

describe('where each kind keeps its pod spec', () => {
  test.each(TEMPLATE_KINDS)('%s: the locator, the shape reader and the policy agree on spec.template.spec', kind => {
    const obj = { apiVersion: 'apps/v1', kind, metadata: { name: 'w' }, spec: { template: { metadata: {}, spec } } };
    expect(locatePodSpec(obj)).toBe(WORKLOAD_LOCATION);
    expect(podSpecLocationOf(obj)).toBe(WORKLOAD_LOCATION);
    expect(locationOfKind(kind)).toBe(WORKLOAD_LOCATION);
    expect(variable(warnings(), 'podSpec')).toContain(`'${kind}'`);
  });

  test('a CronJob keeps it under spec.jobTemplate, and the policy reads it there', () => {
    expect(CRON_JOB_LOCATION.specPath).toBe('/spec/jobTemplate/spec/template/spec');
    expect(variable(warnings(), 'podSpec')).toContain('has(object.spec.jobTemplate.spec.template.spec) ? object.spec.jobTemplate.spec.template.spec');
    expect(variable(warnings(), 'acknowledgements')).toContain('object.spec.jobTemplate.spec.template.metadata.annotations');
  });

  test('a Pod is its own pod spec; an unknown kind without a template has none', () => {
    expect(locatePodSpec({ kind: 'Pod', spec })).toBe(POD_LOCATION);
    expect(locatePodSpec({ kind: 'ConfigMap', data: {} })).toBeUndefined();
    expect(locationOfKind('Rollout')).toBeUndefined();
    // an Argo Rollout is found by its shape
    expect(locatePodSpec({ kind: 'Rollout', spec: { template: { spec } } })).toBe(WORKLOAD_LOCATION);
  });

  test('an OLM ClusterServiceVersion has one pod spec per deployment, whose annotations reach the pods', () => {
    const csv = {
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'ClusterServiceVersion',
      spec: { install: { spec: { deployments: [{ name: 'a', spec: { template: { spec } } }, null, { name: 'c', spec: { template: { spec } } }] } } },
    };
    expect(podSpecLocations(csv).map(l => [l.specPath, l.templateMetadataPath, l.objectAnnotationsReachPods])).toEqual([
      ['/spec/install/spec/deployments/0/spec/template/spec', '/spec/install/spec/deployments/0/spec/template/metadata', true],
      ['/spec/install/spec/deployments/2/spec/template/spec', '/spec/install/spec/deployments/2/spec/template/metadata', true],
    ]);
  });

  test('the policy reads every container group', () => {
    for (const g of CONTAINER_GROUPS) expect(variable(warnings(), 'containers')).toContain(`variables.podSpec.${g}`);
  });
});

describe('limits and names', () => {
  test('the kubelet refreshes after 80% of the lifetime, after 24 hours at most', () => {
    expect(refreshAfterSeconds(3600)).toBe(2880);
    expect(refreshAfterSeconds(3607)).toBe(2886);
    expect(refreshAfterSeconds(4 * DAY_SECONDS)).toBe(DAY_SECONDS);
  });

  test('the policy states the 24-hour limit with the same constant the lint uses (BT104)', () => {
    const bt104 = warnings().spec.validations.find((v: any) => v.message.startsWith('BT104:'));
    expect(bt104.message).toContain(`(${DAY_SECONDS} seconds)`);
    expect(variable(warnings(), 'bt104')).toContain(`t.expirationSeconds > ${DAY_SECONDS}`);
    expect(MIN_EXPIRATION_SECONDS).toBe(600);
  });

  test('the DNS-1123 patterns read the same in JavaScript and in the policy (BT130)', () => {
    expect(variable(errors(), 'bt130')).toContain(`r'${DNS1123_LABEL_PATTERN}'`);
    for (const ok of ['a', 'tok-1', 'x'.repeat(63)]) expect(isDns1123Label(ok)).toBe(true);
    for (const bad of ['', '-a', 'a-', 'A', 'a.b', 'x'.repeat(64)]) expect(isDns1123Label(bad)).toBe(false);
    expect(new RegExp(DNS1123_SUBDOMAIN_PATTERN).test('bound-tokens.example')).toBe(true);
    expect(new RegExp(DNS1123_SUBDOMAIN_PATTERN).test('Bound')).toBe(false);
  });
});
