// Registers a cdk8s-plus workload with the rule engine. Internal.
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { registerSubject, Subject } from './engine';
import { Finding } from './rules';
import { ownerOf } from './volume-bridge';

/** The library's volume constructs a workload uses (as volumes or through mounts). */
export function volumeOwnersOf(workload: kplus.AbstractPod): IConstruct[] {
  const owners = new Set<IConstruct>();
  const add = (v: kplus.Volume) => {
    const owner = ownerOf(v);
    if (owner) owners.add(owner as IConstruct);
  };
  workload.volumes.forEach(add);
  for (const c of [...workload.containers, ...workload.initContainers]) {
    for (const m of c.mounts) add(m.volume);
  }
  return [...owners];
}

export interface WatchOptions {
  /** Checks only the construct can do. */
  readonly extraFindings?: (manifest: any) => Finding[];
  /** Rule ids this subject leaves to another rule. */
  readonly exclude?: string[];
}

/** Puts a cdk8s-plus workload (Pod, Deployment, ...) under the rules, once. */
export function watchWorkload(workload: kplus.AbstractPod, options: WatchOptions = {}): Subject {
  const exclude = new Set(options.exclude ?? []);
  return registerSubject({
    construct: workload,
    apiObject: ApiObject.of(workload),
    volumeOwners: () => volumeOwnersOf(workload),
    extraFindings: (manifest) => options.extraFindings?.(manifest) ?? [],
    exclude,
    annotate: (key, value) => {
      workload.metadata.addAnnotation(key, value);
      if (workload.podMetadata !== workload.metadata) workload.podMetadata.addAnnotation(key, value);
    },
  });
}
