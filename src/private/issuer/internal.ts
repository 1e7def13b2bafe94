// Internal helpers of the issuer constructs (not re-exported from src/index.ts).
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GitOpsOptions } from '../../gitops';

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

/** What a ClusterIssuerConfig tells the restarts of its app. */
export interface IssuerConfigInfo {
  readonly issuer: string;
  readonly gitOps: GitOpsOptions;
}

const CONFIGS = new WeakMap<IConstruct, IssuerConfigInfo>();

/** Records a ClusterIssuerConfig (kept here to avoid an import cycle between the two constructs). */
export function registerIssuerConfig(c: IConstruct, info: IssuerConfigInfo): void {
  CONFIGS.set(c, info);
}

/** The ClusterIssuerConfigs of an app, in tree order. */
export function issuerConfigsOf(root: IConstruct): IssuerConfigInfo[] {
  return root.node.findAll().map(c => CONFIGS.get(c)).filter((x): x is IssuerConfigInfo => x !== undefined);
}

/** The issuer each restart of an app waits for (restarts register themselves here). */
const RESTARTS = new WeakMap<IConstruct, string>();

export function registerRestart(c: IConstruct, issuer: string): void {
  RESTARTS.set(c, issuer);
}

/** The restarts of an app: their constructs and issuers, in tree order. */
export function restartsOf(root: IConstruct): Array<{ construct: IConstruct; issuer: string }> {
  const out: Array<{ construct: IConstruct; issuer: string }> = [];
  for (const c of root.node.findAll()) {
    const issuer = RESTARTS.get(c);
    if (issuer !== undefined) out.push({ construct: c, issuer });
  }
  return out;
}
