// The lint benchmark (issue 6): `cdk8s-bound-tokens lint` over a generated
// corpus of workload documents, against two scripts that only read the same
// files and turn every document into plain objects: one with the `yaml`
// package (parseAllDocuments + toJS), one with js-yaml (loadAll). Each runs
// as a whole process (node startup included), alternated, several rounds;
// the medians and their ratios are printed. Target: at most 0.25x of `yaml` (issue 21; 0.35x in issue 6).
//
// The corpus is generated with a seeded random generator into a temporary
// folder, together with the findings each document must produce; the lint's
// output is checked against them, so the benchmark also proves the answer.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as jsyaml from 'js-yaml';
import * as ts from 'typescript';
import { findRule } from '../../src/rules';

const ROOT = path.resolve(__dirname, '..', '..');

export interface LintBenchOptions {
  /** A tiny corpus and one round, to prove the benchmark works; prints no figures. */
  readonly quick: boolean;
  /** Documents in the corpus. @default 10000 (60 when quick) */
  readonly documents?: number;
  /** Rounds of the three processes. @default 7 (1 when quick) */
  readonly rounds?: number;
  readonly log?: (line: string) => void;
}

export interface LintBenchResult {
  readonly documents: number;
  readonly files: number;
  readonly bytes: number;
  /** Median wall-clock seconds per process. */
  readonly lint: number;
  readonly yaml: number;
  readonly jsYaml: number;
  /** Median CPU seconds (user + system) per process. */
  readonly lintCpu: number;
  readonly yamlCpu: number;
  readonly jsYamlCpu: number;
}

