// The generated CEL, evaluated with @bufbuild/cel over the fixtures and over
// generated objects, against the lint (checkObject) and the facts file.
import { parse } from '@bufbuild/cel';
import * as fc from 'fast-check';
import { loadPolicyFixtures } from './fixtures';
import { admissionView, evalCel, evaluatePolicy, lintVerdict, policyAgreesWithLint, policyVerdict } from './harness';
import { Linter, LintFinding } from '../../src/lint/lint';
import { buildPolicyObjects, enforcedRuleIds } from '../../src/policy/build';
import { celRegex, celString, JS_WHITESPACE_CLASS, stripTrailingSlashes } from '../../src/policy/cel';
import { parseGoUrl } from '../../src/rules';
import { expectedAcknowledged, expectedFindings } from '../fixtures/expect';

const FIXTURES = loadPolicyFixtures();
const POLICIES = buildPolicyObjects();
const errorPolicy = POLICIES.find(o => o.metadata.name === 'bound-tokens-errors');
const warningPolicy = POLICIES.find(o => o.metadata.name === 'bound-tokens-warnings');

function allExpressions(objs: any[]): Array<{ where: string; expression: string }> {
  const out: Array<{ where: string; expression: string }> = [];
  for (const p of objs.filter(o => o.kind === 'ValidatingAdmissionPolicy')) {
    for (const c of p.spec.matchConditions) out.push({ where: `${p.metadata.name} matchCondition ${c.name}`, expression: c.expression });
    for (const v of p.spec.variables) out.push({ where: `${p.metadata.name} variable ${v.name}`, expression: v.expression });
    for (const v of p.spec.validations) {
      out.push({ where: `${p.metadata.name} ${v.message.slice(0, 5)} expression`, expression: v.expression });
      out.push({ where: `${p.metadata.name} ${v.message.slice(0, 5)} messageExpression`, expression: v.messageExpression });
    }
  }
  return out;
}

describe('the fixtures', () => {
  test('cover every kind the policies match, every enforced rule, acknowledged warnings and errors', () => {
    const kinds = new Set(FIXTURES.map(f => f.object.kind));
    for (const k of ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'PodTemplate', 'Authentication']) {
      expect(kinds).toContain(k);
    }
    const seen = new Set(FIXTURES.flatMap(f => [...f.deny, ...f.warn]));
    for (const id of [...enforcedRuleIds('error'), ...enforcedRuleIds('warning')]) expect(seen).toContain(id);
    expect(FIXTURES.filter(f => f.name.includes('ack-error'))).not.toHaveLength(0);
    expect(FIXTURES.filter(f => f.name.includes('ack-warning'))).not.toHaveLength(0);
  });

  test.each(FIXTURES.map(f => [f.name, f] as const))('the lint finds what %s marks, and gives the verdict derived from the marks', (_name, f) => {
    // the marks, exactly: by default and with --strict, found and acknowledged, on their lines
    for (const strict of [false, true]) {
      const linter = new Linter({ strict });
      linter.addSource(f.fixture.file, f.fixture.text);
      const r = linter.report();
      const at = (x: LintFinding) => ({ line: x.line, ruleId: x.ruleId, level: x.level });
      expect({ strict, findings: r.findings.map(at), acknowledged: r.acknowledged.map(at), objects: r.objectsChecked }).toEqual({
        strict, findings: expectedFindings(f.fixture, { strict }), acknowledged: expectedAcknowledged(f.fixture, { strict }), objects: 1,
      });
    }
    expect(lintVerdict(f.object)).toEqual({ denied: f.deny, warned: f.warn });
  });

  test.each(FIXTURES.map(f => [f.name, f] as const))('the policies give %s the verdict derived from its marks', (_name, f) => {
    const r = policyVerdict(POLICIES, { object: f.object, namespace: 'apps' });
    expect(r.errors).toEqual([]);
    expect({ denied: r.denied, warned: r.warned }).toEqual({ denied: f.deny, warned: f.warn });
    // every message names its rule id first and fits on one line
    expect(r.messages).toHaveLength(f.deny.length + f.warn.length);
    for (const m of r.messages) {
      expect(m).toMatch(/^BT\d{3}: /);
      expect(m).not.toContain('\n');
    }
  });

  test('policyAgreesWithLint: the policies and the lint agree on every fixture, for every rule the policies enforce', () => {
    const r = policyAgreesWithLint(FIXTURES.map(f => [f.name, f.object] as const));
    expect(r.disagreements).toEqual([]);
    // Equal mount paths in one container never reach admission: the API server refuses them ("must be unique").
    expect(r.skipped.map(x => x.name)).toEqual(['pod-duplicate-mount-path']);
    expect(r.skipped[0].reason).toContain('"must be unique"');
    expect(r.compared).toHaveLength(FIXTURES.length - 1);
  });

  test('policyAgreesWithLint leaves out kinds the policies do not match and objects the API server would not decode', () => {
    const rollout = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' }, spec: { template: { spec: { containers: [], volumes: [] } } } };
    const fraction = FIXTURES.find(f => f.name === 'pod-compliant')!.object;
    const bad = JSON.parse(JSON.stringify(fraction));
    bad.spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds = 3600.5;
    const r = policyAgreesWithLint([['rollout', rollout], ['fraction', bad]]);
    expect(r.compared).toEqual([]);
    expect(r.skipped.map(s => s.name)).toEqual(['rollout', 'fraction']);
    expect(r.skipped[0].reason).toContain('not matched');
    expect(r.skipped[1].reason).toContain('refuse it before admission');
  });

  test('the messages name the offending volume or container', () => {
    const f = FIXTURES.find(x => x.name === 'pod-many-findings')!;
    const r = policyVerdict(POLICIES, { object: f.object, namespace: 'apps' });
    expect(r.messages.find(m => m.startsWith('BT120'))).toContain('(volume tok)');
    expect(r.messages.find(m => m.startsWith('BT142'))).toContain('(container app)');
    const auth = FIXTURES.find(x => x.name === 'authentication-query')!;
    expect(policyVerdict(POLICIES, { object: auth.object }).messages[0])
      .toBe("BT163: an https service account issuer must not have a query or a fragment, got 'https://issuer.example.com/?a=b'; remove the ?query and #fragment from the issuer");
  });
});

