// The user documentation: README.md (the front page) and the task guides in
// docs/. Helpers for the tests that hold the pages to the code.
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The task guides, by the names other pages and helpers link to. */
export const GUIDES = [
  'mount-a-token.md', 'cloud-aws.md', 'cloud-azure.md', 'cloud-gcp.md', 'openshift-sts.md',
  'cluster-issuer.md', 'lint.md', 'validation-plugin.md', 'admission-policy.md',
  'acknowledgements.md', 'trust.md', 'rules.md', 'image-pulls.md', 'trust-bundles.md', 'api-token.md',
  'token-limits.md', 'controller-tokens.md',
];

/** README.md and every page in docs/, as paths relative to the repository. */
export function pages(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map(f => `docs/${f}`)];
}

export function read(page: string): string {
  return fs.readFileSync(path.join(ROOT, page), 'utf8');
}

export interface CodeBlock {
  /** The page, relative to the repository. */
  readonly page: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
  /** The language after the fence. */
  readonly lang: string;
  /** The text between the fences. */
  readonly code: string;
}

/** The fenced code blocks of a page (fences at the start of a line). */
export function codeBlocks(page: string, text = read(page)): CodeBlock[] {
  const out: CodeBlock[] = [];
  for (const m of text.matchAll(/^```([\w-]*)\n([\s\S]*?)^```/gm)) {
    out.push({ page, line: text.slice(0, m.index).split('\n').length, lang: m[1], code: m[2] });
  }
  return out;
}

/** The text of a page's section: from its heading to the next heading of the same or a higher level. */
export function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section '${heading}'`);
  const level = heading.split(' ')[0];
  const rest = text.slice(start + heading.length + 2);
  const next = [...rest.matchAll(/^(#+) /gm)].find(m => m[1].length <= level.length);
  return text.slice(start + 1, next ? start + heading.length + 2 + next.index : undefined);
}
