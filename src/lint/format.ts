// Output formats of the lint command: text (eslint-like), JSON, SARIF 2.1.0.
import * as path from 'path';
import { pathToFileURL } from 'url';
import { allRules, RuleDef } from '../rules';
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

/**
 * One line per finding, `file:line  level  rule  Kind/namespace/name  message`,
 * then a summary line.
 */
export function formatText(report: LintReport, strict: boolean): string {
  const lines = report.findings.map(f => {
    const message = f.message.startsWith(`${f.ruleId}: `) ? f.message.slice(f.ruleId.length + 2) : f.message;
    return `${f.file}:${f.line}  ${f.level.padEnd(7)}  ${f.ruleId}  ${objectLabel(f)}  ${message}`;
  });
  const errors = report.findings.filter(f => f.level === 'error').length;
  const warnings = report.findings.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const checked = `${plural(report.filesChecked, 'file')}, ${plural(report.objectsChecked, 'object')} checked`;
  const acked = report.acknowledged.length > 0 ? `; ${plural(report.acknowledged.length, 'warning')} acknowledged by annotation` : '';
  const strictNote = strict && warnings > 0 ? ' (--strict: warnings count as errors)' : '';
  const summary = report.findings.length === 0
    ? `No problems: ${checked}${acked}`
    : `${plural(report.findings.length, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})${strictNote}: ${checked}${acked}`;
  return (lines.length > 0 ? lines.join('\n') + '\n\n' : '') + summary + '\n';
}

/** The JSON output: exactly `{findings, filesChecked, objectsChecked}`. */
export function formatJson(report: LintReport): string {
  return JSON.stringify({
    findings: report.findings.map(f => ({
      ruleId: f.ruleId,
      level: f.level,
      file: f.file,
      line: f.line,
      kind: f.kind,
      name: f.name,
      namespace: f.namespace,
      path: f.path,
      message: f.message,
    })),
    filesChecked: report.filesChecked,
    objectsChecked: report.objectsChecked,
  }, null, 2) + '\n';
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

/** SARIF 2.1.0, one run, for GitHub code scanning. */
export function formatSarif(report: LintReport, tool: ToolInfo): string {
  const rules = manifestRules();
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const sarif = {
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
            defaultConfiguration: { level: r.level },
          })),
        },
      },
      results: report.findings.map(f => ({
        ruleId: f.ruleId,
        ruleIndex: index.get(f.ruleId) ?? -1,
        level: f.level,
        message: { text: f.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: artifactUri(f.file) },
            region: { startLine: f.line },
          },
          ...(f.kind || f.name ? { logicalLocations: [{ fullyQualifiedName: objectLabel(f), kind: 'resource' }] } : {}),
        }],
        properties: { path: f.path },
      })),
    }],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
