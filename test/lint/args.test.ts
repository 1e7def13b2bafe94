// The one command-line scanner of lint, trust and policy (src/cli/args.ts, on node:util's parseArgs).
import { CliOption, scanArgs, UsageError } from '../../src/cli/args';

function scan(argv: string[], inputs: string | null = 'file') {
  const seen: Array<[string, string | undefined, boolean]> = [];
  const out = scanArgs(argv, { '--format': '-f', '--disable': undefined }, (o: CliOption) => {
    seen.push([o.name, o.name === '--format' || o.name === '-f' || o.name === '--disable' ? o.value() : undefined, o.inline]);
  }, inputs ?? undefined);
  return { out, seen };
}

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no usage error');
}

describe('scanArgs', () => {
  test('options in order, with the next word or an inline value; - and the words after -- are inputs', () => {
    expect(scan(['--format', 'json', 'a.yaml', '-f', 'text', '--disable=BT120', '-', '--', '--weird.yaml'])).toEqual({
      out: ['a.yaml', '-', '--weird.yaml'],
      seen: [['--format', 'json', false], ['-f', 'text', false], ['--disable', 'BT120', true]],
    });
    expect(scan(['-fjson', 'x']).seen).toEqual([['-f', 'json', true]]);
  });

  test('a value is never the next option (it is missing), unless written inline', () => {
    expect(usage(() => scan(['--disable', '--format', 'json', 'x']))).toBe("'--disable' needs a value");
    expect(usage(() => scan(['x', '--format']))).toBe("'--format' needs a value");
    expect(scan(['--disable=--x', 'y']).seen).toEqual([['--disable', '--x', true]]);
  });

  test('flags are left to the command, which refuses what it does not know', () => {
    const seen: string[] = [];
    scanArgs(['--strict', 'x', '--strict=1'], {}, o => seen.push(`${o.word} inline=${o.inline}`), 'file');
    expect(seen).toEqual(['--strict inline=false', '--strict=1 inline=true']);
  });

  test('inputs: at least one, standard input once; none at all for a command that takes none', () => {
    expect(usage(() => scan(['--format', 'json']))).toBe('name at least one file, or - for standard input');
    expect(usage(() => scan(['-', '-']))).toBe("'-' (standard input) may be named once");
    expect(usage(() => scan(['--format', 'json', 'extra'], null))).toBe("unexpected argument 'extra'");
    expect(scan(['--format', 'json'], null).out).toEqual([]);
  });
});
