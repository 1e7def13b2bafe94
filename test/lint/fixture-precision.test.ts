// Issue 12, part 1: precision on realistic manifests. Every line of
// test/fixtures/real-world/*.yaml that carries a real problem ends in
// `# expect: <RULE-ID>`; a default finding on such a line is real, any other
// finding is a false alarm. The lint must keep >= 90% precision there and
// find every marked problem (so no real problem class is lost on the way).
import * as fs from 'fs';
import * as path from 'path';
import { Linter, LintFinding } from '../../src/lint/lint';
import { lintStrictOnly, readFixtures } from '../fixtures/expect';

const DIR = path.join(__dirname, '..', 'fixtures', 'real-world');
const FIXTURES = readFixtures(DIR);
const FILES = FIXTURES.map(f => f.file);

/** `file:line` -> the rule ids marked on that line (the one fixture format, test/fixtures/expect.ts). */
function markers(): Map<string, string[]> {
  return new Map(FIXTURES.flatMap(fx => fx.marks.filter(m => m.expect.length > 0).map(m => [`${fx.file}:${m.line}`, [...m.expect]] as [string, string[]])));
}

function lintAll(strict: boolean): LintFinding[] {
  const linter = new Linter({ strict });
  for (const file of FILES) linter.addSource(file, fs.readFileSync(path.join(DIR, file), 'utf8'));
  return linter.report().findings;
}

describe('precision on the realistic fixture corpus', () => {
  const marks = markers();
  const findings = lintAll(false);
  const isReal = (f: LintFinding) => marks.get(`${f.file}:${f.line}`)?.includes(f.ruleId) ?? false;
  // a marked problem of a rule the lint reports only with --strict (BT120, BT151) is expected there
  const strictOnly = lintStrictOnly;

  test('the corpus is large enough to measure: several files, real problems and clean objects', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(7);
    expect([...marks.values()].flat().length).toBeGreaterThanOrEqual(8);
  });

  test('at least 90% of the default findings are real problems', () => {
    const real = findings.filter(isReal);
    const precision = real.length / findings.length;
    // the figure, for the README and the report
    console.log(`precision on ${FILES.length} files: ${real.length}/${findings.length} = ${(precision * 100).toFixed(1)}%; false alarms: ${findings.filter(f => !isReal(f)).map(f => `${f.file}:${f.line} ${f.ruleId}`).join(', ')}`);
    expect(precision).toBeGreaterThanOrEqual(0.9);
  });

  test('every marked problem is found (recall), so every real problem class is kept', () => {
    const found = new Set(findings.map(f => `${f.file}:${f.line}:${f.ruleId}`));
    const strictFound = new Set(lintAll(true).map(f => `${f.file}:${f.line}:${f.ruleId}`));
    const missed = [...marks].flatMap(([at, ids]) => ids.map(id => `${at}:${id}`))
      .filter(k => !(strictOnly(k.split(':')[2]) ? strictFound : found).has(k));
    expect(missed).toEqual([]);
    const classes = new Set(findings.filter(isReal).map(f => f.ruleId));
    // subPath, unmounted volume, parse error, path errors, lifetime errors
    for (const id of ['BT142', 'BT143', 'BT900', 'BT111', 'BT112', 'BT101', 'BT104']) expect(classes).toContain(id);
  });

  test('the false alarms of the first real-world run are gone', () => {
    // (1) hand-written or dumped copies of the API-access volume, (2) docs' bare Pods,
    // (3) a bare $PLACEHOLDER read as an issuer, (4) audience at the object's first line
    // (5) issue 16: a token without audience is advice, reported only with --strict
    expect(findings.filter(f => f.ruleId === 'BT120')).toEqual([]);
    expect(lintAll(true).filter(f => f.ruleId === 'BT120').map(f => f.file)).toEqual(['mistakes.yaml']);
    expect(findings.filter(f => f.ruleId === 'BT151')).toEqual([]);
    expect(findings.filter(f => ['BT161', 'BT162', 'BT164'].includes(f.ruleId))).toEqual([]);
    const issuer = findings.find(f => f.file === 'openshift-sts.yaml');
    expect([issuer?.ruleId, issuer?.path]).toEqual(['BT904', '/spec/serviceAccountIssuer']);
    expect(issuer?.message).toContain("BT904: 'serviceAccountIssuer' is an unrendered template, so it was not checked, got '$OPENID_BUCKET_URL'");
    const audience = lintAll(true).find(f => f.ruleId === 'BT120')!;
    const text = fs.readFileSync(path.join(DIR, audience.file), 'utf8').split('\n');
    expect(text[audience.line - 1].trim()).toBe('- serviceAccountToken:');
  });

  test('--strict adds BT151 on the bare Pods that run as default, BT120 on the token without audience, BT271 on the hand-written 3607-second API token, and nothing else', () => {
    const strict = lintAll(true);
    const added = strict.filter(f => !findings.some(g => g.file === f.file && g.line === f.line && g.ruleId === f.ruleId));
    expect(added.map(f => [f.ruleId, f.file, f.name])).toEqual([
      ['BT151', 'docs-bare-pods.yaml', 'nginx'],
      ['BT151', 'docs-bare-pods.yaml', 'token-demo'],
      ['BT271', 'hand-written-api-access.yaml', 'inventory-operator'],
      ['BT120', 'mistakes.yaml', 'kubectl-runner'],
    ]);
  });
});

describe('bare shell placeholders are templates (BT904)', () => {
  const lint = (text: string) => {
    const l = new Linter();
    l.addSource('in.yaml', text);
    return l.report().findings;
  };
  const auth = (issuer: string) => `apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n  serviceAccountIssuer: ${issuer}\n`;

  test.each(['$OPENID_BUCKET_URL', 'https://$BUCKET.s3.amazonaws.com', '${ISSUER}'])('warns that %s is not checked (BT904)', issuer => {
    const f = lint(auth(issuer));
    expect(f.map(x => [x.ruleId, x.line])).toEqual([['BT904', 6]]);
  });

  test.each([
    ['an escaped $$', 'https://issuer.example.com/$$x', 'BT164'],
    ['a lone $', 'https://issuer.example.com/$', 'BT164'],
  ])('%s is a value, checked as such', (_what, issuer, id) => {
    expect(lint(auth(issuer).replace('https', 'http')).map(x => x.ruleId)).toEqual([id]);
  });
});
