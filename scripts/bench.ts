// npm run bench: benchmarks print ratios against the baselines the issues name.
// Sections are added by the issues that own them; `--quick` runs each with a
// tiny N so that CI proves the benchmarks still work without timing anything.
import { runLintBench } from './bench/lint';

const quick = process.argv.includes('--quick');
console.log(quick ? 'bench: quick mode (no figures)' : 'bench:');
runLintBench({ quick });
