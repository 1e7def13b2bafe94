// Benchmark (issue 3): synthesizing N cdk8s-plus Deployments, each with a
// bound token, through the library (ProjectedTokenVolume + mountInto, rules
// and all) against the same Deployments rendering the IDENTICAL manifest
// without the library (plain cdk8s-plus-27 plus the projected volume added by
// hand with JSON patches). Both write YAML with app.synth(), validation
// included. The runs alternate (library first in odd rounds, baseline first
// in even ones) and the ratio of the medians is printed.
//
//   npm run bench -- --only=synth [--n=1000,5000] [--rounds=7]
//   npm run bench -- --only=synth --n=5000 --rounds=1 --variant=library   (one run, e.g. under node --cpu-prof)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { ApiObject, App, Chart, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ProjectedTokenVolume } from '../../src';
import type { BenchOptions, BenchSection } from '../bench';

type Variant = 'library' | 'baseline';

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
  for (let i = 0; i < n; i++) {
    const d = new kplus.Deployment(chart, `App${i}`, {
      metadata: { name: `app-${i}` },
      serviceAccount: account,
      containers: [{ name: 'app', image: 'nginxinc/nginx-unprivileged:1.27-alpine', portNumber: 8080 }],
    });
    if (variant === 'library') {
      new ProjectedTokenVolume(chart, `Token${i}`, { name: 'token', tokens: [TOKEN] }).mountInto(d);
    } else {
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

/** One timed run: build and synthesize (validate and write) into a fresh folder. */
function timeRun(variant: Variant, n: number, keep = false): { ms: number; out?: Map<string, string> } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `bt-bench-${variant}-`));
  gc();
  const start = process.hrtime.bigint();
  buildApp(variant, n, outdir).synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const out = keep ? readOutput(outdir) : undefined;
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, out };
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

function assertIdentical(n: number): void {
  const lib = timeRun('library', n, true).out!;
  const base = timeRun('baseline', n, true).out!;
  const same = lib.size === base.size && [...lib].every(([f, text]) => base.get(f) === text);
  if (!same) {
    const f = [...lib.keys()][0];
    const a = lib.get(f) ?? '';
    const b = base.get(f) ?? '';
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    throw new Error(`synth bench: the library and the baseline wrote different manifests for N=${n} (file ${f}, first difference at character ${i}: library ${JSON.stringify(a.slice(i, i + 80))}, baseline ${JSON.stringify(b.slice(i, i + 80))})`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function run(options: BenchOptions): void {
  const ns = options.quick ? [10] : (options.args.n ?? '1000,5000').split(',').map(Number);
  const rounds = options.quick ? 1 : Number(options.args.rounds ?? 7);
  const only = options.args.variant as Variant | undefined;

  if (only) {
    // a single run, e.g. under `node --cpu-prof`
    for (const n of ns) console.log(`${only} N=${n}: ${timeRun(only, n).ms.toFixed(0)} ms`);
    return;
  }

  for (const n of ns) {
    assertIdentical(n);
    const { objects, renders } = countRenders(n);
    if (renders !== objects) {
      throw new Error(`synth bench: the library rendered ${renders} times for ${objects} objects; validation must reuse its render for the write`);
    }
    if (options.quick) {
      console.log(`N=${n}: outputs identical; ${renders} renders for ${objects} objects`);
      continue;
    }
    // warm up both, then alternate
    timeRun('library', n);
    timeRun('baseline', n);
    const times: Record<Variant, number[]> = { library: [], baseline: [] };
    for (let r = 0; r < rounds; r++) {
      const order: Variant[] = r % 2 === 0 ? ['library', 'baseline'] : ['baseline', 'library'];
      for (const v of order) times[v].push(timeRun(v, n).ms);
    }
    const lib = median(times.library);
    const base = median(times.baseline);
    console.log(`N=${n}: outputs identical (byte for byte); ${renders} renders for ${objects} objects; ${rounds} rounds alternated`);
    console.log(`  library  median ${lib.toFixed(0)} ms  (runs: ${times.library.map(t => t.toFixed(0)).join(', ')})`);
    console.log(`  baseline median ${base.toFixed(0)} ms  (runs: ${times.baseline.map(t => t.toFixed(0)).join(', ')})`);
    console.log(`  ratio of medians: ${(lib / base).toFixed(3)}x (target <= 1.10x)`);
  }
}

export const section: BenchSection = {
  name: 'synth',
  description: 'N cdk8s-plus Deployments with a bound token: library (validation included) vs the identical manifest by hand',
  run,
};
