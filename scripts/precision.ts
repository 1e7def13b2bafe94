// Precision and recall of the lint's default run on real public manifests
// (issue 16, section 4). The corpus is test/fixtures/real (PROVENANCE.md says
// where each file comes from and which set it is in); every default finding is
// judged, by hand, in test/fixtures/real/JUDGEMENT.md. This script lints the
// corpus as `cdk8s-bound-tokens lint` would (files on disk, kustomizations
// read), and prints the figures:
//
//   npx ts-node --transpile-only scripts/precision.ts           both sets
//   npx ts-node --transpile-only scripts/precision.ts --list    and every finding with its verdict
//
// test/lint/real-manifests.test.ts checks that the findings are exactly the judged
// ones, so any change in what the lint reports on the corpus must be judged.
import * as fs from 'fs';
import * as path from 'path';
import { KustomizeContext } from '../src/lint/kustomize';
import { LintFinding, Linter, LintReport } from '../src/lint/lint';

export const CORPUS = path.join(__dirname, '..', 'test', 'fixtures', 'real');
export type CorpusSet = 'dev' | 'held-out';
export const SETS: readonly CorpusSet[] = ['dev', 'held-out'];

/** A file of the corpus: where it is stored (relative to CORPUS) and its set. */
export interface CorpusFile {
  readonly stored: string;
  readonly set: CorpusSet;
}

/** One judged finding. */
export interface Verdict {
  readonly set: CorpusSet;
  /** `file:line` as the lint names it. */
  readonly at: string;
  readonly ruleId: string;
  readonly real: boolean;
  readonly why: string;
}

/** The rows of the first Markdown table after `heading` (cells trimmed, backticks removed). */
function tableAfter(body: string, heading: string): string[][] {
  const text = '\n' + body;
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section '${heading}'`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.slice(start + heading.length + 2).split('\n')) {
    if (line.startsWith('|')) {
      inTable = true;
      const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map(c => c.trim().replace(/^`|`$/g, ''));
      if (!cells.every(c => /^-+$/.test(c))) rows.push(cells);
    } else if (inTable) {
      break;
    }
  }
  return rows.slice(1); // without the header
}

/** The corpus files, in PROVENANCE.md's order. */
export function corpusFiles(): CorpusFile[] {
  const rows = tableAfter(fs.readFileSync(path.join(CORPUS, 'PROVENANCE.md'), 'utf8'), '## Files');
  return rows.map(([stored, , , set]) => {
    if (set !== 'dev' && set !== 'held-out') throw new Error(`PROVENANCE.md: '${stored}' has set '${set}'`);
    return { stored, set };
  });
}

/** The judged findings of JUDGEMENT.md. */
export function verdicts(): Verdict[] {
  const rows = tableAfter(fs.readFileSync(path.join(CORPUS, 'JUDGEMENT.md'), 'utf8'), '## Every default finding');
  return rows.map(([set, at, ruleId, verdict, why]) => {
    if ((set !== 'dev' && set !== 'held-out') || (verdict !== 'real' && verdict !== 'false alarm')) {
      throw new Error(`JUDGEMENT.md: bad row for ${at}: set '${set}', verdict '${verdict}'`);
    }
    return { set, at, ruleId, real: verdict === 'real', why };
  });
}

/** The real problems the default run misses, found by reading the held-out files (JUDGEMENT.md). */
export function missed(): Array<{ set: CorpusSet; at: string; what: string }> {
  const rows = tableAfter(fs.readFileSync(path.join(CORPUS, 'JUDGEMENT.md'), 'utf8'), '## Real problems the default run misses');
  return rows.filter(r => r.length >= 3 && r[0] !== '(none)').map(([set, at, what]) => ({ set: set as CorpusSet, at, what }));
}

/** Lints one set (or all) of the corpus as the lint command does: files on disk, their kustomizations read. */
export function lintCorpus(set?: CorpusSet, strict = false): LintReport {
  const linter = new Linter({ strict });
  const kustomize = new KustomizeContext();
  for (const f of corpusFiles()) {
    if (set !== undefined && f.set !== set) continue;
    const file = path.join(CORPUS, f.stored);
    linter.addSource(f.stored, fs.readFileSync(file, 'utf8'), kustomize.of(f.stored, file));
  }
  return linter.report();
}

export const keyOf = (f: Pick<LintFinding, 'file' | 'line' | 'ruleId'>): string => `${f.file}:${f.line} ${f.ruleId}`;

/** The figures of one set. */
export interface Figures {
  readonly set: CorpusSet;
  readonly files: number;
  readonly objects: number;
  readonly findings: number;
  readonly real: number;
  readonly falseAlarms: number;
  readonly unjudged: string[];
  readonly missed: number;
  readonly notices: number;
}

export function figures(set: CorpusSet): Figures {
  const report = lintCorpus(set);
  const judged = new Map(verdicts().filter(v => v.set === set).map(v => [`${v.at} ${v.ruleId}`, v]));
  let real = 0;
  let falseAlarms = 0;
  const unjudged: string[] = [];
  for (const f of report.findings) {
    const v = judged.get(keyOf(f));
    if (!v) unjudged.push(keyOf(f));
    else if (v.real) real++;
    else falseAlarms++;
  }
  return {
    set,
    files: report.filesChecked,
    objects: report.objectsChecked,
    findings: report.findings.length,
    real,
    falseAlarms,
    unjudged,
    missed: missed().filter(m => m.set === set).length,
    notices: report.notices.length,
  };
}

const pct = (a: number, b: number) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`);

/** One line per set: the figure and how it was counted. */
export function describe(f: Figures): string {
  return `${f.set}: ${f.files} files, ${f.objects} objects; ${f.findings} default findings, ${f.real} real, ${f.falseAlarms} false alarms`
    + ` -> precision ${f.real}/${f.findings} = ${pct(f.real, f.findings)}; recall ${f.real}/${f.real + f.missed} = ${pct(f.real, f.real + f.missed)}`
    + `; ${f.notices} notices${f.unjudged.length > 0 ? `; NOT JUDGED: ${f.unjudged.join(', ')}` : ''}`;
}

if (require.main === module) {
  for (const set of SETS) {
    const f = figures(set);
    console.log(describe(f));
    if (process.argv.includes('--list')) {
      const judged = new Map(verdicts().map(v => [`${v.at} ${v.ruleId}`, v]));
      for (const x of lintCorpus(set).findings) {
        const v = judged.get(keyOf(x));
        console.log(`  ${v ? (v.real ? 'real       ' : 'false alarm') : 'NOT JUDGED '}  ${keyOf(x)}  ${x.message}`);
      }
    }
  }
}
