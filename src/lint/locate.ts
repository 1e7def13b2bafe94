// Line numbers of fields, for the documents that have findings.
//
// `BlockScanner` reads the block-style YAML that kubectl, Helm and cdk8s
// write by looking only at indentation and keys, line by line; it answers
// for a JSON pointer with the field's line, `ABSENT` when the field is not
// there, or `UNSURE` as soon as it meets anything it does not fully
// understand (flow collections it must enter, anchors, aliases, tags, merge
// keys, complex or escaped keys, quoted scalars spanning lines, tabs). Then
// `astLine` answers from the `yaml` package's syntax tree, the reference that
// the scanner is tested against.
import type * as Y from 'yaml';
import { kubeScalar } from './yaml';
import { pointerSegments, ptr } from '../rules/finding';

/** The field is not in the document. */
export const ABSENT = -1;
/** The scanner cannot tell; ask the syntax tree. */
export const UNSURE = -2;

type NodeKind = 'map' | 'seq' | 'scalar' | 'empty' | 'opaque';
interface Node {
  readonly kind: NodeKind;
  /** 0-based line where the node starts. */
  readonly line: number;
  /** 0-based column of the node (of its first key, or of its '-'). */
  readonly col: number;
}

const BLANK = -1;
const TAB = -2;
const OPAQUE_START = '&*![{';

/** Reads block YAML by indentation. One instance per document text. */
export class BlockScanner {
  private readonly lines: string[];
  private rootNode: Node | null | undefined;
  /** The nodes found so far, by JSON pointer (findings of one document share long prefixes). */
  private readonly found = new Map<string, { node: Node; line: number }>();
  /** The items of the lists read so far, by the list's position. */
  private readonly items = new Map<string, Array<Node | number>>();
  /** Lists whose reading stopped at a line the scanner does not read. */
  private readonly incomplete = new Set<string>();

  /**
   * @param text the document
   * @param lastKey a key may appear twice (js-yaml refused the document for
   * it and read it again letting the last one win): look for the last entry
   * of a key, as that is the one read. Otherwise the first is the only one.
   */
  constructor(text: string, private readonly lastKey = false) {
    this.lines = text.includes('\r') ? text.split(/\r?\n/) : text.split('\n');
  }

