// Issue 19 §4: the cluster's token limits, declared once and read by the
// lifetime rules, TokenRotation, the lint, the validation plugin and the policy.
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenValidation, ClusterTokenLimits, PolicyAction, ProjectedTokenVolume, TokenAdmissionPolicy, TokenRotation } from '../../src';
import { runPolicyCommand } from '../../src/cli/policy-command';
import { runCli } from '../../src/cli/run';
import { Linter } from '../../src/lint/lint';
import { buildPolicyObjects, enforcedRuleIds } from '../../src/policy/build';
import { checkObject, issuedLifetime, MANIFEST_STYLE, maxExpirationProblem, parseDurationSeconds } from '../../src/rules';
import { rotationAnnotations } from '../../src/rules/rotation';
import { policyVerdict } from '../policy/harness';
import { captureWarnings, chart, errorOf, findKind, synth, tmpdir } from '../util';

const IMAGE = 'busybox:1.36';

function podYaml(seconds: number | undefined, audience: string | null = 'vault'): string {
  const token = ['path: t', ...(audience !== null ? [`audience: ${audience}`] : []), ...(seconds !== undefined ? [`expirationSeconds: ${seconds}`] : [])].join(', ');
  return `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: app
  containers: [{name: c, image: x, volumeMounts: [{name: t, mountPath: /t}]}]
  volumes: [{name: t, projected: {sources: [{serviceAccountToken: {${token}}}]}}]
`;
}

function podObject(seconds: number | undefined, audience: string | null = 'vault'): any {
  const t: any = { path: 't' };
  if (audience !== null) t.audience = audience;
  if (seconds !== undefined) t.expirationSeconds = seconds;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'apps' },
    spec: { serviceAccountName: 'app', containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 't', mountPath: '/t' }] }], volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: t }] } }] },
  };
}

function run(args: string[], stdin = ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => stdin });
  return { code, out, err };
}

const ids = (findings: Array<{ ruleId: string }>) => findings.map(f => f.ruleId).sort();

describe('what the cluster makes of a requested lifetime (kube-apiserver token.go)', () => {
  test('shortened to the maximum; the kubelet rotates by what is issued', () => {
    const l = issuedLifetime(172800, 'vault', { maxExpirationSeconds: 86400 });
    expect(l).toMatchObject({ requestedSeconds: 172800, issuedSeconds: 86400, validSeconds: 86400 });
    expect(l).toMatchObject({ refreshAfterSeconds: 69120, shortened: true, extended: false });
  });

  test('a 3607-second token for the API server is valid for a year unless extension is off; the kubelet still rotates it as 3607 s', () => {
    expect(issuedLifetime(3607, undefined, { extendExpiration: true })).toMatchObject({ validSeconds: 31536000, refreshAfterSeconds: 2886 });
    expect(issuedLifetime(3607, undefined, { extendExpiration: true }).extended).toBe(true);
    expect(issuedLifetime(3607, 'https://kubernetes.default.svc', {})).toMatchObject({ extended: true });
    expect(issuedLifetime(3607, undefined, { extendExpiration: false })).toMatchObject({ validSeconds: 3607, extended: false });
    // only the API server's own audiences, only exactly 3607
    expect(issuedLifetime(3607, 'vault', {}).extended).toBe(false);
    expect(issuedLifetime(3608, undefined, {}).extended).toBe(false);
    // nothing declared: the requested lifetime as it is
    expect(issuedLifetime(3607, undefined, undefined)).toMatchObject({ validSeconds: 3607, extended: false });
  });

  test('the maximum applies first: a 3607-second request on a cluster with a 1-hour maximum is shortened, not extended', () => {
    const l = issuedLifetime(3607, undefined, { maxExpirationSeconds: 3600 });
    expect(l).toMatchObject({ issuedSeconds: 3600, validSeconds: 3600, extended: false });
  });

  test('a declared maximum must be one a cluster can have: 600 s (an external signer) to 2^32 s, whole', () => {
    expect(maxExpirationProblem(600)).toBeUndefined();
    expect(maxExpirationProblem(4294967296)).toBeUndefined();
    expect(maxExpirationProblem(599)).toContain('must be between 600 seconds');
    expect(maxExpirationProblem(4294967297)).toContain('2^32');
    expect(maxExpirationProblem(3600.5)).toBe('must be a whole number of seconds');
  });

  test('durations of the flags: seconds or h/m/s units', () => {
    expect(parseDurationSeconds('3600')).toBe(3600);
    expect(parseDurationSeconds('24h')).toBe(86400);
    expect(parseDurationSeconds('1h30m')).toBe(5400);
    expect(parseDurationSeconds('90m')).toBe(5400);
    expect(parseDurationSeconds('')).toBeUndefined();
    expect(parseDurationSeconds('1d')).toBeUndefined();
    expect(parseDurationSeconds('-5')).toBeUndefined();
  });
});

