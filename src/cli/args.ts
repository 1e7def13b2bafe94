// The command line's word scanning, shared by `lint` and `trust`: options
// (`--name value`, `--name=value`), `--` to end them, `-` for standard input,
// and the rest as inputs. Each command decides what its options mean.

/** A mistake in the command line: printed with the usage, exit 2. */
export class UsageError extends Error {}

/** One option of the command line. */
export interface CliOption {
  /** The option's name, e.g. '--format'. */
  readonly name: string;
  /** The word as written, e.g. '--format=json'. */
  readonly word: string;
  /** The value was written inline (`--name=value`). */
  readonly inline: boolean;
  /** The option's value: inline, or the next word (a UsageError when there is none). */
  value(): string;
}

/**
 * Scans the words after the command: calls `onOption` for each option and
 * returns the inputs, at least one, with standard input named at most once.
 * `inputs` says what the inputs are, for the message when there are none.
 */
export function scanArgs(argv: readonly string[], onOption: (o: CliOption) => void, inputs: string): string[] {
  const out: string[] = [];
  let options = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!options || a === '-' || !a.startsWith('-')) {
      out.push(a);
      continue;
    }
    if (a === '--') {
      options = false;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    onOption({
      name,
      word: a,
      inline: eq > 0,
      value: () => {
        if (eq > 0) return a.slice(eq + 1);
        if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
        return argv[++i];
      },
    });
  }
  if (out.length === 0) throw new UsageError(`name at least one ${inputs}, or - for standard input`);
  if (out.filter(x => x === '-').length > 1) throw new UsageError("'-' (standard input) may be named once");
  return out;
}
