// The admission policy's rollout as docs/admission-policy.md tells it, on the
// real API server with an audit log: the default (`cdk8s-bound-tokens policy |
// kubectl apply -f -`) refuses nothing and reports through kubectl's warnings,
// the audit log's annotations and the API server's metrics; `--error-action
// deny` refuses; the policies come off with one delete. And the issuer change
// the library exists to make (Authentication/cluster, a cluster-scoped object)
// passes the policies, the issuer-rotation example included.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { APISERVER_DIR, describeWithApiServer } from './server';
import { runCli } from '../../src/cli/run';

const AUDIT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'bound-tokens-audit-'));
const AUDIT_LOG = path.join(AUDIT_DIR, 'audit.log');
fs.writeFileSync(path.join(AUDIT_DIR, 'policy.yaml'), [
  'apiVersion: audit.k8s.io/v1',
  'kind: Policy',
  'rules:',
  '  - level: Metadata',
  '    resources: [{ group: "" , resources: ["pods"] }, { group: apps }, { group: config.openshift.io }]',
  '  - level: None',
].join('\n'));
const CRD = path.resolve(APISERVER_DIR, '..', '..', 'data', 'authentications.config.openshift.io.crd.yaml');

/** What `cdk8s-bound-tokens policy ARGS` prints. */
function policyYaml(...args: string[]): string {
  let out = '';
  let err = '';
  const code = runCli(['policy', ...args], { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => '' });
  if (code !== 0) throw new Error(`policy ${args.join(' ')}: exit ${code}: ${err}`);
  return out;
}

/** A Deployment that mounts its token with subPath: BT142 (the token never rotates), an error the API server itself accepts. */
const deployment = (name: string, namespace = 'apps') => JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens/token', subPath: 'token' }] }],
        volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 3600 } }] } }],
      },
    },
  },
});

const authentication = (issuer: string) => YAML.stringify({
  apiVersion: 'config.openshift.io/v1', kind: 'Authentication', metadata: { name: 'cluster' }, spec: { serviceAccountIssuer: issuer },
});

/** Applies until `until(result)` holds: a policy takes effect a moment after it is stored. */
function retry<T>(fn: () => T, until: (r: T) => boolean): T {
  let r = fn();
  for (let i = 0; i < 60 && !until(r); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    r = fn();
  }
  return r;
}

