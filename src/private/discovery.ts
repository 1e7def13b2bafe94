// Discovery: finding the cdk8s-plus workloads that use a library volume the
// library did not bind. Internal: not part of the jsii API.
//
// A library volume can reach a cdk8s-plus workload through the ordinary
// `container.mount(path, volume)` or `addVolume(volume)`, which the library
// does not see. Once a volume has been handed out (`asVolume()`), every
// validation pass starts by looking for cdk8s-plus workloads (any line) that
// use a library volume, and gives them a record.
import { IConstruct } from 'constructs';
import { isBindableVolume, BindableVolume } from './binding';
import { BoundWorkload } from './bound-workload';
import { onPass } from './engine';
import { asWorkload, ownerOf, volumesInRenderOrder } from './kplus';
import { Slot } from './slot';

const DISCOVERY = new Slot<object>('discovery');

/** Looks for workloads that mount library volumes by hand, at the start of every pass of `c`'s app. */
export function enableDiscovery(c: IConstruct): void {
  const root = c.node.root;
  if (DISCOVERY.has(root)) return;
  const key = DISCOVERY.set(root, {});
  onPass(root, key, () => discover(root));
}

function discover(root: IConstruct): void {
  for (const c of root.node.findAll()) {
    const w = asWorkload(c);
    if (!w) continue;
    const owners = new Set<BindableVolume>();
    for (const v of volumesInRenderOrder(w)) {
      const owner = ownerOf(v);
      if (isBindableVolume(owner)) owners.add(owner);
    }
    if (owners.size === 0) continue;
    BoundWorkload.of(w, '', false);
    for (const owner of owners) owner._addUser(w);
  }
}
