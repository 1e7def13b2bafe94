// Issue 17, section 1: a token file is readable only in the containers it was
// bound to, whatever the order and mix of mountInto and preset bindings.
// Read from the synthesized manifest: which containers mount a volume that
// projects which token.
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AwsEksPodIdentity, AwsIamRole, AzureWorkloadIdentity, GcpWorkloadIdentityFederation, IdentityPreset,
  IstioToken, OpenShiftShortTermCredentials, ProjectedTokenVolume, SpireAgentToken, VaultToken,
} from '../../src';
import { captureWarnings, chart, errorOf, synth } from '../util';

const ROLE = 'arn:aws:iam::111122223333:role/app';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';
const IMAGE = 'busybox:1.36';

const PRESETS: Array<[string, () => IdentityPreset]> = [
  ['AwsIamRole', () => new AwsIamRole({ roleArn: ROLE })],
  ['AwsEksPodIdentity', () => new AwsEksPodIdentity()],
  ['AzureWorkloadIdentity', () => new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT })],
  ['GcpWorkloadIdentityFederation', () => new GcpWorkloadIdentityFederation({ projectNumber: '123456789012', poolId: 'my-pool', providerId: 'my-provider' })],
  ['OpenShiftShortTermCredentials', () => OpenShiftShortTermCredentials.aws({ roleArn: ROLE })],
  ['VaultToken', () => new VaultToken()],
  ['IstioToken', () => new IstioToken()],
  ['SpireAgentToken', () => new SpireAgentToken()],
];

/** A DaemonSet with containers a and b, run as a named account. */
function workload(c: ReturnType<typeof chart>) {
  const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
  return new kplus.DaemonSet(c, 'W', { serviceAccount: sa, containers: [{ name: 'a', image: IMAGE }, { name: 'b', image: IMAGE }] });
}

/** Per container: the tokens (`audience/path`) it can read, from the written pod spec. */
function reach(objs: any[]): Record<string, string[]> {
  const w = objs.find(o => o.kind === 'DaemonSet');
  const spec = w.spec.template.spec;
  const tokensOf = (name: string): string[] => {
    const v = (spec.volumes ?? []).find((x: any) => x.name === name);
    return (v?.projected?.sources ?? []).filter((s: any) => s.serviceAccountToken).map((s: any) => `${s.serviceAccountToken.audience}/${s.serviceAccountToken.path}`);
  };
  const out: Record<string, string[]> = {};
  for (const c of spec.containers) out[c.name] = (c.volumeMounts ?? []).flatMap((m: any) => tokensOf(m.name)).sort();
  return out;
}

/** The tokens (`audience/path`) a preset projects, read from a workload where it is bound alone. */
function tokensOfPreset(make: () => IdentityPreset): string[] {
  const c = chart();
  make().bind(workload(c), { containers: ['a'] });
  let objs: any[] = [];
  captureWarnings(() => { objs = synth(c); });
  return reach(objs).a;
}

