// Every `cdk8s-bound-tokens lint` and `cdk8s-bound-tokens policy` command that
// README.md and docs/ print (in sh, yaml and text blocks) is one the command
// accepts: its options parse, and it runs without an error of its own. Inputs
// that do not exist in the repository (a user's manifests/) stand for an empty
// directory; `-` reads an empty standard input.
import * as fs from 'fs';
import * as path from 'path';
import { NOTHING_CHECKED, runCli } from '../../src/cli/run';
import { tmpdir } from '../util';
import { codeBlocks, pages, ROOT } from './pages';

interface Command {
  readonly where: string;
  readonly command: 'lint' | 'policy';
  readonly args: string[];
}

/** The commands of a block: shell lines joined at `\`, cut at a pipe, a redirection or a comment. */
function commands(where: string, code: string): Command[] {
  const out: Command[] = [];
  for (const line of code.replace(/\\\n\s*/g, ' ').split('\n')) {
    for (const m of line.matchAll(/cdk8s-bound-tokens(?:@\S+)? (lint|policy)\b([^|>#\n]*)/g)) {
      out.push({ where, command: m[1] as 'lint' | 'policy', args: m[2].trim().split(/\s+/).filter(a => a !== '') });
    }
  }
  return out;
}

const all = pages().flatMap(page => codeBlocks(page)
  .filter(b => ['sh', 'yaml', 'text', ''].includes(b.lang))
  .flatMap(b => commands(`${page}:${b.line}`, b.code)));

const VALUE_OPTIONS = new Set(['--format', '-f', '--disable']);

function run(argv: string[]): { code: number; err: string } {
  let err = '';
  const code = runCli(argv, { stdout: () => undefined, stderr: t => { err += t; }, stdin: () => '' });
  return { code, err };
}

describe('commands printed in README.md and docs/', () => {
  test('there are lint and policy commands to check, on the README and the guides', () => {
    expect(all.filter(c => c.command === 'lint').length).toBeGreaterThanOrEqual(5);
    expect(all.filter(c => c.command === 'policy').length).toBeGreaterThanOrEqual(1);
    expect(all.map(c => c.where.split(':')[0])).toContain('README.md');
  });

  test.each(all.filter(c => c.command === 'lint').map(c => [c.where, c.args.join(' '), c] as const))('%s: lint %s', (_where, _args, c) => {
    const empty = tmpdir('bt-docs-cmd-');
    const args = c.args.map((a, i) => {
      const isValue = i > 0 && VALUE_OPTIONS.has(c.args[i - 1]);
      if (isValue || a.startsWith('-')) return a;
      return fs.existsSync(path.join(ROOT, a)) ? path.join(ROOT, a) : empty;
    });
    const r = run(['lint', ...args]);
    // 0 or 1 (findings), or 3 with its message (the stand-in input holds no object);
    // 2 would be a usage error or an input the command cannot read
    const nothing = r.code === NOTHING_CHECKED && r.err.startsWith('cdk8s-bound-tokens lint: nothing was checked: ');
    expect({ err: nothing ? '' : r.err, usable: r.code === 0 || r.code === 1 || nothing }).toEqual({ err: '', usable: true });
  });

  test.each(all.filter(c => c.command === 'policy').map(c => [c.where, c.args.join(' '), c] as const))('%s: policy %s', (_where, _args, c) => {
    const r = run(['policy', ...c.args]);
    expect(r).toEqual({ code: 0, err: '' });
  });
});
