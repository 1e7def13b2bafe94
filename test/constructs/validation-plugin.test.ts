import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BoundTokenValidation } from '../../src';
import { errorOf, tmpdir } from '../util';

const ROOT = path.resolve(__dirname, '..', '..');
const CDK8S_CLI = path.join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');

/** A stand-in for cdk8s-cli's ValidationContext that records the report. */
function fakeContext(manifests: string[]) {
  const violations: any[] = [];
  let summary: any;
  return {
    violations,
    summary: () => summary,
    context: {
      manifests,
      report: {
        addViolation: (v: any) => violations.push(v),
        submit: (status: string, metadata: any) => { summary = { status, metadata }; },
      },
      logger: { log: () => undefined },
    },
  };
}

function manifest(text: string): string {
  const dir = tmpdir('bt-plugin-');
  const file = path.join(dir, 'app.k8s.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const BAD_POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts:\n        - {name: tok, mountPath: /t}\n  volumes:\n    - name: tok\n      projected:\n        sources:\n          - serviceAccountToken: {path: /token, expirationSeconds: 172800}\n';

describe('BoundTokenValidation (the plugin class)', () => {
  test('reports one violation per rule, with the object, JSON pointer, line and message, and fails on an error', async () => {
    const file = manifest(BAD_POD);
    const rec = fakeContext([file]);
    await new BoundTokenValidation().validate(rec.context);
    // ordered by line, then as found: the lifetime warning and the path error are on one line here
    expect(rec.violations).toEqual([
      expect.objectContaining({ ruleName: 'BT104 (warning)' }),
      {
        ruleName: 'BT111 (error)',
        recommendation: 'A token path is absolute; the API server refuses it from Kubernetes 1.30, while 1.27 to 1.29 accept it and the kubelet then fails the mount.',
        fix: "use a path relative to the volume's mount point, e.g. 'token'",
        violatingResources: [{
          resourceName: 'bad',
          manifestPath: file,
          locations: ["/spec/volumes/0/projected/sources/0/serviceAccountToken/path (line 15): BT111: 'path' must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '/token'; use a path relative to the volume's mount point, e.g. 'token'"],
        }],
      },
    ]);
    expect(rec.summary()).toEqual({
      status: 'failure',
      metadata: { errors: '1', warnings: '1', acknowledged: '0', objectsChecked: '1', strict: 'false' },
    });
  });

  test('passes with warnings only, and fails on them in strict mode', async () => {
    const file = manifest(BAD_POD.replace('path: /token', 'path: token'));
    const lax = fakeContext([file]);
    await new BoundTokenValidation().validate(lax.context);
    expect(lax.summary().status).toBe('success');
    expect(lax.violations.map(v => v.ruleName)).toEqual(['BT104 (warning)']);
    const strict = fakeContext([file]);
    await new BoundTokenValidation({ strict: true }).validate(strict.context);
    expect(strict.summary().status).toBe('failure');
  });

  test('disabled rules are not reported', async () => {
    const rec = fakeContext([manifest(BAD_POD)]);
    await new BoundTokenValidation({ disable: ['BT111', 'BT104'] }).validate(rec.context);
    expect(rec.violations).toEqual([]);
    expect(rec.summary().status).toBe('success');
  });

  test('fails when disable names no rule', () => {
    const msg = errorOf(() => new BoundTokenValidation({ disable: ['BT999'] }));
    expect(msg).toContain("'disable' names no rule, got 'BT999'");
  });

  test('fails when properties hold an unknown key, naming it and the known keys', () => {
    const msg = errorOf(() => new BoundTokenValidation({ strict: true, disabled: ['BT120'] } as any));
    expect(msg).toBe("BoundTokenValidation (properties of its entry in cdk8s.yaml): unknown key 'disabled'; the known keys are 'strict', 'disable', 'maxTokenExpirationSeconds', 'extendTokenExpiration'");
    expect(errorOf(() => new BoundTokenValidation({ Strict: true, level: 'error' } as any)))
      .toContain("unknown keys 'Strict', 'level'; the known keys are 'strict', 'disable', 'maxTokenExpirationSeconds', 'extendTokenExpiration'");
  });

  test.each([
    ['yes', "'yes' (a string)"],
    ['true', "'true' (a string)"],
    [1, '1 (a number)'],
    [null, 'null'],
  ])('fails when strict is %p, not a boolean', (value, shown) => {
    const msg = errorOf(() => new BoundTokenValidation({ strict: value } as any));
    expect(msg).toContain(`'strict' must be true or false, got ${shown}; write strict: true or strict: false`);
  });

  test.each([
    ['BT120', "'BT120' (a string)"],
    [[120], '[120] (a list)'],
  ])('fails when disable is %p, not a list of rule ids', (value, shown) => {
    expect(errorOf(() => new BoundTokenValidation({ disable: value } as any)))
      .toContain(`'disable' must be a list of rule ids, got ${shown}`);
  });

  test('fails when properties are not a map', () => {
    expect(errorOf(() => new BoundTokenValidation(['strict'] as any)))
      .toContain("'properties' must be a map of strict, disable, maxTokenExpirationSeconds, extendTokenExpiration, got [\"strict\"] (a list)");
  });

  test('takes strict: false and an empty disable list as given', async () => {
    const rec = fakeContext([manifest(BAD_POD.replace('path: /token', 'path: token'))]);
    await new BoundTokenValidation({ strict: false, disable: [] }).validate(rec.context);
    expect(rec.summary()).toEqual({
      status: 'success',
      metadata: { errors: '0', warnings: '1', acknowledged: '0', objectsChecked: '1', strict: 'false' },
    });
  });
});

/** Writes a cdk8s app (plain ApiObjects: the plugin works whether or not the app uses this library) and its cdk8s.yaml. */
function cdk8sApp(validations: string): string {
  const dir = tmpdir('bt-cdk8s-app-');
  const cdk8s = JSON.stringify(path.join(ROOT, 'node_modules', 'cdk8s'));
  fs.writeFileSync(path.join(dir, 'app.js'), `
const { App, Chart, ApiObject } = require(${cdk8s});
const app = new App();
const tokens = new Chart(app, 'tokens');
const pod = (name, token) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: {
  serviceAccountName: 'app',
  containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
  volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: token }] } }] } });
new ApiObject(tokens, 'Good', pod('good', { path: 'token', audience: 'vault', expirationSeconds: 7200 }));
new ApiObject(tokens, 'Bad', pod('bad', { path: '/token', expirationSeconds: 172800 }));
for (const id of ['issuer-a', 'issuer-b']) {
  const chart = new Chart(app, id);
  new ApiObject(chart, 'Authentication', { apiVersion: 'config.openshift.io/v1', kind: 'Authentication',
    metadata: { name: 'cluster' }, spec: { serviceAccountIssuer: 'https://' + id + '.example.com' } });
}
app.synth();
`);
  fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), `language: typescript\napp: node app.js\n${validations}`);
  return dir;
}

