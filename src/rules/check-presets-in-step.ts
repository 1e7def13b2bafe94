// Keeping the presets in step with their platforms (issue 19 section 6,
// BT290-BT294). Pure, like the rest of src/rules.
import { defineRule } from './catalogue';
import { Finding, finding, ptr, show } from './finding';

/** Rule ids of the platform limits of the presets (BT290-BT294). */
export const PS = {
  EKS_POD_IDENTITY_TARGET: defineRule('BT290', 'warning',
    'A workload that uses EKS Pod Identity (a token with audience pods.eks.amazonaws.com) visibly targets nodes where EKS Pod Identity does not work: Windows nodes (nodeSelector or required node affinity kubernetes.io/os: windows, spec.os.name: windows) or Fargate (eks.amazonaws.com/compute-type: fargate as a node selector, required node affinity, pod label or pod annotation); the EKS Pod Identity Agent runs only on Linux EC2 nodes, so the pods get no credentials (aws/containers-roadmap#2274). A Fargate profile that selects the pod by namespace and labels is not visible in the manifest.',
    'use IAM roles for service accounts (AwsIamRole) for pods on Windows nodes or Fargate, or schedule the workload onto Linux EC2 nodes'),
};

/** The audience of EKS Pod Identity tokens. */
export const EKS_POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';
/** The label (and annotation) that marks Fargate: Fargate nodes carry it, and pods may select it. */
export const EKS_COMPUTE_TYPE_KEY = 'eks.amazonaws.com/compute-type';
const OS_KEY = 'kubernetes.io/os';

function projectsAudience(spec: any, audience: string): boolean {
  const volumes = spec?.volumes;
  if (!Array.isArray(volumes)) return false;
  return volumes.some((v: any) => Array.isArray(v?.projected?.sources)
    && v.projected.sources.some((s: any) => s?.serviceAccountToken?.audience === audience));
}

// label values and os.name are compared exactly, as the scheduler and the API server do
const eq = (v: unknown, want: string) => v === want;

/** The pod's required node affinity lets it run only where `key` is `value` (every term has `key In [value]`, as cdk8s-plus's scheduling.attract writes it). */
function requiredAffinityOnly(spec: any, key: string, value: string): boolean {
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return false;
  return terms.every((t: any) => Array.isArray(t?.matchExpressions) && t.matchExpressions.some((e: any) =>
    e?.key === key && e?.operator === 'In' && Array.isArray(e.values) && e.values.length > 0 && e.values.every((v: unknown) => eq(v, value))));
}

/**
 * BT290: the pod spec at `specPath` projects an EKS Pod Identity token and
 * targets Windows nodes or Fargate. `meta` is the pod's metadata (a Pod's
 * own, a workload's template), at `metaPath`.
 */
export function checkEksPodIdentityTarget(spec: any, specPath: string, meta: any, metaPath: string): Finding[] {
  if (!spec || typeof spec !== 'object' || !projectsAudience(spec, EKS_POD_IDENTITY_AUDIENCE)) return [];
  const out: Finding[] = [];
  const add = (path: string, prop: string, problem: string, got: unknown) => {
    out.push(finding(PS.EKS_POD_IDENTITY_TARGET, path, prop, problem, show(got)));
  };
  const sel = spec.nodeSelector;
  if (sel && typeof sel === 'object') {
    if (eq(sel[OS_KEY], 'windows')) add(`${specPath}${ptr('nodeSelector', OS_KEY)}`, `nodeSelector.${OS_KEY}`, 'schedules the pod onto Windows nodes, where EKS Pod Identity does not work', sel[OS_KEY]);
    if (eq(sel[EKS_COMPUTE_TYPE_KEY], 'fargate')) add(`${specPath}${ptr('nodeSelector', EKS_COMPUTE_TYPE_KEY)}`, `nodeSelector.${EKS_COMPUTE_TYPE_KEY}`, 'schedules the pod onto Fargate, where EKS Pod Identity does not work', sel[EKS_COMPUTE_TYPE_KEY]);
  }
  for (const [key, value, where] of [[OS_KEY, 'windows', 'Windows nodes'], [EKS_COMPUTE_TYPE_KEY, 'fargate', 'Fargate']] as const) {
    if (requiredAffinityOnly(spec, key, value)) {
      add(`${specPath}/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution`, 'affinity.nodeAffinity',
        `requires ${key} In [${value}] in every term, so the pod runs only on ${where}, where EKS Pod Identity does not work`, value);
    }
  }
  if (eq(spec.os?.name, 'windows')) add(`${specPath}/os/name`, 'os.name', 'makes the pod a Windows pod, and EKS Pod Identity does not work on Windows nodes', spec.os.name);
  for (const kind of ['labels', 'annotations'] as const) {
    const v = meta?.[kind]?.[EKS_COMPUTE_TYPE_KEY];
    if (eq(v, 'fargate')) add(`${metaPath}${ptr(kind, EKS_COMPUTE_TYPE_KEY)}`, `${kind}.${EKS_COMPUTE_TYPE_KEY}`, 'marks the pod for Fargate, where EKS Pod Identity does not work', v);
  }
  return out;
}
