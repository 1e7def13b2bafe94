// Issue 11: the library validates without patching cdk8s or cdk8s-plus
// prototypes and without replacing methods on the user's objects, and two
// copies of it in one process (two versions in node_modules sharing one
// cdk8s) print each warning once.
//
// cdk8s, cdk8s-plus-27 and constructs are loaded and recorded here BEFORE
// the library: `../src` is required below the records, not imported.
import * as fs from 'fs';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as constructs from 'constructs';
import * as YAML from 'yaml';
import { captureWarnings, errorOf, tmpdir } from '../util';

const IMAGE = 'busybox:1.36';
const ROLE = 'arn:aws:iam::111122223333:role/app';

const OWN = {
  appSynth: cdk8s.App.prototype.synth,
  appSynthYaml: cdk8s.App.prototype.synthYaml,
  chartToJson: cdk8s.Chart.prototype.toJson,
  apiObjectToJson: cdk8s.ApiObject.prototype.toJson,
};

/**
 * Every member of every class a module exports (prototype and static, by
 * descriptor), so that a change to any of them shows, not only to the four
 * the engine patches today.
 */
function members(modules: Record<string, any>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const record = (key: string, target: object) => {
    for (const k of Reflect.ownKeys(target)) {
      const d = Object.getOwnPropertyDescriptor(target, k)!;
      out.set(`${key}.${String(k)}`, [d.value, d.get, d.set]);
    }
  };
  for (const [name, mod] of Object.entries(modules)) {
    for (const exported of Object.keys(mod)) {
      const value = mod[exported];
      if (typeof value !== 'function' || !value.prototype) continue;
      record(`${name}.${exported}.prototype`, value.prototype);
      record(`${name}.${exported}`, value);
    }
  }
  return out;
}
const MODULES = { 'cdk8s': cdk8s, 'cdk8s-plus-27': kplus, 'cdk8s-plus-27.k8s': kplus.k8s, 'constructs': constructs };
const MEMBERS_BEFORE = members(MODULES);

/* eslint-disable @typescript-eslint/no-require-imports */
const lib: typeof import('../../src') = require('../../src');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The names of members that differ from what they were before the library was loaded. */
function changedMembers(): string[] {
  const now = members(MODULES);
  const keys = new Set([...MEMBERS_BEFORE.keys(), ...now.keys()]);
  return [...keys].filter(k => {
    const [a, b] = [MEMBERS_BEFORE.get(k) as unknown[] | undefined, now.get(k) as unknown[] | undefined];
    return !a || !b || a.some((x, i) => !Object.is(x, b[i]));
  }).sort();
}

function expectCdk8sOwnMethods() {
  expect(cdk8s.App.prototype.synth).toBe(OWN.appSynth);
  expect(cdk8s.App.prototype.synthYaml).toBe(OWN.appSynthYaml);
  expect(cdk8s.Chart.prototype.toJson).toBe(OWN.chartToJson);
  expect(cdk8s.ApiObject.prototype.toJson).toBe(OWN.apiObjectToJson);
  expect(changedMembers()).toEqual([]);
}

const ownToJson = (o: object) => Object.prototype.hasOwnProperty.call(o, 'toJson');

/** An object of the test's own, which looks at every ApiObject of the app while the app renders. */
class Probe extends cdk8s.ApiObject {
  public renders = 0;
  public readonly withOwnToJson = new Set<string>();
  constructor(scope: constructs.Construct, id: string) {
    super(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } });
  }
  public toJson(): any {
    this.renders++;
    for (const o of this.node.root.node.findAll()) {
      if (cdk8s.ApiObject.isApiObject(o) && ownToJson(o)) this.withOwnToJson.add(o.node.path);
    }
    return super.toJson();
  }
}

function readManifests(outdir: string, chart: string): any[] {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, `${chart}.k8s.yaml`), 'utf8')).map(d => d.toJS());
}

