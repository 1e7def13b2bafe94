// Every TypeScript snippet of the README is code that the tests run: the lines
// of one of the apps in examples/ (each synthesized and checked by the tests).
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/**
 * Code lines, trimmed, without blank lines, comments, imports and the
 * `app.synth()` a standalone snippet ends with; `new App()` is the examples'
 * `new App({ outdir })`.
 */
function code(text: string): string {
  return text.split('\n')
    .map(l => l.replace(/\s+\/\/ .*$/, '').trim())
    .filter(l => l !== '' && !l.startsWith('//') && !l.startsWith('import ') && l !== 'app.synth();')
    .map(l => l.replace('new App()', 'new App({ outdir })'))
    .join('\n');
}

describe('README snippets', () => {
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter(f => f.endsWith('.ts'))
    .map(f => ({ file: f, code: code(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')) }));
  const snippets = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => ({ line: README.slice(0, m.index).split('\n').length, code: code(m[1]) }));

  test('there are snippets to check', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(10);
  });

  test.each(snippets.map(s => [s.line, s.code]))('the snippet at README line %i is code of an example', (_line, snippet) => {
    const found = examples.filter(e => e.code.includes(snippet as string)).map(e => e.file);
    expect([snippet, found.length > 0]).toEqual([snippet, true]);
  });
});
