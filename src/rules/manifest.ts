import { ackAnnotation, findRule, R } from './catalogue';
import { checkIssuerValue } from './check-issuer';
import { checkPodSpec, CheckStyle } from './check-pod';
import { Finding, finding, pointerSegments, show } from './finding';

/** Where a pod spec sits in an object. */
export interface PodSpecLocation {
  /** JSON pointer of the pod spec. */
  readonly specPath: string;
  /** JSON pointer of the pod template's metadata ('' for a bare Pod). */
  readonly templateMetadataPath: string;
  /** The object is a bare Pod. */
  readonly bare: boolean;
}

/** Segments of the pointers read so far (a pod spec is read at a handful of pointers, thousands of times). */
const SEGMENTS = new Map<string, string[]>();

/** Reads a JSON pointer. */
export function getAt(obj: any, pointer: string): any {
  if (pointer === '') return obj;
  let segments = SEGMENTS.get(pointer);
  if (segments === undefined) {
    segments = pointerSegments(pointer);
    if (SEGMENTS.size >= 4096) SEGMENTS.clear();
    SEGMENTS.set(pointer, segments);
  }
  let cur = obj;
  for (let i = 0; i < segments.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[segments[i]];
  }
  return cur;
}

// shared, frozen: locating a pod spec allocates nothing
const POD: PodSpecLocation = Object.freeze({ specPath: '/spec', templateMetadataPath: '', bare: true });
const POD_TEMPLATE: PodSpecLocation = Object.freeze({ specPath: '/template/spec', templateMetadataPath: '/template/metadata', bare: false });
const CRON_JOB: PodSpecLocation = Object.freeze({
  specPath: '/spec/jobTemplate/spec/template/spec',
  templateMetadataPath: '/spec/jobTemplate/spec/template/metadata',
  bare: false,
});
const WORKLOAD: PodSpecLocation = Object.freeze({ specPath: '/spec/template/spec', templateMetadataPath: '/spec/template/metadata', bare: false });

/**
 * Finds the pod spec of any object that carries one: a Pod, a PodTemplate,
 * a CronJob, and every kind with containers at spec.template.spec
 * (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
 * Job, Argo Rollout, OpenShift DeploymentConfig, Knative Service, ...).
 */
export function locatePodSpec(obj: any): PodSpecLocation | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const kind = obj.kind;
  if (kind === 'Pod') return POD;
  if (kind === 'PodTemplate') return POD_TEMPLATE;
  if (kind === 'CronJob' && obj.spec?.jobTemplate) return CRON_JOB;
  const tspec = obj.spec?.template?.spec;
  if (tspec && typeof tspec === 'object' && (Array.isArray(tspec.containers) || Array.isArray(tspec.volumes))) return WORKLOAD;
  return undefined;
}

/** True for the OpenShift cluster Authentication object. */
export function isAuthentication(obj: any): boolean {
  return obj?.kind === 'Authentication' && typeof obj?.apiVersion === 'string' && obj.apiVersion.startsWith('config.openshift.io/');
}

export interface ObjectCheckOptions {
  readonly style: CheckStyle;
  /** Volumes whose own checks are done by their construct. */
  readonly managedVolumes?: ReadonlySet<string>;
}

/** The acknowledgement annotations on an object and its pod template: rule id -> reason. */
export function acknowledgements(obj: any, loc?: PodSpecLocation): Map<string, string> {
  const acks = new Map<string, string>();
  const read = (meta: any) => {
    const annotations = meta?.annotations;
    if (!annotations || typeof annotations !== 'object') return;
    for (const [k, v] of Object.entries(annotations)) {
      if (k.startsWith('bound-tokens.io/acknowledge-') && typeof v === 'string') {
        acks.set(k.slice('bound-tokens.io/acknowledge-'.length), v);
      }
    }
  };
  read(obj?.metadata);
  if (loc && loc.templateMetadataPath) read(getAt(obj, loc.templateMetadataPath));
  return acks;
}

/**
 * Runs every rule that applies to one plain object. Warnings acknowledged by
 * annotation are returned with `acknowledged` set; errors never are.
 * Rules of the other scope (construct-only or manifest-only) are left out.
 */
export function checkObject(obj: any, opts: ObjectCheckOptions): Finding[] {
  let out: Finding[] = [];
  const loc = locatePodSpec(obj);
  if (loc) {
    out = checkPodSpec(getAt(obj, loc.specPath), loc.specPath, {
      style: opts.style,
      // every pod spec that runs as written (a Pod, a workload's template); not a PodTemplate object
      bare: loc !== POD_TEMPLATE,
      managedVolumes: opts.managedVolumes,
    });
  } else if (isAuthentication(obj)) {
    out = checkAuthentication(obj);
  }
  // the common case, for thousands of workloads: nothing found
  if (out.length === 0) return out;
  const scope = opts.style.construct ? 'manifest' : 'construct';
  out = out.filter(f => findRule(f.ruleId)?.scope !== scope);
  const acks = acknowledgements(obj, loc);
  for (const f of out) {
    if (f.level === 'warning' && acks.has(f.ruleId)) f.acknowledged = acks.get(f.ruleId);
  }
  return out;
}

/** Checks an OpenShift Authentication object (its name and issuer). */
export function checkAuthentication(obj: any): Finding[] {
  const out: Finding[] = [];
  const name = obj?.metadata?.name;
  if (name !== 'cluster') {
    out.push(finding(R.ISSUER_OBJECT_NAME, '/metadata/name', 'metadata.name', 'must be cluster', show(name)));
  }
  const spec = obj?.spec;
  if (spec && typeof spec === 'object' && 'serviceAccountIssuer' in spec) {
    out.push(...checkIssuerValue(spec.serviceAccountIssuer, '/spec/serviceAccountIssuer', 'serviceAccountIssuer'));
  }
  return out;
}

export { ackAnnotation };
