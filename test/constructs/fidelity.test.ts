// Issue 16, section 1: the construct checks see what is written.
//
// Contract, for every object the library binds: if the synth succeeds, the
// lint reports no error on its output; where the lint reports an error, the
// synth fails with the same rule id at the construct's path. Escape hatches
// (JSON patches, ApiObject edits, resolvers of the app's own, volumes,
// containers and mounts added after binding) must not hide anything.
//
// The property runs over every workload kind of every cdk8s-plus line and
// over plain ApiObjects (KubeDeployment, ...), with random edits made after
// binding; the lint reads the files `app.synth()` wrote, or, when the synth
// fails, what the objects render (`toJson()`, no validation).
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Duration, IResolver, JsonPatch, ResolutionContext } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import { IMAGE, Kp, LINES, WORKLOADS } from './lines-support';
import { BoundTokenRules, ProjectedTokenVolume, TokenRotation } from '../../src';
import { Linter } from '../../src/lint/lint';
import { findRule, locatePodSpec } from '../../src/rules';
import { captureWarnings, tmpdir } from '../util';

const k8s = kplus27.k8s;
const TOKEN = { path: 'token', audience: 'vault', expiration: Duration.hours(2) };
const MOUNT_PATH = '/var/run/secrets/tokens';

/** A plain ApiObject with a pod spec, without volumes: what `mountIntoApiObject` binds. */
type MakePlain = (c: Chart, id: string) => ApiObject;
const pod = () => ({ serviceAccountName: 'app', containers: [{ name: 'app', image: IMAGE }] });
const template = () => ({ metadata: { labels: { app: 'x' } }, spec: pod() });
const PLAIN: Array<[string, MakePlain]> = [
  ['KubePod', (c, id) => new k8s.KubePod(c, id, { spec: pod() })],
  ['KubeDeployment', (c, id) => new k8s.KubeDeployment(c, id, { spec: { selector: { matchLabels: { app: 'x' } }, template: template() } })],
  ['KubeStatefulSet', (c, id) => new k8s.KubeStatefulSet(c, id, { spec: { serviceName: 's', selector: { matchLabels: { app: 'x' } }, template: template() } })],
  ['KubeDaemonSet', (c, id) => new k8s.KubeDaemonSet(c, id, { spec: { selector: { matchLabels: { app: 'x' } }, template: template() } })],
  ['KubeJob', (c, id) => new k8s.KubeJob(c, id, { spec: { template: template() } })],
  ['KubeCronJob', (c, id) => new k8s.KubeCronJob(c, id, { spec: { schedule: '0 0 * * *', jobTemplate: { spec: { template: template() } } } })],
  // an ApiObject of no generated class: its render keeps whatever a patch writes (the Kube* classes keep only the fields they know)
  ['ApiObject Deployment', (c, id) => new ApiObject(c, id, { apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: { matchLabels: { app: 'x' } }, template: template() } })],
];

/** A subject: a cdk8s-plus workload of a line, or a plain ApiObject. */
type Target = { label: string; build: (c: Chart) => { construct: any; obj: ApiObject; kp?: Kp } };
const TARGETS: Target[] = [
  ...LINES.flatMap(([line, kp]) => WORKLOADS.map(([kind, make]): Target => ({
    label: `${line} ${kind}`,
    build: c => {
      const sa = new kp.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });
      const w = make(kp, c, 'W', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
      new ProjectedTokenVolume(c, 'Tok', { tokens: [TOKEN] }).mountInto(w);
      return { construct: w, obj: ApiObject.of(w), kp };
    },
  }))),
  ...PLAIN.map(([kind, make]): Target => ({
    label: kind,
    build: c => {
      const obj = make(c, 'W');
      new ProjectedTokenVolume(c, 'Tok', { tokens: [TOKEN] }).mountIntoApiObject(obj);
      return { construct: obj, obj };
    },
  })),
];

