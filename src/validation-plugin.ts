import * as fs from 'fs';
import { Linter, LintFinding } from './lint/lint';
import { findRule, maxExpirationProblem, TokenLimits } from './rules';

/** Properties of `BoundTokenValidation`, from `properties:` of its entry in cdk8s.yaml. */
export interface BoundTokenValidationProps {
  /**
   * Count warnings as errors: the validation fails on any warning.
   * @default false
   */
  readonly strict?: boolean;

  /**
   * Rule ids not to report, e.g. `['BT151']`.
   * @default - every rule is reported
   */
  readonly disable?: string[];

  /**
   * The cluster's maximum token lifetime in seconds (the kube-apiserver's
   * `--service-account-max-token-expiration`, or an external signer's): a
   * longer request is warning BT280, and BT104 judges what the cluster issues.
   * @default - no maximum declared
   */
  readonly maxTokenExpirationSeconds?: number;

  /**
   * The cluster's `--service-account-extend-token-expiration`.
   * @default true (the Kubernetes default)
   */
  readonly extendTokenExpiration?: boolean;
}

/** The keys `properties:` may hold, in the order the docs list them. */
const KNOWN_PROPS: readonly string[] = ['strict', 'disable', 'maxTokenExpirationSeconds', 'extendTokenExpiration'];

/** A value as the message shows it: JSON with its type, e.g. `'yes' (a string)`. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  const kind = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a map' : `a ${typeof value}`;
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return `${text} (${kind})`;
}

/**
 * A cdk8s-cli validation plugin that runs the bound-token rule catalogue over
 * every manifest `cdk8s synth` writes, whether or not the app uses this
 * library's constructs. The same rules, ids and levels as the constructs and
 * the `cdk8s-bound-tokens lint` command; the one-issuer rule (BT160) counts
 * over the whole app. Warnings acknowledged with the annotation
 * `bound-tokens.io/acknowledge-<RULE-ID>` are not reported.
 *
 * Node.js only: cdk8s-cli loads it with `require(package)[class]`, for an app
 * in any language. In cdk8s.yaml:
 *
 * ```yaml
 * validations:
 *   - package: cdk8s-bound-tokens
 *     version: 1.2.3          # an exact version
 *     class: BoundTokenValidation
 *     properties:
 *       strict: false
 *       disable: []
 *       maxTokenExpirationSeconds: 86400   # the cluster's --service-account-max-token-expiration
 *       extendTokenExpiration: true
 * ```
 *
 * @see https://cdk8s.io/docs/latest/cli/synth/#validation-plugins
 */
export class BoundTokenValidation {
  private readonly strict: boolean;
  private readonly disable: Set<string>;
  private readonly limits: TokenLimits | undefined;

  /**
   * @param props the `properties:` of the plugin's entry in cdk8s.yaml; an
   * unknown key, a `strict` that is not a boolean or a `disable` that is not
   * a list of rule ids fails the synth with what was wrong and the value.
   */
  constructor(props: BoundTokenValidationProps = {}) {
    const where = 'BoundTokenValidation (properties of its entry in cdk8s.yaml)';
    if (props === null || typeof props !== 'object' || Array.isArray(props)) {
      throw new Error(`${where}: 'properties' must be a map of ${KNOWN_PROPS.join(', ')}, got ${describe(props)}`);
    }
    const unknown = Object.keys(props).filter(k => !KNOWN_PROPS.includes(k));
    if (unknown.length > 0) {
      throw new Error(`${where}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map(k => `'${k}'`).join(', ')}; the known keys are ${KNOWN_PROPS.map(k => `'${k}'`).join(', ')}`);
    }
    if (props.strict !== undefined && typeof props.strict !== 'boolean') {
      throw new Error(`${where}: 'strict' must be true or false, got ${describe(props.strict)}; write strict: true or strict: false (YAML words such as yes/on are strings)`);
    }
    if (props.disable !== undefined && (!Array.isArray(props.disable) || props.disable.some(id => typeof id !== 'string'))) {
      throw new Error(`${where}: 'disable' must be a list of rule ids, got ${describe(props.disable)}; write e.g. disable: [BT151]`);
    }
    const max = props.maxTokenExpirationSeconds;
    if (max !== undefined) {
      const problem = typeof max === 'number' ? maxExpirationProblem(max) : 'must be a number of seconds';
      if (problem !== undefined) {
        throw new Error(`${where}: 'maxTokenExpirationSeconds' ${problem}, got ${describe(max)}; write the value of --service-account-max-token-expiration in seconds, e.g. maxTokenExpirationSeconds: 86400`);
      }
    }
    if (props.extendTokenExpiration !== undefined && typeof props.extendTokenExpiration !== 'boolean') {
      throw new Error(`${where}: 'extendTokenExpiration' must be true or false, got ${describe(props.extendTokenExpiration)}; write extendTokenExpiration: false for a cluster without --service-account-extend-token-expiration`);
    }
    this.limits = max === undefined && props.extendTokenExpiration === undefined ? undefined
      : max === undefined ? { extendExpiration: props.extendTokenExpiration !== false }
        : { maxExpirationSeconds: max, extendExpiration: props.extendTokenExpiration !== false };
    this.strict = props.strict === true;
    this.disable = new Set(props.disable ?? []);
    for (const id of this.disable) {
      if (!findRule(id)) {
        throw new Error(`${where}: 'disable' names no rule, got '${id}'; see the rule table in docs/rules.md of cdk8s-bound-tokens`);
      }
    }
  }

  /**
   * Checks the manifests of `context` (cdk8s-cli's `ValidationContext`) and
   * fills its report: one violation per rule, listing each object with the
   * JSON pointer, line and message of every finding. The report fails on any
   * error (on any warning in strict mode).
   *
   * @param context the cdk8s-cli validation context (`manifests`, `report`)
   */
  public async validate(context: any): Promise<void> {
    const linter = new Linter({ disable: this.disable, issuerScope: 'run', strict: this.strict, limits: this.limits });
    for (const manifest of context.manifests as string[]) {
      linter.addSource(manifest, fs.readFileSync(manifest, 'utf8'));
    }
    const report = linter.report();
    const byRule = new Map<string, LintFinding[]>();
    for (const f of report.findings) {
      const list = byRule.get(f.ruleId) ?? [];
      list.push(f);
      byRule.set(f.ruleId, list);
    }
    for (const [ruleId, findings] of [...byRule].sort(([a], [b]) => a.localeCompare(b))) {
      const rule = findRule(ruleId)!;
      const resources = new Map<string, { resourceName: string; manifestPath: string; locations: string[] }>();
      for (const f of findings) {
        const resourceName = f.name ?? '(no name)';
        const key = `${f.file}\u0000${resourceName}`;
        const r = resources.get(key) ?? { resourceName, manifestPath: f.file, locations: [] };
        r.locations.push(`${f.path === '' ? '/' : f.path} (line ${f.line}): ${f.message}`);
        resources.set(key, r);
      }
      context.report.addViolation({
        ruleName: `${ruleId} (${rule.level})`,
        recommendation: rule.cause,
        fix: rule.fix,
        violatingResources: [...resources.values()],
      });
    }
    const errors = report.findings.filter(f => f.level === 'error').length;
    const warnings = report.findings.length - errors;
    const failed = errors > 0 || (this.strict && warnings > 0);
    context.report.submit(failed ? 'failure' : 'success', {
      errors: String(errors),
      warnings: String(warnings),
      acknowledged: String(report.acknowledged.length),
      objectsChecked: String(report.objectsChecked),
      strict: String(this.strict),
    });
  }
}