describe('a token reaches only the containers it was bound to (issue 17, section 1)', () => {
  test("the issue's example: SPIRE in spire-agent and Istio in istio-proxy get separate volumes", () => {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'spire-agent' } });
    const ds = new kplus.DaemonSet(c, 'Agent', { serviceAccount: sa, containers: [{ name: 'spire-agent', image: IMAGE }, { name: 'istio-proxy', image: IMAGE }] });
    new SpireAgentToken().bind(ds, { containers: ['spire-agent'] });
    new IstioToken().bind(ds, { containers: ['istio-proxy'] });
    const spec = synth(c).find(o => o.kind === 'DaemonSet').spec.template.spec;
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['spire-agent', 'istio-token']);
    expect(spec.containers.map((x: any) => x.volumeMounts)).toEqual([
      [{ mountPath: '/var/run/secrets/tokens', name: 'spire-agent', readOnly: true }],
      [{ mountPath: '/var/run/secrets/tokens', name: 'istio-token', readOnly: true }],
    ]);
  });

  describe.each(PRESETS)('first %s', (first, makeFirst) => {
    test.each(PRESETS)('then %s: each token only in its own container, and one shared volume when both bind the same containers', (second, makeSecond) => {
      const own1 = tokensOfPreset(makeFirst);
      const own2 = tokensOfPreset(makeSecond);
      expect(own1.length).toBeGreaterThan(0);

      // different containers: a and b
      const c = chart();
      const w = workload(c);
      makeFirst().bind(w, { containers: ['a'] });
      makeSecond().bind(w, { containers: ['b'] });
      let objs: any[] = [];
      captureWarnings(() => { objs = synth(c); });
      expect({ first, second, reach: reach(objs) }).toEqual({ first, second, reach: { a: own1, b: own2 } });

      // the same containers: each reads both tokens (one volume where they share a mount path)
      const c2 = chart();
      const w2 = workload(c2);
      makeFirst().bind(w2, { containers: ['a'] });
      makeSecond().bind(w2, { containers: ['a'] });
      captureWarnings(() => { objs = synth(c2); });
      const both = [...new Set([...own1, ...own2])].sort();
      expect({ first, second, reach: reach(objs) }).toEqual({ first, second, reach: { a: both, b: [] } });
    });
  });

  test.each(PRESETS)('mountInto a and %s in b, in both orders: the volume keeps its token, the preset gets its own', (_name, make) => {
    const own = tokensOfPreset(make);
    for (const order of ['volume first', 'preset first']) {
      const c = chart();
      const w = workload(c);
      const vol = new ProjectedTokenVolume(c, 'Vault', { tokens: [{ path: 'vault', audience: 'vault', expiration: Duration.hours(1) }] });
      if (order === 'volume first') {
        vol.mountInto(w, { containers: ['a'] });
        make().bind(w, { containers: ['b'] });
      } else {
        make().bind(w, { containers: ['b'] });
        vol.mountInto(w, { containers: ['a'] });
      }
      let objs: any[] = [];
      captureWarnings(() => { objs = synth(c); });
      expect({ order, reach: reach(objs) }).toEqual({ order, reach: { a: ['vault/vault'], b: own } });
      expect(vol.tokens.map(t => t.path)).toEqual(['vault']);
    }
  });

  test('a volume mounted into another workload is never joined: the preset token does not reach that workload', () => {
    const c = chart();
    const w = workload(c);
    const other = new kplus.Deployment(c, 'Other', { serviceAccount: kplus.ServiceAccount.fromServiceAccountName(c, 'SA2', 'app'), containers: [{ name: 'x', image: IMAGE }] });
    const vol = new ProjectedTokenVolume(c, 'Shared', { name: 'shared', tokens: [{ path: 'vault', audience: 'vault', expiration: Duration.hours(1) }] });
    vol.mountInto(w);
    vol.mountInto(other);
    new IstioToken().bind(w);
    expect(vol.tokens.map(t => t.path)).toEqual(['vault']);
    // the preset's own volume at the same mount path in the same containers: two volumes at one path, which Kubernetes refuses
    expect(errorOf(() => synth(c))).toContain("[test/W] BT141: 'mountPath' of volume 'istio-token' in container 'a' is already used by the mount of volume 'shared'");
  });

  test('binding the same preset to other containers again makes a second volume with a deterministic name', () => {
    const c = chart();
    const w = workload(c);
    new IstioToken().bind(w, { containers: ['a'] });
    new IstioToken().bind(w, { containers: ['b'] });
    const spec = synth(c).find(o => o.kind === 'DaemonSet').spec.template.spec;
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['istio-token', 'istio-token-2']);
    expect(spec.containers.map((x: any) => x.volumeMounts.map((m: any) => m.name))).toEqual([['istio-token'], ['istio-token-2']]);
  });
});
