#!/usr/bin/env node
// The package's bin: `npx cdk8s-bound-tokens lint <file-or-dir>...`.
import { internalError, runCli } from './run';
import { readBounded } from '../lint/files';

// whatever happens, one line and exit code 2, never a stack trace
process.on('uncaughtException', (e: unknown) => {
  process.stderr.write(`${internalError(e)}\n`);
  process.exit(2);
});

// a reader that stops early (`| head`) is not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = runCli(process.argv.slice(2), {
  stdout: text => process.stdout.write(text),
  stderr: text => process.stderr.write(text),
  // bytes, at most MAX_INPUT_BYTES (decoded by the lint, as a file is)
  stdin: () => readBounded(0),
});
