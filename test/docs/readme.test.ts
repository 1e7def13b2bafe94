// README.md is the front page: short, with the two commands of the repository,
// and a link to each task guide; the rule table lives in docs/rules.md.
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { codeBlocks, GUIDES, pages, read, ROOT, section } from './pages';
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

  test('the CI recipe is a workflow that uploads the SARIF file the lint writes, also when the lint fails', () => {
    const block = codeBlocks('README.md', section(README, '## Use it in CI')).find(b => b.lang === 'yaml')!;
    const workflow = YAML.parse(block.code);
    const steps: any[] = workflow.jobs.lint.steps;
    const lint = steps.find(s => /lint --format sarif/.test(s.run ?? ''));
    const written = / > (\S+)$/.exec(lint.run)![1];
    const upload = steps.find(s => /^github\/codeql-action\/upload-sarif@/.test(s.uses ?? ''));
    expect({ file: upload.with.sarif_file, if: upload.if, permission: workflow.permissions['security-events'] })
      .toEqual({ file: written, if: '${{ !cancelled() }}', permission: 'write' });
  });

  test('links every task guide', () => {
    const linked = [...README.matchAll(/\]\(docs\/([\w.-]+\.md)(#[\w-]*)?\)/g)].map(m => m[1]);
    expect(GUIDES.filter(g => !linked.includes(g))).toEqual([]);
  });
});

describe('docs/', () => {
  test('holds every task guide', () => {
    const missing = GUIDES.filter(g => !fs.existsSync(path.join(ROOT, 'docs', g)));
    expect(missing).toEqual([]);
  });

  test('the rule table of docs/rules.md is the one generated from the catalogue (npx projen rules:table)', () => {
    const page = read('docs/rules.md');
    expect(withRuleTable(page)).toBe(page);
    expect(page).toContain(renderRuleTable());
  });
});

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as '-'. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a page (its headings outside code blocks). */
function anchors(text: string): Set<string> {
  const prose = text.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...prose.matchAll(/^#+ (.+)$/gm)].map(m => slug(m[1])));
}

describe('links of README.md and docs/', () => {
  const links = pages().flatMap(page => {
    const prose = read(page).replace(/^```[\s\S]*?^```/gm, '');
    return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
      .map(m => m[1])
      .filter(l => !/^[a-z]+:/.test(l))
      .map(l => ({ page, link: l }));
  });

  test('there are links to check', () => {
    expect(links.length).toBeGreaterThan(30);
  });

  test('every relative link names a file of the repository, and a heading of it', () => {
    const broken: string[] = [];
    for (const { page, link } of links) {
      const [file, anchor] = link.split('#');
      const target = file === '' ? page : path.normalize(path.join(path.dirname(page), file));
      if (!fs.existsSync(path.join(ROOT, target))) {
        broken.push(`${page}: ${link} (no file ${target})`);
      } else if (anchor !== undefined && target.endsWith('.md') && !anchors(read(target)).has(anchor)) {
        broken.push(`${page}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
