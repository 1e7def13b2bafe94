import { ackAnnotation, findRule, R, VOLUME_ANNOTATION_KEY } from './catalogue';
import { checkTokenRequester, checkVaultAgentJwt, isTokenRequester } from './check-controller';
import { checkServiceAccountImagePull } from './check-image-pull';
import { checkIssuerValue } from './check-issuer';
import { checkPodSpec, CheckStyle } from './check-pod';
import { checkEksPodIdentityTarget } from './check-presets-in-step';
import { Finding, finding, getAt, NO_FINDINGS, ptr, show } from './finding';

export { getAt } from './finding';
import { ACK_ANNOTATION_PREFIX, isAuthentication, POD_TEMPLATE_LOCATION, PodSpecLocation, podSpecLocations } from './kubernetes';
import { TokenLimits } from './token-limits';

export interface ObjectCheckOptions {
  readonly style: CheckStyle;
  /** Volumes whose own checks are done by their construct. */
  readonly managedVolumes?: ReadonlySet<string>;
  /** Strict mode (lint --strict): also run the rules only strict mode runs (BT271). */
  readonly strict?: boolean;
  /** The cluster's token limits, when declared (ClusterTokenLimits, lint --max-token-expiration). */
  readonly limits?: TokenLimits;
}

/**
 * The acknowledgements in force for the pods of one pod spec: rule id ->
 * reason. They are read where the pods get them: a bare Pod's (or any object
 * without a pod template's) own metadata, a workload's pod template (its own
 * metadata never reaches its pods: BT138), and for a ClusterServiceVersion
 * both (OLM copies its annotations to every pod template; the template's win).
 */
export function acknowledgements(obj: any, loc?: PodSpecLocation): Map<string, string> {
  const acks = new Map<string, string>();
  const onTemplate = loc !== undefined && loc.templateMetadataPath !== '';
  if (!onTemplate || loc.objectAnnotationsReachPods) readAcks(obj?.metadata, acks);
  if (onTemplate) readAcks(getAt(obj, loc.templateMetadataPath), acks);
  return acks;
}

function readAcks(meta: any, into: Map<string, string>): void {
  const annotations = meta?.annotations;
  if (!annotations || typeof annotations !== 'object') return;
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(ACK_ANNOTATION_PREFIX) && typeof v === 'string') into.set(k.slice(ACK_ANNOTATION_PREFIX.length), v);
  }
}

/**
 * BT138: acknowledgement annotations on a workload's own metadata that its
 * pod template does not carry, so that its pods never get them.
 */
export function checkAckPlacement(obj: any, loc: PodSpecLocation): Finding[] {
  if (loc.bare || loc.objectAnnotationsReachPods || loc.templateMetadataPath === '') return NO_FINDINGS;
  const own = obj?.metadata?.annotations;
  if (!own || typeof own !== 'object') return NO_FINDINGS;
  const tmpl = getAt(obj, loc.templateMetadataPath)?.annotations;
  const out: Finding[] = [];
  for (const k of Object.keys(own)) {
    if (!k.startsWith(ACK_ANNOTATION_PREFIX)) continue;
    if (tmpl && typeof tmpl === 'object' && Object.prototype.hasOwnProperty.call(tmpl, k)) continue;
    out.push(finding(R.ACK_NOT_ON_PODS, ptr('metadata', 'annotations', k), k,
      `is on the ${obj.kind ?? 'object'}'s own metadata, not on its pod template (${loc.templateMetadataPath.slice(1).replace(/\//g, '.')}.annotations), so its pods never carry it and their warnings stay reported`,
      show(own[k])));
  }
  return out.length > 0 ? out : NO_FINDINGS;
}

/**
 * Runs every rule that applies to one plain object. Warnings acknowledged by
 * annotation are returned with `acknowledged` set; errors never are.
 * Rules of the other scope (construct-only or manifest-only) are left out.
 */