describe('acknowledgements', () => {
  const withAcks = (obj: any, ids: string[]) => {
    const o = JSON.parse(JSON.stringify(obj));
    const annotations = Object.fromEntries(ids.map(id => [`bound-tokens.io/acknowledge-${id}`, 'reason']));
    o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...annotations };
    const tmpl = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.kind === 'PodTemplate' ? o.template : o.spec?.template;
    if (tmpl) tmpl.metadata = { ...(tmpl.metadata ?? {}), annotations: { ...(tmpl.metadata?.annotations ?? {}), ...annotations } };
    return o;
  };
  const every = [...enforcedRuleIds('error'), ...enforcedRuleIds('warning')];

  test.each(FIXTURES.filter(f => f.deny.length > 0).map(f => [f.name, f] as const))(
    'an annotation acknowledging every rule never lifts a denial (%s)', (_name, f) => {
      const r = policyVerdict(POLICIES, { object: withAcks(f.object, every), namespace: 'apps' });
      expect(r.denied).toEqual(f.deny);
      expect(r.warned).toEqual([]);
      expect(lintVerdict(withAcks(f.object, every))).toEqual({ denied: f.deny, warned: [] });
    });

  test('no deny validation reads an annotation; every warning validation reads those its pods carry', () => {
    for (const v of errorPolicy.spec.validations) {
      expect(v.expression).not.toContain('nnotations');
      expect(v.expression).not.toContain('acknowledgements');
    }
    for (const v of warningPolicy.spec.validations) {
      const id = v.message.slice(0, 5);
      expect(v.expression.startsWith(`'bound-tokens.io/acknowledge-${id}' in variables.acknowledgements || `)).toBe(true);
    }
    // a workload's pods carry its pod template's annotations, never its own (issue 16)
    const acks = warningPolicy.spec.variables.find((x: any) => x.name === 'acknowledgements').expression as string;
    expect(acks).toContain('object.spec.template.metadata.annotations');
    expect(acks).toContain('object.spec.jobTemplate.spec.template.metadata.annotations');
  });

  test.each(['Deployment', 'Job', 'CronJob'])(
    'an acknowledgement on the %s itself does not reach its pods: the warning stands, with BT138 (before issue 16 both lint and policy passed it)', kind => {
      const f = FIXTURES.find(x => x.name === 'deployment-ack-on-template')!.object;
      const spec = JSON.parse(JSON.stringify(f.spec.template.spec));
      const objAck = { annotations: { 'bound-tokens.io/acknowledge-BT104': 'the consumer needs two days' } };
      const obj = kind === 'Deployment' ? { apiVersion: 'apps/v1', kind, metadata: { name: 'w', ...objAck }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec } } }
        : kind === 'Job' ? { apiVersion: 'batch/v1', kind, metadata: { name: 'w', ...objAck }, spec: { template: { spec: { ...spec, restartPolicy: 'Never' } } } }
          : { apiVersion: 'batch/v1', kind, metadata: { name: 'w', ...objAck }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { ...spec, restartPolicy: 'Never' } } } } } };
      const r = policyVerdict(POLICIES, { object: obj, namespace: 'apps' });
      expect(r.errors).toEqual([]);
      expect(r.warned).toEqual(['BT104', 'BT138']);
      expect(r.messages.find(m => m.startsWith('BT138'))).toContain("an acknowledgement is on the workload's own metadata but not on its pod template, so its pods never carry it (bound-tokens.io/acknowledge-BT104)");
      expect(lintVerdict(obj)).toEqual({ denied: [], warned: ['BT104', 'BT138'] });
      // the pods the controller makes from it carry only the template's annotations: they are warned too
      const podOf = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w-abcde' }, spec };
      expect(policyVerdict(POLICIES, { object: podOf, namespace: 'apps' }).warned).toEqual(['BT104']);
    });
});

