// What kustomize says about a file on disk: whether a kustomization.yaml in
// its folder (or a folder above) lists it as a patch, and whether its folder
// holds a kustomization at all. Such files are kustomize's inputs, not what is
// applied: a patch is a partial object whose volumes and mounts may live in
// the base, and the lint says once per folder how to lint the rendered output.
import * as fs from 'fs';
import * as path from 'path';
import { loadFast } from './yaml';

/** The names kustomize reads as a folder's kustomization, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** What the lint knows of a source beyond its text. */
export interface SourceContext {
  /** The kustomization file that lists this file as a patch (as the output names it). */
  readonly patchOf?: string;
  /** The kustomization file of the folder that holds this file (as the output names it). */
  readonly kustomization?: string;
  /** The folder of that kustomization, as the output names it (for the command to run). */
  readonly kustomizeDir?: string;
}

/** True when a file name is a kustomization (kustomize's own configuration, never applied). */
export function isKustomizationFile(file: string): boolean {
  return KUSTOMIZATION_FILES.includes(path.basename(file));
}

interface Kustomization {
  /** The file, as found on disk. */
  readonly file: string;
  /** Absolute, resolved paths of the files it lists as patches. */
  readonly patches: ReadonlySet<string>;
}

/** The patch files a parsed kustomization lists, relative to its folder. */
export function patchPaths(k: unknown): string[] {
  if (!k || typeof k !== 'object' || Array.isArray(k)) return [];
  const out: string[] = [];
  const add = (p: unknown) => {
    // an inline patch (a string holding YAML) is no file
    if (typeof p === 'string' && p.trim() !== '' && !p.includes('\n')) out.push(p.trim());
  };
  const o = k as Record<string, unknown>;
  for (const field of ['patches', 'patchesStrategicMerge', 'patchesJson6902']) {
    const list = o[field];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (typeof item === 'string') add(item);
      else if (item && typeof item === 'object') add((item as Record<string, unknown>).path);
    }
  }
  return out;
}

/**
 * Finds the kustomization context of files on disk, reading each folder's
 * kustomization once. Nothing is ever written; a kustomization that cannot be
 * read or parsed is taken as listing no patch (the lint reports its syntax
 * error when the file itself is linted).
 */
export class KustomizeContext {
  private readonly folders = new Map<string, Kustomization | null>();

  /** The context of a file: `name` is how the output names it, `file` where it is on disk. */
  public of(name: string, file: string): SourceContext | undefined {
    const abs = resolve(file);
    const dir = path.dirname(abs);
    const here = this.folder(dir);
    let patchOf: string | undefined;
    // a kustomization lists patches in its folder or below it: look in every folder above the file
    for (let d = dir; ; d = path.dirname(d)) {
      const k = this.folder(d);
      if (k && k.patches.has(abs)) {
        patchOf = path.join(path.dirname(name), path.relative(dir, k.file));
        break;
      }
      if (path.dirname(d) === d) break;
    }
    if (!here && patchOf === undefined) return undefined;
    const nameDir = path.dirname(name);
    return {
      ...(patchOf !== undefined ? { patchOf } : {}),
      ...(here ? { kustomization: path.join(nameDir, path.basename(here.file)), kustomizeDir: nameDir } : {}),
    };
  }

  private folder(dir: string): Kustomization | null {
    const known = this.folders.get(dir);
    if (known !== undefined) return known;
    let found: Kustomization | null = null;
    for (const base of KUSTOMIZATION_FILES) {
      const file = path.join(dir, base);
      let text: string;
      try {
        if (!fs.statSync(file).isFile()) continue;
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      let parsed: unknown;
      try {
        parsed = loadFast(text, true);
      } catch {
        parsed = undefined;
      }
      found = { file, patches: new Set(patchPaths(parsed).map(p => resolve(path.join(dir, p)))) };
      break;
    }
    this.folders.set(dir, found);
    return found;
  }
}

function resolve(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}
