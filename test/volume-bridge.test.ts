// The one place that reaches past cdk8s-plus-27's private Volume constructor.
import * as kplus from 'cdk8s-plus-27';
import { chart, findKind, synth } from './util';
import { createProjectedVolume, ownerOf } from '../src/volume-bridge';

describe('volume bridge', () => {
  test('builds a real kplus.Volume that renders the projected config on every render', () => {
    const c = chart();
    let sources: any[] = [{ serviceAccountToken: { path: 'a', audience: 'x', expirationSeconds: 3600 } }];
    const owner = {};
    const vol = createProjectedVolume(c, 'V', 'tokens', () => ({ sources }), owner);
    expect(vol).toBeInstanceOf(kplus.Volume);
    expect(vol.asVolume()).toBe(vol);
    expect(ownerOf(vol)).toBe(owner);
    expect(ownerOf(kplus.Volume.fromEmptyDir(c, 'E', 'e'))).toBeUndefined();

    const pod = new kplus.Pod(c, 'Pod', { containers: [{ image: 'busybox:1.36' }] });
    pod.containers[0].mount('/t', vol, { readOnly: true });
    expect(findKind(synth(c), 'Pod').spec.volumes).toEqual([{ name: 'tokens', projected: { sources } }]);
    sources = [...sources, { serviceAccountToken: { path: 'b', audience: 'y', expirationSeconds: 600 } }];
    expect(findKind(synth(c), 'Pod').spec.volumes[0].projected.sources).toHaveLength(2);
  });

  test('never truncates a long name (cdk8s-plus would cut it at 63 characters)', () => {
    const c = chart();
    const name = 'n'.repeat(70);
    expect(createProjectedVolume(c, 'V', name, () => ({ sources: [] }), {}).name).toBe(name);
  });
});
