// Issue 16, section 4: precision on real manifests. test/fixtures/real holds
// manifests copied from public repositories (PROVENANCE.md), split by a hash
// of the repository name into a development and a held-out set; every default
// finding on them is judged by hand in JUDGEMENT.md. Any change in what the
// lint reports there fails this test until it is judged.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as jsyaml from 'js-yaml';
import { corpusFiles, CORPUS, describe as describeFigures, figures, keyOf, lintCorpus, missed, verdicts } from '../../scripts/precision';
import { isKustomizationFile, KustomizeContext, patchPaths } from '../../src/lint/kustomize';
import { loadFast } from '../../src/lint/yaml';
import { locatePodSpec } from '../../src/rules';

describe('the real-manifest corpus', () => {
  const files = corpusFiles();

  test('is large and varied enough to judge by: 30+ projects, 150+ objects, both sets', () => {
    const repos = new Set(files.map(f => f.stored.split('/')[0]));
    expect(repos.size).toBeGreaterThanOrEqual(30);
    const report = lintCorpus();
    expect(report.objectsChecked).toBeGreaterThanOrEqual(150);
    expect(new Set(files.map(f => f.set))).toEqual(new Set(['dev', 'held-out']));
    // every stored file exists, and every file of the folder is listed (nothing unaccounted for)
    const listed = new Set(files.map(f => f.stored));
    const onDisk: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(path.join(CORPUS, dir), { withFileTypes: true })) {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) walk(rel);
        else if (rel.includes('/')) onDisk.push(rel);
      }
    };
    walk('');
    expect(onDisk.filter(f => !listed.has(f))).toEqual([]);
    expect([...listed].filter(f => !fs.existsSync(path.join(CORPUS, f)))).toEqual([]);
  });

  test('the split is the one PROVENANCE.md states: by the first hex digit of sha256(owner/repo)', () => {
    const text = fs.readFileSync(path.join(CORPUS, 'PROVENANCE.md'), 'utf8');
    for (const m of text.matchAll(/^\| \[([^\]]+)\]\([^)]+\) \| (dev|held-out) \|/gm)) {
      const digit = crypto.createHash('sha256').update(m[1]).digest('hex')[0];
      expect([m[1], m[2]]).toEqual([m[1], '01234567'.includes(digit) ? 'dev' : 'held-out']);
    }
  });

  test('the default findings are exactly the judged ones (a change must be judged in JUDGEMENT.md)', () => {
    const found = lintCorpus().findings.map(keyOf).sort();
    const judged = verdicts().map(v => `${v.at} ${v.ruleId}`).sort();
    expect(found).toEqual(judged);
    // each verdict is in the set of its file
    const setOf = new Map(files.map(f => [f.stored, f.set]));
    for (const v of verdicts()) expect([v.at, setOf.get(v.at.replace(/:\d+$/, ''))]).toEqual([v.at, v.set]);
  });

  test('the figures JUDGEMENT.md states are the ones the judged findings give', () => {
    const text = fs.readFileSync(path.join(CORPUS, 'JUDGEMENT.md'), 'utf8');
    const held = figures('held-out');
    const dev = figures('dev');
    console.log(`${describeFigures(held)}\n${describeFigures(dev)}`);
    expect(held.unjudged).toEqual([]);
    expect(dev.unjudged).toEqual([]);
    expect(text).toContain(`| held-out (judging) | ${held.files} | ${held.objects} | ${held.findings} | ${held.real} | ${held.falseAlarms} | ${held.real}/${held.findings} = ${(100 * held.real / held.findings).toFixed(1)}% | ${held.missed} | ${held.real}/${held.real + held.missed} |`);
    expect(text).toContain(`| development | ${dev.files} | ${dev.objects} | ${dev.findings} | ${dev.real} | ${dev.falseAlarms} |`);
    expect(missed()).toEqual([]);
  });

  test('no kustomize patch draws a rule that concludes from something absent; each gets one notice (BT906)', () => {
    const report = lintCorpus();
    const kustomize = new KustomizeContext();
    const patchFiles = files.filter(f => kustomize.of(f.stored, path.join(CORPUS, f.stored))?.patchOf !== undefined).map(f => f.stored);
    expect(patchFiles.length).toBeGreaterThanOrEqual(15);
    // a patch needs the notice when it carries a pod spec (rules were left out) or has no kind (it was not checked)
    const patches = patchFiles.filter(p => jsyaml.loadAll(fs.readFileSync(path.join(CORPUS, p), 'utf8'))
      .some((d: any) => !d || typeof d.kind !== 'string' || locatePodSpec(d) !== undefined));
    expect(patches.length).toBeGreaterThanOrEqual(12);
    const onPatches = report.findings.filter(f => patches.includes(f.file));
    expect(onPatches.filter(f => ['BT132', 'BT143', 'BT144', 'BT151', 'BT901'].includes(f.ruleId))).toEqual([]);
    for (const p of patches) {
      const notices = report.notices.filter(n => n.file === p && n.ruleId === 'BT906');
      expect([p, notices.length > 0]).toEqual([p, true]);
      expect(notices[0].message).toMatch(/kustomization\.yaml lists its file as one/);
    }
  });

  test('each folder with a kustomization gets BT907 once, naming the command that lints the rendered output', () => {
    const report = lintCorpus();
    const kfiles = files.filter(f => isKustomizationFile(f.stored)).map(f => f.stored);
    const advised = report.notices.filter(n => n.ruleId === 'BT907').map(n => n.file);
    expect(advised.sort()).toEqual([...kfiles].sort());
    const one = report.notices.find(n => n.file === 'spiffe__spire-tutorials/k8s/quickstart/kustomization.yaml')!;
    expect(one.message).toContain("BT907: 'spiffe__spire-tutorials/k8s/quickstart' holds a kustomization");
    expect(one.message).toContain('kubectl kustomize spiffe__spire-tutorials/k8s/quickstart | cdk8s-bound-tokens lint -');
    // the kustomizations themselves are kustomize's configuration, not objects: no BT901
    expect(report.findings.filter(f => isKustomizationFile(f.file))).toEqual([]);
    // every patch the corpus' kustomizations list is read from the file
    const listedPatches = kfiles.flatMap(k => patchPaths(loadFast(fs.readFileSync(path.join(CORPUS, k), 'utf8'))));
    expect(listedPatches.length).toBeGreaterThan(0);
  });

  test('BT120 (token without audience) is reported on real manifests only with --strict, and not on the API-access shape of any lifetime', () => {
    expect(lintCorpus().findings.filter(f => f.ruleId === 'BT120')).toEqual([]);
    // the two tokens without audience of the corpus are for the Kubernetes API: hand-written copies of
    // the API-access volume with another lifetime (OpenShift's router: 3600 s, mode 0400; the
    // OpenTelemetry target allocator: the default), the shape ApiAccessToken writes (issue 19): exempt
    const strict = lintCorpus(undefined, true).findings.filter(f => f.ruleId === 'BT120');
    expect(strict).toEqual([]);
    const text = fs.readFileSync(path.join(CORPUS, 'openshift__cluster-ingress-operator/pkg/manifests/assets/router/deployment.yaml'), 'utf8').split('\n');
    expect(text[164].trim()).toBe('- serviceAccountToken:');
  });
});