describe('the rules on a plain manifest', () => {
  test('BT280 for a request longer than the maximum, naming the kubelet\'s real refresh', () => {
    const f = checkObject(podObject(172800), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 7200 } });
    const bt280 = f.find(x => x.ruleId === 'BT280')!;
    expect(bt280.level).toBe('warning');
    expect(bt280.path).toBe('/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds');
    expect(bt280.message).toContain("BT280: 'expirationSeconds' of token 't' in volume 't' is longer than the cluster's maximum of 7200 seconds");
    expect(bt280.message).toContain('refreshes after 5760 seconds (not 86400)');
  });

  test('BT104 judges what the cluster issues: a 48-hour request under a 24-hour maximum is BT280 only', () => {
    expect(ids(checkObject(podObject(172800), { style: MANIFEST_STYLE }))).toEqual(['BT104']);
    expect(ids(checkObject(podObject(172800), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 86400 } }))).toEqual(['BT280']);
    const both = checkObject(podObject(259200), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 172800 } });
    expect(ids(both)).toEqual(['BT104', 'BT280']);
    expect(both.find(x => x.ruleId === 'BT104')!.message).toContain('also as the cluster shortens it (to 172800 seconds)');
  });

  test('no BT280 at or under the maximum, nor without one; an omitted lifetime (3600) counts under a maximum below an hour', () => {
    expect(ids(checkObject(podObject(86400), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 86400 } }))).toEqual([]);
    expect(ids(checkObject(podObject(86400), { style: MANIFEST_STYLE }))).toEqual([]);
    expect(ids(checkObject(podObject(undefined), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 3600 } }))).toEqual([]);
    const omitted = checkObject(podObject(undefined), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 1800 } });
    expect(ids(omitted)).toEqual(['BT280']);
    expect(omitted[0].message).toContain('(the default, 3600 seconds)');
  });

  test('the platform\'s API-access volume (3607 s) is never BT280: it is the API server\'s own', () => {
    const pod = podObject(undefined);
    pod.spec.volumes = [{
      name: 'kube-api-access-x',
      projected: {
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    }];
    pod.spec.containers[0].volumeMounts = [{ name: 'kube-api-access-x', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
    expect(ids(checkObject(pod, { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 3600 } }))).toEqual([]);
  });
});

describe('lint --max-token-expiration / --no-extend-token-expiration', () => {
  test('reports BT280 with the flag, and not without it', () => {
    const without = run(['lint', '-'], podYaml(172800));
    expect(without.out).toContain('BT104');
    expect(without.out).not.toContain('BT280');
    const withMax = run(['lint', '--max-token-expiration', '24h', '-'], podYaml(172800));
    expect(withMax.code).toBe(0);
    expect(withMax.out).toContain('warning  BT280  Pod/p');
    expect(withMax.out).not.toContain('BT104');
    expect(run(['lint', '--max-token-expiration=86400', '--strict', '-'], podYaml(172800)).code).toBe(1);
  });

  test('a bad value is a usage error (exit 2) that says what is wrong', () => {
    const bad = run(['lint', '--max-token-expiration', 'a day', '-'], podYaml(3600));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--max-token-expiration must be whole seconds or a duration such as 1h, 90m or 1h30m, got 'a day'");
    const small = run(['lint', '--max-token-expiration', '5m', '-'], podYaml(3600));
    expect(small.code).toBe(2);
    expect(small.err).toContain('--max-token-expiration must be between 600 seconds');
    expect(run(['lint', '--no-extend-token-expiration=yes', '-'], podYaml(3600)).err).toContain('--no-extend-token-expiration takes no value');
  });

  test('the help names both flags', () => {
    const help = run(['lint', '--help']).out;
    expect(help).toContain('--max-token-expiration <d>');
    expect(help).toContain('--no-extend-token-expiration');
  });

  test('--no-extend-token-expiration is accepted and changes no lifetime rule', () => {
    const r = run(['lint', '--no-extend-token-expiration', '-'], podYaml(3600));
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('BT28');
  });
});