function synth(dir: string): { code: number | null; out: string; report: any } {
  const r = spawnSync(process.execPath, [CDK8S_CLI, 'synth', '--validation-reports-output-file', 'report.json'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  const reportFile = path.join(dir, 'report.json');
  return {
    code: r.status,
    out: r.stdout + r.stderr,
    report: fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined,
  };
}

/** A local plugin package whose main is the library's TypeScript entry (src/index.ts), through ts-node. */
function shim(dir: string): void {
  fs.mkdirSync(path.join(dir, 'plugin'));
  fs.writeFileSync(path.join(dir, 'plugin', 'index.js'), SHIM);
}

/** A plugin entry point that exports the library's TypeScript sources, through ts-node. */
const SHIM = `
require(${JSON.stringify(path.join(ROOT, 'node_modules', 'ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, 'tsconfig.dev.json'))} });
module.exports = require(${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))});
`;

const LOCATIONS = {
  BT111: "/spec/volumes/0/projected/sources/0/serviceAccountToken/path (line 40): BT111: 'path' must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '/token'; use a path relative to the volume's mount point, e.g. 'token'",
  // BT104 (a lifetime over 24 h) is the warning here: BT120 (no audience) is reported on plain manifests only in strict mode
  BT104: "/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds (line 39): BT104: 'expirationSeconds' of token '/token' in volume 'tok' is longer than 24 hours (86400 seconds), got 172800 seconds; use a lifetime of at most 24 hours unless the consumer requires more",
  BT160: (n: number) => `/metadata/name (line 4): BT160: 'metadata.name' is 'cluster' on 2 Authentication objects of this app, and the last one applied silently wins, got object ${n} of 2; keep exactly one Authentication named cluster per app`,
};

describe('the plugin run by the real cdk8s-cli (`cdk8s synth`, offline)', () => {
  test('loaded from a local path (the TypeScript sources through ts-node): fails the synth with the report', () => {
    const dir = cdk8sApp('validations:\n  - package: ./plugin\n    version: 0.0.0\n    class: BoundTokenValidation\n');
    shim(dir);
    const r = synth(dir);
    expect({ code: r.code, failed: r.out.includes('Validation failed') }).toEqual({ code: 2, failed: true });
    const report = r.report.reports[0];
    expect(report.summary).toEqual({
      status: 'failure',
      plugin: path.join(dir, 'plugin'),
      version: '0.0.0',
      metadata: { errors: '3', warnings: '1', acknowledged: '0', objectsChecked: '4', strict: 'false' },
    });
    expect(report.violations.map((v: any) => [v.ruleName, v.violatingConstructs])).toEqual([
      ['BT104 (warning)', [{ resourceName: 'bad', manifestPath: 'dist/tokens.k8s.yaml', constructPath: 'tokens/Bad', locations: [LOCATIONS.BT104] }]],
      ['BT111 (error)', [{ resourceName: 'bad', manifestPath: 'dist/tokens.k8s.yaml', constructPath: 'tokens/Bad', locations: [LOCATIONS.BT111] }]],
      // cdk8s-cli keys its construct metadata by metadata.name, so both objects named 'cluster' get the last path
      ['BT160 (error)', [
        { resourceName: 'cluster', manifestPath: 'dist/issuer-a.k8s.yaml', constructPath: 'issuer-b/Authentication', locations: [LOCATIONS.BT160(1)] },
        { resourceName: 'cluster', manifestPath: 'dist/issuer-b.k8s.yaml', constructPath: 'issuer-b/Authentication', locations: [LOCATIONS.BT160(2)] },
      ]],
    ]);
  });

  const compiled = fs.existsSync(path.join(ROOT, 'lib', 'index.js'));
  (compiled ? test : test.skip)('loaded by package name and exact version with the cdk8s.yaml of docs/validation-plugin.md, from a prepared plugins directory (needs lib/ from `npx projen compile`)', () => {
    // what `npm install cdk8s-bound-tokens@<version> --prefix <pluginsDirectory>/cdk8s-bound-tokens/<version>` would lay out
    const plugins = tmpdir('bt-cdk8s-plugins-');
    const guide = fs.readFileSync(path.join(ROOT, 'docs', 'validation-plugin.md'), 'utf8');
    const block = /```yaml\n(validations:\n  - package: cdk8s-bound-tokens\n[\s\S]*?)```/.exec(guide)![1];
    const version = /version: (\S+)/.exec(block)![1];
    expect(version).toBe('0.1.0');
    const where = path.join(plugins, 'cdk8s-bound-tokens', version, 'node_modules');
    fs.mkdirSync(where, { recursive: true });
    fs.symlinkSync(ROOT, path.join(where, 'cdk8s-bound-tokens'), 'dir');
    const dir = cdk8sApp(`pluginsDirectory: ${plugins}\n${block}`);
    const r = synth(dir);
    expect(r.out).not.toContain('Installing validation plugin');
    expect(r.code).toBe(2);
    const report = r.report.reports[0];
    expect(report.summary.plugin).toBe('cdk8s-bound-tokens');
    expect(report.summary.status).toBe('failure');
    expect(report.violations.map((v: any) => v.ruleName)).toEqual(['BT104 (warning)', 'BT111 (error)', 'BT160 (error)']);
  });

  test("loaded from the app's node_modules with the local cdk8s.yaml of docs/validation-plugin.md, as shown (an install from a clone)", () => {
    const guide = fs.readFileSync(path.join(ROOT, 'docs', 'validation-plugin.md'), 'utf8');
    const block = /```yaml\n(validations:\n  - package: \.\/node_modules\/cdk8s-bound-tokens [\s\S]*?)```/.exec(guide)![1];
    const dir = cdk8sApp(block);
    // what `npm install <tarball>` lays out: the package in the app's node_modules (here its
    // main loads the TypeScript sources through ts-node)
    const pkg = path.join(dir, 'node_modules', 'cdk8s-bound-tokens');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'cdk8s-bound-tokens', version: '0.0.0', main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'index.js'), SHIM);
    const r = synth(dir);
    expect(r.out).not.toContain('Installing validation plugin');
    expect(r.code).toBe(2);
    const report = r.report.reports[0];
    expect(report.summary.plugin).toBe(pkg);
    expect(report.violations.map((v: any) => v.ruleName)).toEqual(['BT104 (warning)', 'BT111 (error)', 'BT160 (error)']);
    // cdk8s wrote its construct metadata next to the manifests, which the lint skips
    expect(fs.existsSync(path.join(dir, 'dist', 'construct-metadata.json'))).toBe(true);
  });

  test('fails the synth, with the message, when properties say strict: yes (local path)', () => {
    const dir = cdk8sApp('validations:\n  - package: ./plugin\n    version: 0.0.0\n    class: BoundTokenValidation\n    properties:\n      strict: yes\n');
    shim(dir);
    const r = synth(dir);
    expect(r.code).toBe(1); // cdk8s-cli fails while loading the plugin, before any report
    expect(r.out).toContain("'strict' must be true or false, got 'yes' (a string)");
  });

  test('passes with warnings only when errors are disabled in properties (local path)', () => {
    const dir = cdk8sApp('validations:\n  - package: ./plugin\n    version: 0.0.0\n    class: BoundTokenValidation\n    properties:\n      disable: [BT111, BT160]\n');
    shim(dir);
    const r = synth(dir);
    expect(r.code).toBe(0);
    const report = r.report.reports[0];
    expect(report.summary.status).toBe('success');
    expect(report.violations.map((v: any) => v.ruleName)).toEqual(['BT104 (warning)']);
  });
});
