import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { build as buildVaultPod } from '../../examples/vault-pod';
import { BoundTokenPod, BoundTokenRules, ProjectedTokenVolume } from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

function account(c: any, name = 'build-robot') {
  return new kplus.ServiceAccount(c, `SA-${name}`, { metadata: { name } });
}

describe('BoundTokenPod', () => {
  test('the seed document pod synthesizes as the document says', () => {
    const app = buildVaultPod();
    const objs = Testing.synth(app.charts[0]);
    const pod = findKind(objs, 'Pod');
    expect(pod.metadata.name).toBe('nginx');
    expect(pod.spec.serviceAccountName).toBe('build-robot');
    expect(pod.spec.containers.map((c: any) => c.name)).toEqual(['nginx']);
    expect(pod.spec.volumes.find((v: any) => v.name === 'vault-token')).toEqual({
      name: 'vault-token',
      projected: { sources: [{ serviceAccountToken: { path: 'vault-token', expirationSeconds: 7200, audience: 'vault' } }] },
    });
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'vault-token', mountPath: '/var/run/secrets/tokens', readOnly: true });
    // it would really start: non-root, read-only root filesystem, writable /tmp
    expect(pod.spec.containers[0].securityContext).toMatchObject({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('defaults: volume "tokens" at /var/run/secrets/tokens, read-only, one-hour token', () => {
    const c = chart();
    new BoundTokenPod(c, 'Pod', {
      serviceAccount: account(c),
      tokens: [{ path: 'token', audience: 'vault' }],
      containers: [{ image: 'busybox:1.36', name: 'app' }],
    });
    const objs = synth(c);
    const pod = findKind(objs, 'Pod');
    expect(pod.spec.volumes).toEqual([{ name: 'tokens', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } }] } }]);
    expect(pod.spec.containers[0].volumeMounts).toEqual([{ name: 'tokens', mountPath: '/var/run/secrets/tokens', readOnly: true }]);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('mounts the token volume into every container and init container, also ones added later', () => {
    const c = chart();
    const pod = new BoundTokenPod(c, 'Pod', {
      serviceAccount: account(c),
      tokens: [{ path: 'token', audience: 'vault' }],
      tokenMountPath: '/var/run/secrets/vault',
      tokenVolumeName: 'vault',
      containers: [{ image: 'busybox:1.36', name: 'a' }],
      initContainers: [{ image: 'busybox:1.36', name: 'init' }],
    });
    pod.addContainer({ image: 'busybox:1.36', name: 'b' });
    pod.addInitContainer({ image: 'busybox:1.36', name: 'init2' });
    pod.addToken({ path: 'istio-token', audience: 'istio-ca', expiration: Duration.hours(12) });
    const spec = findKind(synth(c), 'Pod').spec;
    for (const cont of [...spec.containers, ...spec.initContainers]) {
      expect(cont.volumeMounts).toEqual([{ name: 'vault', mountPath: '/var/run/secrets/vault', readOnly: true }]);
    }
    expect(spec.containers.map((x: any) => x.name)).toEqual(['a', 'b']);
    expect(spec.initContainers.map((x: any) => x.name)).toEqual(['init', 'init2']);
    expect(spec.volumes[0].projected.sources).toHaveLength(2);
    expect(spec.volumes[0].projected.sources[1].serviceAccountToken).toEqual({ audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' });
  });

  test('uses a token volume you made, and exposes it', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'VaultToken', { tokens: [{ path: 'vault-token', audience: 'vault' }] });
    const pod = new BoundTokenPod(c, 'Pod', { serviceAccount: account(c), tokenVolume: vol, containers: [{ image: 'busybox:1.36' }] });
    expect(pod.tokenVolume).toBe(vol);
    expect(pod.tokenMountPath).toBe('/var/run/secrets/tokens');
    expect(findKind(synth(c), 'Pod').spec.volumes[0].name).toBe('vault-token');
  });

  test('fails when tokenVolumeName is combined with tokenVolume', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't', audience: 'a' }] });
    const msg = errorOf(() => new BoundTokenPod(c, 'Pod', { serviceAccount: account(c), tokenVolume: vol, tokenVolumeName: 'x', containers: [{ image: 'busybox:1.36' }] }));
    expect(msg).toContain("'tokenVolumeName' cannot be combined with 'tokenVolume'");
    expect(msg).toContain('test/Pod');
  });

  test('fails when the pod has no service account (BT150)', () => {
    const c = chart();
    new BoundTokenPod(c, 'Pod', { tokens: [{ path: 't', audience: 'a' }], containers: [{ image: 'busybox:1.36' }] });
    const msg = errorOf(() => synth(c));
    expect(msg).toContain('[test/Pod] BT150');
    expect(msg).toContain("'serviceAccount' must be set on a BoundTokenPod");
    // BT150 says it; the manifest rule BT151 does not repeat it
    expect(msg).not.toContain('BT151');
  });

  test('fails when the token volume is mounted with subPath (BT142)', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't', audience: 'a' }] });
    const pod = new BoundTokenPod(c, 'Pod', { serviceAccount: account(c), tokenVolume: vol, containers: [{ image: 'busybox:1.36', name: 'app' }] });
    pod.addInitContainer({ image: 'busybox:1.36', name: 'sub', volumeMounts: [{ path: '/token', volume: vol.asVolume(), subPath: 't' }] });
    const msg = errorOf(() => synth(c));
    expect(msg).toContain('BT142');
    expect(msg).toContain("'subPath' of token volume 'v' in container 'sub' stops the kubelet from updating the rotated token, got 't'");
  });

  test('warns when the token mount path is not absolute (BT137, a warning since issue 16: the API server accepts it), fails when used twice (BT141)', () => {
    const c = chart();
    const pod = new BoundTokenPod(c, 'Pod', {
      serviceAccount: account(c),
      tokens: [{ path: 't', audience: 'a' }],
      tokenMountPath: 'relative/tokens',
      containers: [{ image: 'busybox:1.36', name: 'app' }],
    });
    pod.containers[0].mount('relative/tokens', kplus.Volume.fromEmptyDir(c, 'E', 'scratch'));
    let msg = '';
    const warnings = captureWarnings(() => { msg = errorOf(() => synth(c)); });
    expect(warnings.join('\n')).toContain("BT137: 'mountPath' of token volume 'tokens' in container 'app' is not absolute on Linux, so the kubelet mounts it at '/relative/tokens'");
    expect(msg).not.toContain('BT140');
    expect(msg).toContain("BT141: 'mountPath' of volume 'scratch' in container 'app' is already used");
  });

  test('a failed synth writes nothing', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-'));
    const app = Testing.app({ outdir });
    const c = new Chart(app, 'c');
    new BoundTokenPod(c, 'Pod', { tokens: [{ path: '/abs', audience: 'a' }], containers: [{ image: 'busybox:1.36' }] });
    expect(errorOf(() => app.synth())).toContain('BT111');
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('strict mode makes warnings errors, by call or by context', () => {
    const c1 = chart();
    new BoundTokenPod(c1, 'Pod', { serviceAccount: account(c1), tokens: [{ path: 't' }], containers: [{ image: 'busybox:1.36' }] });
    BoundTokenRules.strict(c1);
    expect(errorOf(() => synth(c1))).toContain('BT120');

    const c2 = chart({ context: { [BoundTokenRules.STRICT_CONTEXT_KEY]: true } });
    new BoundTokenPod(c2, 'Pod', { serviceAccount: account(c2), tokens: [{ path: 't' }], containers: [{ image: 'busybox:1.36' }] });
    const msg = errorOf(() => synth(c2));
    expect(msg).toContain('BT120');
    expect(msg).toContain('made an error by strict mode');
  });

  test('warnings print once per synth and do not fail it', () => {
    const c = chart();
    new BoundTokenPod(c, 'Pod', { serviceAccount: account(c), tokens: [{ path: 't' }], containers: [{ image: 'busybox:1.36' }] });
    const lines = captureWarnings(() => synth(c));
    expect(lines.filter(l => l.includes('BT120'))).toHaveLength(1);
    expect(lines[0]).toContain('[test/Pod/TokenVolume] BT120');
  });
});
