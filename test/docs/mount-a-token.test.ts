// docs/mount-a-token.md shows code that runs: its TypeScript blocks are checked
// by snippets.test.ts, and the Node.js snippet is executed here against a token
// file that the "kubelet" replaces.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { codeBlocks, read, section } from './pages';

const PAGE = read('docs/mount-a-token.md');
const ROTATION = section(PAGE, '## Make token rotation visible');

describe('docs/mount-a-token.md: rotation', () => {
  test('the Node.js snippet reads the token file again on every use', () => {
    const js = codeBlocks('docs/mount-a-token.md', ROTATION).filter(b => b.lang === 'js');
    expect(js).toHaveLength(1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-readme-'));
    const file = path.join(dir, 'vault-token');
    fs.writeFileSync(file, 'first-token\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const currentToken = new Function('require', 'process', `${js[0].code}\nreturn currentToken;`)(require, { env: { VAULT_TOKEN_FILE: file } });
    expect(currentToken()).toBe('first-token');
    // the kubelet writes the refreshed token
    fs.writeFileSync(file, 'second-token\n');
    expect(currentToken()).toBe('second-token');
  });

  test('the rotation annotation shown is the one the deployment example writes', () => {
    const shown = /token-rotation\.bound-tokens\.io\/vault-token: "([^"]+)"/.exec(ROTATION);
    expect(shown?.[1]).toBe('vault-token: refresh after 1h36m, expires after 2h');
  });
});
