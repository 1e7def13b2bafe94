// Benchmark (issue 3): synthesizing N cdk8s-plus Deployments, each with a
// bound token, through the library (a ProjectedTokenVolume per Deployment +
// mountInto, rules and all) against the same Deployments rendering the
// IDENTICAL manifest without the library (plain cdk8s-plus-27 plus the
// projected volume added by hand with JSON patches). Both build the app and
// write YAML with app.synth(), validation included, into a fresh folder.
//
// A third variant, the baseline plus one bare construct per Deployment,
// shows the floor that any API with a construct per volume pays: cdk8s walks
// and graphs every construct of the tree several times per synth. A fourth,
// the library with one ProjectedTokenVolume shared by all the Deployments
// (the same manifests), shows the library's cost without that floor. A fifth,
// the library with a JSON patch of the user's on every Deployment (a harmless
// one: the default `minReadySeconds: 0` written out), shows what fidelity
// costs: an object an escape hatch touched is checked on its render
// (`toJson()`), once per validation pass, instead of on its cdk8s-plus model.
//
// The runs alternate (the order rotates every round); medians of wall time
// and of CPU time (this process, all threads: less sensitive to a busy
// machine) are printed, with the ratios to the baseline.
//
//   npm run bench -- --only=synth [--n=1000,5000] [--rounds=9]
//   npm run bench -- --only=synth --n=5000 --variant=library   (one run each, e.g. under node --cpu-prof)
//   npm run bench -- --only=synth --n=5000 --split=own          (the library's own CPU per workload: building and binding, and each validation pass, over a bare construct per workload)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { ApiObject, App, Chart, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ProjectedTokenVolume } from '../../src';
import type { BenchOptions, BenchSection } from '../bench';

type Variant = 'library' | 'baseline' | 'baseline+construct' | 'library-shared' | 'library+patch';

const TOKEN = { path: 'token', audience: 'vault', expiration: Duration.hours(1) };
const VOLUME_JSON = {
  name: 'token',
  projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } }] },
};
const MOUNT_JSON = { mountPath: '/var/run/secrets/tokens', name: 'token', readOnly: true };

/** Builds the app of one variant with `n` Deployments. */
export function buildApp(variant: Variant, n: number, outdir: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'bench');
  const account = new kplus.ServiceAccount(chart, 'Account', { metadata: { name: 'app' } });
  const shared = variant === 'library-shared' ? new ProjectedTokenVolume(chart, 'Token', { name: 'token', tokens: [TOKEN] }) : undefined;
  for (let i = 0; i < n; i++) {
    const d = new kplus.Deployment(chart, `App${i}`, {
      metadata: { name: `app-${i}` },
      serviceAccount: account,
      containers: [{ name: 'app', image: 'nginxinc/nginx-unprivileged:1.27-alpine', portNumber: 8080 }],
    });
    if (variant === 'library' || variant === 'library+patch') {
      new ProjectedTokenVolume(chart, `Token${i}`, { name: 'token', tokens: [TOKEN] }).mountInto(d);
      if (variant === 'library+patch') ApiObject.of(d).addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 0));
    } else if (shared) {
      shared.mountInto(d);
    } else {
      // the floor of any API with a construct per volume: one bare construct per workload
      if (variant === 'baseline+construct') new Construct(chart, `Token${i}`);
      // cdk8s-plus omits an empty volumes list, so `add /spec/.../volumes/-` would fail: add the lists
      ApiObject.of(d).addJsonPatch(
        JsonPatch.add('/spec/template/spec/volumes', [VOLUME_JSON]),
        JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', [MOUNT_JSON]),
      );
    }
  }
  return app;
}

/** The written YAML files of a synth, by name. */
function readOutput(dir: string): Map<string, string> {
  return new Map(fs.readdirSync(dir).sort().map(f => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One timed run: build and synthesize (validate and write) into a fresh folder. */
function timeRun(variant: Variant, n: number, keep = false): { ms: number; cpu: number; out?: Map<string, string> } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `bt-bench-${variant.replace(/\W/g, '-')}-`));
  gc();
  const cpu0 = cpuMs();
  const start = process.hrtime.bigint();
  buildApp(variant, n, outdir).synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = cpuMs() - cpu0;
  const out = keep ? readOutput(outdir) : undefined;
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, cpu, out };
}

/** Renders per synth of the library variant: ApiObject.prototype.toJson calls, by object. */
function countRenders(n: number): { objects: number; renders: number } {
  const proto = ApiObject.prototype as any;
  const real = proto.toJson;
  let renders = 0;
  proto.toJson = function (this: ApiObject) {
    renders++;
    return real.call(this);
  };
  try {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-bench-count-'));
    const app = buildApp('library', n, outdir);
    const objects = app.node.findAll().filter(c => ApiObject.isApiObject(c)).length;
    app.synth();
    fs.rmSync(outdir, { recursive: true, force: true });
    return { objects, renders };
  } finally {
    proto.toJson = real;
  }
}

