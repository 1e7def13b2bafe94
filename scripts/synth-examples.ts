// npm run examples: synthesizes every app in examples/ into dist/examples/<name>/.
// Each example is written to a fresh folder and swapped in only when its synth
// succeeded, so a failed synth leaves no partial output.
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const examplesDir = path.join(root, 'examples');
const outRoot = path.join(root, 'dist', 'examples');

function main(): number {
  const only = process.argv.slice(2);
  const files = fs.readdirSync(examplesDir)
    .filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .filter(f => only.length === 0 || only.includes(path.basename(f, '.ts')))
    .sort();
  fs.mkdirSync(outRoot, { recursive: true });
  let failed = 0;
  for (const file of files) {
    const name = path.basename(file, '.ts');
    const final = path.join(outRoot, name);
    const staging = fs.mkdtempSync(path.join(outRoot, `.tmp-${name}-`));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(examplesDir, file));
      if (typeof mod.build !== 'function') throw new Error(`${file} does not export build(outdir)`);
      mod.build(staging).synth();
      fs.rmSync(final, { recursive: true, force: true });
      fs.renameSync(staging, final);
      const written = fs.readdirSync(final).sort();
      console.log(`${name}: ${written.map(w => path.relative(root, path.join(final, w))).join(', ')}`);
    } catch (e) {
      failed++;
      fs.rmSync(staging, { recursive: true, force: true });
      console.error(`${name}: FAILED\n${(e as Error).message}`);
    }
  }
  console.log(`\nSynthesized ${files.length - failed} of ${files.length} examples into ${path.relative(process.cwd(), outRoot) || outRoot}/`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
