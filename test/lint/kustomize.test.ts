// Issue 16 §4: kustomize patches and partial objects. A file that a
// kustomization lists as a patch, or an object without the fields the API
// server requires of every object of its kind, gets the rules that read the
// values it holds, not those that conclude from something absent, and one
// notice (BT906); a folder with a kustomization gets one notice (BT907) with
// the command that lints what kustomize renders.
import * as fs from 'fs';
import * as path from 'path';
import * as jsyaml from 'js-yaml';
import { runCli } from '../../src/cli/run';
import { KustomizeContext, patchPaths } from '../../src/lint/kustomize';
import { Linter, whyPartial } from '../../src/lint/lint';
import { tmpdir } from '../util';

function run(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => '' });
  return { code, out, err };
}

/** A Deployment patch: a token volume mount whose volume (and a second mount's) live in the base. */
const PATCH = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          volumeMounts:
            - name: vault-token
              mountPath: /var/run/secrets/vault
            - name: config
              mountPath: /etc/app
      volumes:
        - name: vault-token
          projected:
            sources:
              - serviceAccountToken:
                  path: /token
                  expirationSeconds: 300
`;

const BASE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: app
          image: nginx
          volumeMounts:
            - {name: config, mountPath: /etc/app}
      volumes:
        - name: config
          configMap: {name: web}
`;

function folder(kustomization: string, files: Record<string, string>): string {
  const dir = tmpdir('bt-kustomize-');
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), kustomization);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('which files a kustomization lists as patches', () => {
  test('patches (path), patchesStrategicMerge and patchesJson6902, but not inline patches', () => {
    expect(patchPaths({
      resources: ['base.yaml'],
      patches: [{ path: 'a.yaml', target: { kind: 'Deployment' } }, { patch: '- op: add\n  path: /x\n  value: 1\n' }],
      patchesStrategicMerge: ['b.yaml', 'apiVersion: v1\nkind: ConfigMap\n'],
      patchesJson6902: [{ path: 'patches/c.yaml', target: { kind: 'Deployment', name: 'web' } }],
    })).toEqual(['a.yaml', 'b.yaml', 'patches/c.yaml']);
    expect(patchPaths(null)).toEqual([]);
    expect(patchPaths(['x'])).toEqual([]);
  });

  test('a patch in a subfolder is found from the kustomization above it; an unlisted file beside it is not a patch', () => {
    const dir = folder('resources: [base.yaml]\npatches:\n  - path: patches/token.yaml\n', { 'base.yaml': BASE, 'patches/token.yaml': PATCH });
    const k = new KustomizeContext();
    expect(k.of('x/patches/token.yaml', path.join(dir, 'patches', 'token.yaml'))).toEqual({ patchOf: 'x/kustomization.yaml' });
    expect(k.of('x/base.yaml', path.join(dir, 'base.yaml'))).toEqual({ kustomization: 'x/kustomization.yaml', kustomizeDir: 'x' });
  });
});

