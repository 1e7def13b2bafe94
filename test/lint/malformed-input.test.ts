// Issue 12, part 2: hostile input. Alias bombs, huge and deep documents,
// files that are not files, control characters, a million findings: the
// lint answers each with a clear finding or message, never a crash.
// (No wall-clock limits here: `npm run bench -- --only=lint` measures time.)
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import * as jsyaml from 'js-yaml';
import { runCli } from '../../src/cli/run';
import { expansion, MAX_ALIAS_EXPANSION } from '../../src/lint/documents';
import { escapeControl, formatJson, formatSarif, jsonChunks, sarifChunks } from '../../src/lint/format';
import { Linter, LintReport } from '../../src/lint/lint';
import { allRules, findRule } from '../../src/rules';
import { tmpdir } from '../util';

function lint(text: string, file = 'in.yaml'): LintReport {
  const l = new Linter();
  l.addSource(file, text);
  return l.report();
}

function run(args: string[], stdin = ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin: () => stdin });
  return { code, out, err };
}

/** The anchors of a billion laughs: `&l9` expands to 9^9 strings. */
const LAUGHS = ['l0: &l0 "lol"', ...Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`)];

/** A Pod whose `x-bomb` annotation-like key holds the anchors, and `at` is replaced by the bomb. */
function bombPod(where: 'path' | 'expirationSeconds' | 'source'): string {
  const token = where === 'source'
    ? '          - *l9'
    : `          - serviceAccountToken:\n              path: ${where === 'path' ? '*l9' : 'token'}\n              audience: vault\n${where === 'expirationSeconds' ? '              expirationSeconds: *l9\n' : ''}`;
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\nx-laughs:\n${LAUGHS.map(l => '  ' + l).join('\n')}\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources:\n${token}\n`;
}

const NEXT = '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: after\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources:\n          - serviceAccountToken: {path: /abs, audience: v}\n';

describe('alias bombs and huge documents (BT905)', () => {
  test.each(['path', 'expirationSeconds', 'source'] as const)('fails on an alias bomb in %s, with one finding for that document, and checks the next', where => {
    const r = lint(bombPod(where) + NEXT);
    expect(r.findings.map(f => [f.ruleId, f.name])).toEqual([['BT905', null], ['BT111', 'after']]);
    expect(r.findings[0].level).toBe('error');
    expect(r.findings[0].message).toContain("BT905: 'document' is not checked: its YAML aliases expand to more than 100,000 extra nodes (an alias bomb)");
    expect(r.findings[0].line).toBe(1);
  });

  test('expansion() counts the nodes a full copy would add, once per shared node', () => {
    const shared = { a: [1, 2] };
    expect(expansion({ x: shared, y: shared })).toEqual({ extra: 4, depth: 3, over: undefined });
    expect(expansion(jsyaml.load(LAUGHS.join('\n'))).over).toBe('aliases');
    expect(expansion({ a: 'plain' })).toEqual({ extra: 0, depth: 1, over: undefined });
    expect(MAX_ALIAS_EXPANSION).toBe(100_000);
  });

  test('fails on a document nested 100,000 levels deep (BT905), without a stack overflow', () => {
    const deep = 'kind: Pod\nspec:\n  volumes: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n';
    const r = lint(deep + NEXT);
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT905', 'BT111']);
    expect(r.findings[0].message).toContain('nests deeper than 1,000 levels');
  });

  test('3,000 aliased sources are checked: one overlap per copy, no crash from spreading a huge list', () => {
    const sources = ['          - &s {serviceAccountToken: {path: token, audience: vault}}', ...Array(2999).fill('          - *s')].join('\n');
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: many\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources:\n${sources}\n`;
    const r = lint(text);
    expect(r.findings.length).toBe(2999);
    expect(new Set(r.findings.map(f => f.ruleId))).toEqual(new Set(['BT114']));
    expect(r.findings[0].line).toBe(15);
    expect(r.findings[2998].line).toBe(3013);
  });

  test('50,000 distinct sources are checked, and located on their own lines', () => {
    const sources = Array.from({ length: 50_000 }, (_, i) => `          - serviceAccountToken:\n              path: t${i}${i === 49_999 ? '\n              expirationSeconds: 60' : ''}\n              audience: vault`).join('\n');
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: many\nspec:\n  serviceAccountName: app\n  containers:\n    - name: app\n      volumeMounts: [{name: tok, mountPath: /t}]\n  volumes:\n    - name: tok\n      projected:\n        sources:\n${sources}\n`;
    const r = lint(text);
    expect(r.findings.map(f => [f.ruleId, f.line])).toEqual([['BT101', 14 + 3 * 49_999 + 2]]);
  });
});

