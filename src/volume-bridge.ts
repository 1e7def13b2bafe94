// cdk8s-plus-27 has no projected volumes and its `Volume` constructor is
// private (cdk8s-plus issue #353). This module is the one place that reaches
// past that: it builds a `kplus.Volume` whose rendered config is produced by
// a callback, so tokens added later still render.

import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

const OWNERS = new WeakMap<kplus.Volume, unknown>();

/**
 * Creates a `kplus.Volume` named `name` whose `projected` field is produced
 * by `render` every time the pod renders.
 */
export function createProjectedVolume(scope: Construct, id: string, name: string, render: () => unknown, owner: unknown): kplus.Volume {
  const config: Record<string, unknown> = {};
  Object.defineProperty(config, 'projected', { enumerable: true, get: render });
  // The private constructor is (scope, id, name, config); _toKube() renders {name, ...config}.
  const volume = Reflect.construct(kplus.Volume as unknown as Function, [scope, id, name, config]) as kplus.Volume;
  if (volume.name !== name) {
    // cdk8s-plus truncates names to 63 characters; the rules report such names, never truncate them.
    (volume as any).name = name;
  }
  OWNERS.set(volume, owner);
  return volume;
}

/** The construct that created a bridged volume, if it was created here. */
export function ownerOf(volume: kplus.Volume): unknown {
  return OWNERS.get(volume);
}
