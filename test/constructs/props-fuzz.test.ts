// Issue 17, part 4: arbitrary JSON values (what plain JavaScript, `any` or a
// JSON configuration can pass) in every prop of every public construct and
// preset. Each run ends in one of two ways: an error with a rule id (BTnnn),
// or a synth whose output the lint passes (no error). A failed synth never
// leaves a file behind.
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  AwsEksPodIdentity, AwsIamRole, AzureWorkloadIdentity, BoundTokenPod, ClusterIssuerConfig, GcpWorkloadIdentityFederation,
  IssuerRotationRestart, IstioToken, OpenShiftShortTermCredentials, ProjectedTokenVolume, SpireAgentToken, TokenAdmissionPolicy, VaultToken,
} from '../../src';
import { Linter } from '../../src/lint/lint';
import { tmpdir } from '../util';

const GUID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PROVIDER = { projectNumber: '123456789012', poolId: 'my-pool', providerId: 'my-provider' };

function deployment(c: Chart): kplus.Deployment {
  const sa = new kplus.ServiceAccount(c, 'Sa');
  return new kplus.Deployment(c, 'Dep', { serviceAccount: sa, containers: [{ name: 'app', image: 'busybox:1.36' }] });
}

/** Each public entry point: valid props, and how to build it in a chart with given props. */
interface Target {
  readonly name: string;
  readonly valid: Record<string, unknown>;
  /** Props the fuzz may add that the valid props leave out. */
  readonly optional: readonly string[];
  build(c: Chart, props: any): void;
}

const preset = (make: (props: any) => { bind(w: any, o?: any): void }) => (c: Chart, props: any) => make(props).bind(deployment(c));

const TARGETS: Target[] = [
  {
    name: 'ProjectedTokenVolume',
    valid: { name: 'tokens', tokens: [{ path: 'token', audience: 'vault', expiration: Duration.hours(1) }] },
    optional: ['defaultMode'],
    build: (c, props) => new ProjectedTokenVolume(c, 'V', props).mountInto(deployment(c)),
  },
  {
    name: 'ProjectedTokenVolume token',
    valid: { path: 'token', audience: 'vault', expiration: Duration.hours(1) },
    optional: [],
    build: (c, props) => new ProjectedTokenVolume(c, 'V', { tokens: [props] }).mountInto(deployment(c)),
  },
  {
    name: 'mountInto options',
    valid: { mountPath: '/var/run/secrets/tokens', containers: ['app'], envVars: [{ name: 'TOKEN_FILE', tokenPath: 'token' }] },
    optional: ['rotationAnnotations'],
    build: (c, props) => new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 'token', audience: 'vault' }] }).mountInto(deployment(c), props),
  },
  {
    name: 'BoundTokenPod',
    valid: { tokens: [{ path: 'token', audience: 'vault' }], tokenVolumeName: 'tokens', tokenMountPath: '/var/run/secrets/tokens' },
    optional: [],
    build: (c, props) => {
      const pod = new BoundTokenPod(c, 'P', { ...props, serviceAccount: kplus.ServiceAccount.fromServiceAccountName(c, 'Sa', 'app') });
      pod.addContainer({ name: 'app', image: 'busybox:1.36' });
    },
  },
  {
    name: 'IssuerRotationRestart',
    valid: { serviceAccountIssuer: 'https://oidc.example.com', namespaces: ['team-a'], confirmations: 2, waitTimeout: Duration.hours(1) },
    optional: ['method', 'excludeNamespaces', 'pauseBetweenNamespaces', 'pollInterval', 'image', 'namespace', 'createNamespace', 'gitOps'],
    build: (c, props) => new IssuerRotationRestart(c, 'R', props),
  },
  {
    name: 'ClusterIssuerConfig',
    valid: { serviceAccountIssuer: 'https://oidc.example.com', restart: { namespaces: ['team-a'] } },
    optional: ['gitOps'],
    build: (c, props) => new ClusterIssuerConfig(c, 'I', props),
  },
  {
    name: 'TokenAdmissionPolicy',
    valid: { policyNamePrefix: 'tokens', excludeNamespaces: ['legacy'] },
    optional: ['errorAction', 'warningAction', 'excludeSystemNamespaces', 'excludeNamespacePrefixes', 'excludeNamespaceLabels', 'disabledRules'],
    build: (c, props) => new TokenAdmissionPolicy(c, 'Policy', props),
  },
  {
    name: 'AwsIamRole',
    valid: { roleArn: 'arn:aws:iam::111122223333:role/app', region: 'eu-west-1' },
    optional: ['stsRegionalEndpoints', 'expiration'],
    build: preset(p => new AwsIamRole(p)),
  },
  { name: 'AwsEksPodIdentity', valid: { expiration: Duration.hours(24) }, optional: [], build: preset(p => new AwsEksPodIdentity(p)) },
  {
    name: 'AzureWorkloadIdentity',
    valid: { clientId: GUID, tenantId: GUID },
    optional: ['cloud', 'authorityHost', 'expiration', 'layout'],
    build: preset(p => new AzureWorkloadIdentity(p)),
  },
  {
    name: 'GcpWorkloadIdentityFederation',
    valid: { ...PROVIDER, serviceAccountEmail: 'app@proj.iam.gserviceaccount.com' },
    optional: ['expiration'],
    build: preset(p => new GcpWorkloadIdentityFederation(p)),
  },
  { name: 'VaultToken', valid: { audience: 'vault' }, optional: ['authMethod', 'expiration', 'agentInjector'], build: preset(p => new VaultToken(p)) },
  { name: 'IstioToken', valid: {}, optional: ['expiration'], build: preset(p => new IstioToken(p)) },
  { name: 'SpireAgentToken', valid: { audience: 'spire-server' }, optional: ['expiration'], build: preset(p => new SpireAgentToken(p)) },
  { name: 'OpenShiftShortTermCredentials.aws', valid: { roleArn: 'arn:aws:iam::111122223333:role/app' }, optional: [], build: preset(p => OpenShiftShortTermCredentials.aws(p)) },
  {
    name: 'OpenShiftShortTermCredentials.azure',
    valid: { clientId: GUID, tenantId: GUID, region: 'eastus', subscriptionId: GUID },
    optional: [],
    build: preset(p => OpenShiftShortTermCredentials.azure(p)),
  },
  {
    name: 'OpenShiftShortTermCredentials.gcp',
    valid: { ...PROVIDER, serviceAccountEmail: 'app@proj.iam.gserviceaccount.com' },
    optional: [],
    build: preset(p => OpenShiftShortTermCredentials.gcp(p)),
  },
  {
    name: 'preset bind options',
    valid: { containers: ['app'], mountPath: '/var/run/secrets/vault' },
    optional: [],
    build: (c, props) => new VaultToken().bind(deployment(c), props),
  },
];

