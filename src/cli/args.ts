import { parseArgs } from 'node:util';

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

/** The options of a command that take a value, by long name ('--format'), with their short form if any ('-f'). */
export type ValuedOptions = Readonly<Record<string, string | undefined>>;

/**
 * Scans the words after the command with node:util's parseArgs (its tokens,
 * so that each command keeps its own messages): calls `onOption` for each
 * option in order and returns the inputs, at least one, with standard input
 * named at most once. `valued` names the options that take a value (the next
 * word, or `--name=value`); any other option is a flag, and the command's
 * `onOption` refuses what it does not know. A value is never a word that
 * starts with `--` (that is the next option: the value is missing), except
 * written inline (`--name=--x`). `inputs` says what the inputs are, for the
 * message when there are none; undefined for a command that takes none.
 */
export function scanArgs(argv: readonly string[], valued: ValuedOptions, onOption: (o: CliOption) => void, inputs: string | undefined): string[] {
  const options: Record<string, { type: 'string'; short?: string }> = {};
  for (const [long, short] of Object.entries(valued)) {
    options[long.replace(/^--/, '')] = short === undefined ? { type: 'string' } : { type: 'string', short: short.replace(/^-/, '') };
  }
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  const out: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (inputs === undefined) throw new UsageError(`unexpected argument '${t.value}'`);
      out.push(t.value);
    }
    if (t.kind !== 'option') continue;
    const given = t.value;
    const missing = given === undefined || (t.inlineValue !== true && given.startsWith('--') && given.length > 2);
    onOption({
      name: t.rawName,
      word: argv[t.index],
      inline: t.inlineValue === true,
      value: () => {
        if (missing) throw new UsageError(`'${t.rawName}' needs a value`);
        return given!;
      },
    });
  }
  if (inputs === undefined) return out;
  if (out.length === 0) throw new UsageError(`name at least one ${inputs}, or - for standard input`);
  if (out.filter(x => x === '-').length > 1) throw new UsageError("'-' (standard input) may be named once");
  return out;
}
