// `cdk8s-bound-tokens lint`: the command's logic, testable in-process.
// Loads only src/rules, src/lint and the bundled YAML parsers: never cdk8s,
// cdk8s-plus or constructs (test/lint/cli.test.ts proves it).
import * as fs from 'fs';
import * as path from 'path';
import { scanArgs, UsageError } from './args';
import { byteSize, decodeInput, expandInputs, MAX_INPUT_BYTES, readInput } from '../lint/files';
import { escapeControl, Format, FORMATS, jsonChunks, sarifChunks, textChunks } from '../lint/format';
import { KustomizeContext } from '../lint/kustomize';
import { Linter } from '../lint/lint';
import { findRule, maxExpirationProblem, parseDurationSeconds, TokenLimits } from '../rules';

/** Where the command reads and writes. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * The whole of standard input: bytes (decoded as a file is: UTF-8, or
   * UTF-16 with a byte-order mark) or text. Throws InputTooLargeError (of
   * src/lint/files) when it holds more than MAX_INPUT_BYTES.
   */
  readonly stdin: () => string | Uint8Array;
}

/** The exit code of a run that checked no Kubernetes object (and found no error). */
export const NOTHING_CHECKED = 3;

export const USAGE = `Usage: cdk8s-bound-tokens lint [options] <file-or-dir>...
       cdk8s-bound-tokens policy [options]   (the ValidatingAdmissionPolicy YAML; see 'policy --help')
       cdk8s-bound-tokens trust [options] <file-or-dir>...   (the cloud side of the trust; see 'trust --help')

Checks Kubernetes manifests (.yaml, .yml, .json; directories recursively;
'-' for standard input) against the bound-token rule catalogue.

Options:
  --format <text|json|sarif>  output format (default: text)
  --strict                    count warnings as errors, and report BT151 (pods
                              running as the namespace's default account)
  --disable <ids>             skip rules by id (repeatable, or comma-separated)
  --max-token-expiration <d>  the cluster's maximum token lifetime (the
                              kube-apiserver's --service-account-max-token-expiration,
                              or an external signer's), as seconds or 1h, 90m,
                              24h: BT280 for longer requests, BT104 on what the
                              cluster issues
  --no-extend-token-expiration
                              the cluster runs with
                              --service-account-extend-token-expiration=false
                              (3607-second API tokens are not extended to a year)
  -h, --help                  show this help
  --version                   show the version

Files are read as UTF-8, or UTF-16 with a byte-order mark (as kubectl
reads them); at most ${byteSize(MAX_INPUT_BYTES)} per file and from standard input.
Notices (BT906, BT907) say what was not checked, e.g. a kustomize patch checked
only for what it holds; lint what kustomize renders with
'kubectl kustomize DIR | cdk8s-bound-tokens lint -'. They never fail a run.

Exit codes: 0 no error, 1 at least one error (or warning with --strict),
2 usage error, an input that does not exist, cannot be read, is larger
than ${byteSize(MAX_INPUT_BYTES)} or is not a regular file (a FIFO, a device), or an
internal error; ${NOTHING_CHECKED} nothing was checked: the inputs hold no Kubernetes object
(empty standard input, a directory without .yaml, .yml or .json files).
`;


interface Args {
  readonly format: Format;
  readonly strict: boolean;
  readonly disable: Set<string>;
  readonly limits: TokenLimits | undefined;
  readonly inputs: string[];
}

function parseArgs(argv: readonly string[]): Args {
  let format: Format = 'text';
  let strict = false;
  let maxExpirationSeconds: number | undefined;
  let extendExpiration = true;
  let limitsDeclared = false;
  const disable = new Set<string>();
  const inputs = scanArgs(argv, { '--format': '-f', '--disable': undefined, '--max-token-expiration': undefined }, o => {
    switch (o.name) {
      case '--format':
      case '-f': {
        const f = o.value();
        if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${f}'`);
        format = f as Format;
        break;
      }
      case '--strict':
        if (o.inline) throw new UsageError('--strict takes no value');
        strict = true;
        break;
      case '--disable':
        for (const id of o.value().split(',').map(s => s.trim()).filter(s => s !== '')) {
          if (!findRule(id)) throw new UsageError(`--disable: '${id}' names no rule (see the rule table in docs/rules.md)`);
          disable.add(id);
        }
        break;
      case '--max-token-expiration': {
        const text = o.value();
        const seconds = parseDurationSeconds(text);
        if (seconds === undefined) throw new UsageError(`--max-token-expiration must be whole seconds or a duration such as 1h, 90m or 1h30m, got '${text}'`);
        const problem = maxExpirationProblem(seconds);
        if (problem !== undefined) throw new UsageError(`--max-token-expiration ${problem}, got ${seconds} seconds`);
        maxExpirationSeconds = seconds;
        limitsDeclared = true;
        break;
      }
      case '--no-extend-token-expiration':
        if (o.inline) throw new UsageError('--no-extend-token-expiration takes no value');
        extendExpiration = false;
        limitsDeclared = true;
        break;
      default:
        throw new UsageError(`unknown option '${o.word}'`);
    }
  }, 'file or directory to check');
  const limits: TokenLimits | undefined = !limitsDeclared ? undefined
    : maxExpirationSeconds === undefined ? { extendExpiration } : { maxExpirationSeconds, extendExpiration };
  return { format, strict, disable, limits, inputs };
}

