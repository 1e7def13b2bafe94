// Internal: what an app tells its issuer constructs, kept in one record per
// app (on the app's root, like the engine's state): its ClusterIssuerConfigs,
// its IssuerRotationRestarts, the constructs that need a publicly reachable
// issuer (marked by identity presets), and the renders the audience scan
// keeps for one validation pass. No module-level state: two apps in one
// process never see each other's facts.
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GitOpsOptions } from '../../gitops';
import { R } from '../../rules';
import { onPass } from '../engine';
import { Slot } from '../slot';

/** What a ClusterIssuerConfig tells the other issuer checks of its cluster. */
export interface IssuerConfigInfo {
  readonly construct: IConstruct;
  readonly issuer: string;
  readonly gitOps: GitOpsOptions;
  /** The objects it applies to (its clusterScope, or the app's root). */
  readonly scope: IConstruct;
}

/** A restart: its construct, the issuer it waits for and its cluster. */
export interface RestartInfo {
  readonly construct: IConstruct;
  readonly issuer: string;
  readonly scope: IConstruct;
}

/** One construct that needs a publicly reachable issuer. */
export interface PublicIssuerMark {
  readonly construct: IConstruct;
  /** Who verifies its tokens, e.g. 'AWS IAM roles for service accounts'. */
  readonly consumer: string;
}

/** The issuer facts of one app. */
interface IssuerFacts {
  readonly configs: IssuerConfigInfo[];
  readonly restarts: RestartInfo[];
  /** In the order they were made. */
  readonly marks: PublicIssuerMark[];
  /** Audiences whose verifier holds the cluster's keys (an uploaded JWKS): no public issuer needed for them. */
  readonly keysUploaded: Set<string>;
  /** Renders of the objects the audience scan reads, for one validation pass (made on first use). */
  renders?: Map<ApiObject, unknown>;
}

const FACTS = new Slot<IssuerFacts>('issuer-facts');

/** The record of `c`'s app, made on first use. */
function factsOf(c: IConstruct): IssuerFacts {
  const root = c.node.root;
  return FACTS.get(root) ?? FACTS.set(root, { configs: [], restarts: [], marks: [], keysUploaded: new Set() });
}

// --- clusters ------------------------------------------------------------------

/**
 * The part of an app that is one cluster for the issuer constructs: the
 * `clusterScope` they were given (usually the Chart synthesized for that
 * cluster), else the whole app. Two scopes are one cluster when one contains
 * the other (or they are the same).
 */
export function sameCluster(a: IConstruct, b: IConstruct): boolean {
  return a === b || a.node.scopes.includes(b) || b.node.scopes.includes(a);
}

/** How a cluster scope reads in messages: 'the whole app' or 'chart-a'. */
export function describeCluster(scope: IConstruct): string {
  return scope === scope.node.root ? 'the whole app' : `'${scope.node.path}'`;
}

/**
 * Checks a `clusterScope` prop: a construct of the same app (BT240), thrown
 * with the construct's path. Returns the scope to use (the app's root by default).
 */
export function clusterScopeOf(c: IConstruct, clusterScope: IConstruct | undefined, what: string): IConstruct {
  if (clusterScope === undefined) return c.node.root;
  const node = (clusterScope as any)?.node;
  if (!node || typeof node.path !== 'string' || node.root !== c.node.root) {
    const got = node && typeof node.path === 'string' ? `a construct of another app at '${node.path}'` : String(clusterScope);
    throw new Error(`[${c.node.path}] ${R.ISSUER_CLUSTER_SCOPE.id}: 'clusterScope' of ${what} must be a construct of the same app (the Chart of the cluster), got ${got}; ${R.ISSUER_CLUSTER_SCOPE.fix}`);
  }
  return clusterScope;
}

/** -1 when `a` comes before `b` in the construct tree (pre-order, as `findAll` lists them). */
function treeOrder(a: IConstruct, b: IConstruct): number {
  if (a === b) return 0;
  const sa = a.node.scopes;
  const sb = b.node.scopes;
  let i = 0;
  while (i < sa.length && i < sb.length && sa[i] === sb[i]) i++;
  // an ancestor comes before its children
  if (i === sa.length) return -1;
  if (i === sb.length) return 1;
  const siblings = sa[i - 1].node.children;
  return siblings.indexOf(sa[i]) - siblings.indexOf(sb[i]);
}

