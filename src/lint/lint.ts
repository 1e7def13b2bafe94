// The lint engine: runs the rule catalogue over plain manifests, file by
// file, and gives every finding its file, line, object and JSON pointer.
// Shared by the `cdk8s-bound-tokens lint` command and the cdk8s-cli
// validation plugin. It must not load cdk8s, cdk8s-plus or constructs.
import {
  acknowledgements, applyTemplates, checkIssuerCount, checkObject, checkShape, checkVaultRoleAudiences, Finding, finding, findRule,
  isKubernetesAuthEngineRole, isMapping, isVaultAuth, Level, locatePodSpec, MANIFEST_STYLE, podSpecLocationOf, R, SELECTOR_KINDS, show,
  TokenLimits, WHOLE_OBJECT_RULES,
} from '../rules';
import { Document, splitDocuments } from './documents';
import { isKustomizationFile, SourceContext } from './kustomize';

/** One finding, located. The field order is the JSON output's. */
export interface LintFinding {
  readonly ruleId: string;
  readonly level: Level;
  /** The file as given (`-` for standard input). */
  readonly file: string;
  /** 1-based line of the offending field (of its nearest enclosing field where it is absent). */
  readonly line: number;
  readonly kind: string | null;
  /** metadata.name, or metadata.generateName. */
  readonly name: string | null;
  readonly namespace: string | null;
  /** JSON pointer into the object ('' for a finding about a whole document or file). */
  readonly path: string;
  readonly message: string;
}

export interface LintOptions {
  /** Rule ids not to report. */
  readonly disable?: ReadonlySet<string>;
  /**
   * Where the one-issuer rule (BT160) counts Authentication objects: per file
   * or stream (the lint command: a GitOps repository holds one per cluster),
   * or over the whole run (the validation plugin: one cdk8s app).
   * @default 'file'
   */
  readonly issuerScope?: 'file' | 'run';
  /**
   * Strict mode: also report the rules that plain manifests get only in
   * strict mode (BT151: the docs' and labs' bare Pods run as `default` on purpose).
   * @default false
   */
  readonly strict?: boolean;
  /**
   * The cluster's token limits (--max-token-expiration,
   * --no-extend-token-expiration): BT280, and BT104 on the lifetime the
   * cluster issues.
   * @default - none declared: lifetimes are judged as requested
   */
  readonly limits?: TokenLimits;
}

export interface LintReport {
  /** Findings in input order, then by line. */
  readonly findings: LintFinding[];
  /**
   * What the lint could not check, and how to check it (level 'notice': a
   * kustomize patch checked only in part, a folder of kustomize inputs), in
   * input order, then by line. Never problems: they fail no run.
   */
  readonly notices: LintFinding[];
  /** Warnings acknowledged by annotation (not in `findings`). */
  readonly acknowledged: LintFinding[];
  readonly filesChecked: number;
  /** Every object read, pod-spec carriers or not (a List counts as its items). */
  readonly objectsChecked: number;
}

/** One object of a document: a document's root, or an item of a List. */
interface Unit {
  readonly file: string;
  readonly order: number;
  readonly doc: Document;
  /** JSON pointer of the object in its document ('' or '/items/<i>'). */
  readonly base: string;
  readonly obj: any;
  /** What is known of the file beyond its text (kustomize). */
  readonly context?: SourceContext;
}

interface Pending {
  readonly unit: Unit;
  readonly finding: Finding;
  /** 0-based line in the document, when known without a lookup. */
  readonly line?: number;
}

