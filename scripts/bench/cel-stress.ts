// Stress objects for the admission policy's CEL cost, and the bisection that
// finds, on a real kube-apiserver, the largest size of each that is admitted.
//
// The API server reports no cost: an evaluation is admitted, denied, or
// cancelled (`operation cancelled: actual cost limit exceeded` for one
// expression over 1,000,000 units, `running out of cost budget` for a policy
// over 10,000,000). So each quadratic expression gets an axis, a family of
// pods that the lint passes and that grow along one dimension (files of one
// projected volume, mounts of one container, ...), and the largest admitted
// size is found by bisection. Used by `npm run bench` (scripts/bench/cel.ts)
// and by test/apiserver/cel-cost.test.ts.
import { buildPolicyObjects } from '../../src/policy/build';
import { CEL_BOUNDS, PAIR_BOUNDS } from '../../src/policy/cost';
import { checkObject, MANIFEST_STYLE } from '../../src/rules';

/** The API server's limit on a request body (k8s.io/apiserver MaxRequestBodyBytes). */
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/** What the server needs to offer: kubectl against it (test/apiserver/server.ts). */
export interface KubectlRunner {
  kubectl(args: string[], input?: string): { status: number; stdout: string; stderr: string };
}

/** One family of stress objects, growing in `n`. */
export interface StressAxis {
  readonly name: string;
  /** The rules whose expressions grow with n, and how. */
  readonly stresses: string;
  /** What n counts. */
  readonly unit: string;
  readonly make: (n: number) => any;
  /** The same object with one mistake that the stressed rule reports, and that rule's id. */
  readonly violate: (n: number) => { readonly object: any; readonly ruleId: string };
  /**
   * The largest n to send: where the object reaches 3 MiB, or less where the API server's own
   * validation outgrows its request timeout first (it compares every pair of projected files
   * for its overlap warning).
   */
  readonly cap?: number;
}

const clone = (x: any) => JSON.parse(JSON.stringify(x));

const TOKEN = { serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 3600 } };

function pod(name: string, containers: any[], volumes: any[]): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { serviceAccountName: 'default', containers, volumes } };
}

