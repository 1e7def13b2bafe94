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

/** A document that does not parse. */
export interface ParseError {
  /** 0-based line in the document. */
  readonly line: number;
  readonly col: number;
  readonly reason: string;
}

/** How often a line had to come from the `yaml` package's syntax tree (the slow path); for tests and the benchmark. */
export const documentStats = { locatedWithSyntaxTree: 0 };

/** True when a value read by js-yaml had a mapping or list for a key (js-yaml writes it as '[object Object]'). */
function hasCollectionKey(value: unknown, seen = new Set<object>()): boolean {
  if (!value || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) return value.some(v => hasCollectionKey(v, seen));
  for (const [k, v] of Object.entries(value)) {
    if (k === '[object Object]' || hasCollectionKey(v, seen)) return true;
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
      value = loadFast(text, true);
      this.scanner = new BlockScanner(text, true);
      const duplicates = this.scanner.duplicates();
      if (duplicates === undefined) {
        this.scanner = undefined;
        this.readWithAst();
        return;
      }
      this.duplicates = duplicates;
    }
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

  private readWithAst(): void {
    const Yp = yamlPackage();
    const text = this.chunk.text;
    const lc = new Yp.LineCounter();
    const doc = Yp.parseDocument(text, yamlOptions(lc));
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = lc.linePos(e.pos[0]);
      this.error = { line: pos.line - 1, col: pos.col, reason: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') };
      this.ast = null;
      return;
    }
    const lineOf = (o: number) => lc.linePos(o).line - 1;
    try {
      this.value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      this.error = { line: lineOf(doc.contents?.range?.[0] ?? 0), col: 1, reason: (e as Error).message };
      this.ast = null;
      return;
    }
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
