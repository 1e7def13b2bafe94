import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { Linter, LintOptions, LintReport } from '../src/lint/lint';


/** Synthesizes a chart and returns its objects, failing on any rule error. */
export function synth(c: Chart): any[] {
  return Testing.synth(c);
}

/** A fresh app and chart for a test. */
export function chart(props: { namespace?: string; context?: Record<string, any> } = {}): Chart {
  const app = Testing.app();
  for (const [k, v] of Object.entries(props.context ?? {})) app.node.setContext(k, v);
  return new Chart(app, 'test', { namespace: props.namespace });
}

/** Runs `fn` and returns what it printed as warnings. */
export function captureWarnings(fn: () => void): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'warn').mockImplementation((...args: any[]) => {
    lines.push(args.join(' '));
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

/** The error message of `fn`, failing the test when it does not throw. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, but none was thrown');
}

export function findKind(objs: any[], kind: string): any {
  const o = objs.find(x => x.kind === kind);
  if (!o) throw new Error(`no ${kind} in ${objs.map(x => x.kind).join(', ')}`);
  return o;
}

const TEMP_DIRS: string[] = [];
afterAll(() => TEMP_DIRS.forEach(d => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh temporary folder, removed after the test file's tests. */
export function tmpdir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  TEMP_DIRS.push(dir);
  return dir;
}

export { App };

/** What the lint reports on one YAML text (as the file `file`). */
export function lintText(text: string, opts: LintOptions = {}, file = 'in.yaml'): LintReport {
  const linter = new Linter(opts);
  linter.addSource(file, text);
  return linter.report();
}

/**
 * Runs `fn` with `proto[method]` wrapped so that `onCall` runs (with the
 * object) before each call; the method is restored afterwards.
 */
export function countCalls(proto: object, method: string, onCall: (self: any) => void, fn: () => void): void {
  const p = proto as any;
  const real = p[method];
  p[method] = function (this: unknown, ...args: unknown[]) {
    onCall(this);
    return real.apply(this, args);
  };
  try {
    fn();
  } finally {
    p[method] = real;
  }
}

/** Renders made while `fn` runs, by construct path: every ApiObject's toJson ends in ApiObject.prototype.toJson. */
export function countRenders(fn: () => void): Map<string, number> {
  const counts = new Map<string, number>();
  countCalls(ApiObject.prototype, 'toJson', (o: ApiObject) => counts.set(o.node.path, (counts.get(o.node.path) ?? 0) + 1), fn);
  return counts;
}
