// cdk8s-plus-27 has no projected volumes and its `Volume` constructor is
// private (cdk8s-plus issue #353). This module is the one place that reaches
// past that: it builds a `kplus.Volume` that renders a projected volume.
//
// A `kplus.Volume` holds only `name` and `config` (its `_toKube()` renders
// `{ name, ...config }`); cdk8s-plus never uses its place in the construct
// tree. So the volume is made without running the Construct constructor:
// every construct costs synth time (cdk8s walks and graphs the whole tree
// several times per synth) and memory, and apps with thousands of workloads
// would pay that for an object that renders nothing by itself. Its `node` is
// made on first use, in a small tree of its own, for code that asks for it.

import * as kplus from 'cdk8s-plus-27';
import { Construct, Node } from 'constructs';
import { Slot } from './slot';

const OWNER = new Slot<unknown>('owner');
const NODE = new Slot<Node>('node');

/** The prototype of bridged volumes: a kplus.Volume whose `node` is made on first use. */
const BRIDGED: kplus.Volume = Object.create(kplus.Volume.prototype, {
  node: {
    get(this: kplus.Volume) {
      return NODE.get(this) ?? NODE.set(this, new Construct(new Construct(undefined as unknown as Construct, ''), this.name).node);
    },
  },
});

/**
 * Creates a `kplus.Volume` named `name` that renders `config` (`{ projected }`,
 * plain JSON that cdk8s-plus only reads, so volumes may share it; replace it
 * with `setConfig` when it changes).
 */
export function createProjectedVolume(name: string, config: { readonly projected: unknown }, owner: unknown): kplus.Volume {
  const volume: any = Object.create(BRIDGED);
  // cdk8s-plus truncates names to 63 characters; the rules report such names, never truncate them.
  volume.name = name;
  volume.config = config;
  OWNER.set(volume, owner);
  return volume;
}

/** Replaces what a bridged volume renders (its `config`). */
export function setConfig(volume: kplus.Volume, config: { readonly projected: unknown }): void {
  (volume as any).config = config;
}

/** The construct that created a bridged volume, if it was created here. */
export function ownerOf(volume: kplus.Volume): unknown {
  return OWNER.get(volume);
}
