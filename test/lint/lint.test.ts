import * as fs from 'fs';
import * as fc from 'fast-check';
import * as jsyaml from 'js-yaml';
import * as YAML from 'yaml';
import { Document, documentStats, splitDocuments } from '../../src/lint/documents';
import { Linter, LintFinding, LintOptions } from '../../src/lint/lint';
import { ABSENT, astLine, BlockScanner, UNSURE } from '../../src/lint/locate';
import { kubeScalar, loadFast, yamlOptions } from '../../src/lint/yaml';
import { expectedAcknowledged, expectedFindings, fixtureFiles, markedIds, MANIFEST_FIXTURES_DIR, readFixtures } from '../fixtures/expect';

// The fixture pins a finding by its line (which also pins its field and its object) and rule id; the level is the catalogue's.
const pinned = (f: LintFinding) => ({ line: f.line, ruleId: f.ruleId, level: f.level });
const MANIFESTS = readFixtures(MANIFEST_FIXTURES_DIR);

function lint(text: string, file = 'in.yaml', opts: LintOptions = {}) {
  const linter = new Linter(opts);
  linter.addSource(file, text);
  return linter.report();
}

/** A Pod with one token volume mounted in one container; `token` replaces the token source. */
function pod(token: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  serviceAccountName: app
  containers:
    - name: app
      volumeMounts:
        - name: tok
          mountPath: /var/run/secrets/tokens
  volumes:
    - name: tok
      projected:
        sources:
          - serviceAccountToken:
${token.split('\n').map(l => '              ' + l).join('\n')}
${extra}`;
}

describe('the fixtures and their expected findings', () => {
  for (const fx of MANIFESTS) {
    test(`${fx.file}: ${fx.description}`, () => {
      // by default and with --strict (which adds the rules the catalogue marks lintStrictOnly)
      for (const strict of [false, true]) {
        const r = lint(fx.text, fx.file, { strict });
        expect({ strict, findings: r.findings.map(pinned) }).toEqual({ strict, findings: expectedFindings(fx, { strict }) });
        expect({ strict, acknowledged: r.acknowledged.map(pinned) }).toEqual({ strict, acknowledged: expectedAcknowledged(fx, { strict }) });
        expect(r.objectsChecked).toBe(fx.objects);
        expect(r.filesChecked).toBe(1);
        for (const f of r.findings) {
          expect(f.file).toBe(fx.file);
          expect(f.message.startsWith(`${f.ruleId}: '`)).toBe(true);
        }
      }
    });
  }

  test('every manifest in the fixture folder states how many objects it holds, and every .expect file belongs to a JSON fixture', () => {
    expect(MANIFESTS.map(f => f.file)).toEqual(fixtureFiles(MANIFEST_FIXTURES_DIR));
    expect(MANIFESTS.filter(f => f.objects === undefined).map(f => f.file)).toEqual([]);
    const sidecars = fs.readdirSync(MANIFEST_FIXTURES_DIR).filter(f => f.endsWith('.expect'));
    expect(sidecars).toEqual(MANIFESTS.filter(f => f.file.endsWith('.json')).map(f => `${f.file}.expect`));
  });

  test('every rule of issue 6 (BT900-BT904) is shown by a fixture', () => {
    const ids = new Set(MANIFESTS.flatMap(fx => markedIds(fx).expect));
    for (const id of ['BT900', 'BT901', 'BT902', 'BT903', 'BT904']) expect(ids).toContain(id);
  });

  test('the block scanner locates every finding of the block-style fixtures without a syntax tree (the fast path)', () => {
    for (const fx of MANIFESTS) {
      const text = fx.text;
      const file = fx.file;
      // JSON, templates, duplicate keys and syntax errors are read with the syntax tree anyway
      const needsTree = file.endsWith('.json') || text.includes('{{') || markedIds(fx).expect.some(x => ['BT900', 'BT903'].includes(x));
      if (needsTree) continue;
      const before = documentStats.locatedWithSyntaxTree;
      lint(text, file);
      expect({ file, trees: documentStats.locatedWithSyntaxTree - before }).toEqual({ file, trees: 0 });
    }
  });
});

