import { Chart, Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenPod, BoundTokenRules, ProjectedTokenVolume } from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

const IMAGE = 'busybox:1.36';

function account(c: Chart, name = 'app') {
  return new kplus.ServiceAccount(c, `SA-${name}`, { metadata: { name } });
}

function vaultVolume(c: Chart, id = 'VaultToken') {
  return new ProjectedTokenVolume(c, id, { tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }] });
}

/** The pod spec of a rendered workload of any kind. */
function podSpec(obj: any): any {
  if (obj.kind === 'Pod') return obj.spec;
  if (obj.kind === 'CronJob') return obj.spec.jobTemplate.spec.template.spec;
  return obj.spec.template.spec;
}

const TOKEN_MOUNT = { name: 'vault-token', mountPath: '/var/run/secrets/tokens', readOnly: true };
const TOKEN_VOLUME = {
  name: 'vault-token',
  projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } }] },
};

const WORKLOADS: Array<[string, string, (c: Chart, props: any) => kplus.AbstractPod]> = [
  ['Pod', 'Pod', (c, p) => new kplus.Pod(c, 'W', p)],
  ['Deployment', 'Deployment', (c, p) => new kplus.Deployment(c, 'W', p)],
  ['StatefulSet', 'StatefulSet', (c, p) => new kplus.StatefulSet(c, 'W', p)],
  ['DaemonSet', 'DaemonSet', (c, p) => new kplus.DaemonSet(c, 'W', p)],
  ['Job', 'Job', (c, p) => new kplus.Job(c, 'W', p)],
  ['CronJob', 'CronJob', (c, p) => new kplus.CronJob(c, 'W', { ...p, schedule: Cron.daily() })],
];

