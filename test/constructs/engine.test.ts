import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch, Lazy, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { BoundTokenPod, ProjectedTokenVolume } from '../../src';
import { SweepOrigin, sweepOrigin } from '../../src/private/synth-sweep';
import { captureWarnings, countCalls, countRenders } from '../util';

const IMAGE = 'busybox:1.36';

function populate(app: App): string[] {
  const paths: string[] = [];
  for (const name of ['one', 'two']) {
    const c = new Chart(app, name);
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'robot' } });
    const v = new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't' }] }); // BT120: a warning
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: IMAGE }] });
    v.mountInto(d);
    new BoundTokenPod(c, 'Pod', { serviceAccount: sa, tokenVolume: v, containers: [{ image: IMAGE }] });
    const kd = new kplus.k8s.KubeDeployment(c, 'KD', { spec: { selector: {}, template: { spec: { serviceAccountName: 'robot', containers: [{ name: 'x', image: IMAGE }] } } } });
    v.mountIntoApiObject(kd);
    paths.push(...c.node.findAll().filter(x => ApiObject.isApiObject(x)).map(x => x.node.path));
  }
  return paths;
}

describe('the engine', () => {
  test('app.synth() renders every cdk8s-plus workload once (validation reads the model); a plain ApiObject once per validation pass and once for the write', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-engine-'));
    const app = new App({ outdir });
    const paths = populate(app);
    let counts = new Map<string, number>();
    captureWarnings(() => { counts = countRenders(() => app.synth()); });
    expect(paths).toHaveLength(8);
    // cdk8s validates the app in synth() and again before each of the two charts it writes; the
    // sweep before the first chart repeats the first (only cdk8s ran in between) and reuses its verdict
    for (const p of paths) expect([p, counts.get(p)]).toEqual([p, p.endsWith('/KD') ? 3 : 1]);
    expect(fs.readdirSync(outdir).sort()).toEqual(['one.k8s.yaml', 'two.k8s.yaml']);
  });

  test('Testing.synth(), chart.toJson() and app.synthYaml() render every cdk8s-plus workload once at most', () => {
    const app = Testing.app();
    populate(app);
    let counts = new Map<string, number>();
    const workloads = (m: Map<string, number>) => [...m].filter(([p]) => !p.endsWith('/KD')).map(([, n]) => n);
    captureWarnings(() => { counts = countRenders(() => Testing.synth(app.charts[0])); });
    // validation covers the whole app: the other chart's workloads are not rendered by it
    expect(Math.max(...workloads(counts))).toBe(1);
    expect(counts.get('two/D/Resource')).toBeUndefined();
    captureWarnings(() => { counts = countRenders(() => app.synthYaml()); });
    expect(Math.max(...workloads(counts))).toBe(1);
  });

  test('warnings print once per app.synth(), not once per validation pass', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bt-engine-')) });
    populate(app);
    const lines = captureWarnings(() => app.synth());
    // one BT120 per volume (one per chart), although cdk8s validates three times
    expect(lines.filter(l => l.includes('BT120'))).toHaveLength(2);
  });

  test('the written YAML is the validated manifest', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-engine-'));
    const app = new App({ outdir });
    populate(app);
    captureWarnings(() => app.synth());
    const written = YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, 'one.k8s.yaml'), 'utf8')).map(d => d.toJS());
    const again = captureWarningsAndReturn(() => Testing.synth(app.charts[0]));
    expect(written).toEqual(again);
  });

  test('nothing is stale after a synth: changes made between synths are rendered', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a');
    const b = new Chart(app, 'b');
    const sa = new kplus.ServiceAccount(b, 'SA', { metadata: { name: 'robot' } });
    const d = new kplus.Deployment(b, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    const v = new ProjectedTokenVolume(b, 'T', { tokens: [{ path: 't', audience: 'x' }] });
    v.mountInto(d);
    new kplus.ConfigMap(a, 'Cm');
    // validating chart a renders (and checks) the Deployment of chart b without writing it
    Testing.synth(a);
    d.addContainer({ image: IMAGE, name: 'late' });
    v.mountInto(d);
    v.addToken({ path: 'u', audience: 'y' });
    const dep = Testing.synth(b).find(o => o.kind === 'Deployment');
    expect(dep.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['app', 'late']);
    expect(dep.spec.template.spec.volumes[0].projected.sources).toHaveLength(2);
    // and a direct render outside any synth is fresh too
    d.addContainer({ image: IMAGE, name: 'later' });
    expect(ApiObject.of(d).toJson().spec.template.spec.containers).toHaveLength(3);
  });

  test('an error that first appears in a later synth is reported at its construct, and a fixed one does not linger', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const sa = new kplus.ServiceAccount(chart, 'SA', { metadata: { name: 'robot' } });
    const d = new kplus.Deployment(chart, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    const v = new ProjectedTokenVolume(chart, 'T', { tokens: [{ path: 't', audience: 'x' }] });
    v.mountInto(d, { containers: ['app'] });
    const first = Testing.synth(chart).find(o => o.kind === 'Deployment');
    expect(first.spec.template.spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/tokens', name: 't', readOnly: true }]);
    // clean subjects carry no validation of their own; the pass gives one to those with errors
    v.addToken({ path: '../escape', audience: 'y' });
    v.mountInto(d, { containers: ['sidecar'] });
    expect(() => Testing.synth(chart)).toThrow(/\[c\/T\] BT112: 'path' .*'\.\.\/escape'/);
    expect(() => Testing.synth(chart)).toThrow(/\[c\/D\] BT145: 'containers' .*'sidecar'/);
    // fixed: the Deployment's error is gone, the volume's (which cannot be removed) stays
    d.addContainer({ image: IMAGE, name: 'sidecar' });
    let message = '';
    try {
      Testing.synth(chart);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/\[c\/T\] BT112/);
    expect(message).not.toMatch(/BT145/);
  });
});

