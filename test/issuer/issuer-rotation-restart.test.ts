import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Duration, ResolutionContext, Testing } from 'cdk8s';
import { ClusterIssuerConfig, IssuerRotationRestart, RestartMethod } from '../../src';
import {
  checkRestartImage, checkRestartInCluster, checkRestartNamespaces, checkRestartNamespacesExcluded, checkRestartTiming, checkRestartWave,
} from '../../src/rules';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, synth } from '../util';

const ISSUER = 'https://oidc.example.com/cluster-a';

function restartObjects(props: Partial<ConstructorParameters<typeof IssuerRotationRestart>[2]> = {}, c: Chart = chart()): any[] {
  new IssuerRotationRestart(c, 'Restart', { serviceAccountIssuer: ISSUER, ...props });
  return synth(c);
}
/** Creates the restart only (no synth): the errors about one prop are thrown here, and the chart gets nothing. */
function construct(props: Partial<ConstructorParameters<typeof IssuerRotationRestart>[2]>): void {
  const c = chart();
  try {
    new IssuerRotationRestart(c, 'Restart', { serviceAccountIssuer: ISSUER, ...props });
  } finally {
    expect(c.node.tryFindChild('Restart')).toBeUndefined();
  }
}
const jobNameOf = (props: Partial<ConstructorParameters<typeof IssuerRotationRestart>[2]> = {}): string =>
  new IssuerRotationRestart(chart(), 'Restart', { serviceAccountIssuer: ISSUER, ...props }).jobName;
const byKind = (objs: any[], kind: string) => objs.filter(o => o.kind === kind);
const job = (objs: any[]) => byKind(objs, 'Job')[0];
const env = (j: any): Record<string, string> =>
  Object.fromEntries(j.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));