type Outcome = { kind: 'refused'; message: string } | { kind: 'written'; files: string[] };

/** Builds and synthesizes; a failure leaves the output folder as it was (checked by the caller). */
function attempt(target: Target, props: unknown, outdir: string): Outcome {
  const app = new App({ outdir });
  const c = new Chart(app, 'c');
  const first = new Chart(app, 'a-first');
  new kplus.ConfigMap(first, 'Cm', { data: { a: 'b' } });
  try {
    target.build(c, props);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      app.synth();
    } finally {
      warn.mockRestore();
    }
  } catch (e) {
    return { kind: 'refused', message: (e as Error).message };
  }
  return { kind: 'written', files: fs.readdirSync(outdir) };
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** The valid props with one prop (existing or optional) replaced by an arbitrary JSON value, or the whole props replaced. */
function propsArb(target: Target): fc.Arbitrary<unknown> {
  const names = [...Object.keys(target.valid), ...target.optional];
  const one = names.length === 0 ? jsonValue : fc.tuple(fc.constantFrom(...names), jsonValue).map(([k, v]) => ({ ...target.valid, [k]: v }));
  return fc.oneof({ arbitrary: one, weight: 4 }, { arbitrary: jsonValue, weight: 1 });
}

describe('arbitrary JSON values in every prop of every public construct and preset (fast-check)', () => {
  test('the valid props of each target synthesize and lint clean (the control)', () => {
    for (const t of TARGETS) {
      const outdir = tmpdir('bt-fuzz-');
      const r = attempt(t, t.valid, outdir);
      expect([t.name, r.kind, r.kind === 'refused' ? r.message : '']).toEqual([t.name, 'written', '']);
    }
  });

  test.each(TARGETS.map(t => [t.name, t] as const))('%s: a rule-id error, or a synth the lint passes; never a partial file', (_name, target) => {
    fc.assert(fc.property(propsArb(target), props => {
      const outdir = tmpdir('bt-fuzz-');
      const r = attempt(target, props, outdir);
      if (r.kind === 'refused') {
        // a clear error with a rule id, never a TypeError from inside
        expect(r.message).toMatch(/\bBT\d{3}\b/);
        expect(r.message).not.toMatch(/is not a function|Cannot read propert|undefined \(reading/);
        // and nothing written, not even the first chart's file
        expect(fs.readdirSync(outdir)).toEqual([]);
        return;
      }
      const linter = new Linter();
      for (const f of r.files) linter.addSource(f, fs.readFileSync(path.join(outdir, f), 'utf8'));
      const errors = linter.report().findings.filter(f => f.level === 'error');
      expect(errors.map(f => f.message)).toEqual([]);
    }), { numRuns: Number(process.env.BT_FUZZ_RUNS ?? 60) });
  });
});

describe('the explicit cases of issue 17', () => {
  const c = () => new Chart(new App({ outdir: tmpdir('bt-props-') }), 'c');
  const msgOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  test.each([
    ['expiration: 3600', () => new ProjectedTokenVolume(c(), 'V', { tokens: [{ path: 't', expiration: 3600 as any }] }), "[c/V] BT230: 'tokens[0].expiration' must be a Duration (e.g. Duration.hours(1)), got 3600"],
    ["tokens: 't'", () => new ProjectedTokenVolume(c(), 'V', { tokens: 't' as any }), "[c/V] BT230: 'tokens' must be a list of tokens ({ path, audience?, expiration? }), got 't'"],
    ['BoundTokenPod without props', () => new (BoundTokenPod as any)(c(), 'P'), "[c/P] BT230: 'props' must be an object (BoundTokenPodProps) (it is required), got nothing"],
    ['audience: 123', () => new ProjectedTokenVolume(c(), 'V', { tokens: [{ path: 't', audience: 123 as any }] }), "BT230: 'tokens[0].audience' must be a string, got 123"],
    ['audience: an object', () => new ProjectedTokenVolume(c(), 'V', { tokens: [{ path: 't', audience: { a: 1 } as any }] }), 'BT230: \'tokens[0].audience\' must be a string, got {"a":1}'],
    ['audience: an array', () => new ProjectedTokenVolume(c(), 'V', { tokens: [{ path: 't', audience: ['a'] as any }] }), 'BT230: \'tokens[0].audience\' must be a string, got ["a"]'],
    ['audience: a function', () => new ProjectedTokenVolume(c(), 'V', { tokens: [{ path: 't', audience: (() => 'x') as any }] }), "BT230: 'tokens[0].audience' must be a string, got a function"],
    ['addToken(3)', () => new ProjectedTokenVolume(c(), 'V').addToken(3 as any), "[c/V] addToken(): BT230: 'token' must be a token ({ path, audience?, expiration? }), got 3"],
    ['a preset without props', () => new (AwsIamRole as any)(), "AwsIamRole: BT230: 'props' must be an object with at least 'roleArn', got nothing"],
    ['a restart method that does not exist', () => new IssuerRotationRestart(c(), 'R', { serviceAccountIssuer: 'https://x', method: 'reboot' as any }), "[c/R] BT230: 'method' must be one of RestartMethod ('rollout', 'delete-pods'), got 'reboot'"],
    ['an env var without a name (BT233)', () => { const ch = c(); new ProjectedTokenVolume(ch, 'V', { tokens: [{ path: 't', audience: 'a' }] }).mountInto(deployment(ch), { envVars: [{ name: 'A=B', tokenPath: 't' }] }); }, "BT233: 'envVars' name must be a non-empty variable name without '=', got 'A=B'"],
    ['an env var set twice (BT233)', () => { const ch = c(); new ProjectedTokenVolume(ch, 'V', { tokens: [{ path: 't', audience: 'a' }] }).mountInto(deployment(ch), { envVars: [{ name: 'T', tokenPath: 't' }, { name: 'T', tokenPath: 'u' }] }); }, "BT233: 'envVars' sets 'T' twice, to 't' and 'u'"],
    ['an invalid policy name prefix (BT232)', () => new TokenAdmissionPolicy(c(), 'Policy', { policyNamePrefix: '' }), "[c/Policy] BT232: 'policyNamePrefix' must be a DNS-1123 subdomain"],
  ])('%s', (_name, f, phrase) => {
    expect(msgOf(f)).toContain(phrase);
  });

  test('a value with control characters is escaped in the message, as the lint escapes it', () => {
    const msg = msgOf(() => new ProjectedTokenVolume(c(), 'V', { tokens: [{ path: 't', audience: ['\u001b[31mred\nBT999: fake'] as any }] }));
    expect(msg).toContain('got ["\\u001b[31mred\\nBT999: fake"]');
    expect(msg).not.toMatch(/[\u0000-\u001f]/);
  });

  test('warnings printed at synth escape control characters', () => {
    const chart = c();
    new ProjectedTokenVolume(chart, 'V', { tokens: [{ path: 't', audience: 'a\u001b[31m b' }] }).mountInto(deployment(chart));
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'warn').mockImplementation((...args: any[]) => { lines.push(args.join(' ')); });
    try {
      (chart.node.root as App).synth();
    } finally {
      spy.mockRestore();
    }
    const w = lines.join('\n');
    expect(w).toContain('BT121');
    expect(w).toContain('a\\e[31m b');
    expect(w).not.toContain('\u001b');
  });
});
