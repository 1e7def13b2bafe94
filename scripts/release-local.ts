// The two ends of `npx projen release:local` (see CONTRIBUTING.md, "Releasing"):
//   preflight  refuses a dirty tree before the long build, since projen's
//              release ends with `git diff --exit-code` and would fail only then;
//   summary    prints the release tag and the artifacts the release left in dist/.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

function preflight(): number {
  const status = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' });
  if (status) {
    console.error(`release:local needs a clean git tree: commit or stash first\n${status}`);
    return 1;
  }
  return 0;
}

function summary(): number {
  const dist = path.join(ROOT, 'dist');
  console.log(`released (not published): ${fs.readFileSync(path.join(dist, 'releasetag.txt'), 'utf8').trim()}`);
  for (const f of fs.readdirSync(path.join(dist, 'js'))) console.log(`dist/js/${f}`);
  console.log('changelog: dist/changelog.md');
  return 0;
}

const mode = process.argv[2];
if (mode === 'preflight') {process.exitCode = preflight();} else if (mode === 'summary') {process.exitCode = summary();} else {
  console.error(`release-local: unknown mode '${mode ?? ''}'; use preflight or summary`);
  process.exitCode = 2;
}