/** One edit made after binding. `at` is the pod spec's pointer in the object's current render. */
interface Edit {
  readonly label: string;
  /** Applies the edit; returns false when it does not apply to this target. */
  apply(t: { construct: any; obj: ApiObject; kp?: Kp; chart: Chart; app: App }): boolean;
}

/** The current render of an object (for pointers into it). */
function current(obj: ApiObject): { json: any; at: string } {
  const json = obj.toJson();
  return { json, at: locatePodSpec(json)!.specPath };
}

/** A JSON patch edit, computed from the object's render now. */
function patch(label: string, ops: (json: any, at: string, spec: any) => JsonPatch[] | undefined): Edit {
  return {
    label,
    apply: ({ obj }) => {
      let json: any;
      let at: string;
      try {
        ({ json, at } = current(obj));
      } catch {
        return false; // an earlier edit made the object unrenderable (see run)
      }
      const spec = at.split('/').slice(1).reduce((o, k) => o?.[k], json);
      const list = ops(json, at, spec);
      if (!list) return false;
      obj.addJsonPatch(...list);
      return true;
    },
  };
}

const tokenVolumeIndex = (spec: any) => (spec.volumes ?? []).findIndex((v: any) => v.name === 'tok');
const tokenMountIndex = (spec: any) => (spec.containers[0].volumeMounts ?? []).findIndex((m: any) => m.name === 'tok');
const tokenSource = (spec: any, at: string) => {
  const i = tokenVolumeIndex(spec);
  return i < 0 ? undefined : `${at}/volumes/${i}/projected/sources/0/serviceAccountToken`;
};

class ShortLifetime implements IResolver {
  public resolve(context: ResolutionContext): void {
    if (context.key[context.key.length - 1] === 'expirationSeconds' && context.value === 7200) context.replaceValue(60);
  }
}

