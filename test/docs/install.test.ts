// The README's install from a clone: `npx projen compile && npm pack` makes
// cdk8s-bound-tokens-0.0.0.tgz, which holds what an app needs (the library, the
// command, the bundled YAML parsers) and the pages the README links.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { read, ROOT } from './pages';

const compiled = fs.existsSync(path.join(ROOT, 'lib', 'index.js'));

describe('install from a clone', () => {
  test('the README names the tarball npm pack writes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(read('README.md')).toContain(`${pkg.name}-${pkg.version}.tgz`);
  });

  (compiled ? test : test.skip)('npm pack holds the library, the command, the bundled parsers and the docs (needs lib/ from `npx projen compile`)', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [pack] = JSON.parse(r.stdout);
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    expect(pack.filename).toBe('cdk8s-bound-tokens-0.0.0.tgz');
    expect(pack.bundled).toEqual(expect.arrayContaining(['js-yaml', 'yaml']));
    const docs = fs.readdirSync(path.join(ROOT, 'docs')).map(f => `docs/${f}`);
    expect(files).toEqual(expect.arrayContaining(['lib/index.js', 'lib/cli/main.js', 'README.md', ...docs]));
    expect(files.filter(f => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });
});
