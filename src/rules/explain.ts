// Messages that explain a finding whose cause lies outside the user's code
// (issue 18, "Messages a user can act on"). Pure: the facts come from the
// caller, which knows the construct tree.
import { R } from './catalogue';
import { Finding } from './finding';

/** The upstream bug: cdk8s-plus drops a StatefulSet's pod volumes when it has no volume claim templates. */
export const KPLUS_STATEFULSET_VOLUMES_ISSUE = 'cdk8s-team/cdk8s-plus#6735';

/**
 * BT144 on a cdk8s-plus StatefulSet that has the volume in its model, but
 * whose cdk8s-plus line (`line`, e.g. 'cdk8s-plus-33') left it out of the
 * render: `StatefulSet._filterPodSpecVolumes` (cdk8s-plus-32 2.5.92,
 * cdk8s-plus-33 2.5.57 and cdk8s-plus-34 2.0.54 as installed here; not
 * cdk8s-plus-27 2.9.5) renders pod volumes only when the StatefulSet has
 * volumeClaimTemplates. The message says so and gives the JSON patch that
 * adds the volume back (`volumeJson`: the volume as cdk8s-plus renders it).
 */
export function explainDroppedStatefulSetVolume(f: Finding, line: string, volumeJson: unknown): Finding {
  if (f.ruleId !== R.MOUNT_UNKNOWN_VOLUME.id) return f;
  const cut = f.message.lastIndexOf('; ');
  const head = cut >= 0 ? f.message.slice(0, cut) : f.message;
  const json = JSON.stringify(volumeJson);
  return {
    ...f,
    message: `${head}; the StatefulSet has this volume, but ${line} renders a StatefulSet's pod volumes only when it has volumeClaimTemplates `
      + `(${KPLUS_STATEFULSET_VOLUMES_ISSUE}), so it left the volume out: add it back after mountInto() / bind() with `
      + `ApiObject.of(statefulSet).addJsonPatch(JsonPatch.add('${f.path.replace(/\/(initContainers|containers)\/.*$/, '')}/volumes/-', ${json}))`,
  };
}
