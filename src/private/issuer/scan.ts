// Internal: what the rest of an app tells the cluster issuer checks: the
// token audiences at or below a cluster scope, and who needs a publicly
// reachable issuer (cloud audiences, and constructs marked by presets).
//
// Where the audiences come from, in tree order (the first place an audience
// is set names it in messages):
// - a ProjectedTokenVolume: its tokens;
// - a workload the library bound (a binding record, cdk8s-plus model or plain
//   ApiObject): the manifest its rules read;
// - a cdk8s-plus object that is not bound: nothing. cdk8s-plus renders no
//   projected volume of its own, and a library volume mounted by hand makes
//   the workload a binding record (discovery, at the start of the pass);
// - any other ApiObject (hand-written objects the library never saw, such as a
//   KubeDeployment with a projected token of its own): its render, once per
//   validation pass, unless its kind never carries a pod spec
//   (KINDS_WITHOUT_POD_SPEC, src/rules/kubernetes.ts). This is the one
//   part that must walk the whole tree: no record knows these objects. (The
//   kinds are skipped for speed only: rendering the ConfigMaps, Services, ...
//   of an app costs about 0.1 ms each, 4-5 times the rest of the scan.)
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { issuerKeysUploaded, publicIssuerMarks, renderOncePerPass } from './facts';
import { ProjectedTokenVolume } from '../../projected-token-volume';
import { AudienceUse, cloudAudienceConsumer, getAt, KINDS_WITHOUT_POD_SPEC, locatePodSpec, PublicIssuerNeed } from '../../rules';
import { BoundWorkload } from '../bound-workload';
import { kplusTypeOf } from '../kplus';

/** Where an object is, for messages: the construct that owns `Resource`, else the object itself. */
function whereOf(obj: IConstruct): string {
  const scope = obj.node.scope;
  return obj.node.id === 'Resource' && scope ? scope.node.path : obj.node.path;
}

/** The manifest to read the token audiences of `obj` from, or undefined when it has none to offer. */
function manifestOf(obj: ApiObject): unknown {
  const scope = obj.node.scope;
  const owner = obj.node.id === 'Resource' ? scope : undefined;
  const record = BoundWorkload.find(obj) ?? (owner ? BoundWorkload.find(owner) : undefined);
  if (record && record.apiObject === obj) {
    try {
      return record.manifest();
    } catch {
      // a workload that cannot render reports its own error; it has no audiences to offer
      return undefined;
    }
  }
  if (owner && kplusTypeOf(owner)) return undefined;
  return KINDS_WITHOUT_POD_SPEC.has(obj.kind) ? undefined : renderOncePerPass(obj);
}

/**
 * Every token audience at or below `cluster` (the app's root: the whole app),
 * once per audience (the first place it is set).
 */
export function appTokenAudiences(cluster: IConstruct): AudienceUse[] {
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
    } else if (ApiObject.isApiObject(c)) {
      const manifest = manifestOf(c);
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