describe('IssuerRotationRestart: the objects', () => {
  test('defaults: a Job with its ServiceAccount, namespace and least RBAC (snapshot)', () => {
    const objs = restartObjects();
    expect(objs.map(o => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/bound-tokens-issuer-rotation',
      'ConfigMap/issuer-restart-state',
      'ServiceAccount/issuer-restart',
      'Role/issuer-restart-token',
      'RoleBinding/issuer-restart-token',
      'ClusterRole/bound-tokens-issuer-restart-wait',
      'ClusterRoleBinding/bound-tokens-issuer-restart-wait',
      'ClusterRole/bound-tokens-issuer-restart-workloads',
      'ClusterRoleBinding/bound-tokens-issuer-restart-workloads',
      `Job/${jobNameOf()}`,
    ]);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('the RBAC grants only what the default (rollout) method uses', () => {
    const objs = restartObjects();
    const roles = Object.fromEntries(byKind(objs, 'ClusterRole').map(r => [r.metadata.name, r.rules]));
    expect(roles['bound-tokens-issuer-restart-wait']).toEqual([
      { apiGroups: ['config.openshift.io'], resources: ['clusteroperators'], resourceNames: ['kube-apiserver'], verbs: ['get'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
    ]);
    expect(roles['bound-tokens-issuer-restart-workloads']).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'list', 'patch'] },
    ]);
    const role = byKind(objs, 'Role')[0];
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['issuer-restart'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['issuer-restart-state'], verbs: ['get', 'patch'] },
    ]);
    // every object that grants something carries the label of the one removal command
    const grants = objs.filter(o => o.metadata.labels['bound-tokens.io/restart-grant'] === 'true').map(o => o.kind).sort();
    expect(grants).toEqual(['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const b of [...byKind(objs, 'ClusterRoleBinding'), ...byKind(objs, 'RoleBinding')]) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'issuer-restart', namespace: 'bound-tokens-issuer-rotation' }]);
    }
    // nothing grants a wildcard, secrets, or pods/exec
    const all = JSON.stringify([...byKind(objs, 'ClusterRole'), role]);
    expect(all).not.toMatch(/"\*"|secrets|exec/);
  });

  test('delete-pods mode: list and delete pods, nothing on apps', () => {
    const objs = restartObjects({ method: RestartMethod.DELETE_PODS });
    const workloads = byKind(objs, 'ClusterRole').find(r => r.metadata.name === 'bound-tokens-issuer-restart-workloads');
    expect(workloads.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] }]);
    expect(env(job(objs)).MODE).toBe('delete-pods');
  });

  test('named namespaces: RoleBindings in each (not excluded) one, no namespace list, no cluster-wide workload binding', () => {
    const objs = restartObjects({ namespaces: ['team-a', 'team-b'] });
    const wait = byKind(objs, 'ClusterRole').find(r => r.metadata.name === 'bound-tokens-issuer-restart-wait');
    expect(wait.rules).toHaveLength(1);
    expect(byKind(objs, 'ClusterRoleBinding').map(b => b.metadata.name)).toEqual(['bound-tokens-issuer-restart-wait']);
    const bindings = byKind(objs, 'RoleBinding').filter(b => b.roleRef.kind === 'ClusterRole');
    expect(bindings.map(b => [b.metadata.namespace, b.roleRef.name])).toEqual([
      ['team-a', 'bound-tokens-issuer-restart-workloads'],
      ['team-b', 'bound-tokens-issuer-restart-workloads'],
    ]);
    expect(env(job(objs)).NAMESPACES).toBe('team-a team-b');
    expectValidManifests(objs);
  });

  test('the Job name hashes its whole spec: any change of issuer, option or script is a new Job, never an update of an immutable one', () => {
    const j = job(restartObjects());
    expect(j.metadata.name).toBe(jobNameOf());
    expect(j.metadata.name).toMatch(/^issuer-restart-[0-9a-f]{10}$/);
    const names = new Set([
      jobNameOf(),
      jobNameOf({ serviceAccountIssuer: ISSUER + '/' }),
      jobNameOf({ confirmations: 6 }),
      jobNameOf({ image: 'quay.io/example/oc:4.16.3' }),
      jobNameOf({ method: RestartMethod.DELETE_PODS }),
      jobNameOf({ excludeNamespaces: ['kube-*'] }),
    ]);
    expect(names.size).toBe(6);
    // the same inputs give the same name (a re-sync changes nothing)
    expect(jobNameOf({ confirmations: 6 })).toBe(jobNameOf({ confirmations: 6 }));
  });

  test('the Job is not retried, goes a day after it ends (plain apply), and records nothing in its name but the hash', () => {
    const j = job(restartObjects());
    expect(j.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(job(restartObjects({ gitOps: { flux: true } })).spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(job(restartObjects({ gitOps: { argoCd: true } })).spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(j.spec.backoffLimit).toBe(0);
    expect(j.spec.template.spec.restartPolicy).toBe('Never');
    expect(j.metadata.annotations['bound-tokens.io/issuer']).toBe(ISSUER);
  });

  test('the pod is locked down: non-root, no privilege escalation, no capabilities, read-only root, RuntimeDefault seccomp', () => {
    const spec = job(restartObjects()).spec.template.spec;
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(spec.containers[0].image).toBe('registry.redhat.io/openshift4/ose-cli:v4.14');
    expect(spec.containers[0].command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    expect(spec.serviceAccountName).toBe('issuer-restart');
    expect(spec.automountServiceAccountToken).toBe(true);
  });

  test('options become the environment of the script', () => {
    const j = job(restartObjects({
      pauseBetweenNamespaces: Duration.seconds(30),
      pollInterval: Duration.seconds(5),
      waitTimeout: Duration.hours(1),
      confirmations: 8,
      excludeNamespaces: ['openshift-*', 'legacy'],
      image: 'quay.io/example/oc:4.16.3',
      namespace: 'ops',
      createNamespace: true,
    }));
    expect(env(j)).toEqual({
      NEW_ISSUER: ISSUER,
      SELF_NAMESPACE: 'ops',
      SELF_SERVICE_ACCOUNT: 'issuer-restart',
      STATE_CONFIGMAP: 'issuer-restart-state',
      MODE: 'rollout',
      NAMESPACES: '',
      EXCLUDE: 'openshift-* legacy',
      PAUSE_SECONDS: '30',
      POLL_SECONDS: '5',
      WAIT_TIMEOUT_SECONDS: '3600',
      CONFIRMATIONS: '8',
      HOME: '/tmp',
    });
    expect(j.metadata.namespace).toBe('ops');
    expect(j.spec.template.spec.containers[0].image).toBe('quay.io/example/oc:4.16.3');
  });

  test('a namespace you name is not created unless asked; cluster-scoped objects never get the chart namespace', () => {
    const objs = restartObjects({ namespace: 'ops' }, chart({ namespace: 'apps' }));
    expect(byKind(objs, 'Namespace')).toEqual([]);
    for (const o of [...byKind(objs, 'ClusterRole'), ...byKind(objs, 'ClusterRoleBinding')]) expect(o.metadata.namespace).toBeUndefined();
    for (const o of [byKind(objs, 'ServiceAccount')[0], job(objs)]) expect(o.metadata.namespace).toBe('ops');
  });

  test('GitOps: a late Argo CD wave on every object; Flux creates the Job once (ssa: IfNotPresent)', () => {
    const objs = restartObjects({ gitOps: { argoCd: true, flux: true } });
    for (const o of objs) expect(o.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('10');
    const hooks = objs.map(o => [o.kind, o.metadata.annotations['argocd.argoproj.io/hook'] ?? null, o.metadata.annotations['argocd.argoproj.io/hook-delete-policy'] ?? null]);
    const grant = ['PostSync', 'BeforeHookCreation,HookSucceeded,HookFailed'];
    expect(hooks).toEqual([
      // the namespace and the record outlive every sync
      ['Namespace', null, null],
      ['ConfigMap', null, null],
      // the account and every grant exist only while the sync runs
      ['ServiceAccount', ...grant],
      ['Role', ...grant],
      ['RoleBinding', ...grant],
      ['ClusterRole', ...grant],
      ['ClusterRoleBinding', ...grant],
      ['ClusterRole', ...grant],
      ['ClusterRoleBinding', ...grant],
      // the Job stays until the next sync replaces it, for its log
      ['Job', 'PostSync', 'BeforeHookCreation'],
    ]);
    // without Argo CD, no hook
    expect(restartObjects().some(o => o.metadata.annotations?.['argocd.argoproj.io/hook'])).toBe(false);
    expect(job(objs).metadata.annotations['kustomize.toolkit.fluxcd.io/ssa']).toBe('IfNotPresent');
    expect(byKind(objs, 'ServiceAccount')[0].metadata.annotations['kustomize.toolkit.fluxcd.io/ssa']).toBeUndefined();
    const waves = restartObjects({ gitOps: { argoCd: true, restartSyncWave: 5 } });
    expect(job(waves).metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('5');
  });

  test('cluster-scoped objects drop the chart namespace through their class, not a patched instance', () => {
    const c = chart({ namespace: 'apps' });
    const r = new IssuerRotationRestart(c, 'Restart', { serviceAccountIssuer: ISSUER });
    const objects = r.node.findAll().filter(ApiObject.isApiObject);
    expect(objects.filter(o => Object.prototype.hasOwnProperty.call(o, 'toJson'))).toEqual([]);
    const clusterScoped = objects.filter(o => o.toJson().metadata.namespace === undefined).map(o => o.kind).sort();
    expect(clusterScoped).toEqual(['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'Namespace']);
  });

  test('ApiObject.of finds the Job (id Resource)', () => {
    const c = chart();
    const r = new IssuerRotationRestart(c, 'Restart', { serviceAccountIssuer: ISSUER });
    expect(r.job.node.id).toBe('Resource');
    expect(r.jobName).toBe(r.job.name);
  });
});

describe('IssuerRotationRestart: rules', () => {
  test('the rules are pure functions of the values (src/rules/issuer-rotation.ts), the same the construct calls', () => {
    const ids = (f: Array<{ ruleId: string }>) => f.map(x => x.ruleId);
    expect(ids(checkRestartNamespaces({ namespace: 'ops', namespaces: ['team_a'], excludeNamespaces: ['*'] }))).toEqual(['BT180', 'BT186']);
    expect(ids(checkRestartNamespacesExcluded({ namespace: 'ops', namespaces: ['ops', 'kube-x', 'team-a'], excludeNamespaces: ['kube-*'] }))).toEqual(['BT185', 'BT185']);
    expect(checkRestartTiming({ pauseBetweenNamespacesMs: 1500, confirmations: 101 }).map(f => f.message.split(',')[0])).toEqual([
      "BT181: 'pauseBetweenNamespaces' must be between 0 and 1 hour in whole seconds",
      "BT181: 'confirmations' must be a whole number between 1 and 100",
    ]);
    expect(checkRestartTiming({ pauseBetweenNamespacesMs: 0, pollIntervalMs: 1000, waitTimeoutMs: 86399000, confirmations: 100 })).toEqual([]);
    // an exclusion pattern is a DNS-1123 label in which '*' counts as a letter
    const patternIds = (p: string) => ids(checkRestartNamespaces({ namespace: 'ops', excludeNamespaces: [p] }));
    for (const ok of ['openshift-*', '*-system', 'a*b', 'kube-system']) expect(patternIds(ok)).toEqual([]);
    for (const bad of ['-a*', 'a*-', 'Kube-*', 'a.b*', 'x'.repeat(64)]) expect(patternIds(bad)).toEqual(['BT180']);
    expect(ids(checkRestartImage('quay.io/x/oc:latest'))).toEqual(['BT184']);
    expect(ids(checkRestartWave(10, 10))).toEqual(['BT183']);
    expect(checkRestartWave(11, 10)).toEqual([]);
    expect(ids(checkRestartInCluster('https://a.example.com', 'the whole app', [], ['https://b.example.com']))).toEqual(['BT182']);
    expect(checkRestartInCluster('', 'the whole app', [], ['https://kubernetes.default.svc'])).toEqual([]);
  });

  test('compliant options produce no finding', () => {
    const w = captureWarnings(() => restartObjects({
      namespaces: ['team-a'],
      excludeNamespaces: ['openshift-*'],
      pauseBetweenNamespaces: Duration.seconds(0),
      pollInterval: Duration.seconds(1),
      waitTimeout: Duration.minutes(1),
      confirmations: 1,
      image: 'example/oc@sha256:' + 'a'.repeat(64),
    }));
    expect(w).toEqual([]);
  });

  test.each([
    [{ namespace: 'Ops' }, "'namespace' must be a DNS-1123 label"],
    [{ namespaces: ['team_a'] }, "'namespaces[0]' must be a DNS-1123 label"],
    [{ namespaces: [] }, "'namespaces' must name at least one namespace"],
    [{ excludeNamespaces: ['openshift-?'] }, "'excludeNamespaces[0]' must be a namespace name, or a pattern"],
  ])('fails where it is given when a namespace or pattern is invalid (BT180): %j', (props, phrase) => {
    const msg = errorOf(() => construct(props as any));
    expect(msg).toContain('BT180');
    expect(msg).toContain(phrase);
  });

  test.each([
    [{ pauseBetweenNamespaces: Duration.millis(1500) }, "'pauseBetweenNamespaces' must be between 0 and 1 hour in whole seconds, got 1.5 seconds"],
    [{ pollInterval: Duration.seconds(0) }, "'pollInterval' must be between 1 second and 1 hour"],
    [{ waitTimeout: Duration.seconds(30) }, "'waitTimeout' must be at least 1 minute and less than 24 hours"],
    [{ waitTimeout: Duration.hours(24) }, "'waitTimeout' must be at least 1 minute and less than 24 hours"],
    [{ confirmations: 0 }, "'confirmations' must be a whole number between 1 and 100, got 0"],
    [{ confirmations: 2.5 }, "'confirmations' must be a whole number between 1 and 100, got 2.5"],
  ])('fails where it is given when a duration or count is out of range (BT181): %j', (props, phrase) => {
    const msg = errorOf(() => construct(props as any));
    expect(msg).toContain('BT181');
    expect(msg).toContain(phrase);
  });

  test('fails when the app has two restarts (BT182)', () => {
    const c = chart();
    new IssuerRotationRestart(c, 'A', { serviceAccountIssuer: ISSUER });
    const msg = errorOf(() => restartObjects({}, c));
    expect(msg).toContain('BT182');
    expect(msg).toContain('must appear once per cluster, but 2 apply to the same objects (this one to the whole app)');
  });

  test('fails when the restart waits for an issuer that the app\'s ClusterIssuerConfig does not set (BT182)', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://other.example.com' });
    let msg = '';
    captureWarnings(() => { msg = errorOf(() => restartObjects({}, c)); });
    expect(msg).toContain('BT182');
    expect(msg).toContain("waits for an issuer that no ClusterIssuerConfig of its cluster (the whole app) sets ('https://other.example.com')");
  });

  test('a standalone restart for the issuer the app sets is fine, and plans the change (no BT165)', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: ISSUER });
    const w = captureWarnings(() => restartObjects({}, c));
    expect(w).toEqual([]);
  });

  test('fails when the restart wave is not after the issuer wave (BT183)', () => {
    const msg = errorOf(() => restartObjects({ gitOps: { argoCd: true, syncWave: 3, restartSyncWave: 3 } }));
    expect(msg).toContain('BT183');
    expect(msg).toContain("'gitOps.restartSyncWave' must be greater than the sync wave of the Authentication change (3), got 3");
    // an integer is a fact of the one prop: where it is given
    const frac = errorOf(() => construct({ gitOps: { argoCd: true, restartSyncWave: 1.5 } }));
    expect(frac).toContain('BT183');
    expect(frac).toContain("'gitOps.restartSyncWave' must be an integer, got 1.5");
  });

  test('waves are compared with the wave of the ClusterIssuerConfig in the app', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: ISSUER, gitOps: { argoCd: true, syncWave: 20 } });
    const msg = errorOf(() => restartObjects({ gitOps: { argoCd: true } }, c));
    expect(msg).toContain('BT183');
    expect(msg).toContain('(20), got 10');
  });

  test.each(['quay.io/example/oc', 'quay.io/example/oc:latest', 'localhost:5000/oc'])('fails when the image is not pinned (BT184, a warning): %s', image => {
    const w = captureWarnings(() => restartObjects({ image }));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('BT184');
    expect(w[0]).toContain("'image' is not pinned to a version tag or digest");
  });

  test('an image that cdk8s resolves later (an App resolver\'s token) is accepted where it is given and checked resolved (BT184)', () => {
    const imageOf = (resolved: string) => {
      const app = new App({ resolvers: [{ resolve: (ctx: ResolutionContext) => { if (ctx.value === '${Token[Image.1]}') ctx.replaceValue(resolved); } }] });
      const c = new Chart(app, 'c');
      new IssuerRotationRestart(c, 'Restart', { serviceAccountIssuer: ISSUER, image: '${Token[Image.1]}' });
      let objs: any[] = [];
      const warnings = captureWarnings(() => { objs = Testing.synth(c); });
      return { image: job(objs).spec.template.spec.containers[0].image, warnings };
    };
    expect(imageOf('quay.io/example/oc:4.16.3')).toEqual({ image: 'quay.io/example/oc:4.16.3', warnings: [] });
    const unpinned = imageOf('quay.io/example/oc');
    expect(unpinned.warnings).toHaveLength(1);
    expect(unpinned.warnings[0]).toContain("BT184: 'image' is not pinned to a version tag or digest, got 'quay.io/example/oc'");
  });

  test.each([['*'], ['**'], ['team-a', '*']])('refuses where it is given an exclusion that excludes every namespace (BT186): %j', (...patterns) => {
    const msg = errorOf(() => construct({ excludeNamespaces: patterns }));
    expect(msg).toContain('BT186');
    expect(msg).toContain(`'excludeNamespaces[${patterns.length - 1}]' excludes every namespace, so the Job would restart nothing, got '${patterns[patterns.length - 1]}'`);
  });

  test('fails when a named namespace is excluded (BT185, a warning), and gets no RoleBinding there', () => {
    let objs: any[] = [];
    const w = captureWarnings(() => {
      objs = restartObjects({ namespaces: ['team-a', 'openshift-logging', 'bound-tokens-issuer-rotation'] });
    });
    expect(w.join('\n')).toContain("BT185: 'namespaces' names 'openshift-logging', which excludeNamespaces excludes ('openshift-*')");
    expect(w.join('\n')).toContain("BT185: 'namespaces' names 'bound-tokens-issuer-rotation', the namespace the Job runs in");
    expect(byKind(objs, 'RoleBinding').filter(b => b.roleRef.kind === 'ClusterRole').map(b => b.metadata.namespace)).toEqual(['team-a']);
  });
});

