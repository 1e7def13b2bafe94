import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, JsonPatch, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { build as buildExample } from '../../examples/admission-policy';
import { renderPolicyTable, withPolicyTable } from '../../scripts/policy-table';
import { BoundTokenRules, RuleScope, PolicyAction, RuleLevel, TokenAdmissionPolicy, TokenAdmissionPolicyProps } from '../../src';
import { runPolicyCommand } from '../../src/cli/policy-command';
import { expectValidManifests } from '../schema';
import { chart, errorOf, synth } from '../util';

const byName = (objs: any[], kind: string, name: string) => objs.find(o => o.kind === kind && o.metadata.name === name);

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runPolicyCommand(args, { stdout: s => { stdout += s; }, stderr: s => { stderr += s; } });
  return { code, stdout, stderr };
}

function synthYaml(props: TokenAdmissionPolicyProps): string {
  const app = new App();
  new TokenAdmissionPolicy(new Chart(app, 'policy'), 'Policy', props);
  return app.synthYaml();
}

describe('TokenAdmissionPolicy', () => {
  test('defaults: both pairs Warn+Audit (nothing refused until Deny is chosen), v1, failurePolicy Fail', () => {
    const c = chart();
    const policy = new TokenAdmissionPolicy(c, 'Policy');
    const objs = synth(c);
    expect(objs.map(o => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).toEqual([
      'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy bound-tokens-errors',
      'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding bound-tokens-errors',
      'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy bound-tokens-warnings',
      'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding bound-tokens-warnings',
    ]);
    const errors = byName(objs, 'ValidatingAdmissionPolicy', 'bound-tokens-errors');
    const warnings = byName(objs, 'ValidatingAdmissionPolicy', 'bound-tokens-warnings');
    for (const p of [errors, warnings]) {
      expect(p.spec.failurePolicy).toBe('Fail');
      const rules = p.spec.matchConstraints.resourceRules;
      expect(rules.flatMap((r: any) => r.resources)).toEqual([
        'pods', 'podtemplates', 'replicationcontrollers', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs', 'authentications',
      ]);
      for (const r of rules) expect(r.operations).toEqual(['CREATE', 'UPDATE']);
    }
    expect(byName(objs, 'ValidatingAdmissionPolicyBinding', 'bound-tokens-errors').spec).toEqual({ policyName: 'bound-tokens-errors', validationActions: ['Warn', 'Audit'] });
    expect(byName(objs, 'ValidatingAdmissionPolicyBinding', 'bound-tokens-warnings').spec).toEqual({ policyName: 'bound-tokens-warnings', validationActions: ['Warn', 'Audit'] });
    // one validation per enforced rule, each message naming its rule id
    const ids = (p: any) => p.spec.validations.map((v: any) => /^(BT\d+):/.exec(v.message)![1]);
    // (a rule with a condition, BT280, needs the cluster's maximum lifetime: test/token-limits.test.ts)
    const enforced = TokenAdmissionPolicy.coverage().filter(r => r.enforced && r.condition === undefined);
    expect(ids(errors)).toEqual(enforced.filter(r => r.level === RuleLevel.ERROR).map(r => r.ruleId));
    expect(ids(warnings)).toEqual(enforced.filter(r => r.level === RuleLevel.WARNING).map(r => r.ruleId));
    expect(policy.errorPolicy?.name).toBe('bound-tokens-errors');
    expect(policy.warningBinding?.name).toBe('bound-tokens-warnings');
    expectValidManifests(objs);
  });

  // the one snapshot of the generated policy: the YAML a cluster gets (the other tests assert what they mean)
  test('the policy and binding YAML (snapshot)', () => {
    expect(synthYaml({})).toMatchSnapshot();
  });

  test('a cluster on 1.28 or 1.29 gets v1beta1 with a JSON patch, as the docs say', () => {
    const c = chart();
    const policy = new TokenAdmissionPolicy(c, 'Policy');
    for (const o of [policy.errorPolicy, policy.errorBinding, policy.warningPolicy, policy.warningBinding]) {
      o!.addJsonPatch(JsonPatch.replace('/apiVersion', 'admissionregistration.k8s.io/v1beta1'));
    }
    expect(synth(c).map(o => o.apiVersion)).toEqual(Array(4).fill('admissionregistration.k8s.io/v1beta1'));
  });

  test('is cluster-scoped: no namespace, even in a chart that has one', () => {
    const c = chart({ namespace: 'platform' });
    new TokenAdmissionPolicy(c, 'Policy');
    for (const o of synth(c)) expect(o.metadata.namespace).toBeUndefined();
  });

  test.each([
    [PolicyAction.WARN, ['Warn', 'Audit']],
    [PolicyAction.AUDIT, ['Audit']],
    [PolicyAction.DENY, ['Deny']],
  ])('errorAction %s binds the error policy with %j', (action, expected) => {
    const c = chart();
    new TokenAdmissionPolicy(c, 'Policy', { errorAction: action, warningAction: action });
    const objs = synth(c);
    expect(byName(objs, 'ValidatingAdmissionPolicyBinding', 'bound-tokens-errors').spec.validationActions).toEqual(expected);
    expect(byName(objs, 'ValidatingAdmissionPolicyBinding', 'bound-tokens-warnings').spec.validationActions).toEqual(expected);
  });

  test('scoping props become match conditions, the namespace selector and missing validations', () => {
    const c = chart();
    new TokenAdmissionPolicy(c, 'Policy', {
      policyNamePrefix: 'tokens.example.com',
      excludeNamespaces: ['legacy'],
      excludeNamespacePrefixes: ['team-a-'],
      excludeNamespaceLabels: { 'bound-tokens.io/exempt': 'true' },
      disabledRules: ['BT143', 'BT113'],
    });
    const objs = synth(c);
    const p = byName(objs, 'ValidatingAdmissionPolicy', 'tokens.example.com-errors');
    expect(p.spec.matchConditions[0]).toEqual({
      name: 'exclude-namespaces',
      expression: "!has(request.namespace) || !(request.namespace in ['kube-system', 'kube-public', 'kube-node-lease', 'legacy'] "
        + "|| ['team-a-'].exists(prefix, request.namespace.startsWith(prefix)))",
    });
    expect(p.spec.matchConstraints.namespaceSelector).toEqual({ matchExpressions: [{ key: 'bound-tokens.io/exempt', operator: 'NotIn', values: ['true'] }] });
    const all = objs.filter(o => o.kind === 'ValidatingAdmissionPolicy').flatMap(o => o.spec.validations.map((v: any) => v.message.slice(0, 5)));
    expect(all).not.toContain('BT143');
    expect(all).not.toContain('BT113');
    expect(all).toContain('BT110');
    expect(byName(objs, 'ValidatingAdmissionPolicyBinding', 'tokens.example.com-warnings').spec.policyName).toBe('tokens.example.com-warnings');
    expectValidManifests(objs);
  });

  test('disabling every warning rule leaves out the warning pair', () => {
    const c = chart();
    const warnings = TokenAdmissionPolicy.coverage().filter(r => r.enforced && r.level === RuleLevel.WARNING).map(r => r.ruleId);
    const policy = new TokenAdmissionPolicy(c, 'Policy', { disabledRules: warnings });
    expect(synth(c).map(o => o.metadata.name)).toEqual(['bound-tokens-errors', 'bound-tokens-errors']);
    expect(policy.warningPolicy).toBeUndefined();
    expect(policy.warningBinding).toBeUndefined();
  });

  test.each([
    [{ policyNamePrefix: 'Bound_Tokens' }, "'policyNamePrefix' must be a DNS-1123 subdomain", "got 'Bound_Tokens'"],
    [{ disabledRules: ['BT999'] }, "'disabledRules' must hold rule ids of cdk8s-bound-tokens", "got 'BT999'"],
    [{ excludeNamespacePrefixes: ['Team-'] }, "'excludeNamespacePrefixes' must hold namespace name prefixes", "got 'Team-'"],
    [{ excludeNamespaces: ['a_b'] }, "'excludeNamespaces' must hold namespace names", "got 'a_b'"],
    [{ excludeNamespaceLabels: { 'bad key': 'x' } }, "'excludeNamespaceLabels' must have label keys as keys", "got 'bad key'"],
    [{ excludeNamespaceLabels: { ok: 'bad value' } }, "'excludeNamespaceLabels' must have label values as values (key 'ok')", "got 'bad value'"],
    [{ errorAction: 'Block' as any }, "'errorAction' must be a PolicyAction", "got 'Block'"],
    [{ excludeNamespaceLabels: JSON.parse('{"__proto__": "x"}') }, "'excludeNamespaceLabels' must have label keys as keys", "got '__proto__'"],
  ])('fails when a prop is invalid: %j', (props, phrase, got) => {
    const c = chart();
    const msg = errorOf(() => new TokenAdmissionPolicy(c, 'Policy', props as TokenAdmissionPolicyProps));
    expect(msg).toContain(`[test/Policy] BT232: ${phrase}`);
    expect(msg).toContain(phrase);
    expect(msg).toContain(got);
  });

  test('coverage(): every rule of the catalogue is either enforced or listed with the reason it cannot be', () => {
    const coverage = TokenAdmissionPolicy.coverage();
    expect(coverage.map(r => r.ruleId)).toEqual(BoundTokenRules.all().map(r => r.id));
    for (const r of coverage) {
      expect(r.level).toBe(BoundTokenRules.find(r.ruleId).level);
      if (r.enforced) expect(r.reason).toBeUndefined();
      else expect(r.reason!.length).toBeGreaterThan(20);
    }
    // every rule the policy cannot enforce: those of the manifests it cannot see at admission,
    // and every rule that checks only the constructs' own options
    const constructOnly = BoundTokenRules.all().filter(r => r.scope === RuleScope.CONSTRUCT).map(r => r.id);
    const notEnforced = coverage.filter(r => !r.enforced).map(r => r.ruleId);
    // BT254/BT255 read ServiceAccounts, which the policy does not match (issue 19)
    expect(notEnforced.filter(id => !constructOnly.includes(id))).toEqual(['BT101', 'BT102', 'BT105', 'BT111', 'BT112', 'BT133', 'BT144', 'BT151', 'BT160', 'BT166',
      'BT254', 'BT255',
      // issue 19: clusterTrustBundle and podCertificate sources (gated, dropped by servers without the gate), BT271 (strict-only)
      'BT260', 'BT261', 'BT262', 'BT263', 'BT264', 'BT265', 'BT266', 'BT267', 'BT268', 'BT269', 'BT270', 'BT271',
      // tokens that controllers request (issue 19 §5): the policies match pods, not CSIDrivers or VaultAuths
      'BT282', 'BT283', 'BT284', 'BT285', 'BT286', 'BT287',
      'BT900', 'BT901', 'BT902', 'BT903', 'BT904', 'BT905', 'BT906', 'BT907']);
    for (const id of ['BT101', 'BT102', 'BT111', 'BT112', 'BT133', 'BT144']) {
      expect(coverage.find(r => r.ruleId === id)!.reason).toContain('the API server refuses it before admission');
    }
    expect(coverage.find(r => r.ruleId === 'BT114')!.sizeBound).toContain('checked by the lint only');
    expect(constructOnly.filter(id => !notEnforced.includes(id))).toEqual([]);
    expect(coverage.find(r => r.ruleId === 'BT151')!.reason).toContain('serviceAccountName: default');
  });

  test('the table of docs/admission-policy.md of what the policy enforces is the generated one (npx projen policy:table)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'admission-policy.md'), 'utf8');
    expect(withPolicyTable(readme)).toBe(readme);
    expect(readme).toContain(renderPolicyTable());
  });
});