const EDITS: Edit[] = [
  // JSON patches on what the library wrote
  patch('subPath on the token mount (BT142)', (_j, at, spec) => {
    const i = tokenMountIndex(spec);
    return i < 0 ? undefined : [JsonPatch.add(`${at}/containers/0/volumeMounts/${i}/subPath`, 'token')];
  }),
  patch('lifetime of 60 s (BT101)', (_j, at, spec) => {
    const p = tokenSource(spec, at);
    return p ? [JsonPatch.replace(`${p}/expirationSeconds`, 60)] : undefined;
  }),
  patch('fractional lifetime (BT105)', (_j, at, spec) => {
    const p = tokenSource(spec, at);
    return p ? [JsonPatch.replace(`${p}/expirationSeconds`, 3600.5)] : undefined;
  }),
  patch('long lifetime (a warning only)', (_j, at, spec) => {
    const p = tokenSource(spec, at);
    return p ? [JsonPatch.replace(`${p}/expirationSeconds`, 200000)] : undefined;
  }),
  patch("token path '../x'", (_j, at, spec) => {
    const p = tokenSource(spec, at);
    return p ? [JsonPatch.replace(`${p}/path`, '../x')] : undefined;
  }),
  patch('audience removed (a warning only)', (_j, at, spec) => {
    const p = tokenSource(spec, at);
    return p ? [JsonPatch.remove(`${p}/audience`)] : undefined;
  }),
  patch('restrictive defaultMode (a warning only)', (_j, at, spec) => {
    const i = tokenVolumeIndex(spec);
    return i < 0 ? undefined : [JsonPatch.add(`${at}/volumes/${i}/projected/defaultMode`, 0o440)];
  }),
  patch('a second volume named like the token volume', (_j, at, spec) =>
    [JsonPatch.add(`${at}/volumes${Array.isArray(spec.volumes) ? '/-' : ''}`, Array.isArray(spec.volumes) ? { name: 'tok', emptyDir: {} } : [{ name: 'tok', emptyDir: {} }])]),
  patch('a hand-written token volume with a 60 s lifetime', (_j, at, spec) => {
    const v = { name: 'hand', projected: { sources: [{ serviceAccountToken: { path: 't', audience: 'a', expirationSeconds: 60 } }] } };
    return [JsonPatch.add(`${at}/volumes${Array.isArray(spec.volumes) ? '/-' : ''}`, Array.isArray(spec.volumes) ? v : [v])];
  }),
  patch('another mount at the token mount path', (_j, at, spec) => {
    const m = { name: 'other', mountPath: MOUNT_PATH };
    const v = { name: 'other', emptyDir: {} };
    return [
      JsonPatch.add(`${at}/volumes${Array.isArray(spec.volumes) ? '/-' : ''}`, Array.isArray(spec.volumes) ? v : [v]),
      JsonPatch.add(`${at}/containers/0/volumeMounts/-`, m),
    ];
  }),
  patch('a mount of a volume the pod does not have', (_j, at) =>
    [JsonPatch.add(`${at}/containers/0/volumeMounts/-`, { name: 'missing', mountPath: '/missing' })]),
  patch('volumes made a mapping (BT902)', (_j, at) => [JsonPatch.add(`${at}/volumes`, { tok: {} })]),
  patch('a container added by patch', (_j, at) => [JsonPatch.add(`${at}/containers/-`, { name: 'late', image: IMAGE })]),
  patch('the token mount removed', (_j, at, spec) => {
    const i = tokenMountIndex(spec);
    return i < 0 ? undefined : [JsonPatch.remove(`${at}/containers/0/volumeMounts/${i}`)];
  }),
  patch('relative mount path', (_j, at, spec) => {
    const i = tokenMountIndex(spec);
    return i < 0 ? undefined : [JsonPatch.replace(`${at}/containers/0/volumeMounts/${i}/mountPath`, 'tokens')];
  }),
  // direct ApiObject edits
  {
    label: 'an annotation on the ApiObject',
    apply: ({ obj }) => {
      obj.metadata.addAnnotation('example.com/x', 'y');
      return true;
    },
  },
  {
    label: 'an acknowledgement annotation on the ApiObject',
    apply: ({ obj }) => {
      obj.metadata.addAnnotation(BoundTokenRules.acknowledgeAnnotation('BT104'), 'the consumer needs it');
      return true;
    },
  },
  // the app's own resolver changes the lifetime as it renders
  {
    label: "the app's own resolver shortens the lifetime",
    apply: ({ app }) => {
      app.resolvers.unshift(new ShortLifetime());
      return true;
    },
  },
  // the cdk8s-plus model, after binding
  {
    label: 'a container added after binding',
    apply: ({ construct, kp }) => {
      if (!kp) return false;
      construct.addContainer({ name: 'added', image: IMAGE });
      return true;
    },
  },
  {
    label: 'an emptyDir mounted at the token mount path after binding',
    apply: ({ construct, kp, chart }) => {
      if (!kp) return false;
      construct.containers[0].mount(MOUNT_PATH, kp.Volume.fromEmptyDir(chart, `E${chart.node.children.length}`, 'scratch'));
      return true;
    },
  },
  {
    label: 'a volume named like the token volume added after binding',
    apply: ({ construct, kp, chart }) => {
      if (!kp) return false;
      try {
        construct.addVolume(kp.Volume.fromEmptyDir(chart, `V${chart.node.children.length}`, 'tok'));
      } catch {
        return false; // cdk8s-plus refuses a second volume of that name at once ('Volume with name tok already exists')
      }
      return true;
    },
  },
  {
    label: 'a second mount of the token volume with a subPath, after binding',
    apply: ({ construct, kp }) => {
      if (!kp) return false;
      const tok = construct.node.scope.node.findChild('Tok') as ProjectedTokenVolume;
      construct.containers[0].mount('/other', tok.asVolume(), { subPath: 'token', readOnly: true });
      return true;
    },
  },
];

/** The rule ids and paths of the errors of a failed synth: `[path] BTnnn: ...`. */
function synthErrors(message: string): Array<{ path: string; ruleId: string }> {
  return [...message.matchAll(/\[([^\]]*)\] (BT\d+):/g)].map(m => ({ path: m[1], ruleId: m[2] }));
}

