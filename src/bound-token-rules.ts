import { IConstruct } from 'constructs';
import { addAcknowledgement, setStrict, STRICT_CONTEXT_KEY } from './private/engine';
import { ACK_ANNOTATION_PREFIX, ackAnnotation, allRules, findRule, RuleDef } from './rules';

/** Level of a rule. */
export enum RuleLevel {
  /** The synth fails and nothing is written. */
  ERROR = 'error',
  /** Printed once per synth; an error in strict mode; can be acknowledged. */
  WARNING = 'warning',
  /** Lint only: says what the lint could not check and how to check it; never fails a run, not even in strict mode. */
  NOTICE = 'notice',
}

/** Where a rule applies. */
export enum RuleScope {
  /** The constructs and plain manifests (lint command, admission policy) alike. */
  ALL = 'all',
  /** Only the constructs of this library. */
  CONSTRUCT = 'construct',
  /** Only plain manifests read by the lint command. */
  MANIFEST = 'manifest',
}

/** One rule of the catalogue. */
export interface RuleInfo {
  /** Stable id, e.g. `BT101`. */
  readonly id: string;
  /** Error, warning, or (lint only) notice. */
  readonly level: RuleLevel;
  /** One-line cause. */
  readonly cause: string;
  /** How to fix it. */
  readonly fix: string;
  /** Where the rule applies. */
  readonly scope: RuleScope;
}

function toInfo(d: RuleDef): RuleInfo {
  return {
    id: d.id,
    level: d.level === 'error' ? RuleLevel.ERROR : d.level === 'notice' ? RuleLevel.NOTICE : RuleLevel.WARNING,
    cause: d.cause,
    fix: d.fix,
    scope: d.scope === 'all' ? RuleScope.ALL : d.scope === 'construct' ? RuleScope.CONSTRUCT : RuleScope.MANIFEST,
  };
}

/**
 * The one entry point to the rule catalogue: list the rules, acknowledge a
 * warning with a reason, or make warnings errors (strict mode).
 */
export class BoundTokenRules {
  /** The context key that turns strict mode on (`true`), set in code with `node.setContext` before the scope has children. */
  public static readonly STRICT_CONTEXT_KEY = STRICT_CONTEXT_KEY;

  /** The prefix of the acknowledgement annotation (`bound-tokens.io/acknowledge-<RULE-ID>`). */
  public static readonly ACKNOWLEDGE_ANNOTATION_PREFIX = ACK_ANNOTATION_PREFIX;

  /** Every rule, in id order. */
  public static all(): RuleInfo[] {
    return allRules().map(toInfo);
  }

  /**
   * One rule by id.
   * @throws if no rule has that id
   */
  public static find(ruleId: string): RuleInfo {
    const d = findRule(ruleId);
    if (!d) {
      throw new Error(`'ruleId' names no rule of cdk8s-bound-tokens, got '${ruleId}'; see BoundTokenRules.all() or the rule table in docs/rules.md`);
    }
    return toInfo(d);
  }

  /** The annotation that acknowledges a warning in the YAML. */
  public static acknowledgeAnnotation(ruleId: string): string {
    BoundTokenRules.find(ruleId);
    return ackAnnotation(ruleId);
  }

  /**
   * Acknowledges a warning for a construct and its children, with a reason.
   *
   * The warning is no longer printed for them, and the annotation
   * `bound-tokens.io/acknowledge-<RULE-ID>: <reason>` is written where the
   * pods get it, so that checks of the YAML and the admission policy honour
   * it for the pods too: on the pod template of a workload (never on the
   * workload's own metadata, which its pods do not carry: BT138), on a Pod's
   * or an `Authentication`'s own metadata. An acknowledgement that matches no
   * warning fails the synth; errors cannot be acknowledged.
   */
  public static acknowledge(scope: IConstruct, ruleId: string, reason: string): void {
    const rule = BoundTokenRules.find(ruleId);
    const where = scope.node.path ? `[${scope.node.path}] ` : '';
    if (rule.level === RuleLevel.ERROR) {
      throw new Error(`${where}'ruleId' ${ruleId} is an error and errors cannot be acknowledged, got '${ruleId}'; fix the cause instead: ${rule.fix}`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`${where}'reason' of the acknowledgement of ${ruleId} must say why the warning does not apply, got '${reason ?? ''}'; write a reason`);
    }
    addAcknowledgement(scope, ruleId, reason);
  }

  /**
   * Strict mode for a construct and its children: every warning is an error.
   * `BoundTokenRules.strict(app)` covers a whole app. The context key
   * `cdk8s-bound-tokens:strict` set to `true` in code does the same, e.g.
   * `app.node.setContext(BoundTokenRules.STRICT_CONTEXT_KEY, true)` before the
   * first chart (cdk8s.yaml has no context: use the validation plugin's
   * `strict` property for `cdk8s synth`).
   */
  public static strict(scope: IConstruct): void {
    setStrict(scope);
  }

  private constructor() {}
}