describe('cdk8s-bound-tokens policy (the command)', () => {
  test.each<[string[], TokenAdmissionPolicyProps]>([
    [[], {}],
    [['--error-action', 'warn'], { errorAction: PolicyAction.WARN }],
    [['--exclude-namespace-prefix', 'team-a-', '--exclude-namespace-prefix=sandbox', '--exclude-namespace', 'legacy',
      '--exclude-namespace-label', 'bound-tokens.io/exempt=true', '--disable', 'BT143', '--disable', 'BT111,BT112',
      '--warning-action', 'audit', '--name-prefix', 'tokens'], {
      excludeNamespacePrefixes: ['team-a-', 'sandbox'],
      excludeNamespaces: ['legacy'],
      excludeNamespaceLabels: { 'bound-tokens.io/exempt': 'true' },
      disabledRules: ['BT143', 'BT111', 'BT112'],
      warningAction: PolicyAction.AUDIT,
      policyNamePrefix: 'tokens',
    }],
    [['--include-system-namespaces', '--error-action=audit'], { excludeSystemNamespaces: false, errorAction: PolicyAction.AUDIT }],
    [['--openshift', '--error-action', 'deny'], { openShift: true, errorAction: PolicyAction.DENY }],
  ])('prints the YAML the construct synthesizes, byte for byte: %j', (args, props) => {
    const r = cli(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(synthYaml(props));
    expect(YAML.parseAllDocuments(r.stdout).length).toBeGreaterThanOrEqual(2);
  });

  test("a label key named like an Object member ('constructor', a valid label key) is kept as data", () => {
    const r = cli(['--exclude-namespace-label', 'constructor=x']);
    expect(r.code).toBe(0);
    const policy = YAML.parseAllDocuments(r.stdout)[0].toJS();
    expect(policy.spec.matchConstraints.namespaceSelector).toEqual({ matchExpressions: [{ key: 'constructor', operator: 'NotIn', values: ['x'] }] });
  });

  test('--help prints the usage', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: cdk8s-bound-tokens policy [options]');
    expect(r.stdout).toContain('--exclude-namespace-prefix PREFIX');
  });

  test.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['extra'], "unexpected argument 'extra'"],
    [['--error-action', 'block'], "'--error-action' must be deny, warn or audit, got 'block'"],
    [['--disable', 'BT999'], "BT232: '--disable' must hold rule ids of cdk8s-bound-tokens, got 'BT999'"],
    [['--exclude-namespace-label', '__proto__=x'], "BT232: '--exclude-namespace-label' must have label keys as keys, got '__proto__'"],
    [['--exclude-namespace-label', 'novalue'], "'--exclude-namespace-label' must be KEY=VALUE, got 'novalue'"],
    [['--exclude-namespace-prefix'], "'--exclude-namespace-prefix' needs a value"],
    [['--exclude-namespace-prefix', '--disable'], "'--exclude-namespace-prefix' needs a value"],
    [['--name-prefix', 'UPPER'], "BT232: '--name-prefix' must be a DNS-1123 subdomain"],
    [['--openshift=yes'], "'--openshift' takes no value"],
    [['--include-system-namespaces=yes'], "'--include-system-namespaces' takes no value"],
  ])('fails with exit code 2 when the arguments are wrong: %j', (args, phrase) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cdk8s-bound-tokens policy: ${phrase}`);
    expect(r.stderr).toContain('Usage: cdk8s-bound-tokens policy');
  });
});

describe('examples/admission-policy.ts', () => {
  test('synthesizes the rollout-phase policies, valid against the upstream schema', () => {
    const app = buildExample();
    const objs = Testing.synth(app.charts[0]);
    expect(objs).toHaveLength(4);
    expect(byName(objs, 'ValidatingAdmissionPolicyBinding', 'bound-tokens-errors').spec.validationActions).toEqual(['Warn', 'Audit']);
    for (const o of objs) expect(o.metadata.namespace).toBeUndefined();
    expectValidManifests(objs);
    // what the example sets: the sandbox prefix and the opt-out label exclude namespaces from both policies
    for (const name of ['bound-tokens-errors', 'bound-tokens-warnings']) {
      const spec = byName(objs, 'ValidatingAdmissionPolicy', name).spec;
      expect(spec.matchConstraints.namespaceSelector).toEqual({
        matchExpressions: [{ key: 'bound-tokens.io/exempt', operator: 'NotIn', values: ['true'] }],
      });
      const exclude = spec.matchConditions.find((c: any) => c.name === 'exclude-namespaces').expression;
      expect(exclude).toContain("['sandbox-'].exists(prefix, request.namespace.startsWith(prefix))");
      expect(exclude).toContain("request.namespace in ['kube-system', 'kube-public', 'kube-node-lease']");
    }
    // apart from those, the very policies of the defaults (whose YAML is snapshotted above)
    const c = chart();
    new TokenAdmissionPolicy(c, 'Policy');
    const defaults = synth(c);
    const rest = (o: any) => (o.kind !== 'ValidatingAdmissionPolicy' ? o.spec : {
      ...o.spec,
      matchConstraints: { ...o.spec.matchConstraints, namespaceSelector: undefined },
      matchConditions: o.spec.matchConditions.filter((m: any) => m.name !== 'exclude-namespaces'),
    });
    expect(objs.map(rest)).toEqual(defaults.map(rest));
  });

  test('the command in its header prints the same YAML', () => {
    const r = cli(['--exclude-namespace-prefix', 'sandbox-', '--exclude-namespace-label', 'bound-tokens.io/exempt=true']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(buildExample().synthYaml());
  });
});