describeWithApiServer('the admission policy rollout on a real API server (docs/admission-policy.md)', (server) => {
  const k = (args: string[], input?: string) => server().kubectl(args, input);

  beforeAll(() => {
    for (const [args, input] of [
      [['apply', '-f', CRD]],
      [['wait', '--for=condition=Established', 'crd/authentications.config.openshift.io', '--timeout=60s']],
      [['create', 'namespace', 'apps']],
      [['create', 'namespace', 'openshift-x']],
    ] as Array<[string[], string?]>) {
      const r = k(args, input);
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    }
  }, 120_000);
  afterAll(() => fs.rmSync(AUDIT_DIR, { recursive: true, force: true }));

  test('the first command shown installs policies that refuse nothing: kubectl prints the warning, with the rule id', () => {
    const apply = k(['apply', '-f', '-'], policyYaml());
    expect(apply.stderr).toBe('');
    expect(apply.stdout).toContain('validatingadmissionpolicybinding.admissionregistration.k8s.io/bound-tokens-errors created');
    // a stored policy takes effect a moment later
    retry(() => k(['apply', '--dry-run=server', '-f', '-'], deployment('probe')), x => x.stderr.includes('BT142'));
    const r = k(['apply', '-f', '-'], deployment('web'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('deployment.apps/web created');
    expect(r.stderr).toContain("Warning: Validation failed for ValidatingAdmissionPolicy 'bound-tokens-errors' with binding 'bound-tokens-errors': BT142:");
  });

  test('vanilla Kubernetes: a namespace named openshift-x is checked like any other', () => {
    const r = k(['apply', '-f', '-'], deployment('escape', 'openshift-x'));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("ValidatingAdmissionPolicy 'bound-tokens-errors'");
    expect(r.stderr).toContain('BT142:');
  });

  test('the audit log carries the policy annotations of what was let through', () => {
    const lines = retry(() => (fs.existsSync(AUDIT_LOG) ? fs.readFileSync(AUDIT_LOG, 'utf8') : '').split('\n').filter(l => l.includes('"web"')),
      ls => ls.some(l => l.includes('validation.policy.admission.k8s.io/validation_failure')));
    const events = lines.map(l => JSON.parse(l)).filter(e => e.annotations?.['validation.policy.admission.k8s.io/validation_failure']);
    expect(events.length).toBeGreaterThan(0);
    const failures = JSON.parse(events[0].annotations['validation.policy.admission.k8s.io/validation_failure']);
    expect(failures).toEqual(expect.arrayContaining([expect.objectContaining({
      message: expect.stringContaining('BT142:'),
      policy: 'bound-tokens-errors',
      binding: 'bound-tokens-errors',
      validationActions: ['Warn', 'Audit'],
    })]));
  });

  test("the API server's metrics count the policy's checks", () => {
    const r = k(['get', '--raw', '/metrics']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter(l => l.startsWith('apiserver_validating_admission_policy_check_total{'));
    expect(lines.some(l => l.includes('policy="bound-tokens-errors"') && l.includes('enforcement_action="warn"'))).toBe(true);
  });

  test('the issuer change passes the policies: the issuer-rotation example, and a change of its issuer', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const app = require('../../examples/issuer-rotation').build(fs.mkdtempSync(path.join(AUDIT_DIR, 'example-')));
    const auth = app.charts.flatMap((c: any) => c.toJson()).find((o: any) => o.kind === 'Authentication');
    expect(auth.metadata.name).toBe('cluster');
    // on Deny, so a failed match condition (failurePolicy Fail) would refuse it
    expect(k(['apply', '-f', '-'], policyYaml('--error-action', 'deny')).status).toBe(0);
    const denied = retry(() => k(['apply', '--dry-run=server', '-f', '-'], deployment('probe')), x => x.status !== 0);
    expect(denied.stderr).toContain('BT142:');
    const create = k(['apply', '--server-side', '-f', '-'], JSON.stringify(auth));
    expect({ status: create.status, stderr: create.stderr }).toEqual({ status: 0, stderr: '' });
    const change = k(['apply', '--server-side', '-f', '-'], authentication('https://oidc.example.com/clusters/prod-eu-2'));
    expect({ status: change.status, stderr: change.stderr }).toEqual({ status: 0, stderr: '' });
    // and the policy still checks the issuer: an http issuer is warned, an unparsable one refused
    const http = k(['apply', '--server-side', '-f', '-'], authentication('http://oidc.example.com'));
    expect(http.status).toBe(0);
    expect(http.stderr).toContain("ValidatingAdmissionPolicy 'bound-tokens-warnings'");
    expect(http.stderr).toContain('BT164:');
    const bad = k(['apply', '--server-side', '-f', '-'], authentication('https://a b:c'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("ValidatingAdmissionPolicy 'bound-tokens-errors' with binding 'bound-tokens-errors' denied request: BT16");
  });

  test('--error-action deny refuses, with the rule id', () => {
    const r = k(['apply', '-f', '-'], deployment('web2'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ValidatingAdmissionPolicy 'bound-tokens-errors' with binding 'bound-tokens-errors' denied request: BT142:");
  });

  test('--openshift leaves openshift-* out', () => {
    expect(k(['apply', '-f', '-'], policyYaml('--error-action', 'deny', '--openshift')).status).toBe(0);
    const r = retry(() => k(['apply', '--dry-run=server', '-f', '-'], deployment('escape2', 'openshift-x')), x => x.status === 0);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('one delete removes the policies, and nothing is checked afterwards', () => {
    const del = k(['delete', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-l', 'app.kubernetes.io/part-of=cdk8s-bound-tokens']);
    expect(del.status).toBe(0);
    expect(del.stdout).toContain('validatingadmissionpolicy.admissionregistration.k8s.io "bound-tokens-errors" deleted');
    expect(del.stdout).toContain('validatingadmissionpolicybinding.admissionregistration.k8s.io "bound-tokens-warnings" deleted');
    const r = retry(() => k(['apply', '--dry-run=server', '-f', '-'], deployment('web3')), x => x.status === 0 && x.stderr === '');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });
}, { EXTRA_APISERVER_ARGS: `--audit-policy-file=${path.join(AUDIT_DIR, 'policy.yaml')} --audit-log-path=${AUDIT_LOG}` });
