// Every TypeScript block of README.md and docs/*.md is code that works as
// printed: either a complete program, which is type-checked exactly as shown
// (the repository's compiler options, strict, with `cdk8s-bound-tokens`
// mapped to src/index.ts) and then run, or an excerpt whose first line names
// the example it comes from (`// examples/deployment.ts`), whose lines are
// found, in order, in that file (the examples are synthesized by other tests).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { tmpdir } from '../util';
import { CodeBlock, codeBlocks, pages, ROOT } from './pages';

const EXAMPLE_COMMENT = /^\/\/ (examples\/[\w.-]+\.ts)\n/;

const blocks = pages().flatMap(p => codeBlocks(p)).filter(b => b.lang === 'ts' || b.lang === 'typescript');
const excerpts = blocks.filter(b => EXAMPLE_COMMENT.test(b.code));
const programs = blocks.filter(b => !EXAMPLE_COMMENT.test(b.code));
const where = (b: CodeBlock) => `${b.page}:${b.line}`;

/** Trimmed lines without blank ones: an excerpt may be indented differently from its example. */
const lines = (text: string) => text.split('\n').map(l => l.trim()).filter(l => l !== '');

/** The compiler options of the repository (tsconfig.dev.json), strict, with the package name mapped to the sources. */
function compilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.dev.json');
  const config = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, file);
  return {
    ...parsed.options,
    strict: true,
    noEmit: true,
    paths: { 'cdk8s-bound-tokens': [path.join(ROOT, 'src', 'index.ts')] },
  };
}

/** Where a program is compiled: a file that does not exist, next to the repository's node_modules. */
const virtualName = (b: CodeBlock) => path.join(ROOT, 'test', 'docs', '.snippets', `${b.page.replace(/[/.]/g, '_')}_line${b.line}.ts`);

/**
 * Blocks the checker must refuse, so that a passing check means something: the
 * advice and the Azure block the pages used to show (issue 18).
 */
const CANARIES: CodeBlock[] = [
  {
    page: 'canary/jsonpatch-advice',
    line: 1,
    lang: 'ts',
    code: [
      "import { App, Chart, JsonPatch } from 'cdk8s';",
      "import { TokenAdmissionPolicy } from 'cdk8s-bound-tokens';",
      'const app = new App();',
      "const policy = new TokenAdmissionPolicy(new Chart(app, 'c'), 'BoundTokens');",
      "policy.errorPolicy.addJsonPatch(JsonPatch.replace('/apiVersion', 'admissionregistration.k8s.io/v1beta1'));",
      'app.synth();',
      '',
    ].join('\n'),
  },
  {
    page: 'canary/azure-block',
    line: 1,
    lang: 'ts',
    code: "const app1 = new kplus.Deployment(chart, 'Reports', {\n  serviceAccount: account,\n",
  },
];

/** Type-checks every program at once; the diagnostics of each, as `line: message` (lines of the block). */
function typeCheck(): { byBlock: Map<CodeBlock, string[]>; other: string[] } {
  const options = compilerOptions();
  const files = new Map([...programs, ...CANARIES].map(b => [virtualName(b), b]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, onError, create) => {
    const b = files.get(path.resolve(name));
    return b ? ts.createSourceFile(name, b.code, language, true) : getSourceFile.call(host, name, language, onError, create);
  };
  host.fileExists = name => files.has(path.resolve(name)) || fileExists.call(host, name);
  host.readFile = name => files.get(path.resolve(name))?.code ?? readFile.call(host, name);
  const program = ts.createProgram([...files.keys()], options, host);
  const byBlock = new Map<CodeBlock, string[]>([...programs, ...CANARIES].map(b => [b, []]));
  const other: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const b = d.file ? files.get(path.resolve(d.file.fileName)) : undefined;
    if (b && d.file && d.start !== undefined) {
      byBlock.get(b)!.push(`line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1} of the block: ${text}`);
    } else {
      other.push(`${d.file?.fileName ?? '(options)'}: ${text}`);
    }
  }
  return { byBlock, other };
}

/** A module hook for running a program: `cdk8s-bound-tokens` is src/index.ts (through ts-node), everything else the repository's node_modules. */
function runner(): string {
  const dir = tmpdir('bt-docs-run-');
  const hook = path.join(dir, 'hook.js');
  fs.writeFileSync(hook, `
require(${JSON.stringify(path.join(ROOT, 'node_modules', 'ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, 'tsconfig.dev.json'))} });
const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'cdk8s-bound-tokens') return ${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))};
  return resolve.call(this, request, ...rest);
};
`);
  return hook;
}

describe('TypeScript blocks of README.md and docs/', () => {
  test('there are programs and excerpts to check, on the README and the guides', () => {
    expect(programs.length).toBeGreaterThanOrEqual(5);
    expect(excerpts.length).toBeGreaterThanOrEqual(5);
    expect(programs.map(b => b.page)).toContain('README.md');
  });

  describe('excerpts are the lines of the example they name', () => {
    test.each(excerpts.map(b => [where(b), b] as const))('%s', (_where, b) => {
      const [, example] = EXAMPLE_COMMENT.exec(b.code)!;
      const file = path.join(ROOT, example);
      expect([example, fs.existsSync(file)]).toEqual([example, true]);
      const wanted = lines(b.code.replace(EXAMPLE_COMMENT, '')).join('\n');
      const have = lines(fs.readFileSync(file, 'utf8')).join('\n');
      expect([wanted, have.includes(wanted)]).toEqual([wanted, true]);
    });
  });

  describe('complete programs', () => {
    const checked = typeCheck();

    test('the compiler options and the sources raise no error', () => {
      expect(checked.other).toEqual([]);
    });

    test.each(programs.map(b => [where(b), b] as const))('%s type-checks under strict, exactly as shown', (_where, b) => {
      expect(checked.byBlock.get(b)).toEqual([]);
    });

    test('the check refuses what the pages used to show: JsonPatch on an optional policy, a block cut off in an object literal', () => {
      const [jsonPatch, azure] = CANARIES.map(c => checked.byBlock.get(c)!.join('\n'));
      expect(jsonPatch).toContain("'policy.errorPolicy' is possibly 'undefined'");
      expect(azure).toContain("'}' expected");
      expect(azure).toContain("Cannot find name 'kplus'");
    });

    const hook = runner();
    test.each(programs.map(b => [where(b), b] as const))('%s runs and writes its manifests, without a warning', (_where, b) => {
      const dir = tmpdir('bt-docs-app-');
      const js = ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
      fs.writeFileSync(path.join(dir, 'main.js'), js);
      const r = spawnSync(process.execPath, ['-r', hook, 'main.js'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
      });
      const out = r.stdout + r.stderr;
      expect({ code: r.status, out }).toEqual({ code: 0, out: '' });
      const written = fs.readdirSync(path.join(dir, 'dist')).filter(f => f.endsWith('.k8s.yaml'));
      expect(written.length).toBeGreaterThan(0);
    });
  });
});