describe('validation plugin: maxTokenExpirationSeconds, extendTokenExpiration', () => {
  function context(text: string) {
    const dir = tmpdir('bt-limits-');
    const file = path.join(dir, 'app.k8s.yaml');
    fs.writeFileSync(file, text);
    const violations: any[] = [];
    let summary: any;
    return {
      violations,
      summary: () => summary,
      ctx: {
        manifests: [file],
        report: { addViolation: (v: any) => violations.push(v), submit: (status: string, metadata: any) => { summary = { status, metadata }; } },
        logger: { log: () => undefined },
      },
    };
  }

  test('reports BT280 from the declared maximum', async () => {
    const c = context(podYaml(172800));
    await new BoundTokenValidation({ maxTokenExpirationSeconds: 86400 }).validate(c.ctx);
    expect(c.violations.map(v => v.ruleName)).toEqual(['BT280 (warning)']);
    expect(c.violations[0].violatingResources[0].locations[0]).toContain("is longer than the cluster's maximum of 86400 seconds");
    expect(c.summary().status).toBe('success');
  });

  test('refuses a maximum no cluster has, and a non-boolean extendTokenExpiration', () => {
    expect(errorOf(() => new BoundTokenValidation({ maxTokenExpirationSeconds: 60 }))).toContain("'maxTokenExpirationSeconds' must be between 600 seconds");
    expect(errorOf(() => new BoundTokenValidation({ maxTokenExpirationSeconds: '24h' as any }))).toContain("'maxTokenExpirationSeconds' must be a number of seconds, got '24h' (a string)");
    expect(errorOf(() => new BoundTokenValidation({ extendTokenExpiration: 'no' as any }))).toContain("'extendTokenExpiration' must be true or false, got 'no' (a string)");
  });
});