const tokenVolume = (name: string, more: any[] = []) => ({ name, projected: { sources: [TOKEN, ...more] } });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export const AXES: readonly StressAxis[] = [
  {
    name: 'projected-files',
    stresses: 'BT114 (pairs of files in one projected volume)',
    unit: 'files of a ConfigMap projected beside the token',
    violate: n => {
      const o = clone(AXES_BY_NAME['projected-files'].make(n));
      o.spec.volumes[0].projected.sources[1].configMap.items[n - 1].path = 'token';
      return { object: o, ruleId: 'BT114' };
    },
    cap: 6000,
    make: n => pod('stress', [{ name: 'app', image: 'x', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
      [tokenVolume('tok', [{ configMap: { name: 'cfg', items: range(n).map(i => ({ key: `k${i}`, path: `conf/f${i}` })) } }])]),
  },
  {
    name: 'container-mounts',
    stresses: 'BT141 (pairs of mount paths), BT140/BT142/BT144 (mounts x volume names)',
    unit: 'mounts of one container',
    violate: n => {
      const o = clone(AXES_BY_NAME['container-mounts'].make(n));
      o.spec.containers[0].volumeMounts.push({ name: 'data', mountPath: '/d/0/' });
      return { object: o, ruleId: 'BT141' };
    },
    make: n => pod('stress', [{
      name: 'app',
      image: 'x',
      volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }, ...range(n).map(i => ({ name: 'data', mountPath: `/d/${i}` }))],
    }], [tokenVolume('tok'), { name: 'data', emptyDir: {} }]),
  },
  {
    name: 'containers',
    stresses: 'BT141 and the mount rules over every container (40 mounts each)',
    unit: 'containers of 40 mounts',
    violate: n => {
      const o = clone(AXES_BY_NAME.containers.make(n));
      const last = o.spec.containers[n - 1].volumeMounts;
      last[last.length - 1].mountPath = '/d/0/';
      return { object: o, ruleId: 'BT141' };
    },
    make: n => pod('stress', range(n).map(c => ({
      name: `c${c}`,
      image: 'x',
      volumeMounts: [
        ...(c === 0 ? [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] : []),
        ...range(40).map(i => ({ name: 'data', mountPath: `/d/${i}` })),
      ],
    })), [tokenVolume('tok'), { name: 'data', emptyDir: {} }]),
  },
  {
    name: 'token-volumes',
    stresses: 'BT143 (token volumes x mounts), BT140/BT142 (mounts x token volume names)',
    unit: 'token volumes, each mounted',
    violate: n => {
      const o = clone(AXES_BY_NAME['token-volumes'].make(n));
      o.spec.containers[0].volumeMounts[n - 1].subPath = 'token';
      return { object: o, ruleId: 'BT142' };
    },
    make: n => pod('stress', [{ name: 'app', image: 'x', volumeMounts: range(n).map(i => ({ name: `t${i}`, mountPath: `/t/${i}` })) }],
      range(n).map(i => tokenVolume(`t${i}`))),
  },
  {
    name: 'volumes',
    stresses: 'BT144 (mounts x volume names), BT133 (volume names)',
    unit: 'emptyDir volumes, each mounted, beside one token volume',
    violate: n => {
      const o = clone(AXES_BY_NAME.volumes.make(n));
      o.spec.containers[0].volumeMounts[0].subPath = 'token';
      return { object: o, ruleId: 'BT142' };
    },
    cap: 20000,
    make: n => pod('stress', [{
      name: 'app',
      image: 'x',
      volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }, ...range(n).map(i => ({ name: `v${i}`, mountPath: `/v/${i}` }))],
    }], [tokenVolume('tok'), ...range(n).map(i => ({ name: `v${i}`, emptyDir: {} }))]),
  },
  {
    name: 'projected-sources',
    // 5 ConfigMaps: the API-access volume that the ServiceAccount admission plugin adds has two
    // sources with items on upstream Kubernetes (kube-root-ca.crt, the namespace) and three on
    // OpenShift's kube-apiserver, the test server's source (openshift-service-ca.crt too), so the
    // pod holds 7 or 8 sources with items, within PAIR_BOUNDS.itemSources either way.
    stresses: 'BT114 (the linear part: cleaning and joining every path), 5 ConfigMaps of n items (with the API-access volume\'s two or three, at most 8 sources with items)',
    unit: 'items of each of 5 ConfigMaps projected beside the token',
    violate: n => {
      const o = clone(AXES_BY_NAME['projected-sources'].make(n));
      o.spec.volumes[0].projected.sources[5].configMap.items[n - 1].path = 'token';
      return { object: o, ruleId: 'BT114' };
    },
    cap: 750,
    make: n => pod('stress', [{ name: 'app', image: 'x', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
      [tokenVolume('tok', range(5).map(c => ({ configMap: { name: `cfg${c}`, items: range(n).map(i => ({ key: `k${i}`, path: `c${c}/f${i}` })) } })))]),
  },
  {
    name: 'pod-bounds',
    stresses: 'every rule at once, at the pod-wide bounds with the API-access volume: 6 token volumes of 64 sources, 512 volumes, n containers of 128 mounts',
    unit: 'containers of 128 mounts',
    violate: n => {
      const o = clone(AXES_BY_NAME['pod-bounds'].make(n));
      o.spec.containers[n - 1].volumeMounts[0].subPath = 'token';
      return { object: o, ruleId: 'BT142' };
    },
    make: n => pod('stress', range(n).map(c => ({
      name: `c${c}`,
      image: 'x',
      volumeMounts: [
        ...range(6).map(t => ({ name: `t${t}`, mountPath: `/t/${t}` })),
        ...range(121).map(i => ({ name: `v${i}`, mountPath: `/d/${i}` })),
      ],
    })), [
      ...range(6).map(t => tokenVolume(`t${t}`, range(63).map(c => ({ configMap: { name: `cfg${c}`, items: [{ key: 'k', path: `c${c}` }] } })))),
      ...range(505).map(i => ({ name: `v${i}`, emptyDir: {} })),
    ]),
  },
  {
    name: 'audience-length',
    stresses: 'BT121 (a regular expression over the audience)',
    unit: 'characters of the audience',
    violate: n => {
      const o = clone(AXES_BY_NAME['audience-length'].make(n));
      o.spec.volumes[0].projected.sources[0].serviceAccountToken.audience = `a,${'a'.repeat(Math.max(0, n - 2))}`;
      return { object: o, ruleId: 'BT121' };
    },
    make: n => pod('stress', [{ name: 'app', image: 'x', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
      [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'a'.repeat(n), expirationSeconds: 3600 } }] } }]),
  },
];