function isList(v: unknown): v is { kind: string; items: unknown[] } {
  return isMapping(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Runs the rules over sources added one by one (files, or standard input). */
export class Linter {
  private readonly disable: ReadonlySet<string>;
  private readonly issuerScope: 'file' | 'run';
  private readonly strict: boolean;
  private readonly limits: TokenLimits | undefined;
  private readonly located: Array<{ order: number; f: LintFinding }> = [];
  private readonly noticed: Array<{ order: number; f: LintFinding }> = [];
  /** The kustomize folders already advised (BT907 once per folder). */
  private readonly kustomizeFolders = new Set<string>();
  private readonly acked: LintFinding[] = [];
  private readonly runIssuers: Unit[] = [];
  /** VaultAuths and Vault roles of the run (BT286 over the run, for the validation plugin). */
  private readonly runVault: Unit[] = [];
  private files = 0;
  private objects = 0;

  constructor(opts: LintOptions = {}) {
    this.disable = opts.disable ?? new Set();
    this.issuerScope = opts.issuerScope ?? 'file';
    this.strict = opts.strict === true;
    this.limits = opts.limits;
  }

  /**
   * Lints one file or stream. `file` is how the output names it; `context`
   * is what is known of it beyond its text (see KustomizeContext).
   */
  public addSource(file: string, text: string, context?: SourceContext): void {
    const order = this.files++;
    if (context?.kustomization !== undefined && context.kustomizeDir !== undefined) {
      this.adviseKustomize(order, context.kustomization, context.kustomizeDir);
    }
    // kustomize's own configuration is never applied (and needs no kind): it is read only for the context of the files beside it
    if (context?.kustomization !== undefined && isKustomizationFile(file)) return;
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const json = /\.json$/i.test(file);
    const chunks = json ? [{ text, line: 0 }] : splitDocuments(text);
    // each document is checked and located at once, so that it is garbage before the next one is
    // read (keeping a file's documents alive makes the garbage collector copy them): only the
    // Authentication objects wait for the end of the file (or run), for the one-issuer rule
    const issuerUnits: Unit[] = [];
    const vaultUnits: Unit[] = [];
    for (const chunk of chunks) {
      const doc = new Document(chunk, json);
      const root: Unit = { file, order, doc, base: '', obj: undefined, context };
      if (doc.error?.tooLarge) {
        const size = chunk.text.length > 1e6 ? `${(chunk.text.length / 1e6).toFixed(1)} MB` : `${chunk.text.length} characters`;
        this.locate([{ unit: root, finding: finding(R.INPUT_TOO_LARGE, '', 'document', `is not checked: ${doc.error.reason}`, `a document of ${size}`) }]);
        continue;
      }
      if (doc.error) {
        this.locate([doc.hasTemplateSyntax()
          ? { unit: root, line: doc.firstTemplateLine(), finding: finding(R.INPUT_TEMPLATE, '', 'document', 'holds unrendered template syntax and is not valid YAML until rendered, so it was not checked', `a syntax error at line ${chunk.line + doc.error.line + 1}`) }
          : { unit: root, line: doc.error.line, finding: finding(R.INPUT_PARSE, '', 'document', `is not valid ${json ? 'JSON' : 'YAML'} (${doc.error.reason})`, `a syntax error at line ${chunk.line + doc.error.line + 1}, column ${doc.error.col}`) }]);
        continue;
      }
      if (doc.value === undefined || doc.value === null) continue;
      const units: Unit[] = [];
      this.expand(doc, doc.value, '', file, order, units, context);
      const pending: Pending[] = [];
      // a List's template values and duplicate keys, by item: one pass, not one per item
      const byItem = units.length > 1 ? new Map<string, Unit>(units.map(u => [u.base, u])) : undefined;
      const itemOf = (p: string): Unit | undefined => {
        if (!byItem) return units[0]?.base === '' ? units[0] : (units[0] && (p === units[0].base || p.startsWith(units[0].base + '/')) ? units[0] : undefined);
        const m = /^\/items\/\d+/.exec(p);
        return m ? byItem.get(m[0]) : undefined;
      };
      const templates = new Map<Unit, Array<{ path: string; text: string }>>();
      for (const t of doc.templates) {
        const u = itemOf(t.path);
        if (!u) continue;
        let list = templates.get(u);
        if (!list) templates.set(u, list = []);
        list.push({ path: t.path.slice(u.base.length), text: t.text });
      }
      for (const unit of units) {
        for (const p of this.checkUnit(unit, templates.get(unit))) pending.push(p);
        if (isMapping(unit.obj) && unit.obj.kind === 'Authentication') issuerUnits.push(unit);
        if (isVaultAuth(unit.obj) || isKubernetesAuthEngineRole(unit.obj)) vaultUnits.push(unit);
      }
      // duplicate keys: reported on the object that holds them (or the document, for a List's own keys)
      for (const d of doc.duplicates) {
        const item = itemOf(d.path);
        const unit = item && item.base !== '' ? item : { ...root, obj: doc.value };
        const rel = d.path.slice(unit.base.length);
        const f = finding(R.INPUT_DUPLICATE_KEY, rel, d.key,
          `appears more than once in one mapping (first at line ${chunk.line + d.firstLine + 1}); the last value is the one Kubernetes reads and the one checked`,
          `a duplicate at line ${chunk.line + d.line + 1}`);
        pending.push({ unit, line: d.line, finding: withAck(f, unit.obj) });
      }
      this.locate(pending);
    }
    if (this.issuerScope === 'file') {
      this.locate(issuers(issuerUnits, 'file or stream'));
      this.locate(vaultRoles(vaultUnits));
    } else {
      for (const u of issuerUnits) this.runIssuers.push(u);
      for (const u of vaultUnits) this.runVault.push(u);
    }
  }

  /** The findings so far. */
  public report(): LintReport {
    if (this.issuerScope === 'run' && this.runIssuers.length > 0) {
      this.locate(issuers(this.runIssuers, 'app'));
      this.runIssuers.length = 0;
    }
    if (this.issuerScope === 'run' && this.runVault.length > 0) {
      this.locate(vaultRoles(this.runVault));
      this.runVault.length = 0;
    }
    const sorted = (list: Array<{ order: number; f: LintFinding }>) => list
      .map((x, i) => ({ ...x, i }))
      .sort((a, b) => a.order - b.order || a.f.line - b.f.line || a.i - b.i)
      .map(x => x.f);
    return {
      findings: sorted(this.located),
      notices: sorted(this.noticed),
      acknowledged: [...this.acked],
      filesChecked: this.files,
      objectsChecked: this.objects,
    };
  }

  /** BT907, once per folder: how to lint what kustomize renders. */
  private adviseKustomize(order: number, kustomization: string, dir: string): void {
    if (this.kustomizeFolders.has(dir) || this.disable.has(R.NOTICE_KUSTOMIZE_FOLDER.id)) return;
    this.kustomizeFolders.add(dir);
    const f = finding(R.NOTICE_KUSTOMIZE_FOLDER, '', dir,
      'holds a kustomization: its files are inputs of kustomize and were checked as they are written, not as kustomize renders them',
      'a kustomize folder', `lint what is applied: kubectl kustomize ${dir} | cdk8s-bound-tokens lint -`);
    this.noticed.push({ order, f: { ruleId: f.ruleId, level: f.level, file: kustomization, line: 1, kind: null, name: null, namespace: null, path: '', message: f.message } });
  }

  /** The objects of a document: itself, or the items of a List (a List's items are objects; a List in a List is one object). */
  private expand(doc: Document, value: unknown, base: string, file: string, order: number, out: Unit[], context: SourceContext | undefined): void {
    if (isList(value)) {
      for (let i = 0; i < value.items.length; i++) {
        this.objects++;
        out.push({ file, order, doc, base: `${base}/items/${i}`, obj: value.items[i], context });
      }
      return;
    }
    this.objects++;
    out.push({ file, order, doc, base, obj: value, context });
  }

  private checkUnit(unit: Unit, templates: ReadonlyArray<{ path: string; text: string }> | undefined): Pending[] {
    const obj = unit.obj;
    let findings: Finding[];
    const patchOf = unit.context?.patchOf;
    if (patchOf !== undefined && (!isMapping(obj) || typeof obj.kind !== 'string' || obj.kind === '')) {
      // a JSON 6902 patch (a list of operations), or a patch that names its target in the kustomization
      const dir = unit.context?.kustomizeDir;
      findings = [finding(R.NOTICE_PARTIAL_OBJECT, '', 'document',
        `is a patch without a kind of its own (${patchOf} lists its file as one), so it was not checked`,
        Array.isArray(obj) ? 'a list of patch operations' : 'a partial object',
        dir === undefined ? undefined : `lint the rendered objects: kubectl kustomize ${dir} | cdk8s-bound-tokens lint -`)];
    } else if (!isMapping(obj)) {
      findings = [finding(R.INPUT_NOT_OBJECT, '', 'document', 'is not a Kubernetes object (a mapping with apiVersion and kind), so it was not checked',
        Array.isArray(obj) ? 'a list' : show(obj))];
    } else if (typeof obj.kind !== 'string' || obj.kind === '') {
      findings = [withAck(obj.kind === undefined
        ? finding(R.INPUT_NOT_OBJECT, '', 'kind', 'is not set, so this is not a Kubernetes object and it was not checked', 'nothing')
        : finding(R.INPUT_NOT_OBJECT, '/kind', 'kind', 'must be a non-empty string, so this is not a Kubernetes object and it was not checked', show(obj.kind)), obj)];
    } else {
      const shape = checkShape(obj);
      findings = shape.length > 0 ? shape : checkObject(obj, { style: MANIFEST_STYLE, strict: this.strict, limits: this.limits });
      if (templates && templates.length > 0) {
        findings = applyTemplates(obj, findings, templates).map(f => withAck(f, obj));
      }
      const partial = shape.length === 0 ? whyPartial(obj, unit.context) : undefined;
      if (partial !== undefined) {
        findings = findings.filter(f => !WHOLE_OBJECT_RULES.has(f.ruleId));
        const dir = unit.context?.kustomizeDir;
        findings.push(finding(R.NOTICE_PARTIAL_OBJECT, '', 'object',
          `${partial}, so it was checked only for what it holds: its volumes, mounts and security context may live elsewhere, and the rules that conclude from something absent (${[...WHOLE_OBJECT_RULES].sort().join(', ')}) were not run`,
          'a partial object', dir === undefined ? undefined : `lint the rendered object: kubectl kustomize ${dir} | cdk8s-bound-tokens lint -`));
      }
    }
    return findings.map(f => ({ unit, finding: f }));
  }

  private locate(pending: Pending[]): void {
    for (const p of pending) {
      const { unit, finding: f } = p;
      if (this.disable.has(f.ruleId)) continue;
      if (!this.strict && findRule(f.ruleId)?.lintStrictOnly) continue;
      const local = p.line ?? unit.doc.lineOf(unit.base + f.path, unit.base);
      const obj = isMapping(unit.obj) ? unit.obj : undefined;
      const meta = isMapping(obj?.metadata) ? obj!.metadata : undefined;
      const located: LintFinding = {
        ruleId: f.ruleId,
        level: f.level,
        file: unit.file,
        line: unit.doc.chunk.line + local + 1,
        kind: str(obj?.kind),
        name: str(meta?.name) ?? str(meta?.generateName),
        namespace: str(meta?.namespace),
        path: f.path,
        message: f.message,
      };
      if (f.acknowledged !== undefined && f.level === 'warning') this.acked.push(located);
      else if (f.level === 'notice') this.noticed.push({ order: unit.order, f: located });
      else this.located.push({ order: unit.order, f: located });
    }
  }
}

/** Marks a warning acknowledged when the annotation is where the pods get it (acknowledgements in src/rules/manifest.ts). */
function withAck(f: Finding, obj: unknown): Finding {
  if (f.level !== 'warning' || !isMapping(obj)) return f;
  const reason = acknowledgements(obj, podSpecLocationOf(obj)).get(f.ruleId);
  return reason === undefined ? f : { ...f, acknowledged: reason };
}

function issuers(units: readonly Unit[], where: string): Pending[] {
  const found = checkIssuerCount(units.map(u => u.obj), where);
  return [...found].map(([i, f]) => ({ unit: units[i], finding: f }));
}

/** BT286: the VaultAuths of one file (or run) that miss the audience of a Vault role declared beside them. */
function vaultRoles(units: readonly Unit[]): Pending[] {
  if (units.length < 2) return [];
  return checkVaultRoleAudiences(units.map(u => u.obj)).map(([i, f]) => ({ unit: units[i], finding: withAck(f, units[i].obj) }));
}

/** True for the API groups whose pod specs the API server validates as a pod's (core, apps, batch); other kinds (Knative, Argo) default fields themselves. */
function corePodCarrier(obj: any): boolean {
  const v = obj.apiVersion;
  return v === 'v1' || (typeof v === 'string' && (v.startsWith('apps/') || v.startsWith('batch/')));
}

/**
 * Why an object that carries a pod spec cannot be whole, or undefined when it
 * can: its file is a kustomize patch, or it lacks a field that every applied
 * object of its kind has (the API server refuses it without, so it is meant
 * to be merged into one that has it).
 */
export function whyPartial(obj: any, context: SourceContext | undefined): string | undefined {
  const loc = locatePodSpec(obj);
  if (!loc) return undefined;
  if (context?.patchOf !== undefined) return `is a patch (${context.patchOf} lists its file as one)`;
  const meta = obj.metadata;
  const named = isMapping(meta) && ((typeof meta.name === 'string' && meta.name !== '') || (typeof meta.generateName === 'string' && meta.generateName !== ''));
  if (!named) return 'has no metadata.name, which every applied object has (a patch, or a template a tool fills in)';
  if (!corePodCarrier(obj)) return undefined;
  if (SELECTOR_KINDS.includes(obj.kind) && String(obj.apiVersion).startsWith('apps/') && !isMapping(obj.spec?.selector)) {
    return `has no spec.selector, which the API server requires of every ${obj.kind} (a patch, or a fragment)`;
  }
  return undefined;
}