describe('ClusterTokenLimits (constructs)', () => {
  function workload(c: Chart, hours: number) {
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    new ProjectedTokenVolume(c, 'Vault', { tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(hours) }] }).mountInto(d);
    return d;
  }

  test('BT280 at synth when a token asks for more than the declared maximum; BT104 judges what is issued', () => {
    const c = chart();
    new ClusterTokenLimits(c.node.root as any, 'Limits', { maxTokenExpiration: Duration.hours(24) });
    workload(c, 48);
    const warnings = captureWarnings(() => synth(c));
    expect(warnings.some(w => w.includes("BT280: 'expiration' of token 'vault-token' in volume 'vault' is longer than the cluster's maximum of 86400 seconds"))).toBe(true);
    expect(warnings.some(w => w.includes('BT104'))).toBe(false);
  });

  test('without a declaration a 48-hour token is BT104, as before', () => {
    const c = chart();
    workload(c, 48);
    const warnings = captureWarnings(() => synth(c));
    expect(warnings.some(w => w.includes('BT104'))).toBe(true);
    expect(warnings.some(w => w.includes('BT280'))).toBe(false);
  });

  test('strict mode makes BT280 an error that names the fix', () => {
    const c = chart({ context: { 'cdk8s-bound-tokens:strict': true } });
    new ClusterTokenLimits(c, 'Limits', { maxTokenExpiration: Duration.hours(2) });
    workload(c, 4);
    expect(errorOf(() => Testing.synth(c))).toContain("BT280: 'expiration' of token 'vault-token' in volume 'vault' is longer than the cluster's maximum of 7200 seconds");
  });

  test('TokenRotation reports the lifetime the cluster issues, and the request beside it', () => {
    const c = chart();
    new ClusterTokenLimits(c, 'Limits', { maxTokenExpiration: Duration.hours(2) });
    const d = workload(c, 4);
    const [t] = TokenRotation.of(d);
    expect(t.expiresAfter.toSeconds()).toBe(7200);
    expect(t.requestedExpiration.toSeconds()).toBe(14400);
    expect(t.refreshAfter.toSeconds()).toBe(5760);
    TokenRotation.annotate(d);
    const dep = findKind(captureWarningsSynth(c), 'Deployment');
    expect(dep.spec.template.metadata.annotations['token-rotation.bound-tokens.io/vault']).toBe('vault-token: refresh after 1h36m, expires after 2h (requested 4h)');
  });

  test('TokenRotation without a declaration: the requested lifetime, and no "(requested ...)"', () => {
    const c = chart();
    const d = workload(c, 4);
    const [t] = TokenRotation.of(d);
    expect(t.expiresAfter.toSeconds()).toBe(14400);
    expect(t.requestedExpiration.toSeconds()).toBe(14400);
  });

  test('an extended API token: valid a year, refreshed as 3607 s; not with extendTokenExpiration: false', () => {
    const obj = podObject(3607, null);
    expect(rotationAnnotations(obj, {}).get('token-rotation.bound-tokens.io/t')).toBe('t: refresh after 48m6s, expires after 8760h (requested 1h7s)');
    expect(rotationAnnotations(obj, { extendExpiration: false }).get('token-rotation.bound-tokens.io/t')).toBe('t: refresh after 48m6s, expires after 1h7s');
    expect(rotationAnnotations(obj).get('token-rotation.bound-tokens.io/t')).toBe('t: refresh after 48m6s, expires after 1h7s');
  });

  test('per cluster scope: a chart\'s limits apply to its workloads only', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a');
    const b = new Chart(app, 'b');
    const limits = new ClusterTokenLimits(a, 'Limits', { maxTokenExpiration: Duration.hours(1), clusterScope: a });
    const da = workload(a, 2);
    const db = workload(b, 2);
    expect(TokenRotation.of(da)[0].expiresAfter.toSeconds()).toBe(3600);
    expect(TokenRotation.of(db)[0].expiresAfter.toSeconds()).toBe(7200);
    expect(ClusterTokenLimits.of(da)).toBe(limits);
    expect(ClusterTokenLimits.of(db)).toBeUndefined();
    expect(limits.extendTokenExpiration).toBe(true);
  });

  test('BT281: declared twice for one cluster, or nested', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a');
    new ClusterTokenLimits(app, 'Limits', { maxTokenExpiration: Duration.hours(24) });
    expect(errorOf(() => new ClusterTokenLimits(app, 'Again'))).toContain("BT281: 'clusterScope' '(the app)' already has the token limits of 'Limits'");
    expect(errorOf(() => new ClusterTokenLimits(a, 'Inner', { clusterScope: a }))).toContain("BT281: 'clusterScope' 'a' already has the token limits of 'Limits'");
    const app2 = Testing.app();
    const b = new Chart(app2, 'b');
    new ClusterTokenLimits(b, 'Inner', { clusterScope: b });
    expect(errorOf(() => new ClusterTokenLimits(app2, 'Outer'))).toContain("BT281: 'clusterScope' '(the app)' already has the token limits of 'b/Inner'");
  });

  test('BT281: a maximum no cluster can have; BT230: the wrong type', () => {
    const c = chart();
    expect(errorOf(() => new ClusterTokenLimits(c, 'L1', { maxTokenExpiration: Duration.minutes(5) })))
      .toContain("BT281: 'maxTokenExpiration' must be between 600 seconds (an external signer's least; the kube-apiserver flag's least is 1 hour) and 2^32 (4294967296) seconds, got 300 seconds");
    expect(errorOf(() => new ClusterTokenLimits(c, 'L2', { maxTokenExpiration: Duration.millis(3600500) })))
      .toContain("BT281: 'maxTokenExpiration' must be a whole number of seconds, got 3600.5 seconds");
    expect(errorOf(() => new ClusterTokenLimits(c, 'L3', { maxTokenExpiration: 3600 as any }))).toContain("BT230: 'maxTokenExpiration' must be a Duration");
    expect(errorOf(() => new ClusterTokenLimits(c, 'L4', { extendTokenExpiration: 'no' as any }))).toContain("BT230: 'extendTokenExpiration' must be true or false");
  });

  test('renders nothing', () => {
    const c = chart();
    new ClusterTokenLimits(c, 'Limits', { maxTokenExpiration: Duration.hours(24) });
    expect(synth(c)).toEqual([]);
  });
});

function captureWarningsSynth(c: Chart): any[] {
  let out: any[] = [];
  captureWarnings(() => { out = synth(c); });
  return out;
}