describe('scope', () => {
  const bad = FIXTURES.find(f => f.name === 'pod-subpath')!.object;
  const auth = FIXTURES.find(f => f.name === 'authentication-invalid-url')!.object;

  test.each([
    ['kube-system', true], ['kube-public', true], ['kube-node-lease', true],
    // OpenShift's namespaces only for OpenShift: elsewhere anyone may create openshift-x
    ['openshift', false], ['openshift-monitoring', false], ['openshift-x', false],
    ['openshiftx', false], ['kube-systemx', false], ['apps', false], ['default', false],
  ])('namespace %s is excluded: %s', (ns, excluded) => {
    const r = evaluatePolicy(errorPolicy, { object: bad, namespace: ns as string });
    expect(r.errors).toEqual([]);
    expect(r.skipped).toBe(excluded);
    if (!excluded) expect(r.failed).toEqual(['BT142']);
  });

  test.each([
    ['openshift', true], ['openshift-monitoring', true], ['openshift-x', true], ['kube-system', true],
    ['openshiftx', false], ['apps', false],
  ])('openShift: namespace %s is excluded: %s', (ns, excluded) => {
    const p = buildPolicyObjects({ openShift: true })[0];
    const r = evaluatePolicy(p, { object: bad, namespace: ns as string });
    expect(r.errors).toEqual([]);
    expect(r.skipped).toBe(excluded);
    if (!excluded) expect(r.failed).toEqual(['BT142']);
  });

  test('user prefixes and names are excluded too; excludeSystemNamespaces: false keeps kube-system in', () => {
    const objs = buildPolicyObjects({ excludeNamespacePrefixes: ['team-a-', 'sandbox'], excludeNamespaces: ['legacy'], excludeSystemNamespaces: false });
    const p = objs[0];
    const skipped = (ns: string) => evaluatePolicy(p, { object: bad, namespace: ns }).skipped;
    expect(skipped('team-a-web')).toBe(true);
    expect(skipped('sandbox')).toBe(true);
    expect(skipped('sandbox-2')).toBe(true);
    expect(skipped('legacy')).toBe(true);
    expect(skipped('legacy-2')).toBe(false);
    expect(skipped('team-b')).toBe(false);
    expect(skipped('kube-system')).toBe(false);
    expect(skipped('openshift-etcd')).toBe(false);
  });

  test('no namespace exclusion at all leaves out the match condition', () => {
    const p = buildPolicyObjects({ excludeSystemNamespaces: false })[0];
    expect(p.spec.matchConditions.map((c: any) => c.name)).toEqual(['checked-part-changed']);
  });

  test('namespaces excluded by label are left out by the namespace selector', () => {
    const p = buildPolicyObjects({ excludeNamespaceLabels: { 'bound-tokens.io/exempt': 'true' } })[0];
    expect(p.spec.matchConstraints.namespaceSelector).toEqual({ matchExpressions: [{ key: 'bound-tokens.io/exempt', operator: 'NotIn', values: ['true'] }] });
    expect(evaluatePolicy(p, { object: bad, namespace: 'apps', namespaceLabels: { 'bound-tokens.io/exempt': 'true' } }).skipped).toBe(true);
    expect(evaluatePolicy(p, { object: bad, namespace: 'apps', namespaceLabels: { 'bound-tokens.io/exempt': 'false' } }).failed).toEqual(['BT142']);
    expect(evaluatePolicy(p, { object: bad, namespace: 'apps' }).failed).toEqual(['BT142']);
  });

  test('cluster-scoped Authentication objects are checked whatever the namespace exclusions', () => {
    const p = buildPolicyObjects({ excludeNamespaceLabels: { a: 'b' }, excludeNamespacePrefixes: ['x'] })[0];
    expect(evaluatePolicy(p, { object: auth }).failed).toEqual(['BT162']);
  });

  test('match conditions never read namespaceObject (the API server binds none there) and survive its absence', () => {
    for (const p of POLICIES.filter(o => o.kind === 'ValidatingAdmissionPolicy')) {
      for (const c of p.spec.matchConditions) expect(c.expression).not.toContain('namespaceObject');
    }
  });

  test('an UPDATE that leaves the checked part alone passes unchecked; one that changes it is checked', () => {
    const relabelled = JSON.parse(JSON.stringify(bad));
    relabelled.metadata.labels = { owner: 'gc' };
    expect(evaluatePolicy(errorPolicy, { object: relabelled, oldObject: bad, operation: 'UPDATE', namespace: 'apps' }).skipped).toBe(true);
    const good = FIXTURES.find(f => f.name === 'pod-compliant')!.object;
    expect(evaluatePolicy(errorPolicy, { object: bad, oldObject: good, operation: 'UPDATE', namespace: 'apps' }).failed).toEqual(['BT142']);

    const dep = FIXTURES.find(f => f.name === 'deployment-subpath-absolute')!.object;
    const scaled = JSON.parse(JSON.stringify(dep));
    scaled.spec.replicas = 5;
    scaled.metadata.finalizers = ['example.com/keep'];
    expect(evaluatePolicy(errorPolicy, { object: scaled, oldObject: dep, operation: 'UPDATE', namespace: 'apps' }).skipped).toBe(true);
    const restarted = JSON.parse(JSON.stringify(dep));
    restarted.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' };
    expect(evaluatePolicy(errorPolicy, { object: restarted, oldObject: dep, operation: 'UPDATE', namespace: 'apps' }).failed).toEqual(['BT142']);

    const otherOwner = JSON.parse(JSON.stringify(auth));
    otherOwner.spec.oauthMetadata = { name: 'x' };
    expect(evaluatePolicy(errorPolicy, { object: otherOwner, oldObject: auth, operation: 'UPDATE' }).skipped).toBe(true);
    const fixed = JSON.parse(JSON.stringify(auth));
    fixed.spec.serviceAccountIssuer = 'https://a b c';
    expect(evaluatePolicy(errorPolicy, { object: fixed, oldObject: auth, operation: 'UPDATE' }).failed).toEqual(['BT162']);
  });

  test('disabled rules have no validation and give no verdict', () => {
    const objs = buildPolicyObjects({ disabledRules: ['BT142', 'BT120'] });
    const ids = objs.filter(o => o.kind === 'ValidatingAdmissionPolicy').flatMap(p => p.spec.validations.map((v: any) => v.message.slice(0, 5)));
    expect(ids).not.toContain('BT142');
    expect(ids).not.toContain('BT120');
    const r = policyAgreesWithLint(FIXTURES.map(f => [f.name, f.object] as const), objs, ['BT142', 'BT120']);
    expect(r.disagreements).toEqual([]);
    expect(policyVerdict(objs, { object: bad, namespace: 'apps' }).denied).toEqual([]);
  });

  test('a policy whose every rule is disabled is left out with its binding', () => {
    const objs = buildPolicyObjects({ disabledRules: enforcedRuleIds('warning') });
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ValidatingAdmissionPolicy/bound-tokens-errors', 'ValidatingAdmissionPolicyBinding/bound-tokens-errors',
    ]);
  });

  test('OLM ClusterServiceVersions are not matched: the Deployments OLM creates from them are (issue 16)', () => {
    for (const p of POLICIES.filter(o => o.kind === 'ValidatingAdmissionPolicy')) {
      const rules = p.spec.matchConstraints.resourceRules;
      expect(rules.flatMap((r: any) => r.apiGroups)).not.toContain('operators.coreos.com');
      expect(rules.find((r: any) => r.apiGroups.includes('apps')).resources).toContain('deployments');
    }
  });

  test('without issuer rules the policy does not match authentications', () => {
    const objs = buildPolicyObjects({ disabledRules: ['BT161', 'BT162', 'BT163'] });
    expect(objs[0].spec.matchConstraints.resourceRules.map((r: any) => r.apiGroups[0])).toEqual(['', 'apps', 'batch']);
    expect(objs[0].spec.variables.map((v: any) => v.name)).not.toContain('issuer');
    expect(objs[2].spec.matchConstraints.resourceRules.map((r: any) => r.apiGroups[0])).toEqual(['', 'apps', 'batch', 'config.openshift.io']);
  });
});

