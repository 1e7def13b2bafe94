// npm run bench -- --only=precision: the lint's precision and recall on the
// real-manifest corpus (test/fixtures/real, issue 16 §4), against the verdicts
// of test/fixtures/real/JUDGEMENT.md. Not a timing: the figure the issue asks
// to report, printed where the other figures are.
import { describe, figures, SETS } from '../precision';

export const section = {
  name: 'precision',
  description: 'default findings of the lint on 151 real public manifest files (42 projects), judged by hand: precision and recall, held-out and development sets',
  run: (options: { quick: boolean }) => {
    for (const set of SETS) {
      const f = figures(set);
      if (f.unjudged.length > 0) throw new Error(`findings not judged in test/fixtures/real/JUDGEMENT.md: ${f.unjudged.join(', ')}`);
      // quick mode proves the corpus is read and judged; the figure is cheap, print it anyway
      console.log(`  ${options.quick ? '(quick) ' : ''}${describe(f)}`);
    }
  },
};
