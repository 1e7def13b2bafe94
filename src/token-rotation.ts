import { ApiObject, Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { BoundWorkload } from './private/bound-workload';
import { runPassHooks } from './private/engine';
import { wholeSeconds } from './private/internal';
import { asWorkload } from './private/kplus';
import { limitsOf } from './private/token-limits';
import { locatePodSpec, R } from './rules';
import { formatSeconds, RotationEntry, ROTATION_ANNOTATION_PREFIX, tokenRotations } from './rules/rotation';

/**
 * When the kubelet refreshes one token of a workload and when the token
 * expires, counted from the moment it was issued: at the pod's start, and
 * again at each refresh.
 */
export interface TokenRotationInfo {
  /** The projected volume that holds the token. */
  readonly volumeName: string;

  /** The token's file name within the volume. */
  readonly tokenPath: string;

  /**
   * The audience the token is issued for.
   *
   * @default - no audience: the API server's own audiences
   */
  readonly audience?: string;

  /**
   * How long the token is valid. Without `ClusterTokenLimits` the requested
   * lifetime (`expirationSeconds`); with them, what the cluster issues: the
   * request shortened to the cluster's maximum, or a year for a 3607-second
   * token for the API server's own audiences when the cluster extends it.
   */
  readonly expiresAfter: Duration;

  /**
   * The requested lifetime: the manifest's `expirationSeconds` (3600 when
   * omitted). It differs from `expiresAfter` only where the cluster's
   * declared limits change it.
   */
  readonly requestedExpiration: Duration;

  /**
   * When the kubelet replaces the token: `min(L - floor(L * 20 / 100), 86400)`
   * seconds for the lifetime L the cluster issues (the request, or the
   * cluster's maximum; 3607 for an extended token), minus up to 10 s of jitter.
   */
  readonly refreshAfter: Duration;

  /** The containers (init containers first) that mount the volume. */
  readonly containers: string[];

  /** The absolute paths of the token file in those containers, without duplicates. */
  readonly files: string[];
}

/** The tokens of one workload and their rotation. */
export interface WorkloadTokenRotation {
  /** The construct path of the workload. */
  readonly constructPath: string;

  /** The workload's kind, e.g. `Deployment`. */
  readonly kind: string;

  /** The workload's `metadata.name`. */
  readonly name: string;

  /** Its tokens, in volume and source order. */
  readonly tokens: TokenRotationInfo[];
}

/**
 * Makes token rotation visible: when the kubelet refreshes each token of a
 * workload and when it expires, as a report and, on request, as pod-template
 * annotations that operators see in the cluster.
 *
 * Applications must re-read the token file: the kubelet writes a new token
 * after `refreshAfter`, and the old one stops working at `expiresAfter`.
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
export class TokenRotation {
  /**
   * The prefix of the rotation annotations; the volume name follows it:
   * `token-rotation.bound-tokens.io/<volume>: <path>: refresh after 1h36m, expires after 2h`.
   */
  public static readonly ANNOTATION_PREFIX = ROTATION_ANNOTATION_PREFIX;

  /**
   * The tokens of one workload and when each is refreshed and expires, read
   * from the workload's manifest as it will be written (tokens mounted by
   * hand included).
   *
   * @param workload a workload of any cdk8s-plus line, or an ApiObject with a pod spec
   */
  public static of(workload: IConstruct): TokenRotationInfo[] {
    // a query: it makes no record, so asking never changes what the rules check
    const obj = TokenRotation.apiObjectOf(workload, 'of');
    runPassHooks(obj);
    const manifest = obj.toJson();
    if (!locatePodSpec(manifest)) {
      throw new Error(`[${workload.node.path}] TokenRotation.of: 'workload' carries no pod spec, got kind ${manifest?.kind ?? 'nothing'}; pass a Pod, a workload with a pod template, or its ApiObject`);
    }
    return tokenRotations(manifest, limitsOf(obj)).map(toInfo);
  }

  /**
   * The rotation of every bound workload at or below `scope` (workloads with
   * a token volume bound or mounted, of any cdk8s-plus line, and bound
   * ApiObjects), sorted by construct path; workloads without tokens are left out.
   */
  public static report(scope: IConstruct): WorkloadTokenRotation[] {
    runPassHooks(scope);
    const out: WorkloadTokenRotation[] = [];
    for (const s of BoundWorkload.under(scope)) {
      const manifest = s.render();
      const tokens = tokenRotations(manifest, limitsOf(s.construct)).map(toInfo);
      if (tokens.length === 0) continue;
      out.push({
        constructPath: s.construct.node.path,
        kind: String(manifest.kind),
        name: String(manifest.metadata?.name ?? ''),
        tokens,
      });
    }
    return out.sort((a, b) => (a.constructPath < b.constructPath ? -1 : a.constructPath > b.constructPath ? 1 : 0));
  }

  /**
   * Opt-in: annotate the pod template of every checked workload at or below
   * `scope` (or `scope` itself, when it is a workload or an ApiObject with a
   * pod spec) with its tokens' rotation, one annotation per token volume:
   * `token-rotation.bound-tokens.io/<volume>: <path>: refresh after 1h36m, expires after 2h`.
   *
   * The values are durations from the pod's start, never timestamps, so they
   * do not change from one synth to the next and do not roll the workload;
   * they change only when a token's lifetime does.
   */
  public static annotate(scope: IConstruct): void {
    if (asWorkload(scope) || ApiObject.isApiObject(scope)) BoundWorkload.of(scope, `[${scope.node.path}] TokenRotation.annotate`, true);
    BoundWorkload.enableRotation(scope);
  }

  /**
   * A duration in the form of the annotations: whole hours, minutes and
   * seconds without zero units (`1h36m`, `8m1s`, `24h`).
   */
  public static formatDuration(duration: Duration): string {
    const { seconds, whole } = wholeSeconds(duration);
    if (!whole) {
      throw new Error(`BT103: 'duration' must be a whole number of seconds, got ${duration.toMilliseconds({ integral: false }) / 1000} seconds; ${R.LIFETIME_NOT_WHOLE.fix}`);
    }
    return formatSeconds(seconds);
  }

  /** The object that renders a workload of any cdk8s-plus line, an ApiObject, or the ApiObject of another construct. */
  private static apiObjectOf(workload: IConstruct, method: string): ApiObject {
    const caller = `[${(workload as any)?.node?.path ?? ''}] TokenRotation.${method}`;
    if (asWorkload(workload) || ApiObject.isApiObject(workload)) return BoundWorkload.apiObjectOf(workload, caller);
    let obj: ApiObject | undefined;
    try {
      obj = workload?.node ? ApiObject.of(workload) : undefined;
    } catch {
      obj = undefined;
    }
    return BoundWorkload.apiObjectOf(obj ?? workload, caller);
  }

  private constructor() {}
}

function toInfo(e: RotationEntry): TokenRotationInfo {
  return {
    volumeName: e.volume,
    tokenPath: e.path,
    ...(e.audience !== undefined ? { audience: e.audience } : {}),
    expiresAfter: Duration.seconds(e.expirationSeconds),
    requestedExpiration: Duration.seconds(e.requestedSeconds),
    refreshAfter: Duration.seconds(e.refreshAfterSeconds),
    containers: e.containers,
    files: e.files,
  };
}