describe('input rules', () => {
  test('fails when a document does not parse (BT900), and still checks the next', () => {
    const r = lint('kind: Pod\nmetadata: {name: a\n---\n' + pod('path: /abs\naudience: v'));
    expect(r.findings.map(f => [f.ruleId, f.line])).toEqual([['BT900', 3], ['BT111', 20]]);
    expect(r.findings[0].message).toContain("BT900: 'document' is not valid YAML");
    expect(r.findings[0].message).toContain('got a syntax error at line 3');
  });

  test('fails when a JSON file does not parse (BT900)', () => {
    const r = lint('{\n  "kind": "Pod",\n  "spec": {\n}\n', 'x.json');
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT900']);
    expect(r.findings[0].message).toContain('is not valid JSON');
  });

  test('warns when a document has no kind (BT901) and counts it', () => {
    const r = lint('apiVersion: v1\nmetadata:\n  name: x\n');
    expect(r.findings.map(f => [f.ruleId, f.level, f.line, f.path])).toEqual([['BT901', 'warning', 1, '']]);
    expect(r.findings[0].message).toContain("BT901: 'kind' is not set, so this is not a Kubernetes object");
    expect(r.objectsChecked).toBe(1);
  });

  test('other kinds are counted and skipped, without findings', () => {
    const r = lint('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  path: /abs\n');
    expect(r.findings).toEqual([]);
    expect(r.objectsChecked).toBe(1);
  });

  test('fails when volumes is not a list (BT902), and checks the object no further', () => {
    const r = lint('kind: Pod\nspec:\n  volumes: {}\n  containers:\n    - name: a\n      volumeMounts: [{name: x, mountPath: y}]\n');
    expect(r.findings.map(f => [f.ruleId, f.line, f.path])).toEqual([['BT902', 3, '/spec/volumes']]);
    expect(r.findings[0].message).toContain("BT902: 'volumes' must be a list, so the object was not checked further, got a mapping");
  });

  test('fails when a token source is not a mapping (BT902)', () => {
    const r = lint(pod('"token"').replace('- serviceAccountToken:\n              "token"', '- serviceAccountToken: token'));
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT902']);
    expect(r.findings[0].message).toContain("'serviceAccountToken' must be a mapping");
    expect(r.findings[0].message).toContain("got a string 'token'");
  });

  test('null fields are not of the wrong shape (the API server reads null as absent)', () => {
    const r = lint('kind: Pod\nmetadata:\n  name: a\nspec:\n  serviceAccountName: a\n  volumes:\n  containers: ~\n');
    expect(r.findings).toEqual([]);
  });

  test('warns on a duplicate key (BT903) and checks the last value', () => {
    const r = lint(pod('path: token\naudience: vault\naudience: "a, b"'));
    expect(r.findings.map(f => [f.ruleId, f.line])).toEqual([['BT121', 19], ['BT903', 19]]);
    expect(r.findings[1].message).toContain("BT903: 'audience' appears more than once in one mapping (first at line 18)");
  });

  test('a duplicate key in a List item is reported on the item', () => {
    const r = lint('kind: List\nitems:\n- kind: ConfigMap\n  metadata:\n    name: a\n    name: b\n');
    expect(r.findings.map(f => [f.ruleId, f.line, f.path, f.name])).toEqual([['BT903', 6, '/metadata/name', 'b']]);
  });

  test('warns once on template values the rules read (BT904), never as broken values', () => {
    const r = lint(pod('path: "{{ .Values.path }}"\naudience: "{{ .Values.audience }}"\nexpirationSeconds: {{ .Values.exp }}'));
    expect(r.findings.map(f => [f.ruleId, f.level, f.line, f.path])).toEqual([
      ['BT904', 'warning', 17, '/spec/volumes/0/projected/sources/0/serviceAccountToken/path'],
    ]);
    expect(r.findings[0].message).toContain("BT904: 'path' is an unrendered template, so it was not checked (and 2 more template values the rules read), got '{{ .Values.path }}'");
  });

  test('a template only in fields the rules do not read keeps the object checked, without BT904', () => {
    const r = lint(pod('path: /abs\naudience: v').replace('- name: app\n', '- name: app\n      image: "{{ .Values.image }}"\n      command: ["sh", "-c", "echo ${HOME}"]\n'));
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT111']);
  });

  test('a template in a volume name silences the name cross-references, not the other rules', () => {
    const r = lint(pod('path: ../t\naudience: v').replace('- name: tok\n      projected', '- name: ${NAME}\n      projected'));
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT904', 'BT112']);
  });

  test('a document that is a template and not YAML is one BT904, not BT900', () => {
    const r = lint('{{- if .Values.x }}\nkind: Pod\n{{- end }}\n');
    expect(r.findings.map(f => [f.ruleId, f.level, f.line])).toEqual([['BT904', 'warning', 1]]);
    expect(r.findings[0].message).toContain('holds unrendered template syntax and is not valid YAML until rendered');
  });

  test('fails when a document with ${VAR} values does not parse: that is broken YAML (BT900), not a template', () => {
    const r = lint('kind: Pod\nmetadata:\n  name: ${NAME}\n  labels: {a: b\n');
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT900']);
  });

  test('clean input has no input findings (compliant case of BT900-BT904)', () => {
    const r = lint(pod('path: token\naudience: vault'));
    expect(r.findings).toEqual([]);
  });
});

