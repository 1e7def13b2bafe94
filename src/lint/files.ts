// The inputs of a lint run: named files, directories walked for manifests,
// and standard input. Nothing is ever written to them.
import * as fs from 'fs';
import * as path from 'path';

/**
 * The most the lint reads from one input, a file or standard input: 256 MiB.
 * A larger input is not read (a problem, exit code 2), so that a stream that
 * never ends cannot grow without bound.
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** Thrown by a bounded read whose input holds more than its limit. */
export class InputTooLargeError extends Error {
  constructor(public readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/** `n` bytes as the messages write it (256 MiB, 1.5 KiB, 12 bytes). */
export function byteSize(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}

/**
 * Reads a descriptor to its end, but at most `limit` bytes: more throws
 * InputTooLargeError after reading `limit + 1` bytes (never the rest).
 * Standard input in non-blocking mode (EAGAIN) is waited for. `sizeHint`
 * (a regular file's size) sizes the buffer, so that a file is read in place
 * into one buffer of its size and copied never; the buffer grows when the
 * input holds more (a pipe, a file that grows while it is read).
 */
export function readBounded(fd: number, limit: number = MAX_INPUT_BYTES, sizeHint: number = 64 * 1024 - 1): Buffer {
  let total = 0;
  const wait = new Int32Array(new SharedArrayBuffer(4));
  // one byte more than the hint: reading it (or the end) tells whether the input holds more
  let buf = Buffer.allocUnsafe(Math.min(sizeHint + 1, limit + 1));
  for (;;) {
    if (total === buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(buf.length * 2, limit + 1));
      buf.copy(grown, 0, 0, total);
      buf = grown;
    }
    let n: number;
    try {
      n = fs.readSync(fd, buf, total, buf.length - total, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if (code === 'EAGAIN') {
        Atomics.wait(wait, 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break; // Windows: the other end closed the pipe
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new InputTooLargeError(limit);
  }
  return buf.subarray(0, total);
}

/**
 * The text of an input, decoded as kubectl decodes it: a byte-order mark
 * selects UTF-8, UTF-16LE or UTF-16BE (and is dropped); without one, UTF-8.
 */
export function decodeInput(bytes: Uint8Array): { text: string; encoding: 'UTF-8' | 'UTF-16LE' | 'UTF-16BE' } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) {
    return { text: utf16(b.subarray(2), false), encoding: 'UTF-16LE' };
  }
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    return { text: utf16(b.subarray(2), true), encoding: 'UTF-16BE' };
  }
  const start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  return { text: b.toString('utf8', start), encoding: 'UTF-8' };
}

/** UTF-16 text (an odd last byte becomes U+FFFD, as a decoder writes it). */
function utf16(b: Buffer, bigEndian: boolean): string {
  const even = b.length - (b.length % 2);
  let body = b.subarray(0, even);
  if (bigEndian) body = Buffer.from(body).swap16();
  return body.toString('utf16le') + (even < b.length ? '\ufffd' : '');
}

/** Extensions read from directories. A file named on the command line is read whatever its name. */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * The file `cdk8s synth` writes next to the manifests when a validation plugin
 * runs (cdk8s's `App.writeConstructMetadata`): `{"version": ..., "resources":
 * {<name>: {"path": <construct path>}}}`, no Kubernetes object. A directory walk
 * skips it when it has that shape; named on the command line it is read.
 */
export const CDK8S_CONSTRUCT_METADATA = 'construct-metadata.json';

/** Whether a file found in a directory is cdk8s's construct metadata (by name and shape). */
function isCdk8sConstructMetadata(name: string, p: string): boolean {
  if (name !== CDK8S_CONSTRUCT_METADATA) return false;
  try {
    const doc = JSON.parse(fs.readFileSync(p, 'utf8'));
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && !('kind' in doc) && typeof doc.version === 'string'
      && typeof doc.resources === 'object' && doc.resources !== null && !Array.isArray(doc.resources);
  } catch {
    return false;
  }
}

/** A file to lint, named as the output shows it. */
export interface InputFile {
  /** The path as given (joined below a given directory), or `-` for standard input. */
  readonly name: string;
  /** Where to read it; undefined for standard input. */
  readonly path?: string;
}

/** An input that does not exist or cannot be read. */
export interface InputProblem {
  readonly name: string;
  readonly message: string;
}

/** What a file that is not a regular file is, for the message. */
function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** The problem of an input that is not a regular file: it is never read (it could block, or never end). */
function notRegular(name: string, st: fs.Stats): InputProblem {
  return { name, message: `${name}: is ${kindOf(st)}, not a regular file, so it was not read (only '-' reads a stream: use '- < ${name}' to lint it)` };
}

function problem(name: string, e: unknown): InputProblem {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return { name, message: `${name}: no such file or directory` };
  if (code === 'EACCES' || code === 'EPERM') return { name, message: `${name}: cannot be read (permission denied)` };
  return { name, message: `${name}: cannot be read (${(e as Error)?.message ?? e})` };
}

/**
 * Expands the named inputs: files as they are, directories recursively
 * (files ending in .yaml, .yml or .json, in name order; entries whose name
 * starts with '.', node_modules and cdk8s's construct-metadata.json are
 * skipped), `-` for standard input.
 * A file reached twice is listed once.
 */
export function expandInputs(names: readonly string[]): { files: InputFile[]; problems: InputProblem[] } {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const add = (name: string, p: string) => {
    let real: string;
    try {
      real = fs.realpathSync.native(p);
    } catch {
      real = path.resolve(p);
    }
    if (seen.has(real)) return;
    seen.add(real);
    files.push({ name, path: p });
  };
  const walk = (dirName: string, dirPath: string, visited: Set<string>) => {
    let real: string;
    let entries: fs.Dirent[];
    try {
      real = fs.realpathSync.native(dirPath);
      entries = fs.readdirSync(dirPath, { withFileTypes: true });
    } catch (e) {
      problems.push(problem(dirName, e));
      return;
    }
    if (visited.has(real)) return; // a symbolic link loop
    visited = new Set(visited).add(real);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const name = path.join(dirName, entry.name);
      const p = path.join(dirPath, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = fs.statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (e) {
          problems.push(problem(name, e));
          continue;
        }
      }
      if (isDir) {
        walk(name, p, visited);
      } else if (MANIFEST_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) {
        if (isFile) {
          if (!isCdk8sConstructMetadata(entry.name, p)) add(name, p);
        } else {
          try {
            problems.push(notRegular(name, fs.statSync(p)));
          } catch (e) {
            problems.push(problem(name, e));
          }
        }
      }
    }
  };
  for (const name of names) {
    if (name === '-') {
      files.push({ name: '-' });
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(name);
    } catch (e) {
      problems.push(problem(name, e));
      continue;
    }
    if (st.isDirectory()) walk(name, name, new Set());
    else if (st.isFile()) add(name, name);
    else problems.push(notRegular(name, st));
  }
  return { files, problems };
}

function tooLarge(name: string, what: string, limit: number): InputProblem {
  return {
    name,
    message: `${name}: ${what} is larger than ${byteSize(limit)}, the most the lint reads from one input, so it was not checked; lint the manifests in parts (e.g. one file per chart or directory)`,
  };
}

/**
 * Reads an input and decodes it (decodeInput: UTF-8, or UTF-16 with a
 * byte-order mark); undefined with a problem when it cannot be read, is
 * larger than MAX_INPUT_BYTES or is no longer a regular file (opened
 * without blocking, then checked on the open descriptor, so a file swapped
 * for a FIFO after the walk is refused too). `stdin` gives standard input:
 * bytes (decoded here) or text, and throws InputTooLargeError when it holds
 * more than the limit.
 */
export function readInput(file: InputFile, stdin: () => string | Uint8Array): { text?: string; problem?: InputProblem } {
  if (file.path === undefined) {
    let raw: string | Uint8Array;
    try {
      raw = stdin();
    } catch (e) {
      if (e instanceof InputTooLargeError) return { problem: tooLarge(file.name, 'standard input', e.limit) };
      throw e;
    }
    return { text: typeof raw === 'string' ? raw : decodeInput(raw).text };
  }
  let fd: number | undefined;
  try {
    // O_RDONLY is 0: opening with O_NONBLOCK alone never waits for a FIFO's writer
    fd = fs.openSync(file.path, fs.constants.O_NONBLOCK ?? fs.constants.O_RDONLY);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { problem: notRegular(file.name, st) };
    if (st.size > MAX_INPUT_BYTES) return { problem: tooLarge(file.name, `the file (${byteSize(st.size)})`, MAX_INPUT_BYTES) };
    return { text: decodeInput(readBounded(fd, MAX_INPUT_BYTES, st.size)).text };
  } catch (e) {
    if (e instanceof InputTooLargeError) return { problem: tooLarge(file.name, 'the file', e.limit) };
    return { problem: problem(file.name, e) };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
