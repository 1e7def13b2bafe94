// The admission policy fixtures (test/fixtures/policy/*.yaml): one object each,
// in the one fixture format (test/fixtures/expect.ts): `# expect: BT142` on the
// offending line. What the error and the warning policy must do is derived here
// from those ids, the catalogue's levels and the policy's coverage, never stated
// per fixture.
import * as path from 'path';
import * as YAML from 'yaml';
import { withoutEqualMountPaths } from './harness';
import { enforcedRuleIds } from '../../src/policy/build';
import { Fixture, markedIds, readFixtures } from '../fixtures/expect';

export const POLICY_FIXTURES_DIR = path.join(__dirname, '..', 'fixtures', 'policy');

export interface PolicyFixture {
  readonly name: string;
  readonly description: string;
  /** Rule ids the error policy fails, derived from the marks. */
  readonly deny: string[];
  /** Rule ids the warning policy fails, derived from the marks. */
  readonly warn: string[];
  readonly object: any;
  /** The fixture as read: its text and marks (the lint tests read the same marks). */
  readonly fixture: Fixture;
}

/**
 * What the two policies do with an object whose marked problems are `ids`
 * (the `# expect:` ids; acknowledged warnings are not among them, so no
 * policy warns of them):
 * - a rule the policies do not enforce is left out: the catalogue/policy
 *   coverage says why (src/policy/rules.ts: the API server refuses the object
 *   before admission, or CEL cannot see what the rule needs);
 * - whether the lint reports a rule only with --strict does not matter: the
 *   policies have no strict mode, they enforce what their coverage lists;
 * - the error policy fails the enforced error rules, the warning policy the
 *   enforced warning rules (the catalogue's level);
 * - equal mount paths in one container: the API server refuses the object
 *   ("must be unique") before admission, and the policy's BT141 checks only
 *   paths that differ by trailing slashes, so a BT141 marked on such an
 *   object is the API server's refusal, not the policies'.
 */
export function derivePolicyVerdict(ids: readonly string[], object: any, disabled: readonly string[] = []): { deny: string[]; warn: string[] } {
  const errors = new Set(enforcedRuleIds('error', disabled));
  const warnings = new Set(enforcedRuleIds('warning', disabled));
  const refusedBT141 = withoutEqualMountPaths(object) !== undefined;
  const kept = [...new Set(ids)].filter(id => !(id === 'BT141' && refusedBT141)).sort();
  return { deny: kept.filter(id => errors.has(id)), warn: kept.filter(id => warnings.has(id)) };
}

export function loadPolicyFixtures(): PolicyFixture[] {
  return readFixtures(POLICY_FIXTURES_DIR).map(fixture => {
    const object = YAML.parse(fixture.text);
    return {
      name: fixture.file.replace(/\.yaml$/, ''),
      description: fixture.description,
      ...derivePolicyVerdict(markedIds(fixture).expect, object),
      object,
      fixture,
    };
  });
}