// ---------------------------------------------------------------------------
// The script, run by bash with a fake `oc` and `sleep` on PATH that record
// every call. The script and its environment come from the synthesized Job.

const OLD = 'https://kubernetes.default.svc';

/** A JWT-shaped token whose payload carries `iss` (base64url without padding, as the API server writes it). */
function token(iss: string): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ aud: ['https://kubernetes.default.svc'], exp: 1, iat: 0, iss, sub: 'system:serviceaccount:x:y' })}.c2ln`;
}

const FAKE_OC = `#!/bin/bash
echo "oc $*" >> "$FAKE_LOG"
ns=""
prev=""
for a in "$@"; do
  if [[ "$prev" == "-n" ]]; then ns=$a; fi
  prev=$a
done
count() { local f="$FAKE_DIR/$1"; local n=$(( $(cat "$f" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$f"; echo "$n"; }
case "$1 $2" in
  "create token")
    n=$(count tokens)
    if [[ -n "$FAKE_TOKEN_ERROR" ]]; then echo "$FAKE_TOKEN_ERROR" >&2; exit 1; fi
    if (( n <= FAKE_OLD_TOKENS )); then echo "$FAKE_OLD_TOKEN"; else echo "$FAKE_NEW_TOKEN"; fi ;;
  "get clusteroperator")
    n=$(count progressing)
    if (( n <= FAKE_PROGRESSING_POLLS )); then printf True; else printf False; fi ;;
  "get namespaces") printf '%s' "$FAKE_NAMESPACES" ;;
  "get deployments,statefulsets,daemonsets") cat "$FAKE_DIR/workloads-$ns" 2>/dev/null || true ;;
  "get pods") cat "$FAKE_DIR/pods-$ns" 2>/dev/null || true ;;
  "rollout restart")
    for f in $FAKE_FAIL; do if [[ "$3" == "$f" ]]; then echo "error: cannot restart $3" >&2; exit 1; fi; done ;;
  "delete pod") ;;
  "get configmap")
    if [[ -n "$FAKE_STATE_ERROR" ]]; then echo "$FAKE_STATE_ERROR" >&2; exit 1; fi
    cat "$FAKE_DIR/recorded" 2>/dev/null || printf '%s' "$FAKE_RECORDED" ;;
  "annotate configmap")
    for a in "$@"; do case "$a" in bound-tokens.io/restarted-issuer=*) printf '%s' "\${a#*=}" > "$FAKE_DIR/recorded" ;; esac; done ;;
  *) echo "fake oc: unexpected call: $*" >&2; exit 2 ;;
