// One YAML document of a file or stream: its text, where it starts, how it
// reads, and the lines of its fields.
import type * as Y from 'yaml';
import { isTemplate, ptr, TemplateValue, templateStrings } from '../rules';
import { ABSENT, astLine, BlockScanner, UNSURE } from './locate';
import { isDuplicateKeyError, loadFast, yamlOptions, yamlPackage } from './yaml';

/** A document's text and the 0-based line of the file where it starts. */
export interface Chunk {
  readonly text: string;
  readonly line: number;
}

const MARKER = /^(---|\.\.\.)(?=[ \t\r\n]|$)/gm;

/** True when a text holds only blank lines, comments and directives. */
function onlyTrivia(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#') && !raw.startsWith('%')) return false;
  }
  return true;
}

/**
 * Splits a YAML stream into its documents at the `---` and `...` markers
 * (a line that starts with either is a marker even inside a scalar, by the
 * YAML spec). Comments and directives before a `---` belong to its document.
 */
export function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let afterMarker = false;
  let line = 0;
  let counted = 0;
  const lineAt = (offset: number) => {
    for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      counted = i + 1;
    }
    return line;
  };
  const emit = (end: number) => {
    const body = text.slice(start, end);
    if (afterMarker || !onlyTrivia(body)) chunks.push({ text: body, line: lineAt(start) });
  };
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text)) {
    if (m[1] === '---') {
      if (afterMarker || !onlyTrivia(text.slice(start, m.index))) {
        emit(m.index);
        start = m.index;
      }
      afterMarker = true;
    } else {
      emit(m.index);
      const nl = text.indexOf('\n', m.index);
      start = nl === -1 ? text.length : nl + 1;
      afterMarker = false;
    }
  }
  emit(text.length);
  return chunks;
}

/** A duplicate key: where the last one is, where the first was. */
export interface DuplicateKey {
  readonly path: string;
  readonly key: string;
  /** 0-based lines in the document. */
  readonly line: number;
  readonly firstLine: number;
}

/** A document that does not parse, or that the lint refuses to read. */
export interface ParseError {
  /** 0-based line in the document. */
  readonly line: number;
  readonly col: number;
  readonly reason: string;
  /** The document parses but expands beyond the limits (BT905), rather than not parsing (BT900). */
  readonly tooLarge?: boolean;
}

/** Nodes that YAML aliases may add to a document when expanded (a billion laughs adds 10^9). */
export const MAX_ALIAS_EXPANSION = 100_000;
/** The deepest nesting the lint reads (Kubernetes objects nest a few dozen levels). */
export const MAX_DEPTH = 1_000;

/**
 * How a value read with aliases as shared references expands: the number
 * of nodes a full copy would have beyond the distinct ones, and the depth.
 * Iterative (no recursion) and linear in the distinct nodes: each shared
 * node's expanded size is computed once. Stops as soon as a limit is passed.
 */
export function expansion(value: unknown): { extra: number; depth: number; over: 'aliases' | 'depth' | undefined } {
  const size = new Map<object, number>();
  let distinct = 0;
  let maxDepth = 0;
  // post-order walk with an explicit stack: [node, depth, children pushed?]
  const stack: Array<[object, number, boolean]> = [];
  if (value && typeof value === 'object') stack.push([value as object, 1, false]);
  const children = (o: object): unknown[] => (Array.isArray(o) ? o : Object.values(o));
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, depth, expanded] = top;
    if (size.has(node) && !expanded) {
      stack.pop();
      continue;
    }
    if (!expanded) {
      if (depth > maxDepth) maxDepth = depth;
      if (depth > MAX_DEPTH) return { extra: 0, depth, over: 'depth' };
      top[2] = true;
      size.set(node, -1); // in progress (a cycle cannot come from YAML aliases, but stay safe)
      for (const c of children(node)) {
        if (c && typeof c === 'object' && !size.has(c as object)) stack.push([c as object, depth + 1, false]);
      }
      continue;
    }
    stack.pop();
    distinct++;
    let n = 1;
    for (const c of children(node)) {
      if (c && typeof c === 'object') {
        n += Math.max(size.get(c as object) ?? 1, 1);
      } else {
        n++;
        distinct++; // a scalar is its own node, never shared
      }
    }
    size.set(node, n);
    if (n - distinct > MAX_ALIAS_EXPANSION) return { extra: n - distinct, depth: maxDepth, over: 'aliases' };
  }
  const total = value && typeof value === 'object' ? size.get(value as object) ?? 1 : 1;
  return { extra: Math.max(0, total - distinct), depth: maxDepth, over: undefined };
}

