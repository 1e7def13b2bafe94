// Internal: what the rest of an app tells the cluster issuer checks. The
// token audiences of every token volume in the app (ProjectedTokenVolume
// constructs and every object that carries a pod spec, cdk8s-plus workloads
// and hand-written ApiObjects alike), and who needs a publicly reachable
// issuer (cloud audiences, and constructs marked by presets).
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ProjectedTokenVolume } from '../../projected-token-volume';
import { AudienceUse, cloudAudienceConsumer, getAt, locatePodSpec, PublicIssuerNeed } from '../../rules';
import { onPass } from '../engine';
import { asWorkload, modelManifest } from '../kplus';
import { issuerKeysUploaded, publicIssuerMarks } from '../public-issuer';

/** Kinds that never carry a pod spec: not rendered by the scan. */
const NO_POD_SPEC = new Set([
  'Authentication', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Namespace', 'Endpoints',
  'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Ingress', 'NetworkPolicy',
  'PersistentVolume', 'PersistentVolumeClaim', 'StorageClass', 'PodDisruptionBudget',
  'HorizontalPodAutoscaler', 'LimitRange', 'ResourceQuota', 'CustomResourceDefinition',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
]);

// Renders are kept for one validation pass (the engine's pass hook clears them).
const CACHE = new WeakMap<IConstruct, Map<ApiObject, unknown>>();
const HOOKED = new WeakMap<IConstruct, object>();

function renderOnce(root: IConstruct, obj: ApiObject): any {
  if (!HOOKED.has(root)) {
    const key = {};
    HOOKED.set(root, key);
    onPass(root, key, () => CACHE.delete(root));
  }
  let cache = CACHE.get(root);
  if (!cache) {
    cache = new Map();
    CACHE.set(root, cache);
  }
  if (!cache.has(obj)) {
    let json: unknown;
    try {
      // a cdk8s-plus workload is read from its model; other objects render
      const w = asWorkload(obj.node.scope);
      json = w && obj.node.id === 'Resource' ? modelManifest(w) : obj.toJson();
    } catch {
      // an object that cannot render reports its own error; it has no audiences to offer
      json = undefined;
    }
    cache.set(obj, json);
  }
  return cache.get(obj);
}

/** Where an object is, for messages: the construct that owns `Resource`, else the object itself. */
function whereOf(obj: IConstruct): string {
  const scope = obj.node.scope;
  return obj.node.id === 'Resource' && scope ? scope.node.path : obj.node.path;
}

/**
 * Every token audience at or below `cluster` (the app's root: the whole app),
 * once per audience (the first place it is set).
 */
export function appTokenAudiences(cluster: IConstruct): AudienceUse[] {
  const root = cluster.node.root;
  const out: AudienceUse[] = [];
  const seen = new Set<string>();
  const add = (audience: unknown, where: string) => {
    if (typeof audience !== 'string' || audience === '' || seen.has(audience)) return;
    seen.add(audience);
    out.push({ audience, where });
  };
  for (const c of cluster.node.findAll()) {
    if (c instanceof ProjectedTokenVolume) {
      for (const t of c.tokens) add(t.audience, c.node.path);
    } else if (c instanceof ApiObject && !NO_POD_SPEC.has(c.kind)) {
      const manifest = renderOnce(root, c);
      const loc = locatePodSpec(manifest);
      if (!loc) continue;
      const volumes = getAt(manifest, loc.specPath)?.volumes;
      if (!Array.isArray(volumes)) continue;
      for (const v of volumes) {
        const sources = v?.projected?.sources;
        if (!Array.isArray(sources)) continue;
        for (const s of sources) add(s?.serviceAccountToken?.audience, whereOf(c));
      }
    }
  }
  return out;
}

/** Who at or below `cluster` needs a cloud to fetch the issuer's discovery document. */
export function appPublicIssuerNeeds(cluster: IConstruct, audiences: readonly AudienceUse[]): PublicIssuerNeed[] {
  const out: PublicIssuerNeed[] = [];
  for (const m of publicIssuerMarks(cluster)) {
    if (m.construct === cluster || m.construct.node.scopes.includes(cluster)) out.push({ consumer: m.consumer, where: m.construct.node.path });
  }
  const keysUploaded = issuerKeysUploaded(cluster);
  for (const a of audiences) {
    // a verifier that holds the cluster's keys (an uploaded JWKS) fetches nothing from the issuer
    if (keysUploaded.has(a.audience)) continue;
    const consumer = cloudAudienceConsumer(a.audience);
    if (consumer) out.push({ consumer: `${consumer} (audience '${a.audience}')`, where: a.where });
  }
  return out;
}
