// Where the constructs find the cluster's token limits: a ClusterTokenLimits
// records them on its cluster scope (the app's root, or the Chart of one
// cluster), and a construct reads the record of its nearest scope that has
// one. Internal: not part of the jsii API.
import { IConstruct } from 'constructs';
import { rootOf, Slot } from './slot';
import { TokenLimits } from '../rules';

/** The limits recorded on a scope, and the construct that declared them (for BT281). */
export interface LimitsRecord {
  readonly limits: TokenLimits;
  readonly declaredBy: IConstruct;
}

const LIMITS = new Slot<LimitsRecord>('token-limits');
/** On an app's root: some scope of the app has limits (most apps have none, and every subject asks, every pass). */
const LIMITS_IN_APP = new Slot<true>('token-limits-in-app');

/** Records the limits of the cluster `scope` stands for. Returns the record already there, if any. */
export function recordLimits(scope: IConstruct, record: LimitsRecord): LimitsRecord | undefined {
  const existing = LIMITS.get(scope);
  if (existing) return existing;
  LIMITS.set(scope, record);
  LIMITS_IN_APP.set(rootOf(scope), true);
  return undefined;
}

/** The record of the nearest scope of `c` (itself included) that has one. */
export function limitsRecordOf(c: IConstruct): LimitsRecord | undefined {
  if (!LIMITS_IN_APP.has(rootOf(c))) return undefined;
  const scopes = c.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const r = LIMITS.get(scopes[i]);
    if (r) return r;
  }
  return undefined;
}

/** The cluster's token limits for `c`, or undefined when none are declared for it. */
export function limitsOf(c: IConstruct): TokenLimits | undefined {
  return limitsRecordOf(c)?.limits;
}

/** The records at or below `scope`, for a second declaration inside a declared cluster (BT281). */
export function recordsWithin(scope: IConstruct): LimitsRecord[] {
  const out: LimitsRecord[] = [];
  for (const c of scope.node.findAll()) {
    const r = LIMITS.get(c);
    if (r) out.push(r);
  }
  return out;
}