/** 'depth' when a value without shared nodes nests deeper than MAX_DEPTH (expansion, for a value read without aliases). Iterative. */
export function depthOver(value: unknown): 'depth' | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const nodes: object[] = [value as object];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_DEPTH) return 'depth';
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const c = node[i];
        if (c && typeof c === 'object') { nodes.push(c); depths.push(depth + 1); }
      }
    } else {
      for (const k in node) {
        const c = (node as any)[k];
        if (c && typeof c === 'object') { nodes.push(c); depths.push(depth + 1); }
      }
    }
  }
  return undefined;
}

/** How often a line had to come from the `yaml` package's syntax tree (the slow path); for tests and the benchmark. */
export const documentStats = { locatedWithSyntaxTree: 0 };

/** True when a value read by js-yaml had a mapping or list for a key (js-yaml writes it as '[object Object]'). Iterative. */
function hasCollectionKey(value: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (!v || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (k === '[object Object]') return true;
      stack.push((v as any)[k]);
    }
  }
  return false;
}

/** One document: its value as Kubernetes reads it, its duplicate keys and template values, and the lines of its fields (found on demand). */
export class Document {
  public value: unknown;
  public error?: ParseError;
  public duplicates: DuplicateKey[] = [];
  public templates: TemplateValue[] = [];
  private ast?: { doc: Y.Document; lineOf: (offset: number) => number } | null;
  private scanner?: BlockScanner;

  /**
   * @param chunk the document's text
   * @param json the file is JSON: when js-yaml refuses it, try JSON.parse
   * @param syntaxTree read with the `yaml` package's syntax tree only (the
   * reference the fast path is tested against)
   */
  constructor(public readonly chunk: Chunk, json = false, syntaxTree = false) {
    if (syntaxTree) {
      this.readWithAst();
      return;
    }
    const text = chunk.text;
    let value: unknown;
    try {
      value = loadFast(text);
    } catch (e) {
      if (e instanceof RangeError) {
        // js-yaml's own recursion: only a document nested thousands of levels deep gets here
        this.refuseTooDeep();
        return;
      }
      if (!isDuplicateKeyError(e)) {
        // a syntax error, or a construct only js-yaml refuses: ask JSON.parse or the `yaml` package
        if (json) {
          try {
            this.value = JSON.parse(text);
            return;
          } catch { /* the syntax tree tells where the error is */ }
        }
        this.readWithAst();
        return;
      }
      // duplicate keys: read again letting the last win, as Kubernetes does, and find them all by indentation
      try {
        value = loadFast(text, true);
      } catch {
        // a syntax error after the duplicate: the syntax tree tells where
        this.readWithAst();
        return;
      }
      this.scanner = new BlockScanner(text, true);
      const duplicates = this.scanner.duplicates();
      if (duplicates === undefined) {
        this.scanner = undefined;
        this.readWithAst();
        return;
      }
      this.duplicates = duplicates;
    }
    if (this.refuseIfTooLarge(value)) return;
    const braces = text.includes('{{');
    // an unquoted {{ x }} reads as a mapping with a mapping for key: only the syntax tree has its text
    if (braces && hasCollectionKey(value)) {
      this.scanner = undefined;
      this.duplicates = [];
      this.readWithAst();
      return;
    }
    this.value = value;
    if (braces || text.includes('$')) this.templates = templateStrings(value);
  }

  /**
   * True when the document holds `{{ }}` template syntax, which can make a
   * document YAML only once rendered (`{{- if }}`, `{{ toYaml }}`). A `${VAR}`
   * is a plain scalar: a document with one that does not parse is broken.
   */
  public hasTemplateSyntax(): boolean {
    return this.chunk.text.includes('{{');
  }

  /** 0-based line (in the document) of the first `{{`, or of the first content. */
  public firstTemplateLine(): number {
    const i = this.chunk.text.split('\n').findIndex(l => l.includes('{{'));
    return i >= 0 ? i : this.firstContentLine();
  }

  /**
   * 0-based line (in the document) of the field at `pointer`; when it is
   * absent, of its nearest enclosing field below `fallback` (the object's
   * start), and of `fallback` when none is found.
   */
  public lineOf(pointer: string, fallback: string): number {
    // an absent field (a missing audience) is reported at the nearest field that holds it
    // (its serviceAccountToken entry), never at the object's first line when closer is known
    for (let p = pointer; p.length > fallback.length && (p === pointer || p.startsWith(fallback)); p = p.slice(0, p.lastIndexOf('/'))) {
      const l = this.find(p);
      if (l >= 0) return l;
    }
    const f = this.find(fallback);
    return f >= 0 ? f : this.firstContentLine();
  }

  private find(pointer: string): number {
    if (!this.ast) {
      this.scanner ??= new BlockScanner(this.chunk.text);
      const l = this.scanner.line(pointer);
      if (l !== UNSURE) return l;
    }
    const ast = this.syntaxTree();
    if (!ast) return ABSENT;
    documentStats.locatedWithSyntaxTree++;
    return astLine(ast.doc, pointer, yamlPackage(), ast.lineOf);
  }

