// Output formats of the lint command: text (eslint-like), JSON, SARIF 2.1.0.
import * as path from 'path';
import { pathToFileURL } from 'url';
import { allRules, escapeControl, RuleDef } from '../rules';

export { escapeControl };
import { LintReport } from './lint';

export const FORMATS = ['text', 'json', 'sarif'] as const;
export type Format = typeof FORMATS[number];

/** The tool, for SARIF. */
export interface ToolInfo {
  readonly name: string;
  readonly version: string;
  readonly informationUri: string;
}

/** `Kind/namespace/name` of a finding's object, leaving out what it lacks; '-' for none. */
export function objectLabel(f: { kind: string | null; namespace: string | null; name: string | null }): string {
  const parts = [f.kind ?? (f.name ? '?' : null), f.namespace, f.name].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join('/') : '-';
}

/** A file name for the start of a text line: escaped, and never starting with ':' (a CI workflow command). */
function lineFile(file: string): string {
  const f = escapeControl(file);
  return f.startsWith(':') ? `./${f}` : f;
}

/** One line per finding, then one per notice, then a summary line: the text output in pieces (see formatText). */
export function* textChunks(report: LintReport, strict: boolean): Generator<string> {
  let errors = 0;
  const line = (f: LintReport['findings'][number]) => {
    const message = f.message.startsWith(`${f.ruleId}: `) ? f.message.slice(f.ruleId.length + 2) : f.message;
    return `${lineFile(f.file)}:${f.line}  ${f.level.padEnd(7)}  ${f.ruleId}  ${escapeControl(objectLabel(f))}  ${escapeControl(message)}\n`;
  };
  for (const f of report.findings) {
    if (f.level === 'error') errors++;
    yield line(f);
  }
  const notices = report.notices;
  for (const f of notices) yield line(f);
  const warnings = report.findings.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const checked = `${plural(report.filesChecked, 'file')}, ${plural(report.objectsChecked, 'object')} checked`;
  const acked = (report.acknowledged.length > 0 ? `; ${plural(report.acknowledged.length, 'warning')} acknowledged by annotation` : '')
    + (notices.length > 0 ? `; ${plural(notices.length, 'notice')} (what was not checked)` : '');
  const strictNote = strict && warnings > 0 ? ' (--strict: warnings count as errors)' : '';
  const summary = report.findings.length === 0
    ? `No problems: ${checked}${acked}`
    : `${plural(report.findings.length, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})${strictNote}: ${checked}${acked}`;
  yield (report.findings.length > 0 || notices.length > 0 ? '\n' : '') + summary + '\n';
}

/**
 * One line per finding, `file:line  level  rule  Kind/namespace/name  message`,
 * then a summary line. Control characters of the input are escapeControl'd.
 */
export function formatText(report: LintReport, strict: boolean): string {
  return [...textChunks(report, strict)].join('');
}

/** `JSON.stringify(value, null, 2)` with every line after the first indented by `indent` spaces. */
function indented(value: unknown, indent: number): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, '\n' + ' '.repeat(indent));
}

/**
 * Writes `head` (an object whose `arrayKey` is an empty list), streaming the
 * items into that list: the same text as JSON.stringify(…, null, 2) of the
 * whole, without building it as one string.
 */
function* streamedJson(head: unknown, marker: string, items: Iterable<unknown>): Generator<string> {
  const text = JSON.stringify(head, null, 2);
  const at = text.indexOf(marker);
  if (at < 0) throw new Error('internal: no list to stream into');
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const indent = at - lineStart;
  let first = true;
  for (const item of items) {
    yield (first ? text.slice(0, at + marker.length - 1) + '\n' : ',\n') + ' '.repeat(indent + 2) + indented(item, indent + 2);
    first = false;
  }
  yield (first ? text.slice(0, at + marker.length) : '\n' + ' '.repeat(indent) + ']') + text.slice(at + marker.length) + '\n';
}

function jsonFinding(f: LintReport['findings'][number]): unknown {
  return {
    ruleId: f.ruleId,
    level: f.level,
    file: f.file,
    line: f.line,
    kind: f.kind,
    name: f.name,
    namespace: f.namespace,
    path: f.path,
    message: f.message,
  };
}

function* jsonFindings(report: LintReport): Generator<unknown> {
  for (const f of report.findings) yield jsonFinding(f);
}

/** The JSON output in pieces of one finding each (so a million findings are never one string). */
export function jsonChunks(report: LintReport): Generator<string> {
  // notices are few (one per partial object or kustomize folder): written with the head
  const notices = report.notices.map(jsonFinding);
  return streamedJson({ findings: [], notices, filesChecked: report.filesChecked, objectsChecked: report.objectsChecked }, '"findings": []', jsonFindings(report));
}

/** The JSON output: exactly `{findings, notices, filesChecked, objectsChecked}`. */
export function formatJson(report: LintReport): string {
  return [...jsonChunks(report)].join('');
}

/** A file as a SARIF artifact URI: relative paths stay relative (GitHub resolves them against the repository). */
export function artifactUri(file: string): string {
  if (file === '-') return 'stdin';
  if (path.isAbsolute(file)) return pathToFileURL(file).href;
  return file.split(path.sep).map(encodeURIComponent).join('/');
}

/** The rules a manifest check can report (no construct-only rule). */
function manifestRules(): RuleDef[] {
  return allRules().filter(r => r.scope !== 'construct');
}

/** A level as SARIF names it: a notice is a 'note'. */
function sarifLevel(level: string): string {
  return level === 'notice' ? 'note' : level;
}

/** SARIF 2.1.0, one run, for GitHub code scanning, in pieces of one result each. */
export function sarifChunks(report: LintReport, tool: ToolInfo): Generator<string> {
  const rules = manifestRules();
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const head = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: tool.name,
          version: tool.version,
          informationUri: tool.informationUri,
          rules: rules.map(r => ({
            id: r.id,
            shortDescription: { text: r.cause },
            help: { text: `How to fix: ${r.fix}` },
            defaultConfiguration: { level: sarifLevel(r.level) },
          })),
        },
      },
      results: [],
    }],
  };
  function* results(): Generator<unknown> {
    for (const f of [...report.findings, ...report.notices]) {
      yield {
        ruleId: f.ruleId,
        ruleIndex: index.get(f.ruleId) ?? -1,
        level: sarifLevel(f.level),
        message: { text: f.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: artifactUri(f.file) },
            region: { startLine: f.line },
          },
          ...(f.kind || f.name ? { logicalLocations: [{ fullyQualifiedName: objectLabel(f), kind: 'resource' }] } : {}),
        }],
        properties: { path: f.path },
      };
    }
  }
  return streamedJson(head, '"results": []', results());
}

/** SARIF 2.1.0, one run, for GitHub code scanning. */
export function formatSarif(report: LintReport, tool: ToolInfo): string {
  return [...sarifChunks(report, tool)].join('');
}
