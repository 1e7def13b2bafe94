// Which workloads use which token volume. Internal.
//
// A ProjectedTokenVolume can reach a workload three ways: `mountInto`,
// `mountIntoApiObject` (both record the workload here when called) and the
// ordinary cdk8s-plus `container.mount(path, volume)` or `addVolume(volume)`,
// which the library does not see. For those, every validation pass starts by
// scanning the tree for cdk8s-plus workloads that use a library-made volume
// and puts them under the rules.
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { onPass } from './engine';
import { ownerOf } from './volume-bridge';
import { bridgedVolumes, watchWorkload } from './workload-subject';

const USERS = new WeakMap<object, Set<IConstruct>>();
const KEYS = new WeakMap<IConstruct, object>();

/** Records that `workload` uses `volume` (the ProjectedTokenVolume). */
export function addUser(volume: object, workload: IConstruct): void {
  let set = USERS.get(volume);
  if (!set) {
    set = new Set();
    USERS.set(volume, set);
  }
  set.add(workload);
}

/** The workloads known to use `volume`, in the order they were found. */
export function usersOf(volume: object): IConstruct[] {
  return [...(USERS.get(volume) ?? [])];
}

/** Scans `c`'s app for cdk8s-plus workloads using library-made volumes, at the start of every pass. */
export function enableDiscovery(c: IConstruct): void {
  const root = c.node.root;
  if (KEYS.has(root)) return;
  const key = {};
  KEYS.set(root, key);
  onPass(root, key, () => discover(root));
}

function discover(root: IConstruct): void {
  for (const c of root.node.findAll()) {
    if (!(c instanceof kplus.AbstractPod)) continue;
    const volumes = bridgedVolumes(c);
    if (volumes.length === 0) continue;
    watchWorkload(c);
    for (const v of volumes) {
      const owner = ownerOf(v);
      if (owner && typeof owner === 'object') addUser(owner, c);
    }
  }
}