interface Run {
  readonly applied: string[];
  readonly synthError?: string;
  /** Set when the objects cannot render (then the synth failed, and there is nothing to lint). */
  readonly unrenderable?: string;
  /** The lint's errors on the output: rule id -> messages. */
  readonly lintErrors: Map<string, string[]>;
  readonly path: string;
}

function run(target: Target, edits: Edit[]): Run {
  const outdir = tmpdir('bt-fidelity-');
  const app = new App({ outdir });
  const chart = new Chart(app, 'test');
  const t = { ...target.build(chart), chart, app };
  const applied = edits.filter(e => e.apply(t)).map(e => e.label);
  let synthError: string | undefined;
  let unrenderable: string | undefined;
  let docs: any[];
  captureWarnings(() => {
    try {
      app.synth();
    } catch (e) {
      synthError = (e as Error).message;
    }
  });
  if (synthError === undefined) {
    docs = fs.readdirSync(outdir).flatMap(f => YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8')).map(d => d.toJS()));
  } else {
    // what the objects write, rendered without validation
    try {
      docs = chart.node.findAll().filter(ApiObject.isApiObject).map(o => o.toJson());
    } catch (e) {
      // a generated class (KubeDeployment, ...) cannot render a field of the wrong type at all: nothing can be written
      docs = [];
      unrenderable = (e as Error).message;
    }
  }
  const linter = new Linter();
  linter.addSource('out.yaml', docs.map(d => YAML.stringify(d)).join('---\n'));
  const lintErrors = new Map<string, string[]>();
  for (const f of linter.report().findings) {
    if (f.level !== 'error') continue;
    lintErrors.set(f.ruleId, [...(lintErrors.get(f.ruleId) ?? []), f.message]);
  }
  return { applied, synthError, unrenderable, lintErrors, path: t.construct.node.path };
}

/** The contract, as assertions. */
function expectOneVerdict(r: Run): void {
  const context = `edits: ${r.applied.join('; ') || 'none'}`;
  if (r.synthError === undefined) {
    // the synth succeeded: the lint finds no error on what it wrote
    expect({ context, lintErrors: [...r.lintErrors.keys()] }).toEqual({ context, lintErrors: [] });
    return;
  }
  if (r.unrenderable !== undefined) return;
  const found = synthErrors(r.synthError);
  // every error the lint reports is an error of the synth, at the construct's path
  for (const ruleId of r.lintErrors.keys()) {
    expect({ context, ruleId, at: found.some(e => e.ruleId === ruleId && e.path === r.path) }).toEqual({ context, ruleId, at: true });
  }
  // and every error of a rule the lint also runs is the lint's too (construct-only rules, such as BT190, stand alone)
  for (const e of found) {
    if (findRule(e.ruleId)?.scope === 'construct') continue;
    expect({ context, ruleId: e.ruleId, lint: r.lintErrors.has(e.ruleId) }).toEqual({ context, ruleId: e.ruleId, lint: true });
  }
}

describe('construct checks see what is written (issue 16, section 1)', () => {
  test("the issue's example: a subPath added by JSON patch fails the synth with BT142 at the Deployment's path", () => {
    const r = run(TARGETS.find(t => t.label === 'cdk8s-plus-27 Deployment')!, [EDITS[0]]);
    expect(r.synthError).toContain("[test/W] BT142: 'subPath' of token volume 'tok' in container 'app' stops the kubelet from updating the rotated token");
    expect([...r.lintErrors.keys()]).toEqual(['BT142']);
    expectOneVerdict(r);
  });

  test('a lifetime changed by JSON patch on a plain KubeDeployment fails the synth as the lint reports it (BT105)', () => {
    const r = run(TARGETS.find(t => t.label === 'KubeDeployment')!, [EDITS[2]]);
    expect(r.synthError).toContain("[test/W] BT105: 'expirationSeconds' of token 'token' in volume 'tok' must be a whole number of seconds, got 3600.5");
    expect([...r.lintErrors.keys()]).toEqual(['BT105']);
  });

  test("a resolver of the app's own that shortens the lifetime is seen (the library's volume is checked on the render)", () => {
    const r = run(TARGETS.find(t => t.label === 'cdk8s-plus-33 DaemonSet')!, [EDITS.find(e => e.label.startsWith("the app's own resolver"))!]);
    expect(r.synthError).toContain("[test/W] BT101: 'expiration' of token 'token' in volume 'tok' may not be shorter than 10 minutes (600 seconds), got 60 seconds");
    expectOneVerdict(r);
  });

  test('a volumes list made a mapping by JSON patch is the lint\'s BT902, at the construct path', () => {
    const r = run(TARGETS.find(t => t.label === 'ApiObject Deployment')!, [EDITS.find(e => e.label.startsWith('volumes made a mapping'))!]);
    expect(r.synthError).toContain('[test/W] BT902:');
    expect([...r.lintErrors.keys()]).toEqual(['BT902']);
  });

  test('without edits every target synthesizes and the lint finds no error', () => {
    for (const target of TARGETS) {
      const r = run(target, []);
      expect({ target: target.label, synthError: r.synthError }).toEqual({ target: target.label, synthError: undefined });
      expectOneVerdict(r);
    }
  });

  test('property: escape-hatch edits on every workload kind, every cdk8s-plus line and plain ApiObjects give one verdict', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TARGETS), fc.array(fc.constantFrom(...EDITS), { minLength: 1, maxLength: 3 }), (target, edits) => {
        expectOneVerdict(run(target, edits));
      }),
      { numRuns: 150, seed: 16 },
    );
  });

  test('every edit on every target, one at a time', () => {
    for (const target of TARGETS) for (const edit of EDITS) expectOneVerdict(run(target, [edit]));
  });
});