describe('how the lint reads manifests', () => {
  test('reads plain scalars as Kubernetes does (YAML 1.1 like go-yaml): octal modes, yes/no, 1_000', () => {
    expect(kubeScalar('0400')).toBe(256);
    expect(kubeScalar('0644')).toBe(420);
    expect(kubeScalar('0o644')).toBe(420);
    expect(kubeScalar('0x1F')).toBe(31);
    expect(kubeScalar('1_000')).toBe(1000);
    expect(kubeScalar('08')).toBe(8);
    expect(kubeScalar('3.6e3')).toBe(3600);
    expect(kubeScalar('yes')).toBe(true);
    expect(kubeScalar('Off')).toBe(false);
    expect(kubeScalar('~')).toBe(null);
    expect(kubeScalar('2001-12-14')).toBe('2001-12-14');
    expect(kubeScalar('1:20')).toBe('1:20');
    expect(kubeScalar('_1')).toBe('_1');
  });

  test('a defaultMode written in octal is checked as octal (0777 valid, 0778 out of range)', () => {
    const ok = lint(pod('path: t\naudience: v').replace('projected:\n', 'projected:\n        defaultMode: 0777\n'));
    expect(ok.findings).toEqual([]);
    const bad = lint(pod('path: t\naudience: v').replace('projected:\n', 'projected:\n        defaultMode: 01000\n'));
    expect(bad.findings.map(f => f.ruleId)).toEqual(['BT131']);
    expect(bad.findings[0].message).toContain('got 512 (01000)');
  });

  test('js-yaml and the yaml package read every plain scalar the same way (property)', () => {
    const Y = YAML;
    fc.assert(fc.property(
      fc.stringOf(fc.constantFrom(...'0123456789abeoxABEOXyYnN_.+-:~tTrRuUfFlLsS '.split('')), { minLength: 1, maxLength: 8 }),
      raw => {
        const text = `v: ${raw}\n${raw}: v\n`;
        let fast: any;
        try {
          fast = loadFast(text);
        } catch {
          return; // not a plain scalar both parsers take
        }
        const doc = Y.parseDocument(text, yamlOptions());
        if (doc.errors.length > 0) return;
        const slow: any = doc.toJS();
        expect(Object.is(fast.v, slow.v) || (Number.isNaN(fast.v) && Number.isNaN(slow.v))).toBe(true);
        // a key that reads as null is '' for one parser and 'null' for the other; no manifest has one
        if (kubeScalar(raw.trim()) !== null) expect(Object.keys(fast)).toEqual(Object.keys(slow));
        if (raw === raw.trim() && !/^[-?:,[\]{}#&*!|>'"%@`]|: | #/.test(raw)) {
          const k = kubeScalar(raw);
          expect(Object.is(fast.v, k) || (Number.isNaN(fast.v) && Number.isNaN(k as number))).toBe(true);
        }
      }), { numRuns: 3000 });
  });

  test('splits a stream at --- and ... and keeps the line where each document starts', () => {
    const text = '# head\n%YAML 1.1\n---\na: 1\n--- # two\nb: 2\n...\n# gap\n---\nc: |\n  x\n---\n\r\nd: 4\r\n';
    const chunks = splitDocuments(text);
    // comments between '...' and '---' belong to the next document
    expect(chunks.map(c => c.line)).toEqual([0, 4, 7, 11]);
    expect(chunks.map(c => jsyaml.load(c.text))).toEqual([{ a: 1 }, { b: 2 }, { c: 'x\n' }, { d: 4 }]);
  });

  test('a line starting with --- ends the document even inside a block scalar (YAML spec)', () => {
    const chunks = splitDocuments('a: |\n  x\n---\nb: 2\n');
    expect(chunks.map(c => c.line)).toEqual([0, 2]);
  });

  test('counts a List as its items and checks each with paths relative to the item', () => {
    const r = lint('kind: PodList\nitems:\n- ' + pod('path: /x\naudience: v').split('\n').join('\n  '));
    expect(r.objectsChecked).toBe(1);
    expect(r.findings.map(f => [f.ruleId, f.line, f.path])).toEqual([
      ['BT111', 19, '/spec/volumes/0/projected/sources/0/serviceAccountToken/path'],
    ]);
  });

  test('the one-issuer rule (BT160) counts per file or stream, not across files', () => {
    const auth = 'apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n  serviceAccountIssuer: https://i.example.com\n';
    const linter = new Linter();
    linter.addSource('cluster-a.yaml', auth);
    linter.addSource('cluster-b.yaml', auth);
    expect(linter.report().findings).toEqual([]);
    const one = lint(auth + '---\n' + auth);
    expect(one.findings.map(f => [f.ruleId, f.line])).toEqual([['BT160', 4], ['BT160', 11]]);
    expect(one.findings[0].message).toBe("BT160: 'metadata.name' is 'cluster' on 2 Authentication objects of this file or stream, and the last one applied silently wins, got object 1 of 2; keep exactly one Authentication named cluster per file or stream");
  });

  test("the one-issuer rule counts over the whole run with issuerScope 'run' (the plugin: one app)", () => {
    const auth = 'apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec: {}\n';
    const linter = new Linter({ issuerScope: 'run' });
    linter.addSource('a.yaml', auth);
    linter.addSource('b.yaml', auth);
    expect(linter.report().findings.map(f => [f.ruleId, f.file])).toEqual([['BT160', 'a.yaml'], ['BT160', 'b.yaml']]);
  });

  test('the construct-only issuer-change warning (BT165) and BT150 are never reported', () => {
    const r = lint('apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n  serviceAccountIssuer: https://new.example.com\n---\n'
      + 'kind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n');
    expect(r.findings).toEqual([]);
  });

  test('the service-account rule (BT151) applies in strict mode only, to bare Pods and workloads alike', () => {
    const text = pod('path: t\naudience: v').replace('  serviceAccountName: app\n', '');
    // the docs' and labs' bare Pods run as 'default' on purpose: not reported by default
    expect(lint(text).findings).toEqual([]);
    const bare = lint(text, 'in.yaml', { strict: true });
    expect(bare.findings.map(f => [f.ruleId, f.level, f.line])).toEqual([['BT151', 'warning', 5]]);
    expect(bare.findings[0].message).toContain("BT151: 'serviceAccountName' is not set on a pod that projects a token (volume 'tok')");
    // a whole Deployment (a name and a selector: a partial object gets only BT906)
    const template = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    spec:\n      containers:\n        - name: a\n          volumeMounts: [{name: t, mountPath: /t}]\n'
      + '      volumes:\n        - name: t\n          projected:\n            sources: [{serviceAccountToken: {path: t, audience: v}}]\n';
    // a Deployment's pods run as 'default' alike: reported in strict mode, not by default
    expect(lint(template).findings).toEqual([]);
    const workload = lint(template, 'in.yaml', { strict: true });
    expect(workload.findings.map(f => [f.ruleId, f.level, f.line])).toEqual([['BT151', 'warning', 8]]);
  });

  test('disabled rules are not reported', () => {
    const r = lint(pod('path: /abs'), 'in.yaml', { disable: new Set(['BT111', 'BT120']) });
    expect(r.findings).toEqual([]);
  });

  test('lines in CRLF files and after a byte order mark', () => {
    const r = lint('\ufeff' + pod('path: /abs\naudience: v').replace(/\n/g, '\r\n'));
    expect(r.findings.map(f => [f.ruleId, f.line])).toEqual([['BT111', 17]]);
  });
});

/** Every JSON pointer of a value (objects and lists), in document order. */
function pointers(value: unknown, base = ''): string[] {
  const out = [base];
  if (Array.isArray(value)) {value.forEach((v, i) => out.push(...pointers(v, `${base}/${i}`)));} else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pointers(v, `${base}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  return out;
}

describe('line numbers', () => {
  const KEYS = ['a', 'name', 'spec', 'with space', 'dash-key', 'slash/key', 'dot.key', 'q"uote', "s'quote", 'colon:key', 'on', '0644', 'x # y', '~tilde'];
  const scalar = fc.oneof(
    fc.constantFrom('', 'plain', 'two words', 'a: b', 'x #y', '# hash', '- dash', '"quoted"', "it's", 'yes', '0644', '12', '{{ .Values.x }}', '${VAR}', '[not, a, list]', 'multi\nline\ntext', ' lead', 'trail '),
    fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 12 }));
  const tree = fc.letrec(tie => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('list')),
    map: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5 }),
    list: fc.array(tie('node'), { maxLength: 4 }),
  }));
  const dump = fc.oneof(
    fc.record({
      lib: fc.constant('js-yaml' as const),
      indent: fc.constantFrom(2, 4),
      noArrayIndent: fc.boolean(),
      flowLevel: fc.constantFrom(-1, -1, 1, 2),
      lineWidth: fc.constantFrom(20, 80, -1),
      quotingType: fc.constantFrom('"', "'") as fc.Arbitrary<'"' | "'">,
      forceQuotes: fc.boolean(),
    }),
    fc.record({
      lib: fc.constant('yaml' as const),
      indent: fc.constantFrom(2, 4),
      indentSeq: fc.boolean(),
      lineWidth: fc.constantFrom(20, 80, 0),
    }));

  test('the block scanner agrees with the syntax tree wherever it answers (property)', () => {
    let answered = 0;
    let asked = 0;
    fc.assert(fc.property(tree.map, dump, (value, opts) => {
      const { lib, ...o } = opts as any;
      const text = lib === 'js-yaml' ? jsyaml.dump(value, o) : YAML.stringify(value, o);
      let read: unknown;
      try {
        read = loadFast(text);
      } catch {
        return;
      }
      const lc = new YAML.LineCounter();
      const doc = YAML.parseDocument(text, yamlOptions(lc));
      if (doc.errors.length > 0) return;
      const lineOf = (off: number) => lc.linePos(off).line - 1;
      const scanner = new BlockScanner(text);
      const ps = pointers(read);
      for (const p of [...ps, ...ps.map(x => x + '/absent'), ...ps.map(x => x + '/9')]) {
        const fast = scanner.line(p);
        const ref = astLine(doc, p, YAML, lineOf);
        asked++;
        if (fast === UNSURE) continue;
        answered++;
        expect({ text, p, line: fast }).toEqual({ text, p, line: ref });
      }
    }), { numRuns: 600 });
    // the fast path must answer most of the time, or it is no fast path
    expect(answered / asked).toBeGreaterThan(0.5);
  });

  test('a document read the fast way (js-yaml and the scanner) gives what the syntax tree gives: value, duplicate keys, lines (property)', () => {
    let dups = 0;
    fc.assert(fc.property(tree.map, dump, fc.array(fc.nat(), { maxLength: 3 }), (value, opts, picks) => {
      const { lib, ...o } = opts as any;
      const lines = (lib === 'js-yaml' ? jsyaml.dump(value, o) : YAML.stringify(value, o)).split('\n');
      // duplicate some `key: value` lines, at the key's own indentation
      for (const n of picks) {
        const at = n % lines.length;
        const m = /^( *)((?:- )*)([^\s#'"-][^:#]*:(?: .*)?)$/.exec(lines[at]);
        if (m) lines.splice(at + 1, 0, ' '.repeat(m[1].length + m[2].length) + m[3]);
      }
      const text = lines.join('\n');
      const slow = new Document({ text, line: 0 }, false, true);
      if (slow.error) return;
      const fast = new Document({ text, line: 0 });
      expect(fast.error).toBeUndefined();
      expect(fast.value).toEqual(slow.value);
      expect(fast.duplicates).toEqual(slow.duplicates);
      dups += slow.duplicates.length;
      for (const p of pointers(slow.value)) expect({ p, line: fast.lineOf(p, '') }).toEqual({ p, line: slow.lineOf(p, '') });
    }), { numRuns: 600 });
    expect(dups).toBeGreaterThan(50);
  });

  test('absent fields give ABSENT, and UNSURE where the scanner meets what it does not read', () => {
    const s = new BlockScanner('a:\n  b: 1\nc: &x\n  d: 2\nlist: [1, 2]\n');
    expect(s.line('/a/b')).toBe(1);
    expect(s.line('/a/z')).toBe(ABSENT);
    expect(s.line('/c/d')).toBe(UNSURE);
    expect(s.line('/list')).toBe(4);
    expect(s.line('/list/0')).toBe(UNSURE);
  });
});
