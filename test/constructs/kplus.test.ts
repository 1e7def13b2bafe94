// The one module that knows cdk8s-plus: volumes that reach past the private Volume constructor.
import * as kplus from 'cdk8s-plus-27';
import { createVolume as createProjectedVolume, ownerOf } from '../../src/private/kplus';
import { chart, findKind, synth } from '../util';

describe('the cdk8s-plus module: volumes', () => {
  test('builds a real kplus.Volume that renders the projected config it holds', () => {
    const c = chart();
    const sources: any[] = [{ serviceAccountToken: { path: 'a', audience: 'x', expirationSeconds: 3600 } }];
    const owner = {};
    const config = { projected: { sources } };
    const vol = createProjectedVolume('tokens', config, owner);
    expect(vol).toBeInstanceOf(kplus.Volume);
    expect(vol.asVolume()).toBe(vol);
    expect(ownerOf(vol)).toBe(owner);
    expect(ownerOf(kplus.Volume.fromEmptyDir(c, 'E', 'e'))).toBeUndefined();

    const pod = new kplus.Pod(c, 'Pod', { containers: [{ image: 'busybox:1.36' }] });
    pod.containers[0].mount('/t', vol, { readOnly: true });
    expect(findKind(synth(c), 'Pod').spec.volumes).toEqual([{ name: 'tokens', projected: { sources } }]);
    // rendering only reads the config
    expect(config).toEqual({ projected: { sources } });
    expect(sources).toHaveLength(1);
  });

  test('without a config of its own, renders what its owner makes each time it renders', () => {
    const c = chart();
    let tokens = ['a'];
    let made = 0;
    const owner = {
      _kplusConfig: () => {
        made++;
        return { projected: { sources: tokens.map(path => ({ serviceAccountToken: { path, expirationSeconds: 3600 } })) } };
      },
    };
    const vol = createProjectedVolume('tokens', undefined, owner);
    const pod = new kplus.Pod(c, 'Pod', { containers: [{ image: 'busybox:1.36' }] });
    pod.containers[0].mount('/t', vol, { readOnly: true });
    expect(findKind(synth(c), 'Pod').spec.volumes[0].projected.sources.map((s: any) => s.serviceAccountToken.path)).toEqual(['a']);
    tokens = ['a', 'b'];
    expect(findKind(synth(c), 'Pod').spec.volumes[0].projected.sources.map((s: any) => s.serviceAccountToken.path)).toEqual(['a', 'b']);
    expect(made).toBeGreaterThanOrEqual(2);
  });

  test('never truncates a long name (cdk8s-plus would cut it at 63 characters)', () => {
    const name = 'n'.repeat(70);
    expect(createProjectedVolume(name, { projected: { sources: [] } }, {}).name).toBe(name);
  });

  test('has a construct node on demand, for code that asks for one', () => {
    const vol = createProjectedVolume('tokens', { projected: { sources: [] } }, {});
    expect(vol.node.id).toBe('tokens');
  });
});