esac
`;

interface Run { status: number | null; stdout: string; calls: string[]; recorded?: string }

function runScript(objs: any[], fake: Record<string, string>, files: Record<string, string> = {}, overrides: Record<string, string> = {}): Run {
  const j = job(objs);
  const container = j.spec.template.spec.containers[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'issuer-restart-'));
  try {
    fs.writeFileSync(path.join(dir, 'oc'), FAKE_OC, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'sleep'), '#!/bin/bash\necho "sleep $*" >> "$FAKE_LOG"\n', { mode: 0o755 });
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    const log = path.join(dir, 'calls.log');
    fs.writeFileSync(log, '');
    const r = spawnSync('/bin/bash', ['-c', container.command[2]], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        ...env(j),
        // a guard: with the fake sleep, a wait that never ends would spin for the Job's 2 hours
        WAIT_TIMEOUT_SECONDS: '60',
        ...overrides,
        FAKE_LOG: log,
        FAKE_DIR: dir,
        FAKE_OLD_TOKEN: token(OLD),
        FAKE_NEW_TOKEN: token(env(j).NEW_ISSUER),
        FAKE_OLD_TOKENS: '0',
        FAKE_PROGRESSING_POLLS: '0',
        FAKE_NAMESPACES: '',
        FAKE_FAIL: '',
        FAKE_RECORDED: '',
        FAKE_STATE_ERROR: '',
        FAKE_TOKEN_ERROR: '',
        ...fake,
      },
    });
    const calls = fs.readFileSync(log, 'utf8').split('\n').filter(l => l !== '');
    const recordFile = path.join(dir, 'recorded');
    const recorded = fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8') : undefined;
    return { status: r.status, stdout: r.stdout + r.stderr, calls, recorded };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const TOKEN_CALL = 'oc create token issuer-restart -n bound-tokens-issuer-rotation --duration=10m';
const CO_CALL = 'oc get clusteroperator kube-apiserver -o jsonpath={.status.conditions[?(@.type=="Progressing")].status}';
const STATE_CALL = 'oc get configmap issuer-restart-state -n bound-tokens-issuer-rotation -o jsonpath={.metadata.annotations.bound-tokens\\.io/restarted-issuer}';
const RECORD_CALL = (issuer: string) => `oc annotate configmap issuer-restart-state -n bound-tokens-issuer-rotation --overwrite bound-tokens.io/restarted-issuer=${issuer}`;
const WL = (ns: string) => `oc get deployments,statefulsets,daemonsets -n ${ns} -o jsonpath={range .items[*]}{.kind}{" "}{.metadata.name}{" "}{.spec.updateStrategy.type}{"\\n"}{end}`;

describe('the restart script (bash, fake oc)', () => {
  test('waits for the new issuer, then the rollout, then confirms, before touching any namespace; one namespace at a time with a pause; exclusions honoured', () => {
    const objs = restartObjects({ pauseBetweenNamespaces: Duration.seconds(7), pollInterval: Duration.seconds(3), confirmations: 2 });
    const r = runScript(objs, {
      FAKE_OLD_TOKENS: '2',
      FAKE_PROGRESSING_POLLS: '2',
      FAKE_NAMESPACES: 'bound-tokens-issuer-rotation default kube-system openshift-apiserver openshift team-a team-b',
    }, {
      'workloads-team-a': 'Deployment web \nStatefulSet db OnDelete\n',
      'workloads-team-b': 'DaemonSet agent RollingUpdate\n',
    });
    expect(r.stdout).toContain('done: restarted 3 namespace(s)');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      // no restart recorded for this issuer yet
      STATE_CALL,
      // tokens of the old issuer: wait
      TOKEN_CALL, 'sleep 3', TOKEN_CALL, 'sleep 3',
      // two in a row with the new one
      TOKEN_CALL, TOKEN_CALL,
      // the kube-apiserver operator finishes its rollout
      CO_CALL, 'sleep 3', CO_CALL, 'sleep 3', CO_CALL,
      // confirmed again after the rollout
      TOKEN_CALL, TOKEN_CALL,
      // then, and only then, the namespaces, one at a time
      'oc get namespaces -o jsonpath={.items[*].metadata.name}',
      WL('default'),
      'sleep 7',
      WL('team-a'),
      'oc rollout restart deployment/web -n team-a',
      'oc rollout restart statefulset/db -n team-a',
      'sleep 7',
      WL('team-b'),
      'oc rollout restart daemonset/agent -n team-b',
      // recorded once everything succeeded
      RECORD_CALL(ISSUER),
    ]);
    expect(r.recorded).toBe(ISSUER);
    expect(r.stdout).toContain('statefulset/db uses updateStrategy OnDelete');
    for (const skipped of ['bound-tokens-issuer-rotation', 'kube-system', 'openshift-apiserver', 'openshift']) {
      expect(r.stdout).toContain(`${skipped}: skipped (excluded)`);
    }
    // the token is never printed
    expect(r.stdout).not.toContain(token(ISSUER));
  });

  test('delete-pods mode: only running pods that a controller recreates, named namespaces in order, exclusions still honoured', () => {
    let objs: any[] = [];
    captureWarnings(() => {
      objs = restartObjects({ method: RestartMethod.DELETE_PODS, namespaces: ['team-b', 'openshift-logging', 'team-a'], pauseBetweenNamespaces: Duration.seconds(0) });
    });
    const r = runScript(objs, {}, {
      'pods-team-a': 'web-1 Running ReplicaSet\nweb-2 Pending ReplicaSet\nbare Running \nbatch-x Succeeded Job\nold Failed ReplicaSet\n',
      'pods-team-b': '',
    });
    expect(r.status).toBe(0);
    const work = r.calls.filter(c => !c.startsWith('oc create token') && !c.startsWith('oc get clusteroperator') && !c.includes('configmap'));
    const pods = (ns: string) => `oc get pods -n ${ns} -o jsonpath={range .items[*]}{.metadata.name}{" "}{.status.phase}{" "}{.metadata.ownerReferences[0].kind}{"\\n"}{end}`;
    expect(work).toEqual([
      pods('team-b'),
      'sleep 0',
      pods('team-a'),
      'oc delete pod web-1 web-2 -n team-a --wait=false',
    ]);
    expect(r.stdout).toContain('team-a: not deleting pods that no controller recreates: bare');
    expect(r.stdout).toContain('openshift-logging: skipped (excluded)');
  });

  test('gives up without restarting anything when the new issuer never signs', () => {
    const r = runScript(restartObjects({ pollInterval: Duration.seconds(1) }), { FAKE_OLD_TOKENS: '1000', FAKE_NAMESPACES: 'team-a' }, {}, { WAIT_TIMEOUT_SECONDS: '0' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`still signs tokens with '${OLD}', not '${ISSUER}'`);
    expect(r.stdout).toContain('nothing was restarted');
    expect(r.calls.slice(1).every(c => c.startsWith('oc create token'))).toBe(true);
    expect(r.recorded).toBeUndefined();
  });

  test('gives up without restarting anything when the kube-apiserver keeps progressing', () => {
    const r = runScript(restartObjects(), { FAKE_PROGRESSING_POLLS: '1000', FAKE_NAMESPACES: 'team-a' }, {}, { WAIT_TIMEOUT_SECONDS: '0' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('the kube-apiserver cluster operator is still Progressing=True; nothing was restarted');
    expect(r.calls.some(c => c.includes('namespaces') || c.includes('rollout'))).toBe(false);
  });

  test('a workload that cannot be restarted does not stop the others, and fails the Job at the end', () => {
    const r = runScript(restartObjects({ pauseBetweenNamespaces: Duration.seconds(0) }), { FAKE_NAMESPACES: 'team-a team-b', FAKE_FAIL: 'deployment/paused' }, {
      'workloads-team-a': 'Deployment paused \nDeployment web \n',
      'workloads-team-b': 'Deployment api \n',
    });
    expect(r.status).toBe(1);
    expect(r.calls.filter(c => c.startsWith('oc rollout'))).toEqual([
      'oc rollout restart deployment/paused -n team-a',
      'oc rollout restart deployment/web -n team-a',
      'oc rollout restart deployment/api -n team-b',
    ]);
    expect(r.stdout).toContain('could not restart deployment/paused');
    expect(r.stdout).toContain('restarted 2 namespace(s) with 1 failure(s)');
    // a restart with failures is not recorded: the next Job for this issuer runs it again
    expect(r.recorded).toBeUndefined();
  });

  test('reads the issuer from tokens of any length (base64url padding of 0, 2 and 3 characters)', () => {
    const lengths = new Set<number>();
    for (const issuer of ['https://a.example', 'https://ab.example', 'https://abc.example', 'https://abcd.example/x']) {
      lengths.add(token(issuer).split('.')[1].length % 4);
      const objs = restartObjects({ confirmations: 1 }, chart());
      const ok = runScript(objs, { FAKE_NEW_TOKEN: token(issuer) }, {}, { NEW_ISSUER: issuer });
      expect(ok.stdout).toContain('the new issuer is in effect');
      expect(ok.status).toBe(0);
      // a token of another issuer never passes for it
      const other = runScript(objs, { FAKE_NEW_TOKEN: token(issuer + 'x') }, {}, { NEW_ISSUER: issuer, WAIT_TIMEOUT_SECONDS: '0' });
      expect(other.status).toBe(1);
      expect(other.stdout).toContain(`still signs tokens with '${issuer}x'`);
    }
    expect([...lengths].sort()).toEqual([0, 2, 3]);
  });

  test('a Job for an issuer already restarted for (an upgrade, an option change, a re-created Job) restarts nothing', () => {
    const r = runScript(restartObjects({ confirmations: 1 }), { FAKE_RECORDED: ISSUER, FAKE_NAMESPACES: 'team-a' }, { 'workloads-team-a': 'Deployment web \n' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([STATE_CALL]);
    expect(r.stdout).toContain(`the pods were already restarted for '${ISSUER}'`);
    expect(r.stdout).toContain('nothing to do');
  });

  test('A, B, A: the record says B, so the change back to A restarts, and is recorded', () => {
    const r = runScript(restartObjects({ confirmations: 1 }), { FAKE_RECORDED: 'https://oidc.example.com/b', FAKE_NAMESPACES: 'team-a' }, { 'workloads-team-a': 'Deployment web \n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("last restart recorded for 'https://oidc.example.com/b'");
    expect(r.calls).toContain('oc rollout restart deployment/web -n team-a');
    expect(r.recorded).toBe(ISSUER);
    // and a second run for A finds it done
    const again = runScript(restartObjects({ confirmations: 1 }), { FAKE_RECORDED: r.recorded!, FAKE_NAMESPACES: 'team-a' }, { 'workloads-team-a': 'Deployment web \n' });
    expect(again.calls).toEqual([STATE_CALL]);
  });

  test('a record it cannot read stops the Job before anything is restarted, and says why', () => {
    const r = runScript(restartObjects(), { FAKE_STATE_ERROR: 'Error from server (Forbidden): configmaps "issuer-restart-state" is forbidden' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('cannot read the record of the last restart');
    expect(r.stdout).toContain('(Forbidden)');
    expect(r.stdout).toContain('nothing was restarted');
    expect(r.calls.some(c => c.includes('create token'))).toBe(false);
  });

  test('a failing token request ends the Job with the error of oc create token, not a timeout blaming the kube-apiserver', () => {
    const r = runScript(restartObjects({ pollInterval: Duration.seconds(2) }), {
      FAKE_TOKEN_ERROR: 'error: failed to create token: serviceaccounts "issuer-restart" is forbidden: User cannot create resource "serviceaccounts/token"',
      FAKE_NAMESPACES: 'team-a',
    }, {}, { WAIT_TIMEOUT_SECONDS: '7200' });
    expect(r.status).toBe(1);
    expect(r.calls.filter(c => c === TOKEN_CALL)).toHaveLength(5);
    expect(r.calls.filter(c => c === 'sleep 2')).toHaveLength(4);
    expect(r.stdout).toContain("cannot request a token for the Job's own service account (bound-tokens-issuer-rotation/issuer-restart), 5 time(s) in a row");
    expect(r.stdout).toContain('oc create token: error: failed to create token: serviceaccounts "issuer-restart" is forbidden');
    expect(r.stdout).toContain('nothing was restarted');
    expect(r.stdout).not.toContain('still signs tokens with');
    expect(r.calls.some(c => c.includes('namespaces') || c.includes('rollout'))).toBe(false);
  });

  test('refuses an unknown mode before doing anything', () => {
    const r = runScript(restartObjects(), {}, {}, { MODE: 'reboot' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("MODE must be rollout or delete-pods, got 'reboot'");
    expect(r.calls).toEqual([]);
  });

  test('the script is valid bash (bash -n)', () => {
    const script = job(restartObjects()).spec.template.spec.containers[0].command[2];
    const r = spawnSync('/bin/bash', ['-n', '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('IssuerRotationRestart in a Testing app', () => {
  test('synthesizes on its own (no ClusterIssuerConfig in the app)', () => {
    const app = Testing.app();
    const c = new Chart(app, 'c');
    new IssuerRotationRestart(c, 'R', { serviceAccountIssuer: ISSUER });
    const kinds = Testing.synth(c).map(o => o.kind);
    expect(kinds).toContain('Job');
    expect(kinds).toContain('ServiceAccount');
  });
});
