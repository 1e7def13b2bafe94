// Small helpers shared by the constructs. Internal: not part of the jsii API.
import { Duration } from 'cdk8s';
import { isDns1123Label } from '../rules';
import { Slot } from './slot';

/**
 * Turns a construct id into a DNS-1123 label (`VaultToken` -> `vault-token`),
 * or undefined when the result would not be one. Never truncates.
 */
export function labelFromId(id: string): string | undefined {
  const label = id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return isDns1123Label(label) ? label : undefined;
}

const MILLIS = new Slot<number>('millis');

/**
 * The milliseconds of a Duration (not rounded). Durations are immutable and
 * apps share a few of them among thousands of tokens, so it is kept on the
 * object.
 */
export function durationMs(d: Duration): number {
  const cached = MILLIS.get(d);
  return cached !== undefined ? cached : MILLIS.set(d, d.toMilliseconds({ integral: false }));
}

/** Whole seconds of a lifetime, rounded to the millisecond first; undefined when not whole. */
export function wholeSeconds(d: Duration): { seconds: number; whole: boolean } {
  const ms = Math.round(durationMs(d));
  return { seconds: Math.round(ms / 1000), whole: ms % 1000 === 0 };
}