describe('the CEL itself', () => {
  test('every expression parses, and evaluates without error on every fixture (variables, validations, messages)', () => {
    for (const { where, expression } of allExpressions(POLICIES)) {
      expect(parse(expression)).toBeTruthy();
      expect(where).toBeTruthy();
    }
    for (const f of FIXTURES) {
      expect(policyVerdict(POLICIES, { object: f.object, namespace: 'apps' }).errors).toEqual([]);
    }
  });

  test('literals are homogeneous (Kubernetes compiles with HomogeneousAggregateLiterals): maps are empty, lists hold one element, only strings or only has() tests', () => {
    const problems: string[] = [];
    const walk = (node: any, where: string) => {
      if (!node || typeof node !== 'object') return;
      if (node.exprKind?.case === 'structExpr' && node.exprKind.value.entries.length > 0) problems.push(`${where}: a non-empty map literal`);
      if (node.exprKind?.case === 'listExpr') {
        const els = node.exprKind.value.elements;
        const strings = els.every((e: any) => e.exprKind.case === 'constExpr' && e.exprKind.value.constantKind.case === 'stringValue');
        const tests = els.every((e: any) => e.exprKind.case === 'selectExpr' && e.exprKind.value.testOnly);
        if (els.length > 1 && !strings && !tests) problems.push(`${where}: a mixed list literal`);
      }
      for (const v of Object.values(node)) {
        if (Array.isArray(v)) v.forEach(x => walk(x, where));
        else if (v && typeof v === 'object') walk(v, where);
      }
    };
    for (const { where, expression } of allExpressions(POLICIES)) walk(parse(expression).expr, where);
    expect(problems).toEqual([]);
  });

  test('uses only standard CEL, matches() and the strings library version 1 (no optional types, cel.bind, lists or url library)', () => {
    const text = allExpressions(POLICIES).map(e => e.expression).join('\n');
    for (const banned of ['.?', 'cel.bind', 'optional.', 'url(', 'isURL', '.find(', 'findAll', '.sum()', '.flatten(', '.sort(', 'sets.', 'quantity(', '.format(']) {
      expect(text).not.toContain(banned);
    }
    // method calls outside string literals (messages may name API methods such as platformDefault())
    const code = text.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
    const methods = new Set([...code.matchAll(/\.([a-zA-Z]+)\(/g)].map(m => m[1]));
    const allowed = ['all', 'exists', 'exists_one', 'filter', 'map', 'size', 'startsWith', 'endsWith', 'contains', 'matches', 'split', 'join', 'substring', 'lastIndexOf'];
    expect([...methods].filter(m => !allowed.includes(m))).toEqual([]);
  });

  test('figures: the size of the generated policies', () => {
    const exprs = allExpressions(POLICIES);
    const longest = Math.max(...exprs.map(e => e.expression.length));
    // cel-go's parser limit is 100,000 code points per expression
    expect(longest).toBeLessThan(10_000);
    expect(errorPolicy.spec.validations.length + warningPolicy.spec.validations.length).toBe(enforcedRuleIds('error').length + enforcedRuleIds('warning').length);
  });

  test('stripTrailingSlashes agrees with JavaScript, also outside the Basic Multilingual Plane', () => {
    const expr = stripTrailingSlashes('x');
    fc.assert(fc.property(fc.stringOf(fc.constantFrom('a', '/', '.', 'é', '😀', ' ')), x => {
      expect(evalCel(expr, { x })).toBe(x.replace(/\/+$/, ''));
    }), { numRuns: 500 });
  });

  test("the white space class is JavaScript's \\s", () => {
    const expr = `x.matches(${celRegex(`^[${JS_WHITESPACE_CLASS}]$`)})`;
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCharCode(cp);
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const js = /^\s$/.test(ch);
      if (js || cp < 0x3100 || cp === 0xfeff) expect([cp, evalCel(expr, { x: ch })]).toEqual([cp, js]);
    }
  });

  test("the Go URL expressions accept what the port of Go's url.Parse accepts", () => {
    const valid = evalValid();
    const cases = ['https://x', 'https://a b', 'http://[::1]:80/x', 'http://[::1', ':x', 'a:b', 'a/b:c', '1a:b', 'https://x?q#f', 'https://x#%zz',
      'https://u@h@x/p', 'https://%41/', 'https://%c3%a9/', 'https://h:8a', 'https:opaque', '//h:1/x', '///x:y', 'x%2', "https://a'b", 'https://a"b/',
      'https://é/', '*#%:', 'https://[fe80::1%25en0]:8443/', 'https://h\x7f/', 'HTTPS://X/'];
    for (const c of cases) expect([c, valid(c)]).toEqual([c, parseGoUrl(c).ok]);
    const alphabet = fc.constantFrom('a', 'H', 't', 'p', 's', ':', '/', '?', '#', '@', '[', ']', '%', '2', '5', '8', 'F', 'g', ' ', '\x01', '.', '-', '+', '*', 'é', '😀', '<', '"', "'", '|', '{');
    const prefix = fc.constantFrom('', 'https://', '//', 'http://', 'https:');
    fc.assert(fc.property(prefix, fc.array(alphabet, { maxLength: 12 }), (p, chars) => {
      const s = p + chars.join('');
      expect([s, valid(s)]).toEqual([s, parseGoUrl(s).ok]);
    }), { numRuns: 3000 });
  });
});