describe('queries do not change what is checked (issue 16, section 1)', () => {
  test('TokenRotation.of on a plain KubeDeployment registers nothing: no BT120 appears because of the question', () => {
    const outdir = tmpdir('bt-query-');
    const app = new App({ outdir });
    const chart = new Chart(app, 'test');
    const d = new k8s.KubeDeployment(chart, 'D', {
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: {
            serviceAccountName: 'app',
            containers: [{ name: 'app', image: IMAGE, volumeMounts: [{ name: 't', mountPath: '/t' }] }],
            // no audience: BT120, a warning, reported by the lint; the constructs leave this object alone
            volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } }],
          },
        },
      },
    });
    const before = captureWarnings(() => app.synth());
    expect(TokenRotation.of(d).map(t => t.tokenPath)).toEqual(['token']);
    const after = captureWarnings(() => app.synth());
    expect(before.filter(w => w.includes('BT120'))).toEqual([]);
    expect(after.filter(w => w.includes('BT120'))).toEqual([]);
    expect(TokenRotation.report(chart)).toEqual([]);
  });

  test('TokenRotation.of on a cdk8s-plus workload whose token the library did not bind registers nothing', () => {
    const outdir = tmpdir('bt-query-');
    const app = new App({ outdir });
    const chart = new Chart(app, 'test');
    const d = new kplus27.Deployment(chart, 'D', { containers: [{ name: 'app', image: IMAGE }] });
    // a token volume without audience (BT120, a warning of the lint) written by JSON patch, not through the library
    ApiObject.of(d).addJsonPatch(
      JsonPatch.add('/spec/template/spec/volumes', [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } }]),
      JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', [{ name: 't', mountPath: '/t' }]),
    );
    expect(TokenRotation.of(d).map(t => t.files)).toEqual([['/t/token']]);
    expect(TokenRotation.report(chart)).toEqual([]);
    expect(captureWarnings(() => app.synth()).filter(w => w.includes('BT120'))).toEqual([]);
  });
});
