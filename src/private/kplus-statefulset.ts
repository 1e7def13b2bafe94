// Internal: explains BT144 on cdk8s-plus StatefulSets whose line left a
// volume the model has out of the render (see src/rules/explain.ts).
import { kplusTypeOf, KplusWorkload, volumesInRenderOrder } from './kplus';
import { explainDroppedStatefulSetVolume, Finding, getAt, R } from '../rules';

/** `findings` with each BT144 that cdk8s-plus caused (the model has the volume, the render does not) explained. */
export function explainDroppedVolumes(workload: KplusWorkload, manifest: any, findings: Finding[]): Finding[] {
  if (findings.length === 0) return findings;
  const type = kplusTypeOf(workload);
  if (type?.className !== 'StatefulSet' || !findings.some(f => f.ruleId === R.MOUNT_UNKNOWN_VOLUME.id)) return findings;
  return findings.map(f => {
    if (f.ruleId !== R.MOUNT_UNKNOWN_VOLUME.id) return f;
    const name = getAt(manifest, f.path);
    const volume = volumesInRenderOrder(workload).find(v => v.name === name);
    return volume ? explainDroppedStatefulSetVolume(f, type.line, volume._toKube()) : f;
  });
}