function evalValid(): (s: string) => boolean {
  const v = warningPolicy.spec.variables.find((x: any) => x.name === 'issuerUrlValid').expression as string;
  return (s: string) => evalCel(v, { variables: { issuer: s } });
}

describe('generated objects: the policies and the lint agree (fast-check)', () => {
  const pathArb = fc.oneof(
    fc.constantFrom('token', '', '/x', '../x', 'a/../b', '..data', 'a..b', '..', 'token/', 'a//b', '/', 'ca.crt', 'token/x',
      './token', 'token/.', '.', './', 'a\u0000b', 'x'.repeat(256), 'é'.repeat(128), `${'d/'.repeat(2000)}token0`),
    fc.stringOf(fc.constantFrom('a', '/', '.', 't'), { maxLength: 6 }),
  );
  const lifetimeArb = fc.oneof(
    fc.constantFrom(undefined, 599, 600, 3600, 3607, 86400, 86401, 4294967296, 4294967297, 0, -1),
    fc.integer({ min: -10, max: 5_000_000_000 }),
  );
  const audienceArb = fc.constantFrom(undefined, '', 'vault', 'a b', 'a,b', 'sts.amazonaws.com', 'x\u00a0y', 'https://kubernetes.default.svc', 'https://kubernetes.default.svc.cluster.local');
  const sourceArb = fc.oneof(
    { weight: 4, arbitrary: fc.record({ path: pathArb, expirationSeconds: lifetimeArb, audience: audienceArb }, { requiredKeys: ['path'] }).map(t => ({ serviceAccountToken: t })) },
    { weight: 1, arbitrary: fc.array(pathArb, { minLength: 1, maxLength: 2 }).map(ps => ({ configMap: { name: 'ca', items: ps.map(p => ({ key: 'k', path: p })) } })) },
    { weight: 1, arbitrary: pathArb.map(p => ({ secret: { name: 's', items: [{ key: 'k', path: p }] } })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.tuple(pathArb, pathArb, pathArb).map(([a, b, c]) => ({ podCertificate: { signerName: 'example.com/s', keyType: 'ED25519', credentialBundlePath: a, keyPath: b, certificateChainPath: c } })) },
    { weight: 1, arbitrary: pathArb.map(p => ({ clusterTrustBundle: { signerName: 'example.com/s', path: p } })) },
    { weight: 1, arbitrary: fc.tuple(pathArb, pathArb).map(([p, q]) => ({ serviceAccountToken: { path: p, audience: 'x' }, configMap: { name: 'c', items: [{ key: 'k', path: q }] } })) },
  );
  const volumeNameArb = fc.constantFrom('tok', 'tok2', 'kube-api-access-abcde', 'Bad_Name', 'data');
  const volumeArb = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        name: volumeNameArb,
        sources: fc.array(sourceArb, { minLength: 1, maxLength: 4 }),
        defaultMode: fc.constantFrom(undefined, 420, 256, 288, 292, 511, 512, -1, 0),
      })
        .map(v => ({ name: v.name, projected: { sources: v.sources, ...(v.defaultMode === undefined ? {} : { defaultMode: v.defaultMode }) } })),
    },
    { weight: 1, arbitrary: volumeNameArb.map(name => ({ name, emptyDir: {} })) },
    {
      // the platform's API-access volume and near copies of it (recognised by shape, whatever the name)
      weight: 2,
      arbitrary: fc.record({
        name: fc.constantFrom('kube-api-access-abcde', 'kube-api-access', 'tok'),
        exp: fc.constantFrom(3607, 3600, undefined),
        audience: fc.constantFrom(undefined, '', 'vault'),
        ca: fc.constantFrom('kube-root-ca.crt', 'other-ca'),
        ns: fc.constantFrom('metadata.namespace', 'metadata.name'),
        extra: fc.constantFrom(undefined, { secret: { name: 's' } }),
      }).map(a => ({
        name: a.name,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { path: 'token', ...(a.exp === undefined ? {} : { expirationSeconds: a.exp }), ...(a.audience === undefined ? {} : { audience: a.audience }) } },
            { configMap: { name: a.ca, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: a.ns } }] } },
            ...(a.extra ? [a.extra] : []),
          ],
        },
      })),
    },
  );
  const mountArb = fc.record({
    name: fc.constantFrom('tok', 'tok2', 'kube-api-access-abcde', 'kube-api-access', 'Bad_Name', 'data', 'ghost'),
    mountPath: fc.constantFrom('/t', '/t/', '/u', 'rel', '', '/', '//', 'C:\\t', 'c:/t', '\\t', 'C:t', '\\\\srv\\share',
      '/var/run/secrets/kubernetes.io/serviceaccount', '/var/run/secrets/kubernetes.io/serviceaccount//', '/var/run/secrets/kubernetes.io/serviceaccounts'),
    subPath: fc.constantFrom(undefined, '', 'token'),
    subPathExpr: fc.constantFrom(undefined, '', '$(X)'),
  }).map(m => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)));
  // a container's own runAsUser overrides the pod's; the kubelet gives the files to it only when every container has the same one
  const userArb = fc.constantFrom(undefined, { runAsUser: 1000 }, { runAsUser: 2000 }, { runAsUser: 0 }, { runAsNonRoot: true });
  const containerArb = (name: string) => fc.tuple(fc.array(mountArb, { maxLength: 3 }), userArb)
    .map(([volumeMounts, sc]) => ({ name, image: 'i:1', volumeMounts, ...(sc ? { securityContext: sc } : {}) }));
  const securityArb = fc.constantFrom(undefined, { fsGroup: 1000 }, { runAsUser: 1000 }, { runAsUser: 0 }, { runAsNonRoot: true });
  const annotationsArb = fc.subarray(['BT104', 'BT111', 'BT114', 'BT120', 'BT121', 'BT132', 'BT134', 'BT137', 'BT138', 'BT139', 'BT143']).map(ids =>
    (ids.length ? Object.fromEntries(ids.map(id => [`bound-tokens.io/acknowledge-${id}`, 'r'])) : undefined));
  const specArb = fc.record({
    volumes: fc.array(volumeArb, { maxLength: 3 }),
    containers: fc.tuple(containerArb('a'), fc.option(containerArb('b'), { nil: undefined })).map(([a, b]) => (b ? [a, b] : [a])),
    initContainers: fc.option(fc.array(containerArb('init'), { maxLength: 1 }), { nil: undefined }),
    securityContext: securityArb,
    os: fc.constantFrom(undefined, { name: 'windows' }, { name: 'linux' }),
  }).map(s => Object.fromEntries(Object.entries({ serviceAccountName: 'app', ...s }).filter(([, v]) => v !== undefined)));
  const objectArb = fc.record({ kind: fc.constantFrom('Pod', 'Deployment', 'CronJob', 'PodTemplate'), spec: specArb, objAcks: annotationsArb, tmplAcks: annotationsArb })
    .map(({ kind, spec, objAcks, tmplAcks }) => {
      const metadata = { name: 'x', ...(objAcks ? { annotations: objAcks } : {}) };
      const template = { metadata: tmplAcks ? { annotations: tmplAcks } : {}, spec };
      switch (kind) {
        case 'Pod': return { apiVersion: 'v1', kind, metadata, spec };
        case 'Deployment': return { apiVersion: 'apps/v1', kind, metadata, spec: { selector: { matchLabels: { a: 'b' } }, template } };
        case 'CronJob': return { apiVersion: 'batch/v1', kind, metadata, spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } };
        default: return { apiVersion: 'v1', kind, metadata, template };
      }
    });

  test('pods and workloads', () => {
    fc.assert(fc.property(objectArb, obj => {
      const r = policyAgreesWithLint([['generated', obj]]);
      expect(r.disagreements).toEqual([]);
    }), { numRuns: 400 });
  });

  test('OpenShift issuers', () => {
    const issuerArb = fc.oneof(
      fc.constantFrom('https://issuer.example.com', 'http://x', '', ' ', 'issuer', 'https://a b', 'https://x?y', 'https://x#', 'https://x?', 'HTTPS://X', 'https:', 'ftp://x', '\t\n', 'https://[::1]:1/', '*#%:'),
      fc.stringOf(fc.constantFrom('h', 't', 'p', 's', ':', '/', '?', '#', '%', '2', 'a', ' ', '[', ']', '@', '\u00a0'), { maxLength: 14 }),
    );
    fc.assert(fc.property(issuerArb, fc.boolean(), (issuer, acked) => {
      const obj = {
        apiVersion: 'config.openshift.io/v1',
        kind: 'Authentication',
        metadata: { name: 'cluster', ...(acked ? { annotations: { 'bound-tokens.io/acknowledge-BT164': 'lab' } } : {}) },
        spec: { serviceAccountIssuer: issuer },
      };
      const r = policyAgreesWithLint([['issuer', obj]]);
      expect(r.disagreements).toEqual([]);
      expect(r.compared).toEqual(['issuer']);
    }), { numRuns: 1500 });
  });

  test('admissionView drops nulls, as a typed object has none', () => {
    expect(admissionView({ a: null, b: [null, 1], c: { d: undefined, e: 'x' } })).toEqual({ b: [1], c: { e: 'x' } });
    expect(celString("it's")).toBe("'it\\'s'");
  });
});

describe('issuer checks that came after the policy was first written', () => {
  test.each([
    'https://[abc]/', 'https://[1.2.3.4]/', 'https://[::1]/', 'https://[fe80::1%25en0]/', 'https://[::ffff:10.0.0.1]:443/',
    'https://[1:2:3:4:5:6:7:8]/', 'https://[1:2:3:4:5:6:7:8:9]/', 'https://[1::2::3]/', 'https://u@[::1]/', 'https://[::1]@x/',
    'https:', 'https:///x', 'https://u@/', 'https://u@x/', 'https://x', 'https://?a', 'https:opaque',
  ])('the policy and the lint agree on %p (Go 1.24 brackets, https without a host)', issuer => {
    const r = policyAgreesWithLint([[issuer, { apiVersion: 'config.openshift.io/v1', kind: 'Authentication', metadata: { name: 'cluster' }, spec: { serviceAccountIssuer: issuer } }]]);
    expect(r.disagreements).toEqual([]);
    expect(r.compared).toEqual([issuer]);
  });
});
