// The README's workload and rotation sections show code that runs: the
// TypeScript snippets are lines of the examples the tests synthesize, and the
// Node.js snippet is executed against a token file that the "kubelet" replaces.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function section(): string {
  const start = README.indexOf('## Mount a token on a Deployment, a CronJob or any workload');
  // the section runs to the next section of another issue (presets follow it)
  const ends = ['<!-- section:', '\n## Identity presets'].map(m => README.indexOf(m, start)).filter(i => i >= 0);
  const end = ends.length ? Math.min(...ends) : -1;
  expect(start).toBeGreaterThanOrEqual(0);
  return README.slice(start, end < 0 ? undefined : end);
}

function blocks(lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  for (const m of section().matchAll(re)) out.push(m[1]);
  return out;
}

/** The code lines of a text: trimmed, without blank lines and whole-line comments. */
const lines = (text: string) => text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('//'));

describe('README: workloads and rotation', () => {
  test('every TypeScript snippet is code of an example that the tests run', () => {
    const examples = ['deployment.ts', 'cronjob.ts', 'cdk8s-plus-33.ts'].map(f => lines(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')).join('\n'));
    const snippets = blocks('ts');
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    for (const snippet of snippets) {
      const wanted = lines(snippet).join('\n');
      expect([wanted, examples.some(e => e.includes(wanted))]).toEqual([wanted, true]);
    }
  });

  test('the Node.js snippet reads the token file again on every use', () => {
    const [snippet] = blocks('js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-readme-'));
    const file = path.join(dir, 'vault-token');
    fs.writeFileSync(file, 'first-token\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const currentToken = new Function('require', 'process', `${snippet}\nreturn currentToken;`)(require, { env: { VAULT_TOKEN_FILE: file } });
    expect(currentToken()).toBe('first-token');
    // the kubelet writes the refreshed token
    fs.writeFileSync(file, 'second-token\n');
    expect(currentToken()).toBe('second-token');
  });

  test('the rotation annotation shown is the one the deployment example writes', () => {
    const shown = /token-rotation\.bound-tokens\.io\/vault-token: "([^"]+)"/.exec(section());
    expect(shown?.[1]).toBe('vault-token: refresh after 1h36m, expires after 2h');
  });
});

describe('README: supported versions', () => {
  test('the snippets for other cdk8s-plus lines are code of examples/cdk8s-plus-33.ts, which the tests run', () => {
    const start = README.indexOf('## Supported versions');
    const text = README.slice(start, README.indexOf('\n## ', start + 5));
    const example = lines(fs.readFileSync(path.join(ROOT, 'examples', 'cdk8s-plus-33.ts'), 'utf8')).join('\n');
    const snippets = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
    expect(snippets).toHaveLength(2);
    for (const snippet of snippets) {
      const wanted = lines(snippet).join('\n');
      expect([wanted, example.includes(wanted)]).toEqual([wanted, true]);
    }
  });
});