describe('no patching', () => {
  test('loading the library changes no member of cdk8s, cdk8s-plus-27 or constructs', () => {
    expect(lib.ProjectedTokenVolume).toBeDefined();
    expectCdk8sOwnMethods();
  });

  test('after mountInto, mountIntoApiObject, a preset, TokenRotation.annotate and every kind of synth, the methods are cdk8s\'s own and no object has its own toJson', () => {
    const outdir = tmpdir('bt-no-patching-');
    const app = new cdk8s.App({ outdir });
    const c = new cdk8s.Chart(app, 'c');
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    const kube = new kplus.k8s.KubeDeployment(c, 'KD', {
      metadata: { name: 'kd' },
      spec: { selector: {}, template: { spec: { serviceAccountName: 'app', containers: [{ name: 'x', image: IMAGE }] } } },
    });
    const v = new lib.ProjectedTokenVolume(c, 'VaultToken', { tokens: [{ path: 'vault-token', audience: 'vault' }] });
    v.mountInto(d);
    v.mountIntoApiObject(kube);
    new lib.AwsIamRole({ roleArn: ROLE }).bind(d);
    lib.TokenRotation.annotate(c);
    const probe = new Probe(c, 'Probe');

    expect(captureWarnings(() => app.synth())).toEqual([]);
    captureWarnings(() => app.synthYaml());
    captureWarnings(() => cdk8s.Testing.synth(c));

    expectCdk8sOwnMethods();
    const apiObjects = c.node.findAll().filter(cdk8s.ApiObject.isApiObject);
    expect(apiObjects.map(o => o.node.path).sort()).toEqual(expect.arrayContaining(['c/D/Resource', 'c/KD', 'c/SA/Resource']));
    for (const o of [cdk8s.ApiObject.of(d), kube, cdk8s.ApiObject.of(sa), ...apiObjects]) {
      expect([o.node.path, ownToJson(o)]).toEqual([o.node.path, false]);
    }
    // not while rendering either
    expect(probe.renders).toBeGreaterThan(0);
    expect([...probe.withOwnToJson]).toEqual([]);

    // and the library did its work: the written manifests carry the tokens
    const written = readManifests(outdir, 'c');
    const dep = written.find(o => o.kind === 'Deployment' && o.metadata.name !== 'kd');
    expect(dep.spec.template.spec.volumes.map((x: any) => x.name)).toEqual(['vault-token', 'aws-iam-token']);
    expect(dep.spec.template.metadata.annotations).toEqual({
      'token-rotation.bound-tokens.io/aws-iam-token': 'token: refresh after 19h12m, expires after 24h',
      'token-rotation.bound-tokens.io/vault-token': 'vault-token: refresh after 48m, expires after 1h',
    });
    const kd = written.find(o => o.metadata.name === 'kd');
    expect(kd.spec.template.spec.volumes.map((x: any) => x.name)).toEqual(['vault-token']);
    expect(kd.spec.template.spec.containers[0].volumeMounts).toEqual([{ mountPath: '/var/run/secrets/tokens', name: 'vault-token', readOnly: true }]);
  });

  test('without patching, app.synth() and Testing.synth() still fail on a rule error', () => {
    const app = new cdk8s.App({ outdir: tmpdir('bt-no-patching-') });
    const c = new cdk8s.Chart(app, 'c');
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    new lib.ProjectedTokenVolume(c, 'T', { tokens: [{ path: '../x', audience: 'a' }] }).mountInto(d, { containers: ['missing'] });
    for (const run of [() => app.synth(), () => cdk8s.Testing.synth(c)]) {
      const msg = errorOf(run);
      expect(msg).toContain("[c/T] BT112: 'path' must not contain a '..' segment (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '../x'");
      expect(msg).toContain("[c/D] BT145: 'containers' of the mount of token volume 't' names a container the workload does not have");
    }
    expectCdk8sOwnMethods();
    expect(c.node.findAll().filter(cdk8s.ApiObject.isApiObject).filter(ownToJson).map(o => o.node.path)).toEqual([]);
  });
});