describe('files that are not regular files', () => {
  const ok = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n';

  test('fails with 2 on a FIFO named on the command line, without reading it, and checks the other files', () => {
    const dir = tmpdir('bt-fifo-');
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    fs.writeFileSync(path.join(dir, 'ok.yaml'), ok);
    const r = run(['lint', fifo, path.join(dir, 'ok.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${fifo}: is a FIFO (named pipe), not a regular file, so it was not read (only '-' reads a stream`);
    expect(r.out).toContain('No problems: 1 file, 1 object checked');
  });

  test('fails with 2 on a FIFO met in a directory walk', () => {
    const dir = tmpdir('bt-fifo-');
    execFileSync('mkfifo', [path.join(dir, 'a.yaml')]);
    fs.writeFileSync(path.join(dir, 'b.yaml'), ok);
    const r = run(['lint', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('a.yaml: is a FIFO (named pipe)');
    expect(r.out).toContain('1 file, 1 object checked');
  });

  test('fails with 2 on /dev/zero (a device that never ends)', () => {
    const r = run(['lint', '/dev/zero']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('/dev/zero: is a character device, not a regular file');
  });

  test("'-' still reads standard input", () => {
    expect(run(['lint', '-'], ok).out).toContain('No problems: 1 file, 1 object checked');
  });
});

describe('control characters never reach the text output raw', () => {
  const evil = 'x\u001b[31m\r\n::error file=a.yaml,line=1::fake\u0085\u2028';
  const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${JSON.stringify(evil)}\nspec:\n  serviceAccountName: app\n  containers:\n    - name: ${JSON.stringify(evil)}\n      volumeMounts: [{name: ${JSON.stringify(evil)}, mountPath: /t}]\n`;

  test('names and values with ESC, CR, LF and C1 are escaped: one line per finding, none starting a workflow command', () => {
    const r = run(['lint', '-'], pod);
    const lines = r.out.split('\n');
    expect(lines.filter(l => l.startsWith('-:')).length).toBe(1);
    expect(lines.some(l => l.startsWith('::'))).toBe(false);
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(r.out).toContain('x\\e[31m\\r\\n::error file=a.yaml');
    expect(r.out).toContain('\\x85\\u2028');
  });

  test('a file name that starts with :: cannot start a workflow command', () => {
    const dir = tmpdir('bt-name-');
    const file = path.join(dir, '::error::x.yaml');
    fs.writeFileSync(file, 'kind: Pod\nspec:\n  volumes: {}\n');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = run(['lint', '::error::x.yaml']);
      expect(r.out.split('\n')[0]).toMatch(/^\.\/::error::x\.yaml:3 {2}error {4}BT902/);
    } finally {
      process.chdir(cwd);
    }
  });

  test('escapeControl: every C0, DEL and C1 character is escaped, other text is kept (property)', () => {
    fc.assert(fc.property(fc.fullUnicodeString({ maxLength: 30 }), s => {
      const e = escapeControl(s);
      expect(e).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
      if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s)) expect(e).toBe(s);
    }), { numRuns: 300 });
  });
});

describe('output of any size', () => {
  const report = (n: number): LintReport => ({
    findings: Array.from({ length: n }, (_, i) => ({
      ruleId: 'BT111', level: 'error' as const, file: 'a.yaml', line: i + 1, kind: 'Pod', name: `p${i}`, namespace: null, path: '/spec', message: `BT111: 'path' must be relative, got '/x${i}'`,
    })),
    notices: [],
    acknowledged: [],
    filesChecked: 1,
    objectsChecked: n,
  });

  test('JSON and SARIF come in one piece per finding, and read as the same JSON the whole would be', () => {
    const r = report(3);
    expect([...jsonChunks(r)].length).toBe(4);
    expect(JSON.parse(formatJson(r))).toEqual({ findings: r.findings.map(f => ({ ...f })), notices: [], filesChecked: 1, objectsChecked: 3 });
    expect(formatJson(r)).toBe(JSON.stringify({ findings: r.findings, notices: [], filesChecked: 1, objectsChecked: 3 }, null, 2) + '\n');
    expect(formatJson(report(0))).toBe(JSON.stringify({ findings: [], notices: [], filesChecked: 1, objectsChecked: 0 }, null, 2) + '\n');
    const tool = { name: 't', version: '1', informationUri: 'u' };
    const sarif = JSON.parse(formatSarif(r, tool));
    expect(sarif.runs[0].results.map((x: any) => x.locations[0].physicalLocation.region.startLine)).toEqual([1, 2, 3]);
    expect(JSON.parse(formatSarif(report(0), tool)).runs[0].results).toEqual([]);
  });

  test('findings stream without one giant string (100,000 here; the lint bench writes a million)', () => {
    const r = report(100_000);
    let pieces = 0;
    let longest = 0;
    for (const c of sarifChunks(r, { name: 't', version: '1', informationUri: 'u' })) {
      pieces++;
      longest = Math.max(longest, c.length);
    }
    expect(pieces).toBe(100_001);
    // the head holds the rule descriptions (about 320 characters a rule), nothing that grows with the findings
    expect(longest).toBeLessThan(500 * allRules().length);
  });
});

describe('internal errors', () => {
  test('an internal error is one line on stderr and exit code 2, never a stack trace', () => {
    let err = '';
    const code = runCli(['lint', '-'], { stdout: () => undefined, stderr: t => { err += t; }, stdin: () => { throw new RangeError('Invalid string length\n    at x (y.js:1:1)'); } });
    expect(code).toBe(2);
    expect(err).toBe('cdk8s-bound-tokens: internal error (please report it): RangeError: Invalid string length\n');
  });
});

describe('fuzz: the lint never throws and always returns a well-formed report (fast-check)', () => {
  const wellFormed = (r: LintReport) => {
    for (const f of [...r.findings, ...r.acknowledged]) {
      expect(findRule(f.ruleId)).toBeDefined();
      expect(f.level).toBe(findRule(f.ruleId)!.level);
      expect(Number.isInteger(f.line) && f.line >= 1).toBe(true);
      expect(f.message.startsWith(`${f.ruleId}: '`)).toBe(true);
      expect(f.message.length).toBeLessThan(2000);
    }
    expect(r.filesChecked).toBe(1);
  };

  const FRAGMENTS = ['apiVersion: v1', 'kind: Pod', 'kind: List', 'items:', 'metadata:', '  name: x', 'spec:', '  volumes:', '  - name: t',
    '    projected:', '      sources:', '      - serviceAccountToken:', '          path: &p t', '          path: *p', '          audience: [a, b]',
    '          expirationSeconds: .nan', '  containers:', '  - name: c', '    volumeMounts: [{name: t, mountPath: /t, subPath: x}]', '---', '...',
    '{{ .Values.x }}', '${X}', '$X', '<<: *p', '? [a]', ': b', '- - -', '"unterminated', "'q'", '|', '  block', '\t', '#', '%YAML 1.1',
    '!!binary x', '&a [*a]', 'key: key: key', '\u0000', '\r', '\ufeff', 'é: ✓'];

  test('over text assembled from YAML fragments', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 25 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
      wellFormed(lint(lines.join(eol)));
    }), { numRuns: 400 });
  });

  test('over generated pod specs dumped as YAML and JSON, with random values in the fields the rules read', () => {
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
      fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }));
    const token = fc.record({ path: value, audience: value, expirationSeconds: value }, { requiredKeys: [] });
    const source = fc.oneof(
      token.map(t => ({ serviceAccountToken: t })),
      fc.record({ podCertificate: fc.record({ keyPath: value, credentialBundlePath: value }) }),
      fc.record({ configMap: fc.record({ name: value, items: fc.array(fc.record({ key: value, path: value }), { maxLength: 2 }) }) }),
      value);
    const projected = fc.record({ sources: fc.oneof(fc.array(source, { maxLength: 4 }), value), defaultMode: value });
    const volume = fc.record({ name: value, projected: fc.oneof(projected, value) });
    const mounts = fc.oneof(fc.array(fc.record({ name: value, mountPath: value, subPath: value }), { maxLength: 3 }), value);
    const spec = fc.record({
      serviceAccountName: value,
      volumes: fc.oneof(fc.array(volume, { maxLength: 3 }), value),
      containers: fc.array(fc.record({ name: value, volumeMounts: mounts }), { maxLength: 2 }),
    });
    const obj = fc.record({
      kind: fc.constantFrom('Pod', 'Deployment', 'CronJob', 'List', 'Authentication'),
      apiVersion: fc.constantFrom('v1', 'config.openshift.io/v1'),
      metadata: fc.oneof(fc.record({ name: value }), value),
      spec: fc.oneof(spec, fc.record({ template: fc.record({ spec }) }), value),
    });
    fc.assert(fc.property(obj, fc.boolean(), (o, json) => {
      const text = json ? JSON.stringify(o) : jsyaml.dump(o, { skipInvalid: true });
      wellFormed(lint(text, json ? 'in.json' : 'in.yaml'));
    }), { numRuns: 300 });
  });
});
