// Internal helpers of the issuer constructs (not re-exported from src/index.ts).

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
