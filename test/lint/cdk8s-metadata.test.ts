// `cdk8s synth` with a validation plugin writes dist/construct-metadata.json
// next to the manifests; `cdk8s-bound-tokens lint --strict dist/` must check the
// manifests and skip that file, which is no Kubernetes object.
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { runCli } from '../../src/cli/run';
import { CDK8S_CONSTRUCT_METADATA } from '../../src/lint/files';
import { tmpdir } from '../util';

function lint(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(['lint', ...args], { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => '' });
  return { code, out, err };
}

/** What `cdk8s synth` writes with a validation plugin: the manifests and cdk8s's own construct metadata. */
function synthWithMetadata(): string {
  const outdir = path.join(tmpdir('bt-metadata-'), 'dist');
  const app = new App({ outdir, recordConstructMetadata: true });
  const chart = new Chart(app, 'web');
  new ApiObject(chart, 'Pod', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: {
      serviceAccountName: 'web',
      containers: [{ name: 'web', image: 'nginx:1.27', volumeMounts: [{ name: 'vault-token', mountPath: '/var/run/secrets/tokens', readOnly: true }] }],
      volumes: [{ name: 'vault-token', projected: { sources: [{ serviceAccountToken: { path: 'vault-token', audience: 'vault', expirationSeconds: 7200 } }] } }],
    },
  });
  app.synth();
  return outdir;
}

describe("cdk8s's construct-metadata.json", () => {
  test('cdk8s writes it next to the manifests (the file the lint must skip)', () => {
    const dist = synthWithMetadata();
    expect(fs.readdirSync(dist).sort()).toEqual([CDK8S_CONSTRUCT_METADATA, 'web.k8s.yaml']);
  });

  test('lint --strict of the synth output passes: the metadata file is skipped, the manifest checked', () => {
    const dist = synthWithMetadata();
    const r = lint(['--strict', '--format', 'json', dist]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual({ findings: [], notices: [], filesChecked: 1, objectsChecked: 1 });
  });

  test('a mistake in the synth output is still reported, and nothing about the metadata file', () => {
    const dist = synthWithMetadata();
    const manifest = path.join(dist, 'web.k8s.yaml');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('path: vault-token', 'path: /vault-token'));
    const r = lint(['--strict', '--format', 'json', dist]);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.out).findings;
    expect(findings.map((f: any) => [path.basename(f.file), f.ruleId])).toEqual([['web.k8s.yaml', 'BT111']]);
  });

  test('named on the command line, it is read like any file (and is no Kubernetes object: BT901)', () => {
    const dist = synthWithMetadata();
    const r = lint(['--format', 'json', path.join(dist, CDK8S_CONSTRUCT_METADATA)]);
    expect(JSON.parse(r.out).findings.map((f: any) => f.ruleId)).toEqual(['BT901']);
  });

  test('a file of that name that holds a Kubernetes object is checked', () => {
    const dir = tmpdir('bt-metadata-');
    fs.writeFileSync(path.join(dir, CDK8S_CONSTRUCT_METADATA), JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      resources: {},
      version: '1.0.0',
      spec: { serviceAccountName: 'p', containers: [{ name: 'a', volumeMounts: [{ name: 't', mountPath: '/t' }] }], volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: '/t', audience: 'x' } }] } }] },
    }));
    const r = lint(['--format', 'json', dir]);
    expect(JSON.parse(r.out).findings.map((f: any) => f.ruleId)).toEqual(['BT111']);
  });

  test('a file of that name with another shape is read, and its problem reported', () => {
    const dir = tmpdir('bt-metadata-');
    fs.writeFileSync(path.join(dir, CDK8S_CONSTRUCT_METADATA), '{"resources": [], "version": "1.0.0"}');
    const r = lint(['--format', 'json', dir]);
    expect(JSON.parse(r.out).findings.map((f: any) => f.ruleId)).toEqual(['BT901']);
  });
});
