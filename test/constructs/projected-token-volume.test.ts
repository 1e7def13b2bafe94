import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenPod, BoundTokenRules, ProjectedTokenVolume } from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

function podWith(c: any, vol: ProjectedTokenVolume, extra: Partial<kplus.PodProps> = {}) {
  const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
  return new BoundTokenPod(c, 'Pod', { serviceAccount: sa, tokenVolume: vol, containers: [{ image: 'busybox:1.36', name: 'app' }], ...extra });
}

describe('ProjectedTokenVolume', () => {
  test('renders one serviceAccountToken source per token, lifetimes as whole expirationSeconds', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'Tokens', {
      tokens: [
        { path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) },
        { path: 'istio-token', audience: 'istio-ca', expiration: Duration.hours(1.1) },
      ],
    });
    vol.addToken({ path: 'spire-agent', audience: 'spire-server', expiration: Duration.minutes(10) });
    podWith(c, vol);
    const objs = synth(c);
    const volume = findKind(objs, 'Pod').spec.volumes[0];
    expect(volume).toEqual({
      name: 'tokens',
      projected: {
        sources: [
          { serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } },
          { serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 3960, path: 'istio-token' } },
          { serviceAccountToken: { audience: 'spire-server', expirationSeconds: 600, path: 'spire-agent' } },
        ],
      },
    });
    expectValidManifests(objs);
    expect(vol.toVolumeJson()).toEqual(volume);
  });

  test('a token added to one of two volumes of the same content changes only that one', () => {
    const c = chart();
    const token = { path: 'token', audience: 'vault', expiration: Duration.hours(1) };
    const a = new ProjectedTokenVolume(c, 'A', { name: 'token', tokens: [token] });
    const b = new ProjectedTokenVolume(c, 'B', { name: 'token', tokens: [token] });
    const deps = [a, b].map((v, i) => {
      const d = new kplus.Deployment(c, `D${i}`, { containers: [{ image: 'busybox:1.36', name: 'app' }] });
      v.mountInto(d);
      return d;
    });
    a.addToken({ path: 'other', audience: 'sts.amazonaws.com' });
    expect((a.asVolume() as any).config).not.toBe((b.asVolume() as any).config);
    const objs = synth(c);
    const sourcesOf = (i: number) => objs.filter(o => o.kind === 'Deployment')[i].spec.template.spec.volumes[0].projected.sources;
    expect(deps).toHaveLength(2);
    expect(sourcesOf(0).map((s: any) => s.serviceAccountToken.path)).toEqual(['token', 'other']);
    expect(sourcesOf(1)).toEqual([{ serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } }]);
    expect(b.tokens).toHaveLength(1);
    // the JSON handed out is a copy: changing it changes no volume
    a.toVolumeJson().projected.sources.push({ serviceAccountToken: { path: 'x' } });
    expect(b.toVolumeJson().projected.sources).toHaveLength(1);
    expect(a.toVolumeJson().projected.sources).toHaveLength(2);
  });

  test('asVolume() returns the same kplus.Volume every time, named like the volume', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'VaultToken');
    expect(vol.asVolume()).toBe(vol.asVolume());
    expect(vol.asVolume().name).toBe('vault-token');
    expect(vol.name).toBe('vault-token');
  });

  test('mounts with the ordinary container.mount() on a cdk8s-plus Deployment', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'VaultToken', { tokens: [{ path: 'vault-token', audience: 'vault' }] });
    const dep = new kplus.Deployment(c, 'Dep', { containers: [{ image: 'busybox:1.36', name: 'app' }] });
    dep.containers[0].mount('/var/run/secrets/tokens', vol, { readOnly: true });
    const objs = synth(c);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.volumes).toEqual([vol.toVolumeJson()]);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/tokens', name: 'vault-token', readOnly: true }]);
    expectValidManifests(objs);
  });

  test('the name defaults to the construct id as a DNS-1123 label', () => {
    const c = chart();
    expect(new ProjectedTokenVolume(c, 'VaultToken').name).toBe('vault-token');
    expect(new ProjectedTokenVolume(c, 'AWSIamToken').name).toBe('aws-iam-token');
    expect(new ProjectedTokenVolume(c, 'spire_agent').name).toBe('spire-agent');
    expect(new ProjectedTokenVolume(c, 'istio-token', { name: 'custom' }).name).toBe('custom');
  });

  test('fails when the id cannot be turned into a DNS-1123 label and no name is given (BT130)', () => {
    const c = chart();
    const long = 'Token'.repeat(14);
    podWith(c, new ProjectedTokenVolume(c, long, { tokens: [{ path: 't', audience: 'a' }] }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain(`[test/${long}] BT130: 'name' is not set and the construct id cannot be turned into a DNS-1123 label`);
    expect(msg).toContain("set 'name'");
  });

  test('fails when the name is longer than 63 characters, and never truncates it (BT130)', () => {
    const c = chart();
    const name = 'a'.repeat(64);
    podWith(c, new ProjectedTokenVolume(c, 'V', { name, tokens: [{ path: 't', audience: 'a' }] }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("BT130: 'name' must be a DNS-1123 label of at most 63 characters (it has 64)");
    expect(msg).toContain(name);
  });

  test('fails when a lifetime is below 10 minutes (BT101) or above 2^32 seconds (BT102)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', {
      tokens: [
        { path: 'a', audience: 'x', expiration: Duration.seconds(599) },
        { path: 'b', audience: 'x', expiration: Duration.seconds(4294967297) },
      ],
    }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("[test/V] BT101: 'expiration' of token 'a' in volume 'v' may not be shorter than 10 minutes (600 seconds), got 599 seconds");
    expect(msg).toContain("BT102: 'expiration' of token 'b' in volume 'v' may not be longer than 2^32 (4294967296) seconds, got 4294967297 seconds");
  });

  test('fails with its own rule, not cdk8s toSeconds(), when a lifetime is not whole seconds (BT103)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 'a', audience: 'x', expiration: Duration.millis(3600500) }] }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("BT103: 'expiration' of token 'a' in volume 'v' must be a whole number of seconds, got 3600.5 seconds");
  });

  test('accepts the edges: 600 s and 2^32 s, and float noise like Duration.hours(1.1)', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'V', {
      tokens: [
        { path: 'a', audience: 'x', expiration: Duration.seconds(600) },
        { path: 'b', audience: 'x', expiration: Duration.hours(1.1) },
        { path: 'c', audience: 'x', expiration: Duration.seconds(4294967296) },
      ],
    });
    podWith(c, vol);
    const lines = captureWarnings(() => synth(c));
    // 2^32 s is valid, but longer than a day: a warning, not an error
    expect(lines.join('\n')).toContain("BT104: 'expiration' of token 'c'");
  });

  test('warns when a lifetime is above 24 hours (BT104)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 'a', audience: 'x', expiration: Duration.hours(48) }] }));
    const lines = captureWarnings(() => synth(c));
    expect(lines.join('\n')).toContain("BT104: 'expiration' of token 'a' in volume 'v' is longer than 24 hours (86400 seconds), got 172800 seconds");
  });

  test('fails when a token path is empty, absolute, has a .. segment or starts with .. (BT110-BT113)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', {
      tokens: [
        { path: '', audience: 'x' },
        { path: '/abs', audience: 'x' },
        { path: 'a/../b', audience: 'x' },
        { path: '..data', audience: 'x' },
      ],
    }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("BT110: 'path' must be a non-empty relative path, got ''");
    expect(msg).toContain("BT111: 'path' must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '/abs'");
    expect(msg).toContain("BT112: 'path' must not contain a '..' segment (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got 'a/../b'");
    expect(msg).toContain("BT113: 'path' must not start with '..', got '..data'");
  });

  test('fails when two sources write the same path or one is nested under another (BT114)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', {
      tokens: [{ path: 'token', audience: 'a' }, { path: 'token', audience: 'b' }, { path: 'token/inner', audience: 'c' }],
    }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("BT114: 'path' of ServiceAccountToken in volume 'v' overlaps 'token' of ServiceAccountToken, got 'token'");
    expect(msg).toContain("got 'token/inner'");
  });

  test('fails when defaultMode is outside 0..0777 (BT131)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', { defaultMode: 0o1000, tokens: [{ path: 't', audience: 'a' }] }));
    expect(errorOf(() => synth(c))).toContain("BT131: 'defaultMode' must be a number between 0 and 0777 (octal), both inclusive, got 512 (01000)");
  });

  test('warns about a restrictive defaultMode unless the pod sets fsGroup (BT132)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', { defaultMode: 0o440, tokens: [{ path: 't', audience: 'a' }] }));
    expect(captureWarnings(() => synth(c)).join('\n')).toContain("BT132: 'defaultMode' of volume 'v' keeps the token unreadable for a non-root application");

    const ok = chart();
    podWith(ok, new ProjectedTokenVolume(ok, 'V', { defaultMode: 0o440, tokens: [{ path: 't', audience: 'a' }] }), { securityContext: { fsGroup: 1000 } });
    expect(captureWarnings(() => synth(ok)).join('\n')).not.toContain('BT132');
  });

  test('warns when a token has no audience (BT120), and about an audience list (BT121)', () => {
    const c = chart();
    podWith(c, new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 'a' }, { path: 'b', audience: 'vault,istio-ca' }] }));
    const text = captureWarnings(() => synth(c)).join('\n');
    expect(text).toContain("BT120: 'audience' of token 'a' in volume 'v' is not set");
    expect(text).toContain("BT121: 'audience' of token 'b' in volume 'v' is one audience taken literally, got 'vault,istio-ca'");
  });

  test('refreshAfter follows the kubelet: min(L - floor(L*20/100), 24h)', () => {
    expect(ProjectedTokenVolume.refreshAfter(Duration.seconds(601)).toSeconds()).toBe(481);
    expect(ProjectedTokenVolume.refreshAfter(Duration.hours(1)).toSeconds()).toBe(2880);
    expect(ProjectedTokenVolume.refreshAfter(Duration.hours(24)).toSeconds()).toBe(69120);
    expect(ProjectedTokenVolume.refreshAfter(Duration.hours(48)).toSeconds()).toBe(86400);
    expect(ProjectedTokenVolume.refreshAfter(Duration.hours(1.1)).toSeconds()).toBe(3168);
  });

  test('fails when refreshAfter is asked about a lifetime that is not whole seconds (BT103)', () => {
    expect(errorOf(() => ProjectedTokenVolume.refreshAfter(Duration.millis(1500)))).toContain("BT103: 'expiration' must be a whole number of seconds, got 1.5 seconds");
  });
});

describe('ProjectedTokenVolume on its own', () => {
  test('a volume mounted nowhere still has its sources checked, at its own path', () => {
    const c = chart();
    new ProjectedTokenVolume(c, 'Lonely', { tokens: [{ path: '/abs', audience: 'a' }] });
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("[test/Lonely] BT111: 'path' must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '/abs'");
  });

  test('an acknowledgement on the volume applies where the volume is mounted', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't' }] });
    podWith(c, vol);
    BoundTokenRules.acknowledge(vol, 'BT120', 'a token for the Kubernetes API');
    expect(captureWarnings(() => synth(c)).join('\n')).not.toContain('BT120');
    expect(findKind(synth(c), 'Pod').metadata.annotations['bound-tokens.io/acknowledge-BT120']).toBe('a token for the Kubernetes API');
  });
});