/** Park-Miller: a small seeded generator, so every run lints the same corpus. */
function random(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

const KINDS: Array<[string, string, number]> = [
  ['apps/v1', 'Deployment', 35], ['v1', 'Pod', 20], ['apps/v1', 'StatefulSet', 10], ['apps/v1', 'DaemonSet', 10],
  ['batch/v1', 'Job', 10], ['batch/v1', 'CronJob', 10], ['apps/v1', 'ReplicaSet', 5],
];

/** The mistakes the corpus holds, with the finding each produces. */
const MISTAKES = ['short', 'absolute', 'dotdot', 'no-audience', 'subpath', 'unmounted', 'over-24h', 'unknown-mount', 'restrictive', 'bad-name', 'bare-no-sa'] as const;
type Mistake = typeof MISTAKES[number];
const RULE: Record<Mistake, string> = {
  'short': 'BT101',
  'absolute': 'BT111',
  'dotdot': 'BT112',
  'no-audience': 'BT120',
  'subpath': 'BT142',
  'unmounted': 'BT143',
  'over-24h': 'BT104',
  'unknown-mount': 'BT144',
  'restrictive': 'BT132',
  'bad-name': 'BT130',
  'bare-no-sa': 'BT151',
};

interface Generated {
  readonly text: string;
  readonly rules: string[];
}

function workload(rnd: () => number, i: number): Generated {
  const pickWeighted = () => {
    let x = rnd() * 100;
    for (const k of KINDS) {
      x -= k[2];
      if (x < 0) return k;
    }
    return KINDS[0];
  };
  const [apiVersion, kind] = pickWeighted();
  const name = `app-${i}`;
  const rules: string[] = [];
  const mistake: Mistake | undefined = rnd() < 0.3 ? MISTAKES[Math.floor(rnd() * MISTAKES.length)] : undefined;
  const bare = kind === 'Pod';
  const m = mistake === 'bare-no-sa' && !bare ? undefined : mistake;
  // the bench runs the default lint: rules reported with --strict only (BT151, BT120) are not expected
  if (m && !findRule(RULE[m])?.lintStrictOnly) rules.push(RULE[m]);

  const volumeName = m === 'bad-name' ? 'Vault_Token' : 'vault-token';
  const token: Record<string, unknown> = {
    path: m === 'absolute' ? '/token' : m === 'dotdot' ? '../token' : 'token',
    expirationSeconds: m === 'short' ? 300 : m === 'over-24h' ? 172800 : [600, 3600, 7200, 86400][Math.floor(rnd() * 4)],
  };
  if (m !== 'no-audience') token.audience = ['vault', 'sts.amazonaws.com', 'api://AzureADTokenExchange', 'istio-ca'][Math.floor(rnd() * 4)];
  const volumes: any[] = [{
    name: volumeName,
    projected: { ...(m === 'restrictive' ? { defaultMode: 0o400 } : {}), sources: [{ serviceAccountToken: token }] },
  }];
  if (bare && rnd() < 0.5) {
    volumes.push({
      name: 'kube-api-access-' + Math.floor(rnd() * 36 ** 5).toString(36).padStart(5, '0'),
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
  }
  const mounts: any[] = [];
  if (m !== 'unmounted') mounts.push({ name: volumeName, mountPath: '/var/run/secrets/tokens', readOnly: true, ...(m === 'subpath' ? { subPath: 'token' } : {}) });
  if (m === 'unknown-mount') mounts.push({ name: 'cache', mountPath: '/cache' });
  const image = rnd() < 0.01 ? 'registry.example.com/app:${TAG}' : rnd() < 0.005 ? '{{ .Values.image }}' : `registry.example.com/team-${i % 40}/app:1.${i % 17}.${i % 5}`;
  const podSpec: any = {
    ...(m === 'bare-no-sa' ? {} : { serviceAccountName: `sa-${i % 50}` }),
    containers: [{
      name: 'app',
      image,
      args: [`--log-level=${['info', 'debug', 'warn'][i % 3]}`],
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      volumeMounts: mounts,
    }],
    volumes,
  };
  const labels = { 'app.kubernetes.io/name': name };
  const metadata = { name, namespace: `team-${i % 40}`, labels };
  let obj: any;
  const template = { metadata: { labels }, spec: podSpec };
  if (kind === 'Pod') obj = { apiVersion, kind, metadata, spec: podSpec };
  else if (kind === 'CronJob') obj = { apiVersion, kind, metadata, spec: { schedule: '*/15 * * * *', jobTemplate: { spec: { template: { ...template, spec: { ...podSpec, restartPolicy: 'OnFailure' } } } } } };
  else if (kind === 'Job') obj = { apiVersion, kind, metadata, spec: { backoffLimit: 2, template: { ...template, spec: { ...podSpec, restartPolicy: 'Never' } } } };
  else obj = { apiVersion, kind, metadata, spec: { ...(kind === 'DaemonSet' ? {} : { replicas: 2 }), selector: { matchLabels: labels }, template } };
  let text = jsyaml.dump(obj, { noArrayIndent: i % 2 === 0, lineWidth: -1, noRefs: true });
  if (rnd() < 0.01) {
    // a duplicate key, as real repositories have them
    text = text.replace(/^( +)app\.kubernetes\.io\/name: (.*)$/m, '$1app.kubernetes.io/name: $2\n$1app.kubernetes.io/name: $2');
    rules.push('BT903');
  }
  return { text, rules };
}

/** Writes the corpus: `documents` documents in files of 50, in nested folders. */
export function generateCorpus(dir: string, documents: number): { files: number; bytes: number; rules: Map<string, number> } {
  const rnd = random(6);
  const rules = new Map<string, number>();
  let files = 0;
  let bytes = 0;
  for (let start = 0; start < documents; start += 50) {
    const docs: string[] = [];
    for (let i = start; i < Math.min(start + 50, documents); i++) {
      const g = workload(rnd, i);
      docs.push(g.text);
      for (const r of g.rules) rules.set(r, (rules.get(r) ?? 0) + 1);
    }
    const file = path.join(dir, `team-${files % 10}`, `workloads-${files}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = docs.join('---\n');
    fs.writeFileSync(file, text);
    files++;
    bytes += Buffer.byteLength(text);
  }
  return { files, bytes, rules };
}

/** Transpiles the command (src/cli, src/lint, src/rules) to plain JavaScript, so no TypeScript compiler runs in the timed process. */
function buildCli(out: string): string {
  for (const dir of ['cli', 'lint', 'rules']) {
    for (const f of fs.readdirSync(path.join(ROOT, 'src', dir))) {
      if (!f.endsWith('.ts')) continue;
      const js = ts.transpileModule(fs.readFileSync(path.join(ROOT, 'src', dir, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
      }).outputText;
      fs.mkdirSync(path.join(out, 'src', dir), { recursive: true });
      fs.writeFileSync(path.join(out, 'src', dir, f.replace(/\.ts$/, '.js')), js);
    }
  }
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(out, 'package.json'));
  return path.join(out, 'src', 'cli', 'main.js');
}

const WALK = `
const fs = require('fs'), path = require('path');
function files(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p)); else if (/\\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out;
}`;

const YAML_BASELINE = `${WALK}
const YAML = require('yaml');
let n = 0;
for (const f of files(process.argv[2])) for (const d of YAML.parseAllDocuments(fs.readFileSync(f, 'utf8'))) { d.toJS(); n++; }
console.log(n);`;

const JS_YAML_BASELINE = `${WALK}
const jsyaml = require('js-yaml');
let n = 0;
for (const f of files(process.argv[2])) jsyaml.loadAll(fs.readFileSync(f, 'utf8'), () => { n++; }, { json: true }); // json: duplicate keys allowed, the last wins
console.log(n);`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs the benchmark; throws when the lint's answer is not the corpus's. */
export function runLintBench(opts: LintBenchOptions): LintBenchResult {
  const log = opts.log ?? ((l: string) => console.log(l));
  const documents = opts.documents ?? (opts.quick ? 60 : 10000);
  const rounds = opts.rounds ?? (opts.quick ? 1 : 7);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-lint-bench-'));
  try {
    const corpus = path.join(work, 'corpus');
    const gen = generateCorpus(corpus, documents);
    const cli = buildCli(path.join(work, 'build'));
    fs.writeFileSync(path.join(work, 'yaml-baseline.js'), YAML_BASELINE);
    fs.writeFileSync(path.join(work, 'js-yaml-baseline.js'), JS_YAML_BASELINE);
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
    // each process also reports its own CPU time (user + system), which other load on the machine disturbs less
    const cpuFile = path.join(work, 'cpu.txt');
    const cpuHook = path.join(work, 'cpu-hook.js');
    fs.writeFileSync(cpuHook, `process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1e6)); });`);
    const exec = (args: string[]) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['-r', cpuHook, ...args], { env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      return { seconds, cpu: Number(fs.readFileSync(cpuFile, 'utf8')), ...r };
    };
    type Timing = { seconds: number; cpu: number };
    const runs: Record<'lint' | 'yaml' | 'jsYaml', () => Timing> = {
      lint: () => {
        const r = exec([cli, 'lint', '--format', 'json', corpus]);
        if (r.status !== 1) throw new Error(`lint exited ${r.status}, expected 1 (the corpus has errors): ${r.stderr}`);
        check(JSON.parse(r.stdout));
        return r;
      },
      yaml: () => baseline(exec([path.join(work, 'yaml-baseline.js'), corpus])),
      jsYaml: () => baseline(exec([path.join(work, 'js-yaml-baseline.js'), corpus])),
    };
    function baseline(r: Timing & { status: number | null; stdout: string; stderr: string }): Timing {
      if (r.status !== 0 || Number(r.stdout.trim()) !== documents) throw new Error(`baseline failed: ${r.stderr || r.stdout}`);
      return r;
    }
    let checked = false;
    function check(out: any): void {
      if (checked) return;
      checked = true;
      const got = new Map<string, number>();
      for (const f of out.findings) got.set(f.ruleId, (got.get(f.ruleId) ?? 0) + 1);
      const want = [...gen.rules].sort(([a], [b]) => a.localeCompare(b));
      const have = [...got].sort(([a], [b]) => a.localeCompare(b));
      if (out.objectsChecked !== documents || JSON.stringify(want) !== JSON.stringify(have)) {
        throw new Error(`lint found ${JSON.stringify(have)} in ${out.objectsChecked} objects; the corpus holds ${JSON.stringify(want)} in ${documents}`);
      }
      if (out.findings.some((f: any) => !(f.line >= 1))) throw new Error('a finding without a line');
    }
    const times: Record<'lint' | 'yaml' | 'jsYaml', Timing[]> = { lint: [], yaml: [], jsYaml: [] };
    const order: Array<'lint' | 'yaml' | 'jsYaml'> = ['lint', 'yaml', 'jsYaml'];
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < order.length; k++) {
        const which = order[(k + r) % order.length]; // alternate who goes first
        times[which].push(runs[which]());
      }
    }
    const wall = (k: keyof typeof times) => median(times[k].map(t => t.seconds));
    const cpu = (k: keyof typeof times) => median(times[k].map(t => t.cpu));
    const result: LintBenchResult = {
      documents,
      files: gen.files,
      bytes: gen.bytes,
      lint: wall('lint'),
      yaml: wall('yaml'),
      jsYaml: wall('jsYaml'),
      lintCpu: cpu('lint'),
      yamlCpu: cpu('yaml'),
      jsYamlCpu: cpu('jsYaml'),
    };
    const findings = [...gen.rules.values()].reduce((a, b) => a + b, 0);
    if (opts.quick) {
      log(`lint: quick mode ok (${documents} documents in ${gen.files} files; ${findings} findings, as the corpus holds)`);
    } else {
      const s = (x: number) => `${x.toFixed(2)} s`.padStart(8);
      const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(8);
      log(`lint: ${documents} workload documents in ${gen.files} files (${(gen.bytes / 1e6).toFixed(1)} MB, ${findings} findings), `
        + `${rounds} rounds alternated, medians of whole processes:`);
      log('                                           wall     CPU');
      log(`  cdk8s-bound-tokens lint --format json ${s(result.lint)}${s(result.lintCpu)}`);
      log(`  yaml parseAllDocuments + toJS()       ${s(result.yaml)}${s(result.yamlCpu)}`);
      log(`  js-yaml loadAll                       ${s(result.jsYaml)}${s(result.jsYamlCpu)}`);
      log(`  lint / yaml                           ${x(result.lint, result.yaml)}${x(result.lintCpu, result.yamlCpu)}   (target <= 0.25x: ${result.lint / result.yaml <= 0.25 ? 'met' : 'MISSED'})`);
      log(`  lint / js-yaml                        ${x(result.lint, result.jsYaml)}${x(result.lintCpu, result.jsYamlCpu)}`);
    }
    return result;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** One Pod with `n` token sources in one volume, written out (`aliased`: the first anchored, the others `*s`). */
function manySources(n: number, aliased: boolean): string {
  const head = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: many\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources:\n';
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (aliased) lines.push(i === 0 ? '          - &s {serviceAccountToken: {path: token, audience: vault}}' : '          - *s');
    else lines.push(`          - serviceAccountToken:\n              path: t${i}\n              audience: vault\n              expirationSeconds: 3600`);
  }
  return head + lines.join('\n') + '\n';
}

/** A Pod with a billion laughs (9^9 strings once expanded) in `where`, then a Pod with one mistake. */
function aliasBomb(where: 'path' | 'expirationSeconds' | 'source'): string {
  const laughs = ['l0: &l0 "lol"', ...Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`)].map(l => '  ' + l).join('\n');
  const token = where === 'source' ? '          - *l9'
    : `          - serviceAccountToken:\n              path: ${where === 'path' ? '*l9' : 'token'}\n              audience: vault${where === 'expirationSeconds' ? '\n              expirationSeconds: *l9' : ''}`;
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\nx-laughs:\n${laughs}\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources:\n${token}\n`
    + '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: after\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources: [{serviceAccountToken: {path: /abs, audience: v}}]\n';
}

/**
 * Hostile inputs of issue 12, each linted by a whole process (the built
 * command), best of `rounds`: 50,000 distinct sources in one volume, 3,000
 * aliased ones, and an alias bomb in a path, a lifetime and a source. Each
 * answer is checked (exit code and rule ids), so the figures are of a run
 * that did the right thing.
 */
export interface HostileResult {
  readonly name: string;
  readonly seconds: number;
  readonly findings: number;
}

export function runHostileBench(opts: { quick: boolean; rounds?: number; log?: (line: string) => void }): HostileResult[] {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rounds = opts.rounds ?? (opts.quick ? 1 : 3);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-lint-hostile-'));
  try {
    const cli = buildCli(path.join(work, 'build'));
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
    const n = opts.quick ? 500 : 50_000;
    const m = opts.quick ? 300 : 3_000;
    const cases: Array<{ name: string; text: string; code: number; rules: (ids: string[]) => boolean }> = [
      { name: `${n.toLocaleString('en-US')} distinct sources`, text: manySources(n, false), code: 0, rules: ids => ids.length === 0 },
      { name: `${m.toLocaleString('en-US')} aliased sources`, text: manySources(m, true), code: 1, rules: ids => ids.length === m - 1 && ids.every(x => x === 'BT114') },
      ...(['path', 'expirationSeconds', 'source'] as const).map(w => ({
        name: `alias bomb in ${w}`, text: aliasBomb(w), code: 1, rules: (ids: string[]) => ids.join() === 'BT905,BT111',
      })),
    ];
    const out: HostileResult[] = [];
    for (const c of cases) {
      const file = path.join(work, 'input.yaml');
      fs.writeFileSync(file, c.text);
      let best = Infinity;
      let findings = 0;
      for (let r = 0; r < rounds; r++) {
        const t0 = process.hrtime.bigint();
        const p = spawnSync(process.execPath, [cli, 'lint', '--format', 'json', file], { env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const ids = p.status === 0 || p.status === 1 ? JSON.parse(p.stdout).findings.map((f: any) => f.ruleId) : [];
        if (p.status !== c.code || !c.rules(ids)) throw new Error(`${c.name}: exit ${p.status}, findings ${ids.slice(0, 5).join(',')}..., stderr ${p.stderr.slice(0, 300)}`);
        findings = ids.length;
        best = Math.min(best, seconds);
      }
      out.push({ name: c.name, seconds: best, findings });
    }
    if (opts.quick) {
      log(`lint hostile inputs: quick mode ok (${out.map(o => o.name).join('; ')})`);
    } else {
      log(`lint hostile inputs: whole processes, best of ${rounds}:`);
      for (const o of out) log(`  ${o.name.padEnd(32)} ${`${o.seconds.toFixed(2)} s`.padStart(8)}   ${o.findings} findings`);
    }
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The lint benchmark as a section of `npm run bench`. */
export const section = {
  name: 'lint',
  description: 'lint 10,000 workload documents vs only parsing them with yaml and with js-yaml (whole processes, alternated); then hostile inputs (50,000 sources, 3,000 aliased sources, alias bombs)',
  run: (options: { quick: boolean; args?: Readonly<Record<string, string>> }) => {
    if (options.args?.hostile !== 'only') runLintBench({ quick: options.quick });
    runHostileBench({ quick: options.quick });
  },
};