/** The package's name and version. */
export function packageInfo(): { name: string; version: string; homepage: string } {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url ?? '';
    return { name: pkg.name, version: pkg.version, homepage: repo.replace(/^git\+/, '').replace(/\.git$/, '') };
  } catch {
    return { name: 'cdk8s-bound-tokens', version: '0.0.0', homepage: 'https://github.com/cdk8s-bound-tokens/cdk8s-bound-tokens' };
  }
}

/**
 * Runs the command; returns the exit code. Never throws: an internal error
 * (a bug, or the machine running out of memory) is one line on stderr and
 * exit code 2, never a stack trace.
 */
export function runCli(argv: readonly string[], io: CliIo): number {
  try {
    return runCliUnguarded(argv, io);
  } catch (e) {
    io.stderr(`${internalError(e)}\n`);
    return 2;
  }
}

/** The one line of an internal error. */
export function internalError(e: unknown): string {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `cdk8s-bound-tokens: internal error (please report it): ${escapeControl(message.split('\n')[0]).slice(0, 300)}`;
}

/** Writes pieces of output in blocks of about 64 KB: never one giant string, never a write per line. */
function writeBuffered(chunks: Iterable<string>, write: (text: string) => void): void {
  let buf = '';
  for (const c of chunks) {
    buf += c;
    if (buf.length >= 65536) {
      write(buf);
      buf = '';
    }
  }
  if (buf !== '') write(buf);
}

function runCliUnguarded(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command === '--version') {
    io.stdout(packageInfo().version + '\n');
    return 0;
  }
  if (command === 'policy') {
    // loaded only for this command, so that lint starts without it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runPolicyCommand } = require('./policy-command') as typeof import('./policy-command');
    return runPolicyCommand(rest, io);
  }
  if (command === 'trust') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runTrustCommand } = require('./trust-command') as typeof import('./trust-command');
    // standard input decoded (and bounded) as the lint reads it
    return runTrustCommand(rest, { ...io, stdin: () => { const raw = io.stdin(); return typeof raw === 'string' ? raw : decodeInput(raw).text; } });
  }
  if (command !== 'lint') {
    io.stderr(`${command === undefined ? 'no command given' : `unknown command '${command}'`}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout(USAGE);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`cdk8s-bound-tokens lint: ${e.message}\n\n${USAGE}`);
    return 2;
  }

  const { files, problems } = expandInputs(args.inputs);
  const linter = new Linter({ disable: args.disable, issuerScope: 'file', strict: args.strict, limits: args.limits });
  const kustomize = new KustomizeContext();
  for (const file of files) {
    const { text, problem } = readInput(file, io.stdin);
    if (problem) problems.push(problem);
    else linter.addSource(file.name, text!, file.path === undefined ? undefined : kustomize.of(file.name, file.path));
  }
  const report = linter.report();
  const info = packageInfo();
  switch (args.format) {
    case 'json':
      writeBuffered(jsonChunks(report), io.stdout);
      break;
    case 'sarif':
      writeBuffered(sarifChunks(report, { name: info.name, version: info.version, informationUri: info.homepage }), io.stdout);
      break;
    default:
      writeBuffered(textChunks(report, args.strict), io.stdout);
  }
  for (const p of problems) io.stderr(`cdk8s-bound-tokens lint: ${escapeControl(p.message)}\n`);
  if (problems.length > 0) return 2;
  const failing = report.findings.some(f => f.level === 'error' || args.strict);
  if (failing) return 1;
  if (report.objectsChecked === 0) {
    // an empty pipe (`helm template ... | lint -` after helm failed) must not pass for a clean run
    const where = files.length === 0
      ? `no .yaml, .yml or .json file in ${args.inputs.map(i => `'${escapeControl(i)}'`).join(', ')}`
      : `no Kubernetes object in ${files.length === 1 ? (files[0].name === '-' ? 'standard input' : `'${escapeControl(files[0].name)}'`) : `${files.length} inputs`}`;
    io.stderr(`cdk8s-bound-tokens lint: nothing was checked: ${where} (exit code ${NOTHING_CHECKED})\n`);
    return NOTHING_CHECKED;
  }
  return 0;
}
