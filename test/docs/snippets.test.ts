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
import * as YAML from 'yaml';
import { tmpdir } from '../util';
import { CodeBlock, codeBlocks, pages, read, ROOT } from './pages';

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

/**
 * Runs every program in one Node.js process (loading the sources once), each
 * as its own module in its own working directory, as `node main.js` would run
 * it there: `cdk8s-bound-tokens` is src/index.ts (through ts-node), everything
 * else the repository's node_modules. Returns, per directory, what the program
 * printed and the error it threw.
 */
function runAll(dirs: string[]): Map<string, { out: string; error?: string }> {
  const script = path.join(tmpdir('bt-docs-run-'), 'run.js');
  fs.writeFileSync(script, `
require(${JSON.stringify(path.join(ROOT, 'node_modules', 'ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(ROOT, 'tsconfig.dev.json'))} });
const fs = require('fs');
const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'cdk8s-bound-tokens') return ${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))};
  return resolve.call(this, request, ...rest);
};
const results = {};
const write = { out: process.stdout.write, err: process.stderr.write };
for (const dir of process.argv.slice(2)) {
  let out = '';
  process.stdout.write = process.stderr.write = (chunk) => { out += chunk; return true; };
  process.chdir(dir);
  try {
    require(dir + '/main.js');
    results[dir] = { out };
  } catch (e) {
    results[dir] = { out, error: String(e && e.stack || e) };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}
process.stdout.write(JSON.stringify(results));
`);
  const r = spawnSync(process.execPath, [script, ...dirs], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`the program runner failed (${r.status}): ${r.stderr}`);
  return new Map(Object.entries(JSON.parse(r.stdout)));
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

    /** The code lines of an app: no blank lines, comments, imports or the final synth; `new App()` as the examples write it. */
    const appCode = (text: string) => lines(text)
      .filter(l => !l.startsWith('//') && !l.startsWith('import ') && l !== 'app.synth();' && !l.startsWith('export ') && !l.startsWith('return app;'))
      .map(l => l.replace(/\s+\/\/ .*$/, '').replace('new App()', 'new App({ outdir })'))
      .join('\n');
    const sameAs = programs.flatMap(b => {
      const text = read(b.page);
      const before = text.split('\n').slice(Math.max(0, b.line - 4), b.line - 1).join('\n');
      const m = /`(examples\/[\w.-]+\.ts)` is the same app/.exec(before);
      return m ? [[where(b), m[1], b] as const] : [];
    });
    test('some programs are the app of an example', () => {
      expect(sameAs.length).toBeGreaterThanOrEqual(2);
    });
    test.each(sameAs)('%s is the app of %s, as the page says', (_where, example, b) => {
      const program = appCode(b.code);
      expect(appCode(fs.readFileSync(path.join(ROOT, example), 'utf8'))).toContain(program);
    });

    const runs = programs.map(b => {
      const dir = tmpdir('bt-docs-app-');
      const js = ts.transpileModule(b.code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
      fs.writeFileSync(path.join(dir, 'main.js'), js);
      return [where(b), dir] as const;
    });
    let results: Map<string, { out: string; error?: string }>;
    beforeAll(() => {
      results = runAll(runs.map(([, dir]) => dir));
    });

    test("the README's smallest example renders what the README says", () => {
      const [, dir] = runs.find(([w]) => w.startsWith('README.md:'))!;
      const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, 'dist', 'vault-pod.k8s.yaml'), 'utf8')).map(d => d.toJS());
      const pod = docs.find(d => d.kind === 'Pod');
      expect(pod.spec.serviceAccountName).toBe('build-robot');
      expect(pod.spec.volumes.find((v: any) => v.name === 'vault-token')).toEqual({
        name: 'vault-token',
        projected: { sources: [{ serviceAccountToken: { path: 'vault-token', expirationSeconds: 7200, audience: 'vault' } }] },
      });
      expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'vault-token', mountPath: '/var/run/secrets/tokens', readOnly: true });
    });

    test('the v1beta1 program of docs/admission-policy.md writes the four objects as v1beta1', () => {
      const [, dir] = runs.find(([w], i) => w.startsWith('docs/admission-policy.md:') && programs[i].code.includes('v1beta1'))!;
      const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, 'dist', 'admission-policy-v1beta1.k8s.yaml'), 'utf8')).map(d => d.toJS());
      expect(docs.map(d => `${d.apiVersion} ${d.kind}`)).toEqual([
        'admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy',
        'admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicyBinding',
        'admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy',
        'admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicyBinding',
      ]);
    });

    test.each(runs)('%s runs and writes its manifests, without a warning', (_where, dir) => {
      expect(results.get(dir)).toEqual({ out: '' });
      const written = fs.readdirSync(path.join(dir, 'dist')).filter(f => f.endsWith('.k8s.yaml'));
      expect(written.length).toBeGreaterThan(0);
    });
  });
});