export function checkObject(obj: any, opts: ObjectCheckOptions): Finding[] {
  let out: Finding[] = [];
  const locs = podSpecLocations(obj);
  if (locs.length === 1) {
    out = podFindings(obj, locs[0], opts);
  } else if (locs.length > 1) {
    for (const loc of locs) for (const f of podFindings(obj, loc, opts)) out.push(f);
  } else if (isAuthentication(obj)) {
    out = checkAuthentication(obj);
    if (out.length > 0) markAcknowledged(out, acknowledgements(obj));
  } else if (isTokenRequester(obj)) {
    // a CSIDriver's or a VaultAuth's token requests (issue 19 §5)
    out = checkTokenRequester(obj, opts.limits);
    if (out.length > 0) markAcknowledged(out, acknowledgements(obj));
  } else if (obj?.kind === 'ServiceAccount') {
    // image pulls with service account tokens (BT254, BT255)
    out = checkServiceAccountImagePull(obj);
    if (out.length > 0) markAcknowledged(out, acknowledgements(obj));
  }
  if (out.length === 0) return out;
  const scope = opts.style.construct ? 'manifest' : 'construct';
  return out.filter(f => findRule(f.ruleId)?.scope !== scope);
}

/** The findings of one pod spec of an object, with its acknowledgements applied. */
function podFindings(obj: any, loc: PodSpecLocation, opts: ObjectCheckOptions): Finding[] {
  let out = checkPodSpec(getAt(obj, loc.specPath), loc.specPath, {
    style: opts.style,
    // every pod spec that runs as written (a Pod, a workload's template); not a PodTemplate object
    bare: loc !== POD_TEMPLATE_LOCATION,
    managedVolumes: opts.managedVolumes,
    strict: opts.strict,
    limits: opts.limits,
  });
  const misplaced = checkAckPlacement(obj, loc);
  if (misplaced.length > 0) out = out.concat(misplaced);
  const vault = checkVaultAgentJwt(obj, loc);
  if (vault.length > 0) out = out.concat(vault);
  const eksTarget = checkEksPodIdentityTarget(getAt(obj, loc.specPath), loc.specPath,
    loc.templateMetadataPath === '' ? obj?.metadata : getAt(obj, loc.templateMetadataPath), loc.templateMetadataPath === '' ? '/metadata' : loc.templateMetadataPath);
  if (eksTarget.length > 0) out = out.concat(eksTarget);
  if (out.length > 0) out = dropVolumesNamedByAnnotation(obj, loc, out);
  // the common case, for thousands of workloads: nothing found
  if (out.length > 0) markAcknowledged(out, acknowledgements(obj, loc));
  return out;
}

/**
 * BT143 does not apply to a token volume that the pod's annotations name: a
 * tool that reads the pod (a mesh or agent injector) mounts it into the
 * container it adds. An annotation names a volume when its key mentions
 * `volume` (VOLUME_ANNOTATION_KEY) and its value is the volume's name, e.g.
 * Kuma's `kuma.io/service-account-token-volume: token`. The policy reads the
 * same annotations (the pods' own: a Pod's metadata, a workload's template).
 */
function dropVolumesNamedByAnnotation(obj: any, loc: PodSpecLocation, found: Finding[]): Finding[] {
  if (!found.some(f => f.ruleId === R.MOUNT_NOWHERE.id)) return found;
  const named = new Set<string>();
  const onTemplate = loc.templateMetadataPath !== '';
  const read = (meta: any) => {
    const annotations = meta?.annotations;
    if (!annotations || typeof annotations !== 'object') return;
    for (const [k, v] of Object.entries(annotations)) {
      if (k.includes(VOLUME_ANNOTATION_KEY) && typeof v === 'string') named.add(v);
    }
  };
  if (!onTemplate || loc.objectAnnotationsReachPods) read(obj?.metadata);
  if (onTemplate) read(getAt(obj, loc.templateMetadataPath));
  if (named.size === 0) return found;
  return found.filter(f => f.ruleId !== R.MOUNT_NOWHERE.id || !named.has(getAt(obj, f.path)?.name));
}

function markAcknowledged(found: Finding[], acks: Map<string, string>): void {
  if (acks.size === 0) return;
  for (const f of found) {
    if (f.level === 'warning' && acks.has(f.ruleId)) f.acknowledged = acks.get(f.ruleId);
  }
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
