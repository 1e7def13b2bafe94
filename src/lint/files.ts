// The inputs of a lint run: named files, directories walked for manifests,
// and standard input. Nothing is ever written to them.
import * as fs from 'fs';
import * as path from 'path';

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
      real = fs.realpathSync(p);
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
      real = fs.realpathSync(dirPath);
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

/**
 * Reads a regular file as UTF-8; undefined with a problem when it cannot be
 * read or is no longer a regular file (opened without blocking, then checked
 * on the open descriptor, so a file swapped for a FIFO after the walk is
 * refused too).
 */
export function readInput(file: InputFile, stdin: () => string): { text?: string; problem?: InputProblem } {
  if (file.path === undefined) return { text: stdin() };
  let fd: number | undefined;
  try {
    // O_RDONLY is 0: opening with O_NONBLOCK alone never waits for a FIFO's writer
    fd = fs.openSync(file.path, fs.constants.O_NONBLOCK ?? fs.constants.O_RDONLY);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { problem: notRegular(file.name, st) };
    return { text: fs.readFileSync(fd, 'utf8') };
  } catch (e) {
    return { problem: problem(file.name, e) };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