/**
 * The generated policies with every size bound of src/policy/cost.ts lifted
 * (each `<= bound` literal raised to 10^12): what the expressions cost without
 * their guards, to find where each would break. Never installed outside the bench.
 */
/**
 * The policies as enforced at their strictest: errors on Deny (the default
 * rollout only warns and audits). A cost cancellation is a Deny either way
 * (failurePolicy Fail); with Deny, a mistake the policy reports is one too.
 */
export function enforcingPolicyObjects(): any[] {
  return buildPolicyObjects({ errorAction: 'deny' });
}

export function unguardedPolicyObjects(): any[] {
  const bounds = new Set<number>([...Object.values(CEL_BOUNDS), ...Object.values(PAIR_BOUNDS)]);
  const lift = (expr: string) => expr.replace(/<= (\d+)\b/g, (m, n) => (bounds.has(Number(n)) ? '<= 1000000000000' : m));
  return enforcingPolicyObjects().map(o => {
    if (o.kind !== 'ValidatingAdmissionPolicy') return o;
    const spec = o.spec;
    return {
      ...o,
      spec: {
        ...spec,
        variables: spec.variables.map((v: any) => ({ ...v, expression: lift(v.expression) })),
        validations: spec.validations.map((v: any) => ({ ...v, expression: lift(v.expression) })),
      },
    };
  });
}

const AXES_BY_NAME: Record<string, StressAxis> = Object.fromEntries(AXES.map(a => [a.name, a]));

/** Bytes of the request body kubectl sends for the object (JSON, as `kubectl create -f -` sends it). */
export function requestBytes(obj: any): number {
  return Buffer.byteLength(JSON.stringify(obj));
}

/** The largest n whose object still fits in one request (with a margin for kubectl's own wrapping). */
export function maxFittingN(axis: StressAxis, limit = MAX_REQUEST_BYTES - 4096): number {
  if (axis.cap !== undefined && requestBytes(axis.make(axis.cap)) <= limit) return axis.cap;
  let lo = 1;
  let hi = 2;
  while (requestBytes(axis.make(hi)) <= limit) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (requestBytes(axis.make(mid)) <= limit) lo = mid; else hi = mid;
  }
  return lo;
}

/** The lint's findings on an object, as `rule/level` strings (acknowledged warnings left out). */
export function lintVerdict(obj: any): string[] {
  return checkObject(obj, { style: MANIFEST_STYLE }).filter(f => !f.acknowledged).map(f => `${f.ruleId}/${f.level}`);
}

export type Outcome =
  | { kind: 'admitted'; warnings: string[] }
  | { kind: 'denied'; ruleIds: string[]; message: string }
  | { kind: 'cancelled'; message: string }
  | { kind: 'invalid'; message: string };

/** True when the API server's message says an evaluation ran past a cost limit. */
export function isCostError(message: string): boolean {
  return /cost limit exceeded|cost budget/i.test(message);
}