function inTreeOrder<T extends { readonly construct: IConstruct }>(list: T[]): T[] {
  return list.length < 2 ? list : [...list].sort((x, y) => treeOrder(x.construct, y.construct));
}

// --- the issuer constructs -------------------------------------------------------

/** Records a ClusterIssuerConfig of the app. */
export function registerIssuerConfig(info: IssuerConfigInfo): void {
  factsOf(info.construct).configs.push(info);
}

/** The ClusterIssuerConfigs whose cluster is `scope`'s (one contains the other), in tree order. */
export function issuerConfigsSharing(scope: IConstruct): IssuerConfigInfo[] {
  const configs = FACTS.get(scope.node.root)?.configs ?? [];
  return inTreeOrder(configs.filter(c => sameCluster(c.scope, scope)));
}

/** Records an IssuerRotationRestart of the app. */
export function registerRestart(info: RestartInfo): void {
  factsOf(info.construct).restarts.push(info);
}

/** The restarts whose cluster is `scope`'s, in tree order. */
export function restartsSharing(scope: IConstruct): RestartInfo[] {
  const restarts = FACTS.get(scope.node.root)?.restarts ?? [];
  return inTreeOrder(restarts.filter(r => sameCluster(r.scope, scope)));
}

// --- who needs a public issuer -----------------------------------------------------

/**
 * Records that `construct` hands its tokens to `consumer`, an external
 * verifier that fetches `<issuer>/.well-known/openid-configuration` and its
 * keys from the issuer's host (identity presets call it, so that a
 * ClusterIssuerConfig of the app can warn when its issuer is
 * cluster-internal, BT169). Marking the same construct for the same consumer
 * twice records it once.
 */
export function markNeedsPublicIssuer(construct: IConstruct, consumer: string): void {
  if (typeof consumer !== 'string' || consumer.trim() === '') {
    throw new Error(`[${construct.node.path}] 'consumer' must name the verifier that needs a public issuer, got '${consumer}'`);
  }
  const marks = factsOf(construct).marks;
  if (!marks.some(m => m.construct === construct && m.consumer === consumer)) marks.push({ construct, consumer });
}

/** Every mark in the app of `scope`, in the order they were made. */
export function publicIssuerMarks(scope: IConstruct): PublicIssuerMark[] {
  return [...(FACTS.get(scope.node.root)?.marks ?? [])];
}

/**
 * Records that the cloud verifying tokens of `audience` holds the cluster's
 * keys (a JWKS uploaded to a Google Cloud workload identity pool provider,
 * as `ccoctl` does on OpenShift 4.22+): it fetches nothing from the issuer,
 * so a cluster-internal issuer works for that audience (no BT169).
 */
export function markIssuerKeysUploaded(construct: IConstruct, audience: string): void {
  factsOf(construct).keysUploaded.add(audience);
}

/** The audiences of the app of `scope` whose verifiers hold the cluster's keys. */
export function issuerKeysUploaded(scope: IConstruct): ReadonlySet<string> {
  return FACTS.get(scope.node.root)?.keysUploaded ?? new Set();
}

// --- renders, for one validation pass -------------------------------------------------

/**
 * `obj.toJson()` as the rules read it, rendered once per validation pass of
 * its app (the engine's pass hook drops the renders); undefined when it
 * cannot render (such an object reports its own error).
 */
export function renderOncePerPass(obj: ApiObject): unknown {
  const facts = factsOf(obj);
  let renders = facts.renders;
  if (!renders) {
    renders = facts.renders = new Map();
    onPass(obj.node.root, facts, () => { facts.renders = undefined; });
  }
  if (!renders.has(obj)) {
    let json: unknown;
    try {
      // (during a pass, the annotations read from the app's record, such as acknowledgements, are left out: see engine.ts)
      json = obj.toJson();
    } catch {
      json = undefined;
    }
    renders.set(obj, json);
  }
  return renders.get(obj);
}
