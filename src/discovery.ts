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
import { Slot } from './slot';
import { ownerOf } from './volume-bridge';
import { bridgedVolumes, watchWorkload } from './workload-subject';

/** The workloads using a volume: one directly (the common case), more in a Set. */
const USERS = new Slot<IConstruct | Set<IConstruct>>('users');
const KEYS = new WeakMap<IConstruct, object>();

/** Records that `workload` uses `volume` (the ProjectedTokenVolume). */
export function addUser(volume: object, workload: IConstruct): void {
  const users = USERS.get(volume);
  if (users === undefined) USERS.set(volume, workload);
  else if (users instanceof Set) users.add(workload);
  else if (users !== workload) USERS.set(volume, new Set([users, workload]));
}

/** The workloads known to use `volume`, in the order they were found. */
export function usersOf(volume: object): IConstruct[] {
  const users = USERS.get(volume);
  return users === undefined ? [] : users instanceof Set ? [...users] : [users];
}

/** True when some workload is known to use `volume`. */
export function hasUsers(volume: object): boolean {
  return USERS.has(volume);
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
