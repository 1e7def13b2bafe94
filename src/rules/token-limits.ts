// The cluster's token limits (issue 19 §4), and what they make of a requested
// lifetime. Pure: no cdk8s imports; the constructs, the lint and the policy
// builder read the same numbers.
//
// kube-apiserver (pkg/registry/core/serviceaccount/storage/token.go):
// - a TokenRequest longer than --service-account-max-token-expiration (or, with
//   an external signer, KEP-740, the signer's maximum when the flag is unset) is
//   shortened to it, with the warning "requested expiration of %d seconds
//   shortened to %d seconds"; the TokenRequest status (which the kubelet
//   rotates by) says the shortened lifetime;
// - after that, a pod-bound request of exactly 3607 seconds for the API
//   server's own audiences is extended to a year when
//   --service-account-extend-token-expiration is on (the default); the status
//   still says 3607 s (the kubelet rotates as for 3607 s), the JWT is valid
//   for a year (with an external signer, min(maximum, a year)).
// The flag must lie in [1 hour, 2^32 s] or the server does not start; an
// external signer must allow at least 600 s.
import { R } from './catalogue';
import { Finding, finding } from './finding';
import {
  API_ACCESS_EXPIRATION_SECONDS, API_SERVER_AUDIENCES, DAY_SECONDS, EXTENDED_EXPIRATION_SECONDS, MAX_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS,
  refreshAfterSeconds,
} from './kubernetes';

/** What the cluster does to the lifetime of the tokens it issues. */
export interface TokenLimits {
  /** --service-account-max-token-expiration (or an external signer's maximum), in seconds; undefined: no maximum. */
  readonly maxExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (default true: the Kubernetes default). */
  readonly extendExpiration?: boolean;
}


/** What becomes of one requested lifetime on a cluster. */
export interface IssuedLifetime {
  /** The manifest's expirationSeconds (3600 when omitted). */
  readonly requestedSeconds: number;
  /** What the API server issues and the kubelet rotates by: min(requested, maximum). */
  readonly issuedSeconds: number;
  /** How long the token is valid: issuedSeconds, or a year for an extended 3607-second API token. */
  readonly validSeconds: number;
  /** When the kubelet refreshes it (from issuedSeconds). */
  readonly refreshAfterSeconds: number;
  readonly shortened: boolean;
  readonly extended: boolean;
}

/** True for a token the API server takes for its own (no audience, or one of its default audiences). */
export function isApiServerAudience(audience: unknown): boolean {
  return audience === undefined || audience === null || audience === '' || (typeof audience === 'string' && API_SERVER_AUDIENCES.includes(audience));
}

/**
 * The lifetime the cluster gives a pod-bound token (a projected token, a
 * CSI driver's token) of `requested` seconds. Without limits (nothing
 * declared), the requested lifetime as it is.
 */
export function issuedLifetime(requested: number, audience: unknown, limits: TokenLimits | undefined): IssuedLifetime {
  const max = limits?.maxExpirationSeconds;
  const shortened = max !== undefined && requested > max;
  const issued = shortened ? max : requested;
  const extended = limits !== undefined && limits.extendExpiration !== false
    && issued === API_ACCESS_EXPIRATION_SECONDS && isApiServerAudience(audience);
  return {
    requestedSeconds: requested,
    issuedSeconds: issued,
    validSeconds: extended ? EXTENDED_EXPIRATION_SECONDS : issued,
    refreshAfterSeconds: refreshAfterSeconds(issued),
    shortened,
    extended,
  };
}

/**
 * BT280: a requested lifetime longer than the cluster's maximum. `where`
 * names the token in the message ("of token 'x' in volume 'y'").
 */
export function checkAgainstLimits(
  requested: number, path: string, prop: string, where: string, limits: TokenLimits | undefined, kubelet = true,
): Finding[] {
  const max = limits?.maxExpirationSeconds;
  if (max === undefined || requested <= max) return [];
  const rotation = kubelet ? `, which the kubelet refreshes after ${refreshAfterSeconds(max)} seconds (not ${refreshAfterSeconds(requested)})` : '';
  return [finding(R.LIFETIME_OVER_CLUSTER_MAX, path, prop,
    `${where} is longer than the cluster's maximum of ${max} seconds: the API server issues ${max}-second tokens${rotation}`,
    `${requested} seconds`)];
}

/**
 * The problem with a declared maximum lifetime, or undefined when the
 * kube-apiserver (or an external signer) can have it.
 */
export function maxExpirationProblem(seconds: number): string | undefined {
  if (!Number.isInteger(seconds)) return 'must be a whole number of seconds';
  if (seconds < MIN_EXPIRATION_SECONDS || seconds > MAX_EXPIRATION_SECONDS) {
    return `must be between ${MIN_EXPIRATION_SECONDS} seconds (an external signer's least; the kube-apiserver flag's least is 1 hour) and 2^32 (${MAX_EXPIRATION_SECONDS}) seconds`;
  }
  return undefined;
}

/** Whether BT104 (over 24 hours) can still fire under a maximum: only when the maximum itself is over a day. */
export function overDayPossible(limits: TokenLimits | undefined): boolean {
  const max = limits?.maxExpirationSeconds;
  return max === undefined || max > DAY_SECONDS;
}

/**
 * A duration as the lint and policy flags write it: whole seconds (`3600`),
 * or a Go-style duration of h, m and s units (`1h`, `90m`, `1h30m`, `86400s`).
 * Undefined when it is neither.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!m || t === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
