// A private field on objects the library does not own (constructs, volumes),
// kept under a symbol. Internal.
//
// Used instead of WeakMaps for per-workload bookkeeping: with thousands of
// workloads, WeakMap entries (ephemerons) make every garbage collection of a
// synth noticeably slower, while a symbol-keyed field costs nothing extra.
// Symbol keys are invisible to Object.keys, JSON and cdk8s's resolver.

import { IConstruct } from 'constructs';

export class Slot<T> {
  private readonly key: symbol;

  /**
   * @param description names the field
   * @param shared the same field for every copy of this library in the
   * process (a global symbol), for facts that two copies must agree on
   */
  constructor(description: string, shared = false) {
    this.key = shared ? Symbol.for(`cdk8s-bound-tokens.${description}`) : Symbol(`cdk8s-bound-tokens.${description}`);
  }

  public get(o: object): T | undefined {
    return (o as any)[this.key];
  }

  public set(o: object, value: T): T {
    (o as any)[this.key] = value;
    return value;
  }

  public has(o: object): boolean {
    return (o as any)[this.key] !== undefined;
  }
}

/** The root of a construct's tree, found without the array of scopes that `node.root` makes. */
export function rootOf(c: IConstruct): IConstruct {
  let x = c;
  for (let up = x.node.scope; up !== undefined; up = up.node.scope) x = up;
  return x;
}