describe('the sweeps of one app.synth()', () => {
  /** A construct whose validation records where each sweep comes from. */
  function recorder(scope: Chart): SweepOrigin[] {
    const seen: SweepOrigin[] = [];
    new Construct(scope, 'Recorder').node.addValidation({
      validate: function record() {
        seen.push(sweepOrigin(record));
        return [];
      },
    });
    return seen;
  }

  /** How many times the rules evaluate a token volume while `fn` runs. */
  function evaluationsBy(fn: () => void): number {
    let calls = 0;
    countCalls(ProjectedTokenVolume.prototype, '_findings', () => calls++, fn);
    return calls;
  }

  function twoCharts(app: App): { one: Chart; two: Chart; d: kplus.Deployment; v: ProjectedTokenVolume } {
    const one = new Chart(app, 'one');
    const two = new Chart(app, 'two');
    const sa = new kplus.ServiceAccount(two, 'SA', { metadata: { name: 'robot' } });
    const d = new kplus.Deployment(two, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    const v = new ProjectedTokenVolume(two, 'T', { tokens: [{ path: 'token', audience: 'vault' }] });
    v.mountInto(d);
    return { one, two, d, v };
  }

  test('are told apart by the call stack: the first sweep, one before each chart is written, and every other sweep', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-'));
    const app = new App({ outdir });
    const { one, two } = twoCharts(app);
    const seen = recorder(one);
    app.synth();
    expect(seen).toEqual(['synth', 'chart', 'chart']);
    seen.length = 0;
    Testing.synth(one);
    one.toJson();
    app.synthYaml();
    one.node.validate();
    two.node.findAll().forEach(c => c.node.validate());
    // (synthYaml validates once per chart, outside synth())
    expect(seen).toEqual(['other', 'other', 'other', 'other', 'other']);
    expect(sweepOrigin(function notASweep() { return undefined; })).toBe('other');
  });

  test('a Chart subclass that overrides toJson() is still written in a sweep of synth()', () => {
    class Wrapped extends Chart {
      public toJson(): any[] {
        return super.toJson().map(o => ({ ...o, metadata: { ...o.metadata, labels: { wrapped: 'yes' } } }));
      }
    }
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-')) });
    const seen = recorder(new Wrapped(app, 'w'));
    app.synth();
    expect(seen).toEqual(['synth', 'chart']);
  });

  test('each subject is evaluated once by a synth of one chart, and once more for every later chart', () => {
    const count = (charts: number) => {
      const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-')) });
      const { two } = twoCharts(app);
      for (let i = 1; i < charts - 1; i++) new Chart(app, `extra${i}`);
      if (charts === 1) two.node.scope!.node.tryRemoveChild('one');
      return evaluationsBy(() => app.synth());
    };
    expect(count(1)).toBe(1);
    expect(count(2)).toBe(2);
    expect(count(3)).toBe(3);
  });

  test('a change made while an earlier chart renders is seen by the sweep before the next chart: the synth fails, nothing of the broken chart is written', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-'));
    const app = new App({ outdir });
    const { one, d } = twoCharts(app);
    // a value of chart one that, when it renders, mounts chart two's token volume with a subPath
    new kplus.k8s.KubeConfigMap(one, 'Cm', {
      data: {
        late: Lazy.any({
          produce: () => {
            ApiObject.of(d).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/0/subPath', 'token'));
            return 'x';
          },
        }) as unknown as string,
      },
    });
    expect(() => app.synth()).toThrow(/\[two\/D\] BT142: .*subPath/);
    expect(fs.readdirSync(outdir)).toEqual(['one.k8s.yaml']);
  });

  test('a validation of the user\'s that changes the app after the library\'s is seen before the first chart is written', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-'));
    const app = new App({ outdir });
    const { two, d } = twoCharts(app);
    app.node.tryRemoveChild('one');
    let changed = false;
    // (validated after the root, whose validation runs the rules)
    new Construct(two, 'Late').node.addValidation({
      validate: () => {
        if (!changed) ApiObject.of(d).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/0/subPath', 'token'));
        changed = true;
        return [];
      },
    });
    expect(() => app.synth()).toThrow(/\[two\/D\] BT142: .*subPath/);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('the verdict is reused only when every validation in the app is the library\'s own', () => {
    const count = (foreign: boolean) => {
      const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-')) });
      const { two } = twoCharts(app);
      app.node.tryRemoveChild('one');
      if (foreign) new Construct(two, 'Check').node.addValidation({ validate: () => [] });
      return evaluationsBy(() => app.synth());
    };
    expect(count(false)).toBe(1);
    expect(count(true)).toBe(2);
  });

  test('a first sweep with an error fails the synth; the next synth sweeps in full again', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sweeps-')) });
    const { d } = twoCharts(app);
    app.synth();
    ApiObject.of(d).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/0/subPath', 'token'));
    expect(() => app.synth()).toThrow(/\[two\/D\] BT142: .*subPath/);
    expect(() => app.synth()).toThrow(/\[two\/D\] BT142: .*subPath/);
  });
});

function captureWarningsAndReturn<T>(fn: () => T): T {
  let out: T | undefined;
  captureWarnings(() => { out = fn(); });
  return out as T;
}
