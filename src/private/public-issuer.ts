// Internal (not re-exported from src/index.ts): the marker that identity
// presets use to say "this construct needs a cloud to fetch the cluster
// issuer's discovery document", so that a ClusterIssuerConfig in the same app
// can warn when its issuer is cluster-internal (BT169).
//
//   markNeedsPublicIssuer(this, 'AWS IAM roles for service accounts');
//
// Token audiences that belong to clouds (sts.amazonaws.com, ...) are found
// without a marker (src/issuer-scan.ts).
import { IConstruct } from 'constructs';

/** One construct that needs a publicly reachable issuer. */
export interface PublicIssuerMark {
  readonly construct: IConstruct;
  /** Who verifies its tokens, e.g. 'AWS IAM roles for service accounts'. */
  readonly consumer: string;
}

const MARKS = new WeakMap<IConstruct, PublicIssuerMark[]>();

/**
 * Records that `construct` hands its tokens to `consumer`, an external
 * verifier that fetches `<issuer>/.well-known/openid-configuration` and its
 * keys from the issuer's host. Marking the same construct for the same
 * consumer twice records it once.
 */
export function markNeedsPublicIssuer(construct: IConstruct, consumer: string): void {
  if (typeof consumer !== 'string' || consumer.trim() === '') {
    throw new Error(`[${construct.node.path}] 'consumer' must name the verifier that needs a public issuer, got '${consumer}'`);
  }
  const root = construct.node.root;
  const list = MARKS.get(root) ?? [];
  if (!list.some(m => m.construct === construct && m.consumer === consumer)) {
    list.push({ construct, consumer });
  }
  MARKS.set(root, list);
}

/** Every mark in the app of `scope`, in the order they were made. */
export function publicIssuerMarks(scope: IConstruct): PublicIssuerMark[] {
  return [...(MARKS.get(scope.node.root) ?? [])];
}

const KEYS_UPLOADED = new WeakMap<IConstruct, Set<string>>();

/**
 * Records that the cloud verifying tokens of `audience` holds the cluster's
 * keys (a JWKS uploaded to a Google Cloud workload identity pool provider,
 * as `ccoctl` does on OpenShift 4.22+): it fetches nothing from the issuer,
 * so a cluster-internal issuer works for that audience (no BT169).
 */
export function markIssuerKeysUploaded(construct: IConstruct, audience: string): void {
  const root = construct.node.root;
  const set = KEYS_UPLOADED.get(root) ?? new Set<string>();
  set.add(audience);
  KEYS_UPLOADED.set(root, set);
}

/** The audiences of the app of `scope` whose verifiers hold the cluster's keys. */
export function issuerKeysUploaded(scope: IConstruct): ReadonlySet<string> {
  return KEYS_UPLOADED.get(scope.node.root) ?? new Set();
}