function assertIdentical(n: number, variant: Variant): void {
  const lib = timeRun(variant, n, true).out!;
  const base = timeRun('baseline', n, true).out!;
  const same = lib.size === base.size && [...lib].every(([f, text]) => base.get(f) === text);
  if (!same) {
    const f = [...lib.keys()][0];
    const a = lib.get(f) ?? '';
    const b = base.get(f) ?? '';
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    throw new Error(`synth bench: ${variant} and the baseline wrote different manifests for N=${n} (file ${f}, first difference at character ${i}: library ${JSON.stringify(a.slice(i, i + 80))}, baseline ${JSON.stringify(b.slice(i, i + 80))})`);
  }
}

/** A ratio as a signed percentage: 1.042 -> '+4.2%'. */
function pct(ratio: number): string {
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const VARIANTS: Variant[] = ['library', 'baseline', 'baseline+construct', 'library-shared', 'library+patch'];

function run(options: BenchOptions): void {
  const ns = options.quick ? [10] : (options.args.n ?? '1000,5000').split(',').map(Number);
  const only = options.args.variant as Variant | undefined;

  if (only) {
    // one run per N, e.g. under `node --cpu-prof`
    for (const n of ns) console.log(`${only} N=${n}: ${timeRun(only, n).ms.toFixed(0)} ms`);
    return;
  }
  if (options.args.split !== undefined) {
    for (const n of ns) split(n, Number(options.args.rounds ?? 7));
    return;
  }

  for (const n of ns) {
    assertIdentical(n, 'library');
    assertIdentical(n, 'library-shared');
    const { objects, renders } = countRenders(n);
    if (renders !== objects) {
      throw new Error(`synth bench: the library rendered ${renders} times for ${objects} objects; validation must reuse its render for the write`);
    }
    if (options.quick) {
      console.log(`N=${n}: outputs identical; ${renders} renders for ${objects} objects`);
      continue;
    }
    // many rounds: the machine's speed drifts by 10-20% within a minute, and alternating cancels that only on average
    const rounds = Number(options.args.rounds ?? (n <= 1000 ? 21 : 9));
    // warm up every variant, then alternate, rotating the order every round
    VARIANTS.forEach(v => timeRun(v, n));
    const wall: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    // per round, library / baseline of runs made next to each other: robust when the load of the machine drifts
    const paired: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
      const round: Record<string, number> = {};
      for (const v of order) {
        const t = timeRun(v, n);
        (wall[v] ??= []).push(t.ms);
        (cpu[v] ??= []).push(t.cpu);
        round[v] = t.cpu;
      }
      paired.push(round.library / round.baseline);
    }
    console.log(`N=${n}: outputs identical (byte for byte); ${renders} renders for ${objects} objects; ${rounds} rounds alternated`);
    const base = { wall: median(wall.baseline), cpu: median(cpu.baseline) };
    for (const v of VARIANTS) {
      const w = median(wall[v]);
      const c = median(cpu[v]);
      const ratio = v === 'baseline' ? '' : `  ratio ${(w / base.wall).toFixed(3)}x wall, ${(c / base.cpu).toFixed(3)}x cpu`;
      console.log(`  ${v.padEnd(20)} median ${w.toFixed(0).padStart(5)} ms wall, ${c.toFixed(0).padStart(5)} ms cpu${ratio}`);
    }
    const ratio = median(wall.library) / base.wall;
    const floor = median(wall['baseline+construct']) / base.wall;
    console.log(`  library / baseline, ratio of medians: ${ratio.toFixed(3)}x wall (target <= 1.10x at N = 1,000 and 5,000, issue 16); median of the per-round CPU ratios: ${median(paired).toFixed(3)}x`);
    console.log(`  where the time goes: ${pct(floor)} one construct per workload (cdk8s walks every construct), ${pct(ratio / floor)} the library's own work on top of it; one shared volume: ${pct(median(wall['library-shared']) / base.wall)} in all`);
    console.log(`  fidelity: a JSON patch on every workload (each then checked on its render, once per validation pass) costs ${pct(median(cpu['library+patch']) / median(cpu.library))} CPU over the library without patches`);
  }
}

/**
 * The library's own work, without the YAML and the writing that both sides
 * share: CPU of building the app, and of a validation sweep as cdk8s makes
 * it (every construct's validations), library minus a bare construct per
 * workload, per round (alternated), median.
 */
function split(n: number, rounds: number): void {
  const sweep = (app: App) => { for (const c of app.node.findAll()) c.node.validate(); };
  const build: number[] = [];
  const pass: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t: Record<string, [number, number]> = {};
    for (const v of ['library', 'baseline+construct'] as Variant[]) {
      gc();
      const c0 = cpuMs();
      const app = buildApp(v, n, path.join(os.tmpdir(), 'bt-bench-unused'));
      const c1 = cpuMs();
      sweep(app);
      sweep(app);
      t[v] = [c1 - c0, (cpuMs() - c1) / 2];
    }
    // (the first round warms up)
    if (r === 0) continue;
    build.push(t.library[0] - t['baseline+construct'][0]);
    pass.push(t.library[1] - t['baseline+construct'][1]);
  }
  const us = (ms: number) => (ms / n * 1000).toFixed(1);
  console.log(`N=${n}: the library's own CPU over a bare construct per workload (median of ${rounds} alternated rounds): `
    + `building and binding ${us(median(build))} µs, each validation pass ${us(median(pass))} µs per workload`);
}

export const section: BenchSection = {
  name: 'synth',
  description: 'N cdk8s-plus Deployments with a bound token: library (validation included) vs the identical manifest by hand',
  run,
};
