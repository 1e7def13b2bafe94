// Issue 19 §5: tokens that controllers request from declarations, checked by
// the lint and the validation plugin: a CSIDriver's spec.tokenRequests and a
// Vault Secrets Operator VaultAuth.
import * as fs from 'fs';
import * as path from 'path';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenValidation, TokenAdmissionPolicy, VaultAuthMethod, VaultToken } from '../../src';
import { runCli } from '../../src/cli/run';
import { Linter, LintFinding } from '../../src/lint/lint';
import { checkCsiDriver, checkTokenRequester, checkVaultAuth, checkVaultRoleAudiences } from '../../src/rules';
import { captureWarnings, chart, synth, tmpdir } from '../util';

function lint(text: string, opts: ConstructorParameters<typeof Linter>[0] = {}): LintFinding[] {
  const l = new Linter(opts);
  l.addSource('x.yaml', text);
  return l.report().findings;
}
const ids = (fs_: Array<{ ruleId: string }>) => fs_.map(f => f.ruleId).sort();

function csi(spec: string, name = 'csi.example.com'): string {
  return `apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
}

describe('CSIDriver spec.tokenRequests (what a 1.32 API server refuses, verified by server dry run)', () => {
  test('a duplicate audience is BT282, an error, at the duplicate', () => {
    const f = lint(csi('  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: vault\n    - audience: vault\n'));
    expect(ids(f)).toEqual(['BT282']);
    expect(f[0]).toMatchObject({ level: 'error', line: 9, path: '/spec/tokenRequests/1/audience', kind: 'CSIDriver', name: 'csi.example.com' });
    expect(f[0].message).toContain("BT282: 'audience' of tokenRequests[1] of CSIDriver 'csi.example.com' is already requested by tokenRequests[0] (the API server refuses it: Duplicate value), got 'vault'");
  });

  test('two empty audiences (the API server\'s own) are a duplicate too; one is fine', () => {
    expect(ids(lint(csi("  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: ''\n    - audience: vault\n")))).toEqual([]);
    const f = lint(csi("  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: ''\n    - audience: ''\n"));
    expect(ids(f)).toEqual(['BT282']);
    expect(f[0].message).toContain("got '' (the API server's own audiences)");
  });

  test('lifetimes under 600 s or over 2^32 s are the projected token\'s errors BT101 / BT102, in the same words', () => {
    const f = lint(csi('  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: a\n      expirationSeconds: 300\n    - audience: b\n      expirationSeconds: 4294967297\n    - audience: c\n      expirationSeconds: 1.5\n'));
    expect(ids(f)).toEqual(['BT101', 'BT102', 'BT105']);
    expect(f.find(x => x.ruleId === 'BT101')!.message).toContain("BT101: 'expirationSeconds' of the token for audience 'a' of CSIDriver 'csi.example.com' may not be shorter than 10 minutes (600 seconds), got 300 seconds");
    expect(f.find(x => x.ruleId === 'BT101')!.path).toBe('/spec/tokenRequests/0/expirationSeconds');
  });

  test('600 s and 2^32 s are accepted; over a day is BT104, over the declared maximum BT280', () => {
    expect(ids(lint(csi('  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: a\n      expirationSeconds: 600\n    - audience: b\n      expirationSeconds: 86400\n')))).toEqual([]);
    const text = csi('  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: a\n      expirationSeconds: 172800\n');
    expect(ids(lint(text))).toEqual(['BT104']);
    const limited = lint(text, { limits: { maxExpirationSeconds: 7200 } });
    expect(ids(limited)).toEqual(['BT280']);
    expect(limited[0].message).toContain('which the kubelet refreshes after 5760 seconds');
  });

  test('tokenRequests without serviceAccountTokenInSecrets: true is BT283, a warning marked 1.35+ with the CVE, reported by the lint with --strict only', () => {
    // a CSIDriver shipped for every cluster version cannot carry the 1.35-only field (test/fixtures/real: 12 false alarms of 13)
    expect(lint(csi('  tokenRequests:\n    - audience: vault\n'))).toEqual([]);
    const f = lint(csi('  tokenRequests:\n    - audience: vault\n'), { strict: true });
    expect(ids(f)).toEqual(['BT283']);
    expect(f[0].level).toBe('warning');
    expect(f[0].message).toContain('CVE-2023-2878');
    expect(f[0].message).toContain('Kubernetes 1.35+ only');
    expect(ids(lint(csi('  serviceAccountTokenInSecrets: false\n  tokenRequests:\n    - audience: vault\n'), { strict: true }))).toEqual(['BT283']);
  });

  test('BT283 can be acknowledged on the CSIDriver (a cluster before 1.35 cannot set the field)', () => {
    const l = new Linter({ strict: true });
    l.addSource('x.yaml', 'apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata:\n  name: d\n  annotations:\n    bound-tokens.io/acknowledge-BT283: "Kubernetes 1.33: the field does not exist yet"\nspec:\n  tokenRequests:\n    - audience: vault\n');
    const r = l.report();
    expect(r.findings).toEqual([]);
    expect(ids(r.acknowledged)).toEqual(['BT283']);
  });

  test('serviceAccountTokenInSecrets without tokenRequests is BT284, an error (refused from 1.35)', () => {
    const f = lint(csi('  serviceAccountTokenInSecrets: true\n'));
    expect(ids(f)).toEqual(['BT284']);
    expect(f[0].message).toContain('is set but no tokenRequests are specified (the API server refuses it from Kubernetes 1.35');
    expect(ids(lint(csi('  serviceAccountTokenInSecrets: false\n  tokenRequests: []\n')))).toEqual(['BT284']);
  });

  test('a CSIDriver without token requests, or of another group, is not checked', () => {
    expect(lint(csi('  attachRequired: false\n'))).toEqual([]);
    expect(checkCsiDriver({ kind: 'CSIDriver', apiVersion: 'storage.k8s.io/v1', spec: null })).toEqual([]);
    expect(lint('apiVersion: example.com/v1\nkind: CSIDriver\nmetadata:\n  name: x\nspec:\n  tokenRequests:\n    - audience: a\n    - audience: a\n')).toEqual([]);
  });

  test('an audience with a comma is BT121 (one audience, taken literally)', () => {
    expect(ids(lint(csi('  serviceAccountTokenInSecrets: true\n  tokenRequests:\n    - audience: "a,b"\n')))).toEqual(['BT121']);
  });
});

function vaultAuth(spec: string, name = 'va'): string {
  return `apiVersion: secrets.hashicorp.com/v1beta1\nkind: VaultAuth\nmetadata:\n  name: ${name}\n  namespace: app\nspec:\n${spec}`;
}

describe('Vault Secrets Operator VaultAuth', () => {
  test('kubernetes auth without audiences is BT285 (hashicorp/vault-secrets-operator#462)', () => {
    const f = lint(vaultAuth('  method: kubernetes\n  mount: kubernetes\n  kubernetes:\n    role: app\n    serviceAccount: app\n'));
    expect(ids(f)).toEqual(['BT285']);
    expect(f[0]).toMatchObject({ level: 'warning', path: '/spec/kubernetes', kind: 'VaultAuth' });
    expect(f[0].message).toContain("BT285: 'kubernetes.audiences' of VaultAuth 'va' (method kubernetes) is empty, so the operator requests a token for the API server's own audiences");
    expect(ids(lint(vaultAuth('  method: kubernetes\n  mount: kubernetes\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: []\n')))).toEqual(['BT285']);
    expect(ids(lint(vaultAuth('  method: kubernetes\n  mount: kubernetes\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: [vault]\n')))).toEqual([]);
  });

  test('JWT auth with a ServiceAccount is checked; JWT auth from a Secret, and other methods, request no token', () => {
    expect(ids(lint(vaultAuth('  method: jwt\n  mount: jwt\n  jwt:\n    role: app\n    serviceAccount: app\n')))).toEqual(['BT285']);
    expect(ids(lint(vaultAuth('  method: jwt\n  mount: jwt\n  jwt:\n    role: app\n    secretRef: my-jwt\n')))).toEqual([]);
    expect(ids(lint(vaultAuth('  method: appRole\n  mount: approle\n  appRole:\n    roleId: x\n    secretRef: s\n')))).toEqual([]);
    // a block of another method than spec.method is not what the operator uses
    expect(ids(lint(vaultAuth('  method: appRole\n  mount: approle\n  kubernetes:\n    role: app\n    serviceAccount: app\n')))).toEqual([]);
  });

  test('tokenExpirationSeconds: under the CRD minimum (600) is BT101; over a day BT104; over the declared maximum BT280', () => {
    const short = lint(vaultAuth('  method: kubernetes\n  mount: k\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: [vault]\n    tokenExpirationSeconds: 300\n'));
    expect(ids(short)).toEqual(['BT101']);
    expect(short[0].message).toContain("BT101: 'tokenExpirationSeconds' of the ServiceAccount token of VaultAuth 'va' may not be shorter than 10 minutes (600 seconds), got 300 seconds");
    const long = vaultAuth('  method: kubernetes\n  mount: k\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: [vault]\n    tokenExpirationSeconds: 172800\n');
    expect(ids(lint(long))).toEqual(['BT104']);
    const limited = lint(long, { limits: { maxExpirationSeconds: 3600 } });
    expect(ids(limited)).toEqual(['BT280']);
    // the operator, not the kubelet, renews this token
    expect(limited[0].message).not.toContain('kubelet');
  });

  test('BT286: the audiences miss the audience of the Vault role a KubernetesAuthEngineRole of the same file declares', () => {
    const role = 'apiVersion: redhatcop.redhat.io/v1alpha1\nkind: KubernetesAuthEngineRole\nmetadata:\n  name: app\nspec:\n  path: kubernetes\n  audience: vault\n  policies: [app]\n  targetServiceAccounts: [app]\n';
    const wrong = `${vaultAuth('  method: kubernetes\n  mount: kubernetes\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: [https://vault.example.com]\n')}---\n${role}`;
    const f = lint(wrong);
    expect(ids(f)).toEqual(['BT286']);
    expect(f[0].message).toContain("BT286: 'kubernetes.audiences' of VaultAuth 'va' lacks 'vault', the audience of Vault role 'app' at auth/kubernetes");
    expect(f[0].line).toBe(12);
    const right = `${vaultAuth('  method: kubernetes\n  mount: /auth/kubernetes/\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: [vault]\n')}---\n${role}`;
    expect(lint(right)).toEqual([]);
    // another role name or mount: nothing to compare
    expect(checkVaultRoleAudiences([
      { apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultAuth', metadata: { name: 'v' }, spec: { method: 'kubernetes', mount: 'other', kubernetes: { role: 'app', audiences: ['x'] } } },
      { apiVersion: 'redhatcop.redhat.io/v1alpha1', kind: 'KubernetesAuthEngineRole', metadata: { name: 'app' }, spec: { path: 'kubernetes', audience: 'vault' } },
    ])).toEqual([]);
  });

  test('BT286 across the files of one app in the validation plugin', async () => {
    const dir = tmpdir('bt-vault-');
    const a = path.join(dir, 'a.k8s.yaml');
    const b = path.join(dir, 'b.k8s.yaml');
    fs.writeFileSync(a, vaultAuth('  method: kubernetes\n  mount: kubernetes\n  kubernetes:\n    role: app\n    serviceAccount: app\n    audiences: [other]\n'));
    fs.writeFileSync(b, 'apiVersion: redhatcop.redhat.io/v1alpha1\nkind: KubernetesAuthEngineRole\nmetadata:\n  name: app\nspec:\n  path: kubernetes\n  audience: vault\n');
    const violations: any[] = [];
    const report = { addViolation: (v: any) => violations.push(v), submit: () => undefined };
    await new BoundTokenValidation().validate({ manifests: [a, b], report, logger: { log: () => undefined } });
    expect(violations.map(v => v.ruleName)).toEqual(['BT286 (warning)']);
    // the lint command compares within one file
    expect(runCli(['lint', a, b], { stdout: () => undefined, stderr: () => undefined, stdin: () => '' })).toBe(0);
  });

  test('not a VaultAuth of the operator\'s group: not checked', () => {
    expect(checkTokenRequester({ apiVersion: 'example.com/v1', kind: 'VaultAuth', spec: { method: 'kubernetes', kubernetes: {} } })).toEqual([]);
    expect(checkTokenRequester({ apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultAuth', spec: { method: 'kubernetes', kubernetes: {} } }).map(f => f.ruleId)).toEqual(['BT285']);
    expect(checkVaultAuth({ apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultAuth', spec: 'x' })).toEqual([]);
  });
});

describe('the validation plugin reports them too', () => {
  test('CSIDriver and VaultAuth findings as violations', async () => {
    const dir = tmpdir('bt-ctl-');
    const file = path.join(dir, 'app.k8s.yaml');
    fs.writeFileSync(file, `${csi('  tokenRequests:\n    - audience: vault\n    - audience: vault\n')}---\n${vaultAuth('  method: kubernetes\n  mount: k\n  kubernetes:\n    role: app\n    serviceAccount: app\n')}`);
    const violations: any[] = [];
    let status = '';
    const report = { addViolation: (v: any) => violations.push(v), submit: (s: string) => { status = s; } };
    await new BoundTokenValidation().validate({ manifests: [file], report, logger: { log: () => undefined } });
    expect(violations.map(v => v.ruleName)).toEqual(['BT282 (error)', 'BT285 (warning)']);
    const strict: any[] = [];
    const strictReport = { addViolation: (v: any) => strict.push(v), submit: () => undefined };
    await new BoundTokenValidation({ strict: true }).validate({ manifests: [file], report: strictReport, logger: { log: () => undefined } });
    expect(strict.map(v => v.ruleName)).toEqual(['BT282 (error)', 'BT283 (warning)', 'BT285 (warning)']);
    expect(status).toBe('failure');
  });
});

describe('the admission policy does not match them, and says why', () => {
  test('every controller rule has its reason', () => {
    const cov = new Map(TokenAdmissionPolicy.coverage().map(c => [c.ruleId, c]));
    for (const id of ['BT282', 'BT283', 'BT284', 'BT285', 'BT286']) {
      expect(cov.get(id)!.enforced).toBe(false);
      expect(cov.get(id)!.reason).toMatch(/CSIDriver|VaultAuth|one object per request/);
    }
    expect(cov.get('BT282')!.reason).toContain('Duplicate value');
  });
});

describe('BT287: the injected Vault Agent would delete a read-only JWT', () => {
  const deployment = (annotations: Record<string, string>) => JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: {
        metadata: { labels: { app: 'a' }, annotations },
        spec: {
          serviceAccountName: 'app',
          containers: [{ name: 'app', image: 'x', volumeMounts: [{ name: 'vault-token', mountPath: '/var/run/secrets/tokens', readOnly: true }] }],
          volumes: [{ name: 'vault-token', projected: { sources: [{ serviceAccountToken: { path: 'vault-token', audience: 'vault', expirationSeconds: 7200 } }] } }],
        },
      },
    },
  });
  const jwt = {
    'vault.hashicorp.com/agent-inject': 'true',
    'vault.hashicorp.com/auth-type': 'jwt',
    'vault.hashicorp.com/auth-config-path': '/var/run/secrets/tokens/vault-token',
  };
  const lintJson = (text: string) => {
    const l = new Linter();
    l.addSource('x.json', text);
    return l.report().findings;
  };

  test('JWT auth from the projected token without remove-jwt-after-reading: "false" is BT287', () => {
    const f = lintJson(deployment(jwt));
    expect(ids(f)).toEqual(['BT287']);
    expect(f[0].path).toBe('/spec/template/metadata/annotations/vault.hashicorp.com~1auth-config-path');
    expect(f[0].message).toContain("BT287: 'vault.hashicorp.com/auth-config-remove-jwt-after-reading' is not \"false\" while the injected Vault Agent's JWT auth reads '/var/run/secrets/tokens/vault-token' from a read-only volume");
    expect(ids(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/auth-config-remove-jwt-after-reading': 'true' })))).toEqual(['BT287']);
  });

  test('"false" (or Go\'s other false words), Kubernetes auth, no injection, or a writable path: nothing', () => {
    expect(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/auth-config-remove-jwt-after-reading': 'false' }))).toEqual([]);
    expect(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/auth-config-remove-jwt-after-reading': 'F' }))).toEqual([]);
    expect(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/auth-type': 'kubernetes' }))).toEqual([]);
    expect(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/agent-inject': 'false' }))).toEqual([]);
    expect(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/auth-config-path': '/home/vault/jwt' }))).toEqual([]);
  });

  test('the API token directory is read-only too', () => {
    expect(ids(lintJson(deployment({ ...jwt, 'vault.hashicorp.com/auth-config-path': '/var/run/secrets/kubernetes.io/serviceaccount/token' })))).toEqual(['BT287']);
  });
});

describe('BT287 in the constructs: the Vault preset with the injector and JWT auth writes what the agent needs', () => {
  function app(method: VaultAuthMethod) {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: 'busybox:1.36', name: 'app' }] });
    d.podMetadata.addAnnotation('vault.hashicorp.com/agent-inject', 'true');
    new VaultToken({ authMethod: method, agentInjector: true }).bind(d);
    return { c, d };
  }

  test('VaultToken with JWT auth and the injector: no BT287', () => {
    const { c } = app(VaultAuthMethod.JWT);
    expect(captureWarnings(() => synth(c)).filter(w => w.includes('BT287'))).toEqual([]);
  });

  test('the same annotations written by hand without the flag: BT287 at synth', () => {
    const { c, d } = app(VaultAuthMethod.KUBERNETES);
    d.podMetadata.addAnnotation('vault.hashicorp.com/auth-type', 'jwt');
    d.podMetadata.addAnnotation('vault.hashicorp.com/auth-config-path', '/var/run/secrets/tokens/vault-token');
    expect(captureWarnings(() => synth(c)).some(w => w.includes("BT287: 'vault.hashicorp.com/auth-config-remove-jwt-after-reading' is not \"false\""))).toBe(true);
  });
});
