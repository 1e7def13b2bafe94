// Internal helpers of the issuer constructs (not re-exported from src/index.ts).
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GitOpsOptions } from '../../gitops';
import { R } from '../../rules';

/** Matches a namespace against an exclusion pattern as the Job's shell `case` does (`*` = any text). */
export function matchesNamespacePattern(ns: string, pattern: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map(p => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*') + '$');
  return re.test(ns);
}

/** True when an image reference carries a digest, or a tag other than `latest`. */
export function isPinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon > 0 && colon < last.length - 1 && last.slice(colon + 1) !== 'latest';
}

/** Makes a cluster-scoped object drop the namespace that a chart with a namespace would give it. */
export function clusterScoped<T extends ApiObject>(obj: T): T {
  const render = obj.toJson.bind(obj);
  Object.defineProperty(obj, 'toJson', {
    configurable: true,
    writable: true,
    value: () => {
      const json = render();
      if (json?.metadata) delete json.metadata.namespace;
      return json;
    },
  });
  return obj;
}

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

/** What a ClusterIssuerConfig tells the restarts of its cluster. */
export interface IssuerConfigInfo {
  readonly issuer: string;
  readonly gitOps: GitOpsOptions;
  /** The objects it applies to (its clusterScope, or the app's root). */
  readonly scope: IConstruct;
  readonly construct: IConstruct;
}

const CONFIGS = new WeakMap<IConstruct, IssuerConfigInfo>();

/** Records a ClusterIssuerConfig (kept here to avoid an import cycle between the two constructs). */
export function registerIssuerConfig(c: IConstruct, info: Omit<IssuerConfigInfo, 'construct'>): void {
  CONFIGS.set(c, { ...info, construct: c });
}

/** The ClusterIssuerConfigs of an app, in tree order. */
export function issuerConfigsOf(root: IConstruct): IssuerConfigInfo[] {
  return root.node.findAll().map(c => CONFIGS.get(c)).filter((x): x is IssuerConfigInfo => x !== undefined);
}

/** The ClusterIssuerConfigs whose cluster is `scope`'s (one contains the other), in tree order. */
export function issuerConfigsSharing(scope: IConstruct): IssuerConfigInfo[] {
  return issuerConfigsOf(scope.node.root).filter(c => sameCluster(c.scope, scope));
}

/** A restart: its construct, the issuer it waits for and its cluster. */
export interface RestartInfo {
  readonly construct: IConstruct;
  readonly issuer: string;
  readonly scope: IConstruct;
}

/** The issuer each restart of an app waits for (restarts register themselves here). */
const RESTARTS = new WeakMap<IConstruct, RestartInfo>();

export function registerRestart(c: IConstruct, issuer: string, scope?: IConstruct): void {
  RESTARTS.set(c, { construct: c, issuer, scope: scope ?? c.node.root });
}

/** The restarts of an app: their constructs, issuers and clusters, in tree order. */
export function restartsOf(root: IConstruct): RestartInfo[] {
  const out: RestartInfo[] = [];
  for (const c of root.node.findAll()) {
    const r = RESTARTS.get(c);
    if (r !== undefined) out.push(r);
  }
  return out;
}

/** The restarts whose cluster is `scope`'s, in tree order. */
export function restartsSharing(scope: IConstruct): RestartInfo[] {
  return restartsOf(scope.node.root).filter(r => sameCluster(r.scope, scope));
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
