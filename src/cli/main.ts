#!/usr/bin/env node
// The package's bin: `npx cdk8s-bound-tokens lint <file-or-dir>...`.
import * as fs from 'fs';
import { runCli } from './run';

// a reader that stops early (`| head`) is not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = runCli(process.argv.slice(2), {
  stdout: text => process.stdout.write(text),
  stderr: text => process.stderr.write(text),
  stdin: () => fs.readFileSync(0, 'utf8'),
});
