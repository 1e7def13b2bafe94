// The findings of a subject's manifest, in the construct's words: the rules
// of src/rules applied to what a subject reads (its model view, or its
// render). Internal: not part of the jsii API.
import { checkObject, checkShape, CONSTRUCT_STYLE, Finding, findRule, MANIFEST_STYLE, NO_FINDINGS, TokenLimits } from '../rules';

/** The rendered manifest's findings for the construct rules (a helper for subjects). */
export function manifestFindings(manifest: any, managedVolumes?: ReadonlySet<string>, limits?: TokenLimits): Finding[] {
  if (!manifest) return NO_FINDINGS;
  return checkObject(manifest, { style: CONSTRUCT_STYLE, managedVolumes, limits });
}

/**
 * The findings of an object's render (`toJson()`, the manifest as it will be
 * written), for an object that escapes its model (JSON patches, ...) or has
 * none: what the lint reports on it (its shape first, BT902, then every rule
 * of a manifest, the manifest-only ones such as BT105 included), in the
 * construct's words, plus the construct-only rules of a pod spec. The
 * library volumes in `managedVolumes` are left to their construct's own
 * checks; pass only those rendered exactly as the construct made them.
 */
export function renderedFindings(manifest: any, managedVolumes?: ReadonlySet<string>, limits?: TokenLimits): Finding[] {
  if (!manifest) return NO_FINDINGS;
  const shape = checkShape(manifest);
  if (shape.length > 0) return shape;
  const found = checkObject(manifest, { style: CONSTRUCT_STYLE, managedVolumes, limits });
  const manifestOnly = checkObject(manifest, { style: MANIFEST_STYLE, managedVolumes, limits }).filter(f => findRule(f.ruleId)?.scope === 'manifest');
  return manifestOnly.length === 0 ? found : found.concat(manifestOnly);
}

/** Drops the findings of manifest-only rules (a construct knows better). */
export function constructFindings(findings: Finding[]): Finding[] {
  return findings.filter(f => findRule(f.ruleId)?.scope !== 'manifest');
}
