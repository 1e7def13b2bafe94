// Issue 17, part 5: what the lint reads. UTF-16 files with a byte-order mark
// are decoded and checked (as kubectl reads them), standard input is bounded,
// and a run that checked nothing says so with its own exit code.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { NOTHING_CHECKED, runCli } from '../../src/cli/run';
import { byteSize, decodeInput, InputTooLargeError, MAX_INPUT_BYTES, readBounded } from '../../src/lint/files';
import { tmpdir } from '../util';

const ROOT = path.resolve(__dirname, '..', '..');

function run(args: string[], stdin: () => string | Uint8Array = () => ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(args, { stdout: t => { out += t; }, stderr: t => { err += t; }, stdin });
  return { code, out, err };
}

/** A Pod with one error: an absolute token path (BT111) on line 13. */
const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  serviceAccountName: app\n  containers:\n    - name: a\n      volumeMounts: [{name: t, mountPath: /t}]\n  volumes:\n    - name: t\n      projected:\n        sources:\n          - serviceAccountToken: {path: /abs, audience: vault}\n';

const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);
const utf8bom = (s: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]);

describe('encodings: decoded as kubectl decodes them', () => {
  const dir = tmpdir('bt-enc-');
  const cases: Array<[string, Buffer]> = [
    ['UTF-16LE with a byte-order mark', utf16le(POD)],
    ['UTF-16BE with a byte-order mark', utf16be(POD)],
    ['UTF-8 with a byte-order mark', utf8bom(POD)],
    ['UTF-8', Buffer.from(POD, 'utf8')],
  ];

  test.each(cases)('a file in %s is checked: its error fails the run, on the right line', (name, bytes) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    fs.writeFileSync(file, bytes);
    const r = run(['lint', '--format', 'json', file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out);
    expect(out.objectsChecked).toBe(1);
    expect(out.findings.map((f: any) => [f.ruleId, f.line])).toEqual([['BT111', 14]]);
  });

  test.each(cases)('standard input in %s is checked too', (_name, bytes) => {
    const r = run(['lint', '-'], () => bytes);
    expect(r.code).toBe(1);
    expect(r.out).toContain('BT111');
  });

  test('decodeInput names the encoding, drops the mark and keeps non-ASCII text', () => {
    expect(decodeInput(utf16le('a: é€😀'))).toEqual({ text: 'a: é€😀', encoding: 'UTF-16LE' });
    expect(decodeInput(utf16be('a: é€😀'))).toEqual({ text: 'a: é€😀', encoding: 'UTF-16BE' });
    expect(decodeInput(utf8bom('a: é'))).toEqual({ text: 'a: é', encoding: 'UTF-8' });
    expect(decodeInput(Buffer.from('a: é'))).toEqual({ text: 'a: é', encoding: 'UTF-8' });
    // a truncated UTF-16 file: its odd last byte is a replacement character, not a crash
    expect(decodeInput(Buffer.concat([utf16le('a'), Buffer.from([0x62])])).text).toBe('a\ufffd');
  });
});

describe('standard input is bounded', () => {
  test(`the limit is ${byteSize(MAX_INPUT_BYTES)}`, () => {
    expect(MAX_INPUT_BYTES).toBe(256 * 1024 * 1024);
    expect(byteSize(MAX_INPUT_BYTES)).toBe('256 MiB');
  });

  test('readBounded reads to the end up to the limit, and stops one byte past it', () => {
    const file = path.join(tmpdir('bt-bounded-'), 'f');
    fs.writeFileSync(file, 'x'.repeat(100));
    const fd = fs.openSync(file, 'r');
    try {
      expect(readBounded(fd, 100).length).toBe(100);
    } finally {
      fs.closeSync(fd);
    }
    const fd2 = fs.openSync(file, 'r');
    try {
      expect(() => readBounded(fd2, 99)).toThrow(InputTooLargeError);
    } finally {
      fs.closeSync(fd2);
    }
  });

  test('over the limit: a clear message and exit code 2, not an internal error', () => {
    const r = run(['lint', '-'], () => { throw new InputTooLargeError(MAX_INPUT_BYTES); });
    expect(r.code).toBe(2);
    expect(r.err).toContain('cdk8s-bound-tokens lint: -: standard input is larger than 256 MiB, the most the lint reads from one input, so it was not checked');
    expect(r.err).not.toContain('internal error');
  });

  test('a stream that never ends: the command stops after 256 MiB with that message (as a process)', () => {
    // `yes` writes forever; without the bound the command would grow until the machine runs out of memory
    const r = spawnSync('/bin/bash', ['-c', `yes 'a: b' | "${process.execPath}" -r ts-node/register src/cli/main.ts lint -`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json'), TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    expect(r.stderr).toContain('-: standard input is larger than 256 MiB');
    expect(r.stderr).not.toContain('internal error');
    expect(r.status).toBe(2);
  }, 120_000);
});

describe('nothing checked: a distinct exit code', () => {
  test('the exit code is 3, documented in the usage', () => {
    expect(NOTHING_CHECKED).toBe(3);
    expect(run(['lint', '--help']).out).toContain('3 nothing was checked');
  });

  test.each([
    ['empty', ''],
    ['white space and comments only', '# nothing\n\n---\n# still nothing\n'],
  ])('%s standard input (e.g. `helm template ... | lint -` after helm failed) exits 3 and says so', (_name, text) => {
    const r = run(['lint', '-'], () => text);
    expect(r.code).toBe(NOTHING_CHECKED);
    expect(r.err).toBe('cdk8s-bound-tokens lint: nothing was checked: no Kubernetes object in standard input (exit code 3)\n');
  });

  test('a directory without manifests exits 3 and names it', () => {
    const dir = tmpdir('bt-empty-');
    fs.writeFileSync(path.join(dir, 'README.md'), '# not a manifest\n');
    const r = run(['lint', dir]);
    expect(r.code).toBe(NOTHING_CHECKED);
    expect(r.err).toContain(`nothing was checked: no .yaml, .yml or .json file in '${dir}'`);
  });

  test('an input with an error still exits 1, and one object checked exits 0 (control)', () => {
    expect(run(['lint', '-'], () => 'a: [').code).toBe(1);
    expect(run(['lint', '-'], () => 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n').code).toBe(0);
  });

  test('empty standard input next to a checked file is not "nothing checked"', () => {
    const dir = tmpdir('bt-mixed-');
    fs.writeFileSync(path.join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    const r = run(['lint', dir, '-'], () => '');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });
});