/** Sends the object with server-side dry run (`kubectl create`, no last-applied annotation) and reads the answer. */
export function admit(server: KubectlRunner, obj: any): Outcome {
  const r = server.kubectl(['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify(obj));
  const warnings = [...r.stderr.matchAll(/^Warning: (.*)$/gm)].map(m => m[1]);
  if (r.status === 0) return { kind: 'admitted', warnings };
  const message = r.stderr.split('\n').filter(l => !l.startsWith('Warning: ')).join('\n').trim();
  if (isCostError(r.stderr)) return { kind: 'cancelled', message };
  const ids = [...message.matchAll(/denied request: (BT\d{3})/g)].map(m => m[1]);
  if (ids.length > 0 || /ValidatingAdmissionPolicy/.test(message)) return { kind: 'denied', ruleIds: ids, message };
  return { kind: 'invalid', message };
}

/** Installs the generated policies and waits until the API server enforces them. */
export function installPolicy(server: KubectlRunner, objects: any[] = enforcingPolicyObjects()): void {
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  const r = server.kubectl(['apply', '-f', '-'], JSON.stringify(list));
  if (r.status !== 0) throw new Error(`the policy did not install: ${r.stderr}`);
  // The admission plugin picks policies up from an informer: wait for a known Deny.
  const probe = pod('probe', [{ name: 'app', image: 'x', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens', subPath: 'token' }] }],
    [tokenVolume('tok')]);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const o = admit(server, probe);
    if (o.kind === 'denied' && o.ruleIds.includes('BT142')) return;
    spawnSleep(0.5);
  }
  throw new Error('the API server did not start enforcing the policy within 60 s');
}

function spawnSleep(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}

export interface AxisResult {
  readonly axis: StressAxis;
  /** The largest n that fits in a request. */
  readonly fitting: number;
  /** The largest n admitted (never cancelled) up to `fitting`. */
  readonly admitted: number;
  /** The smallest n cancelled for cost, if any. */
  readonly cancelled: number | undefined;
  readonly cancelMessage: string | undefined;
  readonly requests: number;
}

/**
 * Bisection on a real API server: the largest n of the axis that is admitted
 * (cost grows with n, so admission is monotone). Every object on the way must
 * pass the lint; an object that is denied or invalid stops the search with an
 * error, since it would mean the axis is not what it claims.
 */
export function largestAdmitted(server: KubectlRunner, axis: StressAxis, upTo?: number): AxisResult {
  const fitting = upTo ?? maxFittingN(axis);
  let requests = 0;
  let cancelMessage: string | undefined;
  const ok = (n: number): boolean => {
    const obj = axis.make(n);
    const lint = lintVerdict(obj);
    if (lint.length > 0) throw new Error(`${axis.name} n=${n}: the lint does not pass the stress object: ${lint.join(', ')}`);
    requests++;
    const o = admit(server, obj);
    if (o.kind === 'cancelled') {
      cancelMessage = o.message;
      return false;
    }
    if (o.kind !== 'admitted') throw new Error(`${axis.name} n=${n}: ${o.kind}: ${o.message}`);
    return true;
  };
  if (ok(fitting)) return { axis, fitting, admitted: fitting, cancelled: undefined, cancelMessage: undefined, requests };
  let lo = 0;
  let hi = fitting;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) lo = mid; else hi = mid;
  }
  return { axis, fitting, admitted: lo, cancelled: hi, cancelMessage, requests };
}

/**
 * A typical pod as the API server admits it: an app container and a sidecar,
 * a token volume for one audience, the platform's API-access volume, a
 * ConfigMap volume and an emptyDir.
 */
export function typicalPod(): any {
  const mounts = [
    { name: 'vault-token', mountPath: '/var/run/secrets/vault', readOnly: true },
    { name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    { name: 'config', mountPath: '/etc/app' },
    { name: 'cache', mountPath: '/cache' },
  ];
  return pod('typical', [
    { name: 'app', image: 'registry.example.com/app:1.4.2', volumeMounts: mounts },
    { name: 'proxy', image: 'registry.example.com/proxy:2.0', volumeMounts: mounts.slice(0, 2) },
  ], [
    tokenVolume('vault-token'),
    {
      name: 'kube-api-access-x7k2p',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
    { name: 'config', configMap: { name: 'app-config' } },
    { name: 'cache', emptyDir: {} },
  ]);
}

/** The largest k in [1, hi] for which `ok(k)`, assuming monotone; 0 when none. */
function bisectK(ok: (k: number) => boolean, hi: number): number {
  let lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) lo = mid; else hi = mid;
  }
  return lo;
}

export interface PolicyCost {
  readonly policy: string;
  /** Cost units of one evaluation of the variables (each once), as measured. */
  readonly variables: number;
  /** Cost units of the validations and messageExpressions, variables already evaluated. */
  readonly validations: number;
}

/**
 * Measures what a policy costs on `obj` on the API server, from the
 * per-expression limit (1,000,000 units): a probe validation evaluates a body
 * k times, and the largest k admitted gives the body's cost as
 * 1,000,000 / k, less the same figure for an empty body of the same shape.
 * The probe is one policy with the variables of `policy`; the request says
 * which body to run and how often (annotations `probe-which` and `probe-k`, a
 * string of k commas-separated items), so every step of the bisection is one
 * request. Variables are cached within one evaluation, so the body that
 * measures them repeats each variable's own expression (its dependencies come
 * cached and are counted in their own term); the body that measures the
 * validations repeats each validation and messageExpression as written.
 */
export function measurePolicyCost(server: KubectlRunner, policy: any, obj: any, maxK = 8192, log?: (line: string) => void): PolicyCost {
  const LIMIT = 1_000_000;
  const name = 'cost-probe';
  const terms: Record<string, string[]> = {
    vars: policy.spec.variables.map((v: any) => `size([${v.expression}]) >= 0`),
    // A messageExpression that fails (the issuer's, on a pod: no issuer) costs what it took to fail;
    // the probe skips it, since its error would stop the body.
    vals: policy.spec.validations.flatMap((v: any) => [`size([${v.expression}]) >= 0`,
      `${(v.messageExpression as string).includes('variables.issuer') ? 'variables.issuer == null || ' : ''}size([${v.messageExpression}]) >= 0`]),
  };
  terms.vars0 = terms.vars.map(() => 'size([0]) >= 0');
  terms.vals0 = terms.vals.map(() => 'size([0]) >= 0');
  const which = "object.metadata.annotations['probe-which']";
  const items = "object.metadata.annotations['probe-k'].split(',')";
  const objects = [{
    apiVersion: policy.apiVersion,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }] },
      matchConditions: [{ name: 'probe', expression: "has(object.metadata.annotations) && 'probe-which' in object.metadata.annotations" }],
      // Each body is a variable of its own: a cost error then names the short variable, not a
      // long expression that the API server's message would cut short.
      variables: [
        ...policy.spec.variables,
        ...Object.entries(terms).map(([key, t]) => ({ name: `probe_${key}`, expression: `${items}.all(probeIter, ${t.join(' && ')})` })),
      ],
      validations: [
        ...Object.keys(terms).map(key => ({ expression: `${which} != '${key}' || variables.probe_${key}`, message: `probe ${key}` })),
        { expression: 'false', message: 'probe passed' },
      ],
    },
  }, {
    apiVersion: policy.apiVersion,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions: ['Deny'] },
  }];
  const r = server.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  if (r.status !== 0) throw new Error(`the probe policy did not install: ${r.stderr}`);
  let lastMessage = '';
  const send = (key: string, k: number): 'passed' | 'cancelled' | 'other' => {
    const o = clone(obj);
    o.metadata.annotations = { ...(o.metadata.annotations ?? {}), 'probe-which': key, 'probe-k': Array(k).fill('x').join(',') };
    const out = admit(server, o);
    const message = out.kind === 'admitted' ? '' : out.message;
    lastMessage = message;
    if (message.includes(`'${name}'`) && message.includes('probe passed')) return 'passed';
    if (message.includes(`'${name}'`) && isCostError(message)) return 'cancelled';
    return 'other';
  };
  try {
    // The admission plugin picks the policy up from an informer: wait for its answer.
    const deadline = Date.now() + 60_000;
    while (send('vars0', 1) !== 'passed') {
      if (Date.now() > deadline) throw new Error('probe: the API server did not pick the probe policy up within 60 s');
      spawnSleep(0.5);
    }
    const perRun = (key: string): number => {
      // An empty body costs little per run: it needs a longer list (the annotation holds up to 256 KiB).
      const hi = key.endsWith('0') ? maxK * 8 : maxK;
      const k = bisectK(n => {
        const a = send(key, n);
        if (a === 'other') throw new Error(`probe ${key} k=${n}: neither passed nor cancelled: ...${lastMessage.slice(-300)}`);
        return a === 'passed';
      }, hi);
      if (k === 0 || k === hi - 1) throw new Error(`probe ${key}: k out of range (${k})`);
      return LIMIT / k;
    };
    const costOf = (key: string) => {
      const c = Math.max(0, Math.round(perRun(key) - perRun(`${key}0`)));
      log?.(`  ${policy.metadata.name} ${key}: ${c}`);
      return c;
    };
    return { policy: policy.metadata.name, variables: costOf('vars'), validations: costOf('vals') };
  } finally {
    server.kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', name, '--ignore-not-found']);
  }
}

/**
 * A pod as the validating admission policies see it: the ServiceAccount
 * admission plugin (a mutating plugin, which runs first) has added the
 * API-access volume and mounted it into every container that mounts nothing
 * at its path. The size bounds count these too.
 */
export function asAdmitted(obj: any): any {
  const o = clone(obj);
  const path = '/var/run/secrets/kubernetes.io/serviceaccount';
  const spec = o.spec;
  if (spec.automountServiceAccountToken === false) return o;
  const name = 'kube-api-access-abcde';
  spec.volumes = [...(spec.volumes ?? []), {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  }];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m: any) => m.mountPath === path)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: path }];
  }
  return o;
}
