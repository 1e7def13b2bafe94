import { Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { wholeSeconds } from './private/internal';
import { clusterScopeOf } from './private/issuer/facts';
import { bool, checkProps, duration, pathOf } from './private/props';
import { limitsRecordOf, recordLimits, recordsWithin } from './private/token-limits';
import { maxExpirationProblem, R, TokenLimits } from './rules';

/** Props of `ClusterTokenLimits`: what the cluster's kube-apiserver does to the lifetime of the tokens it issues. */
export interface ClusterTokenLimitsProps {
  /**
   * The longest token the cluster issues: the kube-apiserver's
   * `--service-account-max-token-expiration` (at least 1 hour), or, with an
   * external signer (KEP-740, beta in Kubernetes 1.34) and no flag, the
   * signer's maximum (at least 10 minutes). A longer request is shortened to
   * it, so the kubelet refreshes the token earlier than the manifest says
   * (warning BT280).
   *
   * @default - no maximum: tokens live as long as requested
   */
  readonly maxTokenExpiration?: Duration;

  /**
   * The kube-apiserver's `--service-account-extend-token-expiration`: a
   * pod's token of exactly 3607 seconds for the API server's own audiences
   * (the platform's API-access token) is valid for a year, though the
   * kubelet still refreshes it as a 3607-second token.
   *
   * @default true (the Kubernetes default)
   */
  readonly extendTokenExpiration?: boolean;

  /**
   * The part of the app that is this cluster (the Chart synthesized for it),
   * as for `ClusterIssuerConfig`: the limits apply to the workloads at or
   * below it. A second ClusterTokenLimits for the same scope, or one whose
   * scope contains or lies inside another's, is error BT281.
   *
   * @default - the whole app is one cluster
   */
  readonly clusterScope?: IConstruct;
}

/**
 * Declares the cluster's token limits once, for the whole app (or one
 * cluster's Chart): the lifetime rules judge the lifetime the cluster really
 * issues (BT104 on min(requested, maximum); BT280 when a request is longer
 * than the maximum), `TokenRotation` reports when the kubelet really refreshes
 * each token and when it expires, and `TokenAdmissionPolicy` bakes the maximum
 * into its CEL. It renders nothing: the limits are kube-apiserver flags, not
 * objects.
 *
 * ```ts
 * new ClusterTokenLimits(app, 'Limits', { maxTokenExpiration: Duration.hours(24) });
 * ```
 *
 * The lint takes the same facts as `--max-token-expiration` and
 * `--no-extend-token-expiration`, the validation plugin as
 * `maxTokenExpirationSeconds` and `extendTokenExpiration`.
 */
export class ClusterTokenLimits extends Construct {
  /**
   * The limits declared for `scope` (the nearest ClusterTokenLimits whose
   * cluster contains it), or undefined when none is.
   */
  public static of(scope: IConstruct): ClusterTokenLimits | undefined {
    const declaredBy = limitsRecordOf(scope)?.declaredBy;
    return declaredBy instanceof ClusterTokenLimits ? declaredBy : undefined;
  }

  /** The longest token the cluster issues, if it has a maximum. */
  public readonly maxTokenExpiration?: Duration;

  /** Whether 3607-second API tokens are extended to a year. */
  public readonly extendTokenExpiration: boolean;

  /** The construct the limits apply to: `clusterScope`, or the app. */
  public readonly clusterScope: IConstruct;

  constructor(scope: Construct, id: string, props: ClusterTokenLimitsProps = {}) {
    const where = pathOf(scope, id);
    checkProps(where, props, { maxTokenExpiration: duration, extendTokenExpiration: bool });
    let maxSeconds: number | undefined;
    if (props.maxTokenExpiration !== undefined) {
      const { seconds, whole } = wholeSeconds(props.maxTokenExpiration);
      const problem = whole ? maxExpirationProblem(seconds) : 'must be a whole number of seconds';
      if (problem !== undefined) {
        const got = whole ? `${seconds} seconds` : `${props.maxTokenExpiration.toMilliseconds({ integral: false }) / 1000} seconds`;
        throw new Error(`${where} ${R.CLUSTER_LIMITS.id}: 'maxTokenExpiration' ${problem}, got ${got}; use the value of --service-account-max-token-expiration (e.g. Duration.hours(24))`);
      }
      maxSeconds = seconds;
    }
    super(scope, id);
    this.clusterScope = clusterScopeOf(this, props.clusterScope, 'ClusterTokenLimits');
    this.maxTokenExpiration = props.maxTokenExpiration;
    this.extendTokenExpiration = props.extendTokenExpiration ?? true;
    const limits: TokenLimits = maxSeconds === undefined
      ? { extendExpiration: this.extendTokenExpiration }
      : { maxExpirationSeconds: maxSeconds, extendExpiration: this.extendTokenExpiration };
    const outer = limitsRecordOf(this.clusterScope);
    const inner = recordsWithin(this.clusterScope);
    const other = outer?.declaredBy ?? inner[0]?.declaredBy;
    if (other !== undefined) {
      throw new Error(`[${this.node.path}] ${R.CLUSTER_LIMITS.id}: 'clusterScope' '${this.clusterScope.node.path || '(the app)'}' already has the token limits of '${other.node.path}' (their clusters overlap); ${R.CLUSTER_LIMITS.fix}`);
    }
    recordLimits(this.clusterScope, { limits, declaredBy: this });
  }

  /** The limits as the rules read them. @internal */
  public _limits(): TokenLimits {
    return limitsRecordOf(this.clusterScope)!.limits;
  }
}