describe('ProjectedTokenVolume.mountInto', () => {
  test.each(WORKLOADS)('mounts the volume read-only into every container and init container of a %s', (_name, kind, make) => {
    const c = chart();
    const w = make(c, {
      serviceAccount: account(c),
      // a port, so that cdk8s-plus can make the StatefulSet's headless service
      containers: [{ image: IMAGE, name: 'app', portNumber: 8080 }, { image: IMAGE, name: 'sidecar' }],
      initContainers: [{ image: IMAGE, name: 'init' }],
    });
    vaultVolume(c).mountInto(w);
    const objs = synth(c);
    const spec = podSpec(findKind(objs, kind));
    expect(spec.volumes).toEqual([TOKEN_VOLUME]);
    for (const cont of [...spec.containers, ...spec.initContainers]) {
      expect(cont.volumeMounts).toEqual([TOKEN_MOUNT]);
    }
    expect(spec.serviceAccountName).toBe('app');
    expectValidManifests(objs);
  });

  test('defaults: /var/run/secrets/tokens, every container, read-only, no env, no annotations', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'Deployment', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
    vaultVolume(c).mountInto(d);
    const objs = synth(c);
    const dep = findKind(objs, 'Deployment');
    expect(dep.spec.template.spec.containers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    expect(dep.spec.template.spec.containers[0].env).toBeUndefined();
    expect(dep.spec.template.metadata.annotations).toBeUndefined();
    expect(dep.spec.template.spec.automountServiceAccountToken).toBe(false);
    // the cdk8s-plus model shows the mount too
    expect(d.containers[0].mounts.map(m => [m.path, m.volume.name, m.readOnly])).toEqual([['/var/run/secrets/tokens', 'vault-token', true]]);
    expect(objs).toMatchSnapshot();
  });

  test('fails when containers were added after mountInto (BT190), until mountInto is called again', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c) });
    const v = vaultVolume(c);
    v.mountInto(d, { mountPath: '/var/run/secrets/vault' });
    d.addContainer({ image: IMAGE, name: 'late' });
    d.addInitContainer({ image: IMAGE, name: 'late-init' });
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("[test/D] BT190: 'containers' container 'late-init' lacks the mount of token volume 'vault-token' at '/var/run/secrets/vault' (it was added after the volume was bound), got 'late-init'; call mountInto() / bind() again");
    expect(msg).toContain("[test/D] BT190: 'containers' container 'late' lacks the mount");
    v.mountInto(d, { mountPath: '/var/run/secrets/vault' });
    const spec = findKind(synth(c), 'Deployment').spec.template.spec;
    expect(spec.containers[0].volumeMounts).toEqual([{ ...TOKEN_MOUNT, mountPath: '/var/run/secrets/vault' }]);
    expect(spec.initContainers[0].volumeMounts).toEqual([{ ...TOKEN_MOUNT, mountPath: '/var/run/secrets/vault' }]);
  });

  test('mounts only into the named containers, init containers included', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', {
      serviceAccount: account(c),
      containers: [{ image: IMAGE, name: 'app' }, { image: IMAGE, name: 'proxy' }],
      initContainers: [{ image: IMAGE, name: 'init' }],
    });
    vaultVolume(c).mountInto(d, { containers: ['proxy', 'init'] });
    const spec = findKind(synth(c), 'Deployment').spec.template.spec;
    expect(spec.containers.find((x: any) => x.name === 'app').volumeMounts).toBeUndefined();
    expect(spec.containers.find((x: any) => x.name === 'proxy').volumeMounts).toEqual([TOKEN_MOUNT]);
    expect(spec.initContainers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
  });

  test('a named container added later gets the mount when mountInto is called again', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
    const v = vaultVolume(c);
    v.mountInto(d, { containers: ['sidecar'] });
    d.addContainer({ image: IMAGE, name: 'sidecar' });
    expect(errorOf(() => synth(c))).toContain("[test/D] BT190: 'containers' container 'sidecar' lacks the mount");
    v.mountInto(d, { containers: ['sidecar'] });
    const spec = findKind(synth(c), 'Deployment').spec.template.spec;
    expect(spec.containers[0].volumeMounts).toBeUndefined();
    expect(spec.containers[1].volumeMounts).toEqual([TOKEN_MOUNT]);
  });

  test('exports a token file path as an environment variable', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app', envVariables: { OTHER: kplus.EnvValue.fromValue('x') } }] });
    vaultVolume(c).mountInto(d, { envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }] });
    const cont = findKind(synth(c), 'Deployment').spec.template.spec.containers[0];
    expect(cont.env).toEqual([{ name: 'OTHER', value: 'x' }, { name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/tokens/vault-token' }]);
  });

  test('binding twice is idempotent, and the options merge', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', {
      serviceAccount: account(c),
      containers: [{ image: IMAGE, name: 'app' }, { image: IMAGE, name: 'proxy' }],
    });
    const v = vaultVolume(c);
    v.mountInto(d, { containers: ['app'] });
    v.mountInto(d, { containers: ['app'], envVars: [{ name: 'T', tokenPath: 'vault-token' }] });
    v.mountInto(d, { containers: ['proxy'] });
    v.mountInto(d, { containers: ['proxy'], envVars: [{ name: 'T', tokenPath: 'vault-token' }] });
    const first = synth(c);
    const spec = findKind(first, 'Deployment').spec.template.spec;
    expect(spec.volumes).toEqual([TOKEN_VOLUME]);
    for (const cont of spec.containers) {
      expect(cont.volumeMounts).toEqual([TOKEN_MOUNT]);
      expect(cont.env).toEqual([{ name: 'T', value: '/var/run/secrets/tokens/vault-token' }]);
    }
    // and synthesizing again changes nothing
    expect(synth(c)).toEqual(first);
  });

  test('the same volume at a second mount path is a second mount', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
    const v = vaultVolume(c);
    v.mountInto(d);
    v.mountInto(d, { mountPath: '/etc/vault' });
    const cont = findKind(synth(c), 'Deployment').spec.template.spec.containers[0];
    expect(cont.volumeMounts).toEqual([TOKEN_MOUNT, { ...TOKEN_MOUNT, mountPath: '/etc/vault' }]);
  });

  test('mountInto on a BoundTokenPod with its own volume changes nothing', () => {
    const c = chart();
    const v = vaultVolume(c);
    const pod = new BoundTokenPod(c, 'Pod', { serviceAccount: account(c), tokenVolume: v, containers: [{ image: IMAGE, name: 'app' }] });
    const before = synth(c);
    v.mountInto(pod);
    expect(synth(c)).toEqual(before);
  });

  test('two volumes into one workload', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
    vaultVolume(c).mountInto(d, { mountPath: '/var/run/secrets/vault' });
    new ProjectedTokenVolume(c, 'AwsIamToken', { tokens: [{ path: 'token', audience: 'sts.amazonaws.com', expiration: Duration.hours(24) }] })
      .mountInto(d, { mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', envVars: [{ name: 'AWS_WEB_IDENTITY_TOKEN_FILE', tokenPath: 'token' }] });
    const objs = synth(c);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['vault-token', 'aws-iam-token']);
    expect(spec.containers[0].env).toEqual([{ name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' }]);
    expectValidManifests(objs);
  });

  test('fails early when containers is empty, or an env var is bound twice to different tokens', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
    const v = vaultVolume(c);
    expect(errorOf(() => v.mountInto(d, { containers: [] }))).toContain("[test/VaultToken] mountInto(test/D): BT230: 'containers' must be a non-empty list of container names (omit it to mount into every container and init container), got []");
    expect(errorOf(() => v.mountInto(d, { envVars: [{ name: 'T', tokenPath: 'a' }, { name: 'T', tokenPath: 'b' }] }))).toContain("'envVars' sets 'T' twice, to 'a' and 'b'");
    v.mountInto(d, { envVars: [{ name: 'T', tokenPath: 'vault-token' }] });
    expect(errorOf(() => v.mountInto(d, { envVars: [{ name: 'T', tokenPath: 'other' }] }))).toContain("'envVars' 'T' is already bound to token 'vault-token' at this mount, got token 'other'; export each variable once");
    expect(errorOf(() => v.mountInto(d, { envVars: [{ name: '', tokenPath: 'vault-token' }] }))).toContain("'envVars' name must be a non-empty variable name without '=', got ''");
  });

  test('fails when mountInto is given something that is not a cdk8s-plus workload', () => {
    const c = chart();
    const kube = new kplus.k8s.KubeDeployment(c, 'KD', { spec: { selector: {}, template: { spec: { containers: [{ name: 'x', image: IMAGE }] } } } });
    expect(errorOf(() => vaultVolume(c).mountInto(kube as any))).toContain("[test/VaultToken] BT149: 'workload' of mountInto(test/KD) must be a cdk8s-plus workload, got the ApiObject 'test/KD' (kind Deployment); use mountIntoApiObject() for plain ApiObjects");
  });

  describe('rules on the bound workload', () => {
    test('fails when containers names a container the workload does not have (BT145)', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c).mountInto(d, { containers: ['app', 'sidecar'] });
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT145: 'containers' of the mount of token volume 'vault-token' names a container the workload does not have (it has 'app'), got 'sidecar'");
    });

    test('fails when a container already sets the env var to something else (BT146)', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', {
        serviceAccount: account(c),
        containers: [{ image: IMAGE, name: 'app', envVariables: { VAULT_TOKEN_FILE: kplus.EnvValue.fromValue('/elsewhere') } }],
      });
      vaultVolume(c).mountInto(d, { envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }] });
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT146: 'env' variable 'VAULT_TOKEN_FILE' of container 'app' is already set to something other than the token file '/var/run/secrets/tokens/vault-token' of volume 'vault-token', got '/elsewhere'");
    });

    test('fails when an env var names a token the volume does not project (BT147)', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c).mountInto(d, { envVars: [{ name: 'TOKEN_FILE', tokenPath: 'token' }] });
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT147: 'tokenPath' of env variable 'TOKEN_FILE' names no token of volume 'vault-token' (its tokens: 'vault-token'), got 'token'");
    });

    test('compliant: named containers that exist, env vars that name a token and are not set elsewhere', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c).mountInto(d, { containers: ['app'], envVars: [{ name: 'TOKEN_FILE', tokenPath: 'vault-token' }] });
      const lines = captureWarnings(() => synth(c));
      expect(lines).toEqual([]);
    });

    test('fails when the token volume name is used by another volume of the workload (BT133)', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      d.containers[0].mount('/data', kplus.Volume.fromEmptyDir(c, 'Scratch', 'vault-token'));
      vaultVolume(c).mountInto(d);
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT133: 'name' of a token volume is already used by another volume of the workload, got 'vault-token'");
      // reported by the rules, not by cdk8s-plus's own render error
      expect(msg).not.toContain('Invalid mount configuration');
    });

    test('fails when the mount path is used by another volume of a container (BT141)', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      d.containers[0].mount('/var/run/secrets/tokens', kplus.Volume.fromEmptyDir(c, 'Scratch', 'scratch'));
      vaultVolume(c).mountInto(d);
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT141: 'mountPath' of volume 'vault-token' in container 'app' is already used by the mount of volume 'scratch'; it must be unique");
    });

    test('warns when the mount path is not absolute (BT137): the API server accepts it and the kubelet mounts it at /tokens', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c).mountInto(d, { mountPath: 'tokens' });
      expect(captureWarnings(() => synth(c)).join('\n')).toContain("[test/D] BT137: 'mountPath' of token volume 'vault-token' in container 'app' is not absolute on Linux, so the kubelet mounts it at '/tokens'");
    });

    test('fails when the same volume is also mounted with subPath in the workload (BT142)', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      const v = vaultVolume(c);
      v.mountInto(d);
      d.addContainer({ image: IMAGE, name: 'legacy', volumeMounts: [{ path: '/token', volume: v.asVolume(), subPath: 'vault-token' }] });
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT142: 'subPath' of token volume 'vault-token' in container 'legacy' stops the kubelet from updating the rotated token, got 'vault-token'");
    });

    test('warns when a bare Pod or a Deployment binds a token without a service account (BT151)', () => {
      const c = chart();
      const pod = new kplus.Pod(c, 'Pod', { containers: [{ image: IMAGE, name: 'app' }] });
      const dep = new kplus.Deployment(c, 'Dep', { containers: [{ image: IMAGE, name: 'app' }] });
      const v = vaultVolume(c);
      v.mountInto(pod);
      v.mountInto(dep);
      const lines = captureWarnings(() => synth(c));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain("[test/Pod] BT151: 'serviceAccountName' is not set on a pod that projects a token (volume 'vault-token'), so the token identifies the namespace's 'default' account");
      expect(lines[1]).toContain("[test/Dep] BT151: 'serviceAccountName' is not set on a pod that projects a token (volume 'vault-token'), so the token identifies the namespace's 'default' account");
    });

    test('compliant: a bare Pod with a service account binds a token without warning', () => {
      const c = chart();
      const pod = new kplus.Pod(c, 'Pod', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c).mountInto(pod);
      expect(captureWarnings(() => synth(c))).toEqual([]);
    });

    test('volumes with the same content are each reported at their own path, and only what differs counts', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      new ProjectedTokenVolume(c, 'A', { name: 'same', tokens: [{ path: 't' }] }).mountInto(d, { mountPath: '/a' });
      new ProjectedTokenVolume(c, 'B', { name: 'same2', tokens: [{ path: 't' }] }).mountInto(d, { mountPath: '/b' });
      // renders like 3601 s, but is not a whole number of seconds
      new ProjectedTokenVolume(c, 'C', { tokens: [{ path: 't', audience: 'x', expiration: Duration.millis(3600500) }] }).mountInto(d, { mountPath: '/c' });
      new ProjectedTokenVolume(c, 'E', { tokens: [{ path: 't', audience: 'x', expiration: Duration.seconds(3601) }] }).mountInto(d, { mountPath: '/e' });
      let msg = '';
      const lines = captureWarnings(() => { msg = errorOf(() => synth(c)); });
      expect(lines.filter(l => l.includes('BT120')).map(l => l.slice(0, l.indexOf(' BT120')))).toEqual([
        '[cdk8s-bound-tokens] Warning: [test/A]', '[cdk8s-bound-tokens] Warning: [test/B]',
      ]);
      expect(msg).toContain("[test/C] BT103: 'expiration' of token 't' in volume 'c' must be a whole number of seconds, got 3600.5 seconds");
      expect(msg).not.toContain('[test/E]');
    });

    test("the volume's own warnings are reported once, at the volume", () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't' }] }).mountInto(d);
      const lines = captureWarnings(() => synth(c));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('[test/V] BT120');
    });
  });

  describe('volumes mounted with the ordinary container.mount', () => {
    test('are checked too: a subPath mount fails at the workload (BT142)', () => {
      const c = chart();
      const v = vaultVolume(c);
      new kplus.Deployment(c, 'D', {
        serviceAccount: account(c),
        containers: [{ image: IMAGE, name: 'app', volumeMounts: [{ path: '/token', volume: v.asVolume(), subPath: 'vault-token' }] }],
      });
      expect(errorOf(() => synth(c))).toContain("[test/D] BT142: 'subPath' of token volume 'vault-token' in container 'app'");
    });

    test('a collision with another volume name fails with BT133, not with a render error', () => {
      const c = chart();
      const v = vaultVolume(c);
      const job = new kplus.Job(c, 'Job', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      job.containers[0].mount('/var/run/secrets/tokens', v, { readOnly: true });
      job.containers[0].mount('/cache', kplus.Volume.fromEmptyDir(c, 'Cache', 'vault-token'));
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/Job] BT133: 'name' of another volume is already used by a token volume of the workload, got 'vault-token'");
    });

    test('a bare Pod without a service account warns (BT151)', () => {
      const c = chart();
      const v = vaultVolume(c);
      const pod = new kplus.Pod(c, 'Pod', { containers: [{ image: IMAGE, name: 'app' }] });
      pod.containers[0].mount('/var/run/secrets/tokens', v, { readOnly: true });
      const lines = captureWarnings(() => synth(c));
      expect(lines.join('\n')).toContain('[test/Pod] BT151');
    });

    test('compliant: a read-only mount in a workload with a service account', () => {
      const c = chart();
      const v = vaultVolume(c);
      const d = new kplus.StatefulSet(c, 'S', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app', portNumber: 8080 }] });
      d.containers[0].mount('/var/run/secrets/tokens', v, { readOnly: true });
      const objs = captureWarningsAndSynth(c);
      expect(objs.warnings).toEqual([]);
      expectValidManifests(objs.objs);
    });

    test('a volume added with addVolume and mounted in no container warns at the workload (BT143)', () => {
      const c = chart();
      const v = vaultVolume(c);
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      d.addVolume(v.asVolume());
      const lines = captureWarnings(() => synth(c));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("[test/D] BT143: 'volumeMounts' of no container mount token volume 'vault-token'");
    });
  });

  describe('a volume mounted nowhere', () => {
    test('warns at the volume (BT143)', () => {
      const c = chart();
      vaultVolume(c);
      const lines = captureWarnings(() => synth(c));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("[test/VaultToken] BT143: 'volume' 'vault-token' is mounted in no workload, so no application can read its tokens, got no workload");
    });

    test('fails in strict mode (BT143)', () => {
      const c = chart({ context: { [BoundTokenRules.STRICT_CONTEXT_KEY]: true } });
      vaultVolume(c);
      expect(errorOf(() => synth(c))).toContain('[test/VaultToken] BT143');
    });

    test('compliant: mounted by mountInto, mountIntoApiObject, container.mount, or exported with toVolumeJson', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c, 'A').mountInto(d, { mountPath: '/a' });
      const kube = new kplus.k8s.KubePod(c, 'KP', { spec: { serviceAccountName: 'app', containers: [{ name: 'x', image: IMAGE }] } });
      vaultVolume(c, 'B').mountIntoApiObject(kube, { mountPath: '/b' });
      d.containers[0].mount('/c', vaultVolume(c, 'C'), { readOnly: true });
      // exported for a hand-written object: the library cannot see where it goes
      void vaultVolume(c, 'D2').toVolumeJson();
      expect(captureWarnings(() => synth(c))).toEqual([]);
    });
  });

  describe('acknowledgements and strict mode on a Deployment', () => {
    function restrictive(c: Chart) {
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      // 0440 without fsGroup: BT132, a warning reported at the workload
      new ProjectedTokenVolume(c, 'V', { defaultMode: 0o440, tokens: [{ path: 't', audience: 'a' }] }).mountInto(d);
      return d;
    }

    test('warns (BT132) without acknowledgement', () => {
      const c = chart();
      restrictive(c);
      const lines = captureWarnings(() => synth(c));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("[test/D] BT132: 'defaultMode' of volume 'v' keeps the token unreadable");
    });

    test('an acknowledgement silences it and lands on the pod template, where the pods get it (not on the Deployment itself: BT138)', () => {
      const c = chart();
      const d = restrictive(c);
      BoundTokenRules.acknowledge(d, 'BT132', 'the image runs as root');
      let objs: any[] = [];
      expect(captureWarnings(() => { objs = synth(c); })).toEqual([]);
      const dep = findKind(objs, 'Deployment');
      expect(dep.metadata.annotations?.['bound-tokens.io/acknowledge-BT132']).toBeUndefined();
      expect(dep.spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT132': 'the image runs as root' });
      expectValidManifests(objs);
    });

    test('strict mode makes it an error; an acknowledgement still silences it', () => {
      const c1 = chart();
      restrictive(c1);
      BoundTokenRules.strict(c1);
      expect(errorOf(() => synth(c1))).toContain('[test/D] BT132');

      const c2 = chart({ context: { [BoundTokenRules.STRICT_CONTEXT_KEY]: true } });
      const d2 = restrictive(c2);
      BoundTokenRules.acknowledge(d2, 'BT132', 'the image runs as root');
      expect(findKind(synth(c2), 'Deployment').spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT132': 'the image runs as root' });
    });

    test("acknowledging a volume's warning writes the annotation on the workloads that use it", () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      const kube = new kplus.k8s.KubeDeployment(c, 'KD', { spec: { selector: {}, template: { spec: { serviceAccountName: 'app', containers: [{ name: 'x', image: IMAGE }] } } } });
      const v = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't' }] });
      v.mountInto(d);
      v.mountIntoApiObject(kube);
      BoundTokenRules.acknowledge(v, 'BT120', 'the token is for the Kubernetes API');
      let objs: any[] = [];
      expect(captureWarnings(() => { objs = synth(c); })).toEqual([]);
      for (const dep of objs.filter(o => o.kind === 'Deployment')) {
        expect(dep.metadata.annotations?.['bound-tokens.io/acknowledge-BT120']).toBeUndefined();
        expect(dep.spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT120': 'the token is for the Kubernetes API' });
      }
      expectValidManifests(objs);
    });

    test('fails when an acknowledgement on a Deployment matches no warning', () => {
      const c = chart();
      const d = new kplus.Deployment(c, 'D', { serviceAccount: account(c), containers: [{ image: IMAGE, name: 'app' }] });
      vaultVolume(c).mountInto(d);
      BoundTokenRules.acknowledge(d, 'BT132', 'not needed');
      expect(errorOf(() => synth(c))).toContain("[test/D] BT132: the acknowledgement of BT132 ('not needed') matches no warning");
    });
  });
  test('one volume mounted into many workloads renders into each, and its own error is reported once, at the volume', () => {
    const c = chart();
    const sa = account(c);
    const vol = vaultVolume(c);
    const deps = [0, 1, 2].map(i => new kplus.Deployment(c, `D${i}`, { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] }));
    deps.forEach(d => vol.mountInto(d));
    const objs = synth(c);
    const rendered = objs.filter(o => o.kind === 'Deployment');
    expect(rendered).toHaveLength(3);
    for (const d of rendered) {
      expect(podSpec(d).volumes).toEqual([TOKEN_VOLUME]);
      expect(podSpec(d).containers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    }
    expectValidManifests(objs);
    vol.addToken({ path: '../escape', audience: 'x' });
    const message = errorOf(() => synth(c));
    expect(message.match(/BT112/g)).toHaveLength(1);
    expect(message).toMatch(/\[test\/VaultToken\] BT112: 'path' must not contain a '\.\.' segment/);
  });
});

function captureWarningsAndSynth(c: Chart): { objs: any[]; warnings: string[] } {
  let objs: any[] = [];
  const warnings = captureWarnings(() => { objs = synth(c); });
  return { objs, warnings };
}
