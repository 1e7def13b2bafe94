import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { runCli } from '../../src/cli/run';
import { Linter } from '../../src/lint/lint';
import { allRules } from '../../src/rules';
import { expectedFindings, fixturePath, MANIFEST_FIXTURES_DIR as FIXTURES_DIR, readFixture, readFixtures } from '../fixtures/expect';
import { tmpdir } from '../util';

const ROOT = path.resolve(__dirname, '..', '..');

function run(args: string[], stdin = ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => stdin });
  return { code, out, err };
}

const rel = (file: string) => path.relative(process.cwd(), fixturePath(file));

const WARNING_ONLY = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\nspec:\n  serviceAccountName: w\n  containers:\n    - name: a\n      volumeMounts:\n        - {name: t, mountPath: /t}\n  volumes:\n    - name: t\n      projected:\n        sources:\n          - serviceAccountToken: {path: t, audience: v, expirationSeconds: 172800}\n';

describe('exit codes', () => {
  test('0 when there is no error', () => {
    expect(run(['lint', rel('pod-vault.yaml')]).code).toBe(0);
  });

  test('0 for warnings only, 1 for them with --strict', () => {
    const plain = run(['lint', '-'], WARNING_ONLY);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('-:15  warning  BT104  Pod/w');
    const strict = run(['lint', '--strict', '-'], WARNING_ONLY);
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('1 problem (0 errors, 1 warning) (--strict: warnings count as errors)');
  });

  test('1 when at least one error, including a file that does not parse', () => {
    expect(run(['lint', rel('pod-mistakes.yaml')]).code).toBe(1);
    expect(run(['lint', '-'], 'a: [b\n').code).toBe(1);
  });

  test('fails with 2 when a named input does not exist, and still checks the others', () => {
    const r = run(['lint', '--format', 'json', 'no/such/file.yaml', rel('pod-mistakes.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cdk8s-bound-tokens lint: no/such/file.yaml: no such file or directory');
    expect(JSON.parse(r.out).filesChecked).toBe(1);
  });

  test('fails with 2 when a file in a directory cannot be read (a dangling link)', () => {
    const dir = tmpdir('bt-lint-');
    fs.symlinkSync(path.join(dir, 'gone.yaml'), path.join(dir, 'link.yaml'));
    fs.copyFileSync(fixturePath('pod-vault.yaml'), path.join(dir, 'ok.yaml'));
    const r = run(['lint', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(dir, 'link.yaml')}: no such file or directory`);
    expect(r.out).toContain('No problems: 1 file, 1 object checked');
  });

  test.each([
    [['lint'], 'name at least one file or directory'],
    [['lint', '--format', 'xml', 'x'], "--format must be one of text, json, sarif, got 'xml'"],
    [['lint', '--disable', 'BT999', 'x'], "--disable: 'BT999' names no rule"],
    [['lint', '--frobnicate', 'x'], "unknown option '--frobnicate'"],
    [['lint', '-', '-'], "'-' (standard input) may be named once"],
    [['check', 'x'], "unknown command 'check'"],
    [[], 'no command given'],
  ])('fails with 2 on the usage error %j', (args, phrase) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(phrase);
    expect(r.err).toContain('Usage: cdk8s-bound-tokens lint');
  });

  test('--help prints the usage and exits 0', () => {
    const r = run(['lint', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--format <text|json|sarif>');
  });
});

describe('options', () => {
  test('--disable takes ids repeated or comma-separated', () => {
    const all = JSON.parse(run(['lint', '--format', 'json', rel('pod-mistakes.yaml')]).out).findings.map((f: any) => f.ruleId);
    const r = run(['lint', '--format=json', '--disable', 'BT120,BT151', '--disable=BT142', rel('pod-mistakes.yaml')]);
    const left = JSON.parse(r.out).findings.map((f: any) => f.ruleId);
    expect(left).toEqual(all.filter((id: string) => !['BT120', 'BT151', 'BT142'].includes(id)));
  });

  test('errors cannot be disabled by annotation, but can be on the command line', () => {
    expect(run(['lint', rel('acknowledged.yaml')]).code).toBe(1);
    expect(run(['lint', '--disable', 'BT101', rel('acknowledged.yaml')]).code).toBe(0);
  });

  test('reads standard input as -', () => {
    const r = run(['lint', '--format', 'json', '-'], fs.readFileSync(fixturePath('pod-mistakes.yaml'), 'utf8'));
    const out = JSON.parse(r.out);
    expect(out.findings.map((f: any) => [f.file, f.line, f.ruleId])).toEqual(
      expectedFindings(readFixture(fixturePath('pod-mistakes.yaml')), { strict: false }).map(f => ['-', f.line, f.ruleId]));
  });
});

describe('inputs', () => {
  test('walks directories recursively: .yaml, .yml and .json, in name order, skipping dot-entries and node_modules', () => {
    const dir = tmpdir('bt-lint-');
    const write = (p: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), text);
    };
    const bad = fs.readFileSync(fixturePath('pod-mistakes.yaml'), 'utf8');
    write('b/deep/pod.yml', bad);
    write('a.yaml', bad);
    write('c.json', fs.readFileSync(fixturePath('pod.json'), 'utf8'));
    write('notes.txt', bad);
    write('.git/x.yaml', bad);
    write('node_modules/x/y.yaml', bad);
    write('.hidden.yaml', bad);
    const out = JSON.parse(run(['lint', '--format', 'json', dir]).out);
    expect(out.filesChecked).toBe(3);
    expect([...new Set(out.findings.map((f: any) => f.file))]).toEqual(
      [path.join(dir, 'a.yaml'), path.join(dir, 'b/deep/pod.yml'), path.join(dir, 'c.json')]);
  });

  test('the whole fixture folder: every expectation, with file names as given', () => {
    const dir = path.relative(process.cwd(), FIXTURES_DIR);
    const r = run(['lint', '--format', 'json', dir]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out);
    const fixtures = readFixtures(FIXTURES_DIR);
    expect(out.filesChecked).toBe(fixtures.length);
    expect(out.objectsChecked).toBe(fixtures.reduce((n, f) => n + f.objects!, 0));
    expect(out.findings.map((f: any) => [f.file, f.ruleId, f.level, f.line])).toEqual(
      fixtures.flatMap(fx => expectedFindings(fx, { strict: false }).map(f => [path.join(dir, fx.file), f.ruleId, f.level, f.line])));
    // and each finding's path and object as the library reports them on the file alone
    expect(out.findings.map((f: any) => [f.file, f.path, f.name])).toEqual(fixtures.flatMap(fx => {
      const l = new Linter();
      l.addSource(path.join(dir, fx.file), fx.text);
      return l.report().findings.map(f => [f.file, f.path, f.name]);
    }));
  });

  test('writes nothing to its inputs', () => {
    const hash = () => Object.fromEntries(fs.readdirSync(FIXTURES_DIR).sort().map(f => {
      const p = path.join(FIXTURES_DIR, f);
      return [f, `${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}:${fs.statSync(p).mtimeMs}`];
    }));
    const before = hash();
    for (const format of ['text', 'json', 'sarif']) run(['lint', '--format', format, FIXTURES_DIR]);
    expect(hash()).toEqual(before);
  });
});

describe('output formats', () => {
  test('json: exactly {findings, notices, filesChecked, objectsChecked}, each finding with the nine fields in order', () => {
    const out = JSON.parse(run(['lint', '--format', 'json', rel('templates.yaml'), rel('not-objects.yaml')]).out);
    expect(Object.keys(out)).toEqual(['findings', 'notices', 'filesChecked', 'objectsChecked']);
    expect(out.notices).toEqual([]);
    for (const f of out.findings) {
      expect(Object.keys(f)).toEqual(['ruleId', 'level', 'file', 'line', 'kind', 'name', 'namespace', 'path', 'message']);
    }
    expect(out.findings[2]).toEqual({
      ruleId: 'BT904',
      level: 'warning',
      file: rel('templates.yaml'),
      line: 44,
      kind: 'Pod',
      name: 'substituted',
      namespace: '${NAMESPACE}',
      path: '/spec/serviceAccountName',
      message: "BT904: 'serviceAccountName' is an unrendered template, so it was not checked (and 3 more template values the rules read), got '${SERVICE_ACCOUNT}'; lint the rendered manifests (helm template, kustomize build, envsubst) rather than their templates",
    });
    const noKind = out.findings.find((f: any) => f.file === rel('not-objects.yaml'));
    expect(noKind).toMatchObject({ ruleId: 'BT901', kind: null, name: null, namespace: null, path: '' });
    expect(out.filesChecked).toBe(2);
    expect(out.objectsChecked).toBe(7);
  });

  test('text: file:line, level, rule id, Kind/namespace/name and message, then a summary', () => {
    const r = run(['lint', rel('broken.yaml'), rel('acknowledged.yaml')]);
    const b = rel('broken.yaml');
    // the syntax error's own words come from the yaml package
    const lines = r.out.split('\n');
    expect(lines[1]).toMatch(/^test\/fixtures\/manifests\/broken\.yaml:27  error    BT900  -  'document' is not valid YAML \(.+\), got a syntax error at line 27, column 1; fix the syntax error at the reported line$/);
    lines[1] = 'BT900';
    expect(lines.join('\n')).toBe([
      `${b}:13  warning  BT137  Pod/before  'mountPath' of token volume 'tok' in container 'app' is not absolute on Linux, so the kubelet mounts it at '/relative/path', not under the working directory, got 'relative/path'; mount the token at an absolute path, e.g. '/var/run/secrets/tokens' (on a Windows pod 'C:\\var\\run\\secrets\\tokens')`,
      'BT900',
      `${b}:39  error    BT130  Pod/after  'name' must be a DNS-1123 label ([a-z0-9]([-a-z0-9]*[a-z0-9])?), got 'Tok'; set 'name' to a DNS-1123 label, e.g. 'vault-token'`,
      `${b}:39  warning  BT143  Pod/after  'volumeMounts' of no container mount token volume 'Tok', got no mount; mount the volume into the containers that need the token, or remove it`,
      `${rel('acknowledged.yaml')}:59  error    BT101  Deployment/long-lived  'expirationSeconds' of token 'short' in volume 'tokens' may not be shorter than 10 minutes (600 seconds), got 60 seconds; set the expiration to at least 10 minutes (600 seconds)`,
      '',
      '5 problems (3 errors, 2 warnings): 2 files, 4 objects checked; 1 warning acknowledged by annotation',
      '',
    ].join('\n'));
  });

  test('text: the namespace is shown when the object has one', () => {
    expect(run(['lint', '-'], WARNING_ONLY.replace('name: w\n', 'name: w\n  namespace: apps\n')).out).toContain('  BT104  Pod/apps/w  ');
  });

  test('sarif: SARIF 2.1.0 with the required fields of its schema', () => {
    const r = run(['lint', '--format', 'sarif', rel('pod-mistakes.yaml'), rel('helm-template.yaml'), '-'], WARNING_ONLY);
    const sarif = JSON.parse(r.out);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(SARIF_REQUIRED);
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const run0 = sarif.runs[0];
    expect(run0.tool.driver.name).toBe('cdk8s-bound-tokens');
    expect(run0.tool.driver.rules.map((x: any) => x.id)).toEqual(allRules().filter(x => x.scope !== 'construct').map(x => x.id));
    const results = run0.results;
    expect(results).toHaveLength(expectedFindings(readFixture(fixturePath('pod-mistakes.yaml')), { strict: false }).length + 2);
    expect(results.find((x: any) => x.ruleId === 'BT132')).toEqual({
      ruleId: 'BT132',
      ruleIndex: run0.tool.driver.rules.findIndex((x: any) => x.id === 'BT132'),
      level: 'warning',
      message: { text: expect.stringContaining("BT132: 'defaultMode' of volume 'tokens'") },
      locations: [{
        physicalLocation: { artifactLocation: { uri: rel('pod-mistakes.yaml') }, region: { startLine: 19 } },
        logicalLocations: [{ fullyQualifiedName: 'Pod/token-client', kind: 'resource' }],
      }],
      properties: { path: '/spec/volumes/0/projected/defaultMode' },
    });
    const template = results.find((x: any) => x.ruleId === 'BT904');
    expect(template.locations[0]).toEqual({ physicalLocation: { artifactLocation: { uri: rel('helm-template.yaml') }, region: { startLine: 1 } } });
    expect(results[results.length - 1].locations[0].physicalLocation.artifactLocation.uri).toBe('stdin');
  });
});

/**
 * The parts of the SARIF 2.1.0 schema (docs.oasis-open.org/sarif/sarif/v2.1.0,
 * sarif-schema-2.1.0.json) that the output uses: each object's required
 * properties, its enumerations, and no properties the schema does not define.
 */
const SARIF_REQUIRED = {
  type: 'object',
  required: ['version', 'runs'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    version: { enum: ['2.1.0'] },
    runs: { type: 'array', items: { $ref: '#/definitions/run' } },
  },
  definitions: {
    run: {
      type: 'object',
      required: ['tool'],
      properties: {
        tool: { $ref: '#/definitions/tool' },
        results: { type: 'array', items: { $ref: '#/definitions/result' } },
      },
    },
    tool: { type: 'object', required: ['driver'], properties: { driver: { $ref: '#/definitions/toolComponent' } } },
    toolComponent: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        informationUri: { type: 'string' },
        rules: { type: 'array', items: { $ref: '#/definitions/reportingDescriptor' } },
      },
    },
    reportingDescriptor: {
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        shortDescription: { $ref: '#/definitions/multiformatMessageString' },
        help: { $ref: '#/definitions/multiformatMessageString' },
        defaultConfiguration: {
          type: 'object',
          additionalProperties: false,
          properties: { level: { enum: ['none', 'note', 'warning', 'error'] } },
        },
      },
    },
    multiformatMessageString: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } },
    message: { type: 'object', anyOf: [{ required: ['text'] }, { required: ['id'] }], properties: { text: { type: 'string' } } },
    result: {
      type: 'object',
      required: ['message'],
      additionalProperties: false,
      properties: {
        ruleId: { type: 'string' },
        ruleIndex: { type: 'integer', minimum: -1 },
        level: { enum: ['none', 'note', 'warning', 'error'] },
        message: { $ref: '#/definitions/message' },
        locations: { type: 'array', items: { $ref: '#/definitions/location' } },
        properties: { type: 'object' },
      },
    },
    location: {
      type: 'object',
      additionalProperties: false,
      properties: {
        physicalLocation: { $ref: '#/definitions/physicalLocation' },
        logicalLocations: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: { fullyQualifiedName: { type: 'string' }, kind: { type: 'string' } },
          },
        },
      },
    },
    physicalLocation: {
      type: 'object',
      additionalProperties: false,
      anyOf: [{ required: ['address'] }, { required: ['artifactLocation'] }],
      properties: {
        artifactLocation: { type: 'object', additionalProperties: false, properties: { uri: { type: 'string', minLength: 1 } } },
        region: {
          type: 'object',
          additionalProperties: false,
          anyOf: [{ required: ['startLine'] }, { required: ['charOffset'] }, { required: ['byteOffset'] }],
          properties: { startLine: { type: 'integer', minimum: 1 } },
        },
      },
    },
  },
};

describe('docs/lint.md', () => {
  test("the guide's example output is what the command prints", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'docs', 'lint.md'), 'utf8');
    const command = '$ npx cdk8s-bound-tokens lint test/fixtures/manifests/pod-mistakes.yaml\n';
    const start = readme.indexOf(command);
    expect(start).toBeGreaterThan(0);
    const shown = readme.slice(start + command.length, readme.indexOf('```', start));
    const r = run(['lint', 'test/fixtures/manifests/pod-mistakes.yaml']);
    expect(r.code).toBe(1);
    expect(shown).toBe(r.out);
  });
});

describe('the command as a process', () => {
  const hookDir = tmpdir('bt-hook-');
  const hook = path.join(hookDir, 'record-cdk8s.js');
  fs.writeFileSync(hook, `
const Module = require('module');
const requests = [];
const load = Module._load;
Module._load = function (request) {
  if (/^(cdk8s|cdk8s-plus-\\d+|constructs)(\\/|$)/.test(request)) requests.push(request);
  return load.apply(this, arguments);
};
process.on('exit', () => {
  const files = Object.keys(require.cache).filter(k => /[\\\\/]node_modules[\\\\/](cdk8s|cdk8s-plus-\\d+|constructs)[\\\\/]/.test(k));
  require('fs').writeFileSync(process.env.BT_LOADED_REPORT, JSON.stringify({ requests, files }));
});
`);

  function node(args: string[], input?: string): { code: number | null; out: string; err: string; loaded: { requests: string[]; files: string[] } } {
    const report = path.join(hookDir, `loaded-${crypto.randomUUID()}.json`);
    const r = spawnSync(process.execPath, ['-r', hook, ...args], {
      cwd: ROOT,
      input,
      encoding: 'utf8',
      env: { ...process.env, BT_LOADED_REPORT: report, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    return { code: r.status, out: r.stdout, err: r.stderr, loaded: JSON.parse(fs.readFileSync(report, 'utf8')) };
  }

  test('runs from the TypeScript entry (src/cli/main.ts) with exit codes and stdin, and never loads cdk8s, cdk8s-plus or constructs', () => {
    const r = node(['-r', 'ts-node/register', 'src/cli/main.ts', 'lint', '--format', 'json', rel('pod-mistakes.yaml'), '-'], WARNING_ONLY);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out);
    expect(out.filesChecked).toBe(2);
    expect(out.findings.filter((f: any) => f.file === '-').map((f: any) => f.ruleId)).toEqual(['BT104']);
    expect(r.loaded).toEqual({ requests: [], files: [] });
  });

  test('the check that cdk8s is not loaded would see it (control: the package entry loads it)', () => {
    const r = node(['-r', 'ts-node/register', '-e', "require('./src/index.ts')"]);
    expect(r.code).toBe(0);
    expect(r.loaded.requests).toContain('cdk8s');
    expect(r.loaded.files.length).toBeGreaterThan(0);
  });

  test('exit code 2 and the message for a missing input, as a process', () => {
    const r = node(['-r', 'ts-node/register', 'src/cli/main.ts', 'lint', 'missing.yaml']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('missing.yaml: no such file or directory');
  });

  const compiled = fs.existsSync(path.join(ROOT, 'lib', 'cli', 'main.js'));
  (compiled ? test : test.skip)('the package bin lib/cli/main.js runs and loads no cdk8s (needs lib/ from `npx projen compile`)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'cdk8s-bound-tokens': 'lib/cli/main.js' });
    expect(fs.readFileSync(path.join(ROOT, 'lib', 'cli', 'main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = node(['lib/cli/main.js', 'lint', rel('pod-vault.yaml'), rel('pod-mistakes.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('7 problems (4 errors, 3 warnings): 2 files, 2 objects checked');
    expect(r.loaded).toEqual({ requests: [], files: [] });
  });
});