describe('an object that cannot be whole', () => {
  test('is one whose file is a kustomize patch, or that lacks metadata.name, or an apps/v1 workload without selector', () => {
    const base = (x: string) => `apiVersion: apps/v1\nkind: Deployment\n${x}spec:\n  selector: {}\n  template:\n    spec:\n      containers: [{name: a, image: b}]\n`;
    const parse = (t: string) => jsyaml.load(t);
    expect(whyPartial(parse(base('metadata: {name: w}\n')), undefined)).toBeUndefined();
    expect(whyPartial(parse(base('metadata: {generateName: w-}\n')), undefined)).toBeUndefined();
    expect(whyPartial(parse(base('')), undefined)).toContain('has no metadata.name');
    expect(whyPartial(parse(base('metadata: {name: w}\n').replace('  selector: {}\n', '')), undefined)).toContain('has no spec.selector');
    expect(whyPartial(parse(base('metadata: {name: w}\n')), { patchOf: 'k/kustomization.yaml' })).toBe('is a patch (k/kustomization.yaml lists its file as one)');
    // a Knative Service has no selector and is whole; an object without pod spec is never partial (no rule was left out)
    expect(whyPartial(parse('apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s}\nspec:\n  template:\n    spec:\n      containers: [{image: x}]\n'), undefined)).toBeUndefined();
    expect(whyPartial(parse('apiVersion: v1\nkind: ConfigMap\n'), undefined)).toBeUndefined();
  });

  test('gets the rules that read its values (here BT111, BT101), not BT143/BT144, and one notice BT906', () => {
    const l = new Linter();
    l.addSource('patch.yaml', PATCH.replace('  name: web\n', ''));
    const r = l.report();
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT111', 'BT101']);
    expect(r.notices.map(f => [f.ruleId, f.level, f.line, f.path])).toEqual([['BT906', 'notice', 1, '']]);
    expect(r.notices[0].message).toContain("BT906: 'object' has no metadata.name, which every applied object has (a patch, or a template a tool fills in)");
    expect(r.notices[0].message).toContain('the rules that conclude from something absent (BT132, BT143, BT144, BT151) were not run');
    // the same object whole (named, not listed as a patch) gets BT144 for the mount whose volume is missing
    const whole = new Linter();
    whole.addSource('whole.yaml', PATCH.replace('spec:\n  template', 'spec:\n  selector: {}\n  template'));
    expect(whole.report().findings.map(f => f.ruleId)).toEqual(['BT144', 'BT111', 'BT101']);
    expect(whole.report().notices).toEqual([]);
  });

  test('a JSON 6902 patch listed by a kustomization is not BT901 but one notice', () => {
    const dir = folder('resources: [base.yaml]\npatchesJson6902:\n  - path: ops.yaml\n    target: {kind: Deployment, name: web}\n',
      { 'base.yaml': BASE, 'ops.yaml': '- op: add\n  path: /spec/template/spec/volumes/-\n  value: {name: t, projected: {sources: [{serviceAccountToken: {path: t}}]}}\n' });
    const r = run(['lint', '--format', 'json', dir]);
    const out = JSON.parse(r.out);
    expect(out.findings).toEqual([]);
    const ops = out.notices.find((n: any) => n.file.endsWith('ops.yaml'));
    expect(ops.ruleId).toBe('BT906');
    expect(ops.message).toContain("BT906: 'document' is a patch without a kind of its own");
    expect(r.code).toBe(0);
  });
});

describe('the lint command on a kustomize folder', () => {
  test('the patch gets its single-value errors and a notice, the folder one BT907 naming the command, the kustomization no BT901', () => {
    const dir = folder('resources: [base.yaml]\npatches:\n  - path: token-patch.yaml\n', { 'base.yaml': BASE, 'token-patch.yaml': PATCH });
    const r = run(['lint', dir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(1); // BT111 and BT101 are errors wherever they are written
    const lines = r.out.trim().split('\n');
    const patch = path.join(dir, 'token-patch.yaml');
    expect(lines.filter(l => l.includes(' error ')).map(l => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      `${patch}:20 error BT111`,
      `${patch}:21 error BT101`,
    ]);
    expect(lines.filter(l => /  (error|warning)  +BT(14[34]|901)/.test(l))).toEqual([]);
    const notices = lines.filter(l => l.includes(' notice '));
    expect(notices).toHaveLength(2);
    expect(notices[0]).toContain(`${path.join(dir, 'kustomization.yaml')}:1  notice   BT907`);
    expect(notices[0]).toContain(`lint what is applied: kubectl kustomize ${dir} | cdk8s-bound-tokens lint -`);
    expect(notices[1]).toContain(`${patch}:1  notice   BT906  Deployment/web  'object' is a patch (${path.join(dir, 'kustomization.yaml')} lists its file as one)`);
    expect(lines[lines.length - 1]).toBe('2 problems (2 errors, 0 warnings): 3 files, 2 objects checked; 2 notices (what was not checked)');
  });

  test('notices never fail a run, not even with --strict; SARIF writes them as notes', () => {
    const dir = folder('resources: [base.yaml]\npatches:\n  - path: p.yaml\n', {
      'base.yaml': BASE,
      'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          volumeMounts: [{name: t, mountPath: /t}]\n',
    });
    expect(run(['lint', '--strict', dir]).code).toBe(0);
    const sarif = JSON.parse(run(['lint', '--format', 'sarif', dir]).out);
    const results = sarif.runs[0].results;
    expect(results.map((x: any) => [x.ruleId, x.level])).toEqual([['BT907', 'note'], ['BT906', 'note']]);
    const rule = sarif.runs[0].tool.driver.rules.find((x: any) => x.id === 'BT906');
    expect(rule.defaultConfiguration).toEqual({ level: 'note' });
  });

  test('--disable BT907 drops the folder notice', () => {
    const dir = folder('resources: [base.yaml]\n', { 'base.yaml': BASE });
    expect(JSON.parse(run(['lint', '--format', 'json', dir]).out).notices.map((n: any) => n.ruleId)).toEqual(['BT907']);
    expect(JSON.parse(run(['lint', '--format', 'json', '--disable', 'BT907', dir]).out).notices).toEqual([]);
  });
});
