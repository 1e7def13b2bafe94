// Helpers of test/lines.test.ts: the cdk8s-plus lines the library must
// accept, and line-independent views of what a synthesized workload carries.
import { Chart, Cron, Testing } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import { captureWarnings } from '../util';

/**
 * A cdk8s-plus module. Typed as cdk8s-plus-27's so that the tests are checked
 * against one API; the other lines have the same constructors and props.
 */
export type Kp = typeof kplus27;

/* eslint-disable @typescript-eslint/no-require-imports */
export const LINES: Array<[string, Kp]> = [
  ['cdk8s-plus-27', kplus27],
  ['cdk8s-plus-32', require('cdk8s-plus-32')],
  ['cdk8s-plus-33', require('cdk8s-plus-33')],
  ['cdk8s-plus-34', require('cdk8s-plus-34')],
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** The lines other than 27, each to be compared with 27. */
export const OTHER_LINES = LINES.slice(1);

export const IMAGE = 'busybox:1.36';

/** A workload of any kind, built with the line `kp`. */
export type MakeWorkload = (kp: Kp, c: Chart, id: string, props: any) => kplus27.AbstractPod;

export const WORKLOADS: Array<[string, MakeWorkload]> = [
  ['Pod', (kp, c, id, p) => new kp.Pod(c, id, p)],
  ['Deployment', (kp, c, id, p) => new kp.Deployment(c, id, p)],
  // a port, so that cdk8s-plus can make the StatefulSet's headless service
  ['StatefulSet', (kp, c, id, p) => new kp.StatefulSet(c, id, { ...p, containers: (p.containers ?? []).map((x: any, i: number) => i === 0 ? { portNumber: 8080, ...x } : x) })],
  ['DaemonSet', (kp, c, id, p) => new kp.DaemonSet(c, id, p)],
  ['Job', (kp, c, id, p) => new kp.Job(c, id, p)],
  ['CronJob', (kp, c, id, p) => new kp.CronJob(c, id, { ...p, schedule: Cron.daily() })],
];

/** The pod spec of a rendered workload of any kind. */
export function podSpec(obj: any): any {
  if (obj.kind === 'Pod') return obj.spec;
  if (obj.kind === 'CronJob') return obj.spec.jobTemplate.spec.template.spec;
  return obj.spec.template.spec;
}

/** The metadata of the pod (template) of a rendered workload: a bare Pod's own. */
export function podMetadata(obj: any): any {
  if (obj.kind === 'Pod') return obj.metadata;
  if (obj.kind === 'CronJob') return obj.spec.jobTemplate.spec.template.metadata;
  return obj.spec.template.metadata;
}

const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/**
 * What the library writes into a manifest, and nothing cdk8s-plus's own
 * defaults decide (those differ between lines): per workload its volumes,
 * each container's mounts and env, and the pod's annotations; per
 * ServiceAccount and ConfigMap its annotations and data.
 */
export function tokenView(objs: any[]): any[] {
  return objs.map(o => {
    if (WORKLOAD_KINDS.has(o.kind)) {
      const spec = podSpec(o);
      const containers = (list: any[] | undefined) => (list ?? []).map(x => ({ name: x.name, volumeMounts: x.volumeMounts, env: x.env }));
      return {
        kind: o.kind,
        name: o.metadata.name,
        serviceAccountName: spec.serviceAccountName,
        volumes: spec.volumes,
        containers: containers(spec.containers),
        initContainers: containers(spec.initContainers),
        annotations: o.metadata.annotations,
        podAnnotations: podMetadata(o)?.annotations,
      };
    }
    if (o.kind === 'ServiceAccount') return { kind: o.kind, name: o.metadata.name, annotations: o.metadata.annotations };
    if (o.kind === 'ConfigMap' || o.kind === 'Secret') return { kind: o.kind, name: o.metadata.name, data: o.data, stringData: o.stringData };
    return { kind: o.kind, name: o.metadata.name };
  });
}

/** What a synth reports: its error lines and warnings, construct paths replaced by `[<path>]`. */
export interface Outcome {
  readonly errors: string[];
  readonly warnings: string[];
}

const PATH = /\[[^\]]*\] (BT\d{3}):/;

export function withoutPath(line: string): string {
  return line.replace(PATH, '[<path>] $1:');
}

/** Synthesizes `c`, returning the rule errors and warnings it reported. */
export function outcome(c: Chart): Outcome {
  let message = '';
  const warnings = captureWarnings(() => {
    try {
      Testing.synth(c);
    } catch (e) {
      message = (e as Error).message;
    }
  });
  const errors = message.split('\n').map(l => l.trim()).filter(l => PATH.test(l));
  if (message && errors.length === 0) throw new Error(`synth failed without a rule error: ${message}`);
  return { errors: errors.map(withoutPath).sort(), warnings: warnings.map(withoutPath).sort() };
}

/** The rule ids of an outcome's lines, in order. */
export function ruleIds(lines: string[]): string[] {
  return lines.map(l => PATH.exec(l)?.[1] ?? `no rule id in: ${l}`);
}
