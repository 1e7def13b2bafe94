// README.md is the front page: short, with the two commands of the repository,
// and a link to each task guide; the rule table lives in docs/rules.md.
import * as fs from 'fs';
import * as path from 'path';
import { GUIDES, read, ROOT } from './pages';
import { renderRuleTable, withRuleTable } from '../../scripts/rule-table';

const README = read('README.md');

describe('README.md', () => {
  test('is at most 20 KB', () => {
    expect(Buffer.byteLength(README, 'utf8')).toBeLessThanOrEqual(20 * 1024);
  });

  test('shows the two quick-start commands', () => {
    expect(README).toContain('npm ci && npm run examples');
    expect(README).toContain('npm ci && npm test');
  });

  test('links every task guide', () => {
    const linked = [...README.matchAll(/\]\(docs\/([\w.-]+\.md)(#[\w-]*)?\)/g)].map(m => m[1]);
    expect(GUIDES.filter(g => !linked.includes(g))).toEqual([]);
  });
});

describe('docs/', () => {
  // docs/trust.md is written on another branch (issue 18's trust page); every other guide is here
  test('holds every task guide', () => {
    const missing = GUIDES.filter(g => g !== 'trust.md' && !fs.existsSync(path.join(ROOT, 'docs', g)));
    expect(missing).toEqual([]);
  });

  test('the rule table of docs/rules.md is the one generated from the catalogue (npx projen rules:table)', () => {
    const page = read('docs/rules.md');
    expect(withRuleTable(page)).toBe(page);
    expect(page).toContain(renderRuleTable());
  });
});
