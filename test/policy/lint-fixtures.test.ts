// The admission policy and the lint reach the same verdict on the lint command's own
// fixtures (hand-written Pods, Helm output, webhook-mutated pods, OpenShift objects).
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { policyAgreesWithLint } from './harness';
import { runCli } from '../../src/cli/run';
import { fixtureFiles, MANIFEST_FIXTURES_DIR as FIXTURES_DIR } from '../fixtures/expect';

function objectsOf(file: string): Array<[string, any]> {
  const text = fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8');
  const out: Array<[string, any]> = [];
  const docs = file.endsWith('.json') ? [JSON.parse(text)] : YAML.parseAllDocuments(text, { uniqueKeys: false }).filter(d => d.errors.length === 0).map(d => d.toJS());
  docs.forEach((doc: any, i: number) => {
    const items = doc?.kind === 'List' && Array.isArray(doc.items) ? doc.items : [doc];
    items.forEach((o: any, j: number) => {
      if (o && typeof o === 'object' && !Array.isArray(o)) out.push([`${file}#${i}.${j} ${o.kind}/${o.metadata?.name}`, o]);
    });
  });
  return out;
}

const files = fixtureFiles(FIXTURES_DIR);

describe('the policy and the lint agree on the lint fixtures', () => {
  test.each(files)('%s', file => {
    const objs = objectsOf(file);
    const r = policyAgreesWithLint(objs);
    expect(r.disagreements).toEqual([]);
  });

  test('the fixtures give the policy real work (most objects are compared, not skipped)', () => {
    const all = files.flatMap(objectsOf);
    const r = policyAgreesWithLint(all);
    expect(r.disagreements).toEqual([]);
    expect(r.compared.length).toBeGreaterThanOrEqual(20);
  });
});

describe('cdk8s-bound-tokens policy through the command entry point', () => {
  test('prints the policies and exits 0', () => {
    let out = '';
    let err = '';
    const code = runCli(['policy', '--error-action', 'warn'], { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => '' });
    expect(err).toBe('');
    expect(code).toBe(0);
    const docs = YAML.parseAllDocuments(out).map(d => d.toJS());
    expect(docs.map(d => d.kind)).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    expect(docs[1].spec.validationActions).toEqual(['Warn', 'Audit']);
  });

  test('fails with exit code 2 on a wrong option', () => {
    let err = '';
    const code = runCli(['policy', '--bogus'], { stdout: () => undefined, stderr: t => { err += t; }, stdin: () => '' });
    expect(code).toBe(2);
    expect(err).toContain('--bogus');
  });
});

// Objects on which fast-check once found the policy and the lint disagreeing.
describe('the policy and the lint agree on objects fast-check once found them disagreeing on', () => {
  test('two token volumes of one name, the first shaped like the API-access volume: both report BT133, BT120 and BT143 alike', () => {
    const apiAccess = {
      name: 'tok',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    const obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x' },
      spec: {
        serviceAccountName: 'app',
        volumes: [apiAccess, { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
        containers: [{ name: 'a', image: 'i:1', volumeMounts: [] }],
      },
    };
    const r = policyAgreesWithLint([['pod', obj]]);
    expect(r.disagreements).toEqual([]);
  });
});