describe('two copies of the library in one process', () => {
  let second: typeof import('../../src');
  beforeAll(() => {
    // like two versions in node_modules with one cdk8s, cdk8s-plus-27 and constructs
    const [realCdk8s, realKplus, realConstructs] = [cdk8s, kplus, constructs];
    jest.isolateModules(() => {
      jest.doMock('cdk8s', () => realCdk8s);
      jest.doMock('cdk8s-plus-27', () => realKplus);
      jest.doMock('constructs', () => realConstructs);
      /* eslint-disable-next-line @typescript-eslint/no-require-imports */
      second = require('../../src');
    });
  });

  /** The library's warning lines, each with how often it was printed. */
  function counted(lines: string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const l of lines.filter(x => x.includes('[cdk8s-bound-tokens]'))) out[l] = (out[l] ?? 0) + 1;
    return out;
  }

  /** The volumes named by the BT120 lines, one entry per line. */
  function volumesWithoutAudience(counts: Record<string, number>): string[] {
    return Object.keys(counts).filter(l => / BT120: /.test(l)).map(l => /in volume '([^']+)'/.exec(l)?.[1] ?? l).sort();
  }

  function setup() {
    const outdir = tmpdir('bt-two-copies-');
    const app = new cdk8s.App({ outdir });
    const c = new cdk8s.Chart(app, 'c');
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
    return { outdir, app, c, sa };
  }

  test('the second copy is a copy: its classes are not the first one\'s, cdk8s is shared', () => {
    expect(second.ProjectedTokenVolume).not.toBe(lib.ProjectedTokenVolume);
    expect(second.VaultToken).not.toBe(lib.VaultToken);
  });

  test('a warning of each copy\'s volume prints once per app.synth()', () => {
    const { outdir, app, c, sa } = setup();
    const d1 = new kplus.Deployment(c, 'D1', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    const d2 = new kplus.Deployment(c, 'D2', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    new lib.ProjectedTokenVolume(c, 'First', { tokens: [{ path: 't' }] }).mountInto(d1);
    new second.ProjectedTokenVolume(c, 'Second', { tokens: [{ path: 't' }] }).mountInto(d2);
    const lines = captureWarnings(() => app.synth());
    const counts = counted(lines);
    expect(Object.entries(counts).filter(([, n]) => n !== 1)).toEqual([]);
    // one line per volume's token without audience, wherever it is reported
    expect(volumesWithoutAudience(counts)).toEqual(['first', 'second']);
    const deps = readManifests(outdir, 'c').filter(o => o.kind === 'Deployment');
    expect(deps.map(o => o.spec.template.spec.volumes.map((x: any) => x.name))).toEqual([['first'], ['second']]);
    expectCdk8sOwnMethods();
  });

  test('both copies binding the same Deployment: every warning once, every token in the manifest', () => {
    const { outdir, app, c, sa } = setup();
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    new lib.ProjectedTokenVolume(c, 'First', { tokens: [{ path: 't' }] }).mountInto(d, { mountPath: '/first' });
    new second.ProjectedTokenVolume(c, 'Second', { tokens: [{ path: 't' }] }).mountInto(d, { mountPath: '/second' });
    new lib.VaultToken().bind(d);
    new second.AwsIamRole({ roleArn: ROLE }).bind(d);
    const lines = captureWarnings(() => app.synth());
    const counts = counted(lines);
    expect(Object.entries(counts).filter(([, n]) => n !== 1)).toEqual([]);
    // one line per volume's token without audience, wherever it is reported
    expect(volumesWithoutAudience(counts)).toEqual(['first', 'second']);
    const spec = readManifests(outdir, 'c').find(o => o.kind === 'Deployment').spec.template.spec;
    expect(spec.volumes.map((x: any) => x.name).sort()).toEqual(['aws-iam-token', 'first', 'second', 'vault-token']);
    expect(spec.containers[0].volumeMounts.map((m: any) => m.mountPath).sort())
      .toEqual(['/first', '/second', '/var/run/secrets/eks.amazonaws.com/serviceaccount', '/var/run/secrets/tokens']);
    expectCdk8sOwnMethods();
  });
});
