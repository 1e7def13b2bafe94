// Warnings of the rules, printed once per app and JavaScript task (see
// engine.ts). Internal: not part of the jsii API.
import { IConstruct } from 'constructs';
import { escapeControl } from '../rules';

const PRINTED = Symbol.for('cdk8s-bound-tokens.printed-warnings');

/** Prints each warning once per app and JavaScript task (see the top of engine.ts). */
export function printOnce(root: IConstruct, warnings: string[]): void {
  const r = root as any;
  let printed: Set<string> | undefined = r[PRINTED];
  if (!printed) {
    const set = new Set<string>();
    printed = set;
    Object.defineProperty(r, PRINTED, { value: set, configurable: true, writable: true });
    // the next synth (a later task) prints its warnings again
    queueMicrotask(() => { r[PRINTED] = undefined; });
  }
  for (const w of warnings) {
    if (printed.has(w)) continue;
    printed.add(w);
    console.warn(`[cdk8s-bound-tokens] Warning: ${escapeControl(w)}`);
  }
}