  private firstContentLine(): number {
    const lines = this.chunk.text.split('\n');
    const i = lines.findIndex(l => {
      const t = l.trim();
      return t !== '' && !t.startsWith('#') && !l.startsWith('%') && !/^---\s*(#.*)?$/.test(l);
    });
    return i >= 0 ? i : 0;
  }

  private syntaxTree(): { doc: Y.Document; lineOf: (offset: number) => number } | null {
    if (this.ast === undefined) {
      const Yp = yamlPackage();
      const lc = new Yp.LineCounter();
      const doc = Yp.parseDocument(this.chunk.text, yamlOptions(lc));
      this.ast = doc.errors.length === 0 ? { doc, lineOf: (o: number) => lc.linePos(o).line - 1 } : null;
    }
    return this.ast;
  }

  /** BT905 when the value expands beyond the limits; true when refused. */
  private refuseIfTooLarge(value: unknown): boolean {
    // without an alias (no '*' in the text) nothing is shared: only the depth can be over, and each
    // level of nesting starts at a character of its own, so a text of at most MAX_DEPTH characters is within it
    const text = this.chunk.text;
    if (text.length <= MAX_DEPTH && !text.includes('*')) return false;
    const x = text.includes('*') ? expansion(value) : { over: depthOver(value) };
    if (x.over === undefined) return false;
    this.value = undefined;
    this.scanner = undefined;
    this.duplicates = [];
    this.ast = null;
    this.error = {
      line: 0,
      col: 1,
      tooLarge: true,
      reason: x.over === 'aliases'
        ? `its YAML aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} extra nodes (an alias bomb)`
        : `it nests deeper than ${MAX_DEPTH.toLocaleString('en-US')} levels`,
    };
    return true;
  }

  private readWithAst(): void {
    try {
      this.readWithAstUnguarded();
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      // the parser's own recursion: only a document nested thousands of levels deep gets here
      this.refuseTooDeep();
    }
  }

  private refuseTooDeep(): void {
    this.value = undefined;
    this.templates = [];
    this.duplicates = [];
    this.scanner = undefined;
    this.ast = null;
    this.error = { line: 0, col: 1, tooLarge: true, reason: `it nests deeper than ${MAX_DEPTH.toLocaleString('en-US')} levels` };
  }

  private readWithAstUnguarded(): void {
    const Yp = yamlPackage();
    const text = this.chunk.text;
    const lc = new Yp.LineCounter();
    const doc = Yp.parseDocument(text, yamlOptions(lc));
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      if (/call stack/i.test(e.message)) {
        this.refuseTooDeep();
        return;
      }
      const pos = lc.linePos(e.pos[0]);
      this.error = { line: pos.line - 1, col: pos.col, reason: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') };
      this.ast = null;
      return;
    }
    const lineOf = (o: number) => lc.linePos(o).line - 1;
    try {
      this.value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      const message = (e as Error).message;
      this.error = /alias/i.test(message)
        ? { line: lineOf(doc.contents?.range?.[0] ?? 0), col: 1, tooLarge: true, reason: `its YAML aliases expand too far (${message})` }
        : { line: lineOf(doc.contents?.range?.[0] ?? 0), col: 1, reason: message };
      this.ast = null;
      return;
    }
    if (this.refuseIfTooLarge(this.value)) return;
    this.ast = { doc, lineOf };
    this.walk(doc.contents, '', Yp, lineOf);
  }

  /** Finds the duplicate keys and the template values in the syntax tree. */
  private walk(node: unknown, path: string, Yp: typeof Y, lineOf: (o: number) => number): void {
    const text = this.chunk.text;
    const visit = (v: unknown, p: string) => {
      if (Yp.isScalar(v)) {
        if (isTemplate(v.value)) this.templates.push({ path: p, text: v.value as string });
      } else if (Yp.isCollection(v)) {
        const src = v.range ? text.slice(v.range[0], v.range[1]).trim() : '';
        if (v.flow && src.startsWith('{{')) this.templates.push({ path: p, text: src });
        else this.walk(v, p, Yp, lineOf);
      }
    };
    if (Yp.isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const k = pair.key as Y.Node | null;
        let key: string;
        if (Yp.isScalar(k)) {
          if (isTemplate(k.value)) {
            this.templates.push({ path, text: String(k.value) });
            continue;
          }
          key = String(k.value);
        } else {
          const src = k?.range ? text.slice(k.range[0], k.range[1]).trim() : '';
          if (src.startsWith('{{')) this.templates.push({ path, text: src });
          continue;
        }
        const kp = path + ptr(key);
        const line = lineOf(k.range?.[0] ?? 0);
        const first = seen.get(key);
        if (first !== undefined) this.duplicates.push({ path: kp, key, line, firstLine: first });
        else seen.set(key, line);
        visit(pair.value, kp);
      }
    } else if (Yp.isSeq(node)) {
      node.items.forEach((item, i) => visit(item, `${path}/${i}`));
    }
  }
}
