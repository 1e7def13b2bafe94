// npm run bench: benchmarks print ratios against the baselines the issues name.
//
// Each benchmark is a section in its own file under scripts/bench/ that
// exports `section: BenchSection`; this runner finds them, so issues add
// benchmarks without editing this file. `--quick` runs each with a tiny N so
// that CI proves the benchmarks still work, and prints no figures.
//
//   npm run bench                         all sections, full size
//   npm run bench -- --quick              all sections, tiny N, no figures
//   npm run bench -- --only=synth         one section (section options follow it)
import * as fs from 'fs';
import * as path from 'path';

export interface BenchOptions {
  /** Tiny N, no figures: proves the benchmark runs. */
  readonly quick: boolean;
  /** `--key=value` arguments, for the section's own options. */
  readonly args: Readonly<Record<string, string>>;
}

export interface BenchSection {
  /** Short name, used by `--only=<name>`. */
  readonly name: string;
  /** One line: what is compared with what. */
  readonly description: string;
  readonly run: (options: BenchOptions) => void | Promise<void>;
}

/** Every section under scripts/bench/, in file-name order. */
export function sections(): BenchSection[] {
  const dir = path.join(__dirname, 'bench');
  const out: BenchSection[] = [];
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file));
    if (mod.section) out.push(mod.section as BenchSection);
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const args: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (m) args[m[1]] = m[2];
  }
  const chosen = sections().filter(s => !args.only || s.name === args.only);
  if (chosen.length === 0) throw new Error(`no benchmark section named '${args.only}'; have: ${sections().map(s => s.name).join(', ')}`);
  console.log(quick ? 'bench: quick mode (tiny N, no figures)' : `bench: ${chosen.length} section(s)`);
  for (const s of chosen) {
    console.log(`\n== ${s.name}: ${s.description}`);
    await s.run({ quick, args });
  }
}

if (require.main === module) {
  main().catch(e => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