  /**
   * The duplicate keys of the document, in document order, or undefined when
   * unsure. Reads every mapping of the document.
   */
  public duplicates(): Array<{ path: string; key: string; line: number; firstLine: number }> | undefined {
    const out: Array<{ path: string; key: string; line: number; firstLine: number }> = [];
    const visit = (node: Node, path: string): boolean => {
      if (node.kind === 'map') {
        const seen = new Map<string, number>();
        let ok = true;
        const complete = this.eachKey(node, (line, key, valueCol) => {
          const kp = path + ptr(key);
          const first = seen.get(key);
          if (first !== undefined) out.push({ path: kp, key, line, firstLine: first });
          else seen.set(key, line);
          const value = this.valueOf(line, node.col, valueCol);
          ok = value !== undefined && visit(value, kp);
          return ok;
        });
        return complete && ok;
      }
      if (node.kind === 'seq') {
        for (let i = 0; ; i++) {
          const item = this.findItem(node, i);
          if (item === ABSENT) return true;
          if (typeof item === 'number' || !visit(item, `${path}/${i}`)) return false;
        }
      }
      if (node.kind === 'opaque') {
        // a flow collection on one line without mappings in it holds no keys ({}, [], [a, "b"])
        const rest = this.lines[node.line].slice(node.col);
        return /^\[[^{}[\]#&*!]*\](\s+#.*)?\s*$/.test(rest) || /^\{\s*\}(\s+#.*)?\s*$/.test(rest);
      }
      return true;
    };
    const root = this.root();
    if (root === undefined) return undefined;
    if (root === null) return out;
    return visit(root, '') ? out : undefined;
  }

  /** 0-based line of the field at `pointer`, ABSENT or UNSURE. */
  public line(pointer: string): number {
    let node = this.root();
    if (node === undefined) return UNSURE;
    if (node === null) return ABSENT;
    let line = node.line;
    const segments = pointerSegments(pointer);
    // start from the longest prefix already found
    let start = 0;
    let prefix = pointer;
    while (prefix !== '') {
      const hit = this.found.get(prefix);
      if (hit) {
        ({ node, line } = hit);
        start = prefix.split('/').length - 1;
        break;
      }
      prefix = prefix.slice(0, prefix.lastIndexOf('/'));
    }
    let at = prefix;
    for (let s = start; s < segments.length; s++) {
      const seg = segments[s];
      if (node.kind === 'opaque') return UNSURE;
      if (node.kind === 'map') {
        const entry = this.findKey(node, seg);
        if (typeof entry === 'number') return entry;
        line = entry.line;
        const value = this.valueOf(entry.line, node.col, entry.valueCol);
        if (value === undefined) return UNSURE;
        node = value;
      } else if (node.kind === 'seq') {
        if (!/^(0|[1-9][0-9]*)$/.test(seg)) return ABSENT;
        const item = this.findItem(node, Number(seg));
        if (typeof item === 'number') return item;
        line = item.line;
        node = item;
      } else {
        return ABSENT;
      }
      at += ptr(seg);
      this.found.set(at, { node, line });
    }
    return line;
  }

  /** The document's root node: null for an empty document, undefined when unsure. */
  private root(): Node | null | undefined {
    if (this.rootNode !== undefined) return this.rootNode;
    let found: Node | null | undefined = null;
    for (let i = 0; i < this.lines.length; i++) {
      const text = this.lines[i];
      const ind = indentOf(text);
      if (ind === BLANK) continue;
      if (ind === TAB) { found = undefined; break; }
      if (ind === 0 && text[0] === '%') continue; // directive
      if (ind === 0 && /^---(\s|$)/.test(text)) {
        if (/^---\s*(#.*)?$/.test(text)) continue;
        found = undefined; // content on the marker line
        break;
      }
      found = this.nodeAt(i, ind);
      break;
    }
    this.rootNode = found;
    return found;
  }

  /** The node that starts at (line, col). */
  private nodeAt(line: number, col: number): Node | undefined {
    const text = this.lines[line];
    const c = text[col];
    if (c === '-' && isSep(text, col + 1)) return { kind: 'seq', line, col };
    const key = keyAt(text, col);
    if (key === undefined) return undefined;
    if (key !== null) return { kind: 'map', line, col };
    if (OPAQUE_START.includes(c)) return { kind: 'opaque', line, col };
    if ((c === '"' || c === "'") && quotedEnd(text, col) < 0) return undefined;
    return { kind: 'scalar', line, col };
  }

  /** The value of the key at `line` whose value text starts at `valueCol`. */
  private valueOf(line: number, keyCol: number, valueCol: number): Node | undefined {
    const text = this.lines[line];
    let i = valueCol;
    while (text[i] === ' ') i++;
    if (text[i] === '\t') return undefined;
    if (i < text.length && text[i] !== '#') {
      const c = text[i];
      if (OPAQUE_START.includes(c)) return { kind: 'opaque', line, col: i };
      if ((c === '"' || c === "'") && quotedEnd(text, i) < 0) return undefined;
      return { kind: 'scalar', line, col: i };
    }
    // the value is on the lines below, or empty
    for (let j = line + 1; j < this.lines.length; j++) {
      const ind = indentOf(this.lines[j]);
      if (ind === BLANK) continue;
      if (ind === TAB) return undefined;
      if (ind > keyCol) return this.nodeAt(j, ind);
      if (ind === keyCol && this.lines[j][ind] === '-' && isSep(this.lines[j], ind + 1)) return { kind: 'seq', line: j, col: ind };
      break;
    }
    return { kind: 'empty', line, col: keyCol };
  }

  /**
   * The entry with `key` in the mapping `map`: its line and where its value
   * starts. The first one, unless keys may repeat (`lastKey`).
   */
  private findKey(map: Node, key: string): { line: number; valueCol: number } | number {
    let found: { line: number; valueCol: number } | undefined;
    const complete = this.eachKey(map, (line, k, valueCol) => {
      if (k !== key) return true;
      found = { line, valueCol };
      return this.lastKey;
    });
    if (found) return found;
    return complete ? ABSENT : UNSURE;
  }

  /**
   * Calls `f` for each entry of the mapping `map` until it returns false.
   * Returns false when it met a line it does not read.
   */
  private eachKey(map: Node, f: (line: number, key: string, valueCol: number) => boolean): boolean {
    for (let i = map.line; i < this.lines.length; i++) {
      const text = this.lines[i];
      if (i > map.line) {
        const ind = indentOf(text);
        if (ind === BLANK) continue;
        if (ind === TAB) return false;
        if (ind < map.col) break;
        if (ind > map.col) continue;
        if (text[ind] === '-' && isSep(text, ind + 1)) continue; // a list that is the value of the previous key
      }
      const k = keyAt(text, map.col);
      if (!k) return false; // not a key where a key must be
      if (k.key === '<<') return false; // merge key: the value comes from elsewhere
      if (!f(i, k.key, k.valueCol)) return true; // stopped by f
    }
    return true;
  }

  /** Item `index` of the list `seq`. */
  private findItem(seq: Node, index: number): Node | number {
    const items = this.itemsOf(seq);
    if (index < items.length) return items[index];
    return this.incomplete.has(`${seq.line}:${seq.col}`) ? UNSURE : ABSENT;
  }

  /**
   * Every item of the list `seq`, found in one pass and kept: locating the
   * findings on item after item of a long list (50,000 sources) reads the
   * list once, not once per finding.
   */
  private itemsOf(seq: Node): Array<Node | number> {
    const cacheKey = `${seq.line}:${seq.col}`;
    const cached = this.items.get(cacheKey);
    if (cached) return cached;
    const out: Array<Node | number> = [];
    for (let i = seq.line; i < this.lines.length; i++) {
      const text = this.lines[i];
      // the list's first line may hold it after other indicators ('- - x'): its '-' is at seq.col
      const ind = i === seq.line ? seq.col : indentOf(text);
      if (ind === BLANK) continue;
      if (ind === TAB) {
        this.incomplete.add(cacheKey); // items from here on are unknown
        break;
      }
      if (ind < seq.col) break;
      if (ind > seq.col) continue;
      if (!(text[ind] === '-' && isSep(text, ind + 1))) break; // the next key after a list at the key's indentation
      out.push(this.itemAt(seq, i, ind));
    }
    this.items.set(cacheKey, out);
    return out;
  }

  /** The item whose '-' is at (line, ind). */
  private itemAt(seq: Node, i: number, ind: number): Node | number {
    const text = this.lines[i];
    let j = ind + 1;
    while (text[j] === ' ') j++;
    if (text[j] === '\t') return UNSURE;
    if (j < text.length && text[j] !== '#') return this.nodeAt(i, j) ?? UNSURE;
    // the item is on the lines below, or empty
    for (let k = i + 1; k < this.lines.length; k++) {
      const ind2 = indentOf(this.lines[k]);
      if (ind2 === BLANK) continue;
      if (ind2 === TAB) return UNSURE;
      if (ind2 > seq.col) return this.nodeAt(k, ind2) ?? UNSURE;
      break;
    }
    return UNSURE; // an empty item: the syntax tree knows where it is
  }
}

/** Leading spaces of a line; BLANK for an empty or comment line; TAB when a tab indents it. */
function indentOf(text: string): number {
  let i = 0;
  while (text.charCodeAt(i) === 32) i++;
  if (i === text.length) return BLANK;
  const c = text[i];
  if (c === '#') return BLANK;
  if (c === '\t') return text.slice(i).trim() === '' ? BLANK : TAB;
  if (c === '\r' && i === text.length - 1) return BLANK;
  return i;
}

/** True when position i of text is a space, a tab or the end of the line. */
function isSep(text: string, i: number): boolean {
  return i >= text.length || text[i] === ' ' || text[i] === '\t';
}

/** Index just after the closing quote of the quoted scalar at `start`, or -1 when it does not close on this line. */
function quotedEnd(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (q === '"' && c === '\\') { i++; continue; }
    if (c === q) {
      if (q === "'" && text[i + 1] === "'") { i++; continue; }
      return i + 1;
    }
  }
  return -1;
}

/**
 * The key of a `key: value` line at column `col`: null when the line holds no
 * key there (a scalar, a list item), undefined when unsure.
 */
function keyAt(text: string, col: number): { key: string; valueCol: number } | null | undefined {
  const c = text[col];
  if (c === undefined) return null;
  if (c === '"' || c === "'") {
    const end = quotedEnd(text, col);
    if (end < 0) return undefined;
    let i = end;
    while (text[i] === ' ') i++;
    if (text[i] !== ':' || !isSep(text, i + 1)) return null;
    const inner = text.slice(col + 1, end - 1);
    if (c === '"' && inner.includes('\\')) return undefined;
    return { key: c === "'" ? inner.replace(/''/g, "'") : inner, valueCol: i + 1 };
  }
  if (c === '?' && isSep(text, col + 1)) return undefined; // complex key
  if (c === '-' && isSep(text, col + 1)) return null;
  if ('[{&*!'.includes(c)) return undefined; // a flow collection, alias, anchor or tag: maybe a key
  if ('|>#'.includes(c)) return null;
  if (',]}%@`'.includes(c)) return undefined;
  for (let i = col; i < text.length; i++) {
    const ch = text[i];
    if (ch === '#' && (text[i - 1] === ' ' || text[i - 1] === '\t')) return null; // a comment before any ':'
    if (ch === ':' && isSep(text, i + 1)) {
      const key = text.slice(col, i).replace(/[ \t]+$/, '');
      // a key like 'on' or '0644' is not a string for Kubernetes: leave it to the syntax tree
      if (typeof kubeScalar(key) !== 'string') return undefined;
      return { key, valueCol: i + 1 };
    }
  }
  return null;
}

/**
 * The 0-based line of the field at `pointer` in a `yaml` document, or ABSENT.
 * A mapping entry is on the line of its key (the last one, for a duplicate
 * key); a list item on the line where the item starts.
 */
export function astLine(doc: Y.Document, pointer: string, Yp: typeof Y, lineOf: (offset: number) => number): number {
  let node: unknown = doc.contents;
  if (!node) return ABSENT;
  let offset = (node as Y.Node).range?.[0];
  for (const seg of pointerSegments(pointer)) {
    // a field reached through an alias is reported at the alias (the item that copies it), not at its anchor
    if (Yp.isAlias(node)) return offset === undefined ? ABSENT : lineOf(offset);
    if (Yp.isMap(node)) {
      let hit: Y.Pair | undefined;
      for (const pair of node.items) {
        if (Yp.isScalar(pair.key) && String(pair.key.value) === seg) hit = pair;
      }
      if (!hit) return ABSENT;
      offset = (hit.key as Y.Node).range?.[0];
      node = hit.value;
    } else if (Yp.isSeq(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return ABSENT;
      const item = node.items[Number(seg)];
      if (item === undefined) return ABSENT;
      node = item;
      offset = (item as Y.Node | null)?.range?.[0] ?? offset;
    } else {
      return ABSENT;
    }
  }
  return offset === undefined ? ABSENT : lineOf(offset);
}
