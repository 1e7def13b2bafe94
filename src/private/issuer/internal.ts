// Internal helpers of the issuer constructs (not re-exported from src/index.ts).
import { ApiObject } from 'cdk8s';

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
