import * as fs from 'fs';
import * as path from 'path';
import { renderRuleTable, withRuleTable } from '../scripts/rule-table';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  test('the rule table is the one generated from the catalogue (npx projen rules:table)', () => {
    expect(withRuleTable(README)).toBe(README);
    expect(README).toContain(renderRuleTable());
  });

  test('shows the two quick-start commands', () => {
    expect(README).toContain('npm ci && npm run examples');
    expect(README).toContain('npm ci && npm test');
  });
});