describe('the admission policy bakes the maximum into its CEL', () => {
  test('without a maximum BT280 is not in the policies; with one it warns, as the lint does', () => {
    expect(enforcedRuleIds('warning')).not.toContain('BT280');
    expect(enforcedRuleIds('warning', [], 7200)).toContain('BT280');
    const objs = buildPolicyObjects({ maxTokenExpirationSeconds: 7200 });
    const warnings = objs.find(o => o.metadata.name === 'bound-tokens-warnings');
    expect(warnings.spec.variables).toContainEqual({ name: 'maxTokenExpiration', expression: '7200' });
    const over = policyVerdict(objs, { object: podObject(14400), namespace: 'apps' });
    expect(over.errors).toEqual([]);
    expect(over.warned).toEqual(['BT280']);
    expect(over.messages.join('\n')).toContain("BT280: a token expirationSeconds is longer than the cluster's maximum");
    expect(policyVerdict(objs, { object: podObject(7200), namespace: 'apps' }).warned).toEqual([]);
    // an omitted lifetime is 3600
    expect(policyVerdict(buildPolicyObjects({ maxTokenExpirationSeconds: 1800 }), { object: podObject(undefined), namespace: 'apps' }).warned).toEqual(['BT280']);
    // the lint gives the same verdict
    expect(ids(checkObject(podObject(14400), { style: MANIFEST_STYLE, limits: { maxExpirationSeconds: 7200 } }))).toEqual(['BT280']);
  });

  test('coverage() says BT280 is enforced on a condition', () => {
    const c = TokenAdmissionPolicy.coverage().find(r => r.ruleId === 'BT280')!;
    expect(c.enforced).toBe(true);
    expect(c.condition).toContain("only when built with the cluster's maximum token lifetime");
    expect(TokenAdmissionPolicy.coverage().find(r => r.ruleId === 'BT104')!.condition).toBeUndefined();
  });

  test('a maximum of at most a day leaves BT104 out of the policies (no issued token can be longer)', () => {
    expect(enforcedRuleIds('warning', [], 86400)).not.toContain('BT104');
    expect(enforcedRuleIds('warning', [], 86401)).toContain('BT104');
    const objs = buildPolicyObjects({ maxTokenExpirationSeconds: 86400 });
    expect(policyVerdict(objs, { object: podObject(172800), namespace: 'apps' }).warned).toEqual(['BT280']);
  });

  test('the construct reads the declared ClusterTokenLimits, or its own prop; a bad value is BT232', () => {
    const c = chart();
    new ClusterTokenLimits(c, 'Limits', { maxTokenExpiration: Duration.hours(2) });
    const p = new TokenAdmissionPolicy(c, 'Policy', { warningAction: PolicyAction.WARN });
    expect(p.warningPolicy!.toJson().spec.variables).toContainEqual({ name: 'maxTokenExpiration', expression: '7200' });
    const c2 = chart();
    const p2 = new TokenAdmissionPolicy(c2, 'Policy', { maxTokenExpiration: Duration.hours(1) });
    expect(p2.warningPolicy!.toJson().spec.variables).toContainEqual({ name: 'maxTokenExpiration', expression: '3600' });
    expect(errorOf(() => new TokenAdmissionPolicy(chart(), 'Bad', { maxTokenExpiration: Duration.minutes(1) })))
      .toContain("BT232: 'maxTokenExpiration' must be between 600 seconds");
  });

  test('policy --max-token-expiration', () => {
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => { out += t; }, stderr: (t: string) => { err += t; } };
    expect(runPolicyCommand(['--max-token-expiration', '2h'], io)).toBe(0);
    expect(out).toContain('name: maxTokenExpiration');
    expect(out).toContain('expression: "7200"');
    expect(runPolicyCommand(['--max-token-expiration', '1m'], io)).toBe(2);
    expect(err).toContain("BT232: '--max-token-expiration' must be between 600 seconds");
  });
});

describe('the lint and the constructs agree', () => {
  test('one verdict for one token under one maximum', () => {
    const c = chart();
    new ClusterTokenLimits(c, 'Limits', { maxTokenExpiration: Duration.hours(2) });
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const pod = new kplus.Pod(c, 'P', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    new ProjectedTokenVolume(c, 'Vault', { tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(4) }] }).mountInto(pod);
    let objs: any[] = [];
    const warnings = captureWarnings(() => { objs = synth(c); });
    const construct = warnings.filter(w => /BT\d+/.test(w)).map(w => /BT\d+/.exec(w)![0]).sort();
    const linter = new Linter({ limits: { maxExpirationSeconds: 7200 } });
    linter.addSource('app.json', JSON.stringify(findKind(objs, 'Pod')));
    expect(ids(linter.report().findings)).toEqual(construct);
    expect(construct).toEqual(['BT280']);
  });
});
