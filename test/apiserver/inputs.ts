// Every object the ground-truth suites send to the real API server: the
// output of every example (synthesized here, as scripts/synth-examples.ts
// does), the lint fixtures, the admission policy fixtures, the realistic
// manifests of the precision test and the manifests of the Include tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';

export interface Input {
  /** `<source>/<file>#<doc>.<item> <Kind>/<name>` */
  readonly name: string;
  readonly object: any;
}

const TEST_DIR = path.resolve(__dirname, '..');
const ROOT = path.resolve(TEST_DIR, '..');

/** Objects of a YAML or JSON file: documents that parse, List items unfolded. */
export function objectsOfFile(file: string, label: string): Input[] {
  const text = fs.readFileSync(file, 'utf8');
  const docs = file.endsWith('.json')
    ? [JSON.parse(text)]
    : YAML.parseAllDocuments(text, { uniqueKeys: false }).filter(d => d.errors.length === 0).map(d => d.toJS());
  const out: Input[] = [];
  docs.forEach((doc: any, i: number) => {
    const items = doc?.kind === 'List' && Array.isArray(doc.items) ? doc.items : [doc];
    items.forEach((o: any, j: number) => {
      if (o && typeof o === 'object' && !Array.isArray(o) && typeof o.kind === 'string' && o.kind !== '') {
        out.push({ name: `${label}#${i}.${j} ${o.kind}/${o.metadata?.name ?? o.metadata?.generateName ?? '?'}`, object: o });
      }
    });
  });
  return out;
}

function filesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter(f => /\.(ya?ml|json)$/.test(f)).sort();
}

/** The fixtures: lint fixtures, policy fixtures, realistic manifests, Include manifests. */
export function fixtureInputs(): Input[] {
  const out: Input[] = [];
  for (const sub of ['fixtures/manifests', 'fixtures/policy', 'fixtures/real-world']) {
    const dir = path.join(TEST_DIR, sub);
    for (const f of filesIn(dir)) out.push(...objectsOfFile(path.join(dir, f), `${sub.replace('fixtures/', '')}/${f}`));
  }
  out.push(...objectsOfFile(path.join(TEST_DIR, 'fixtures', 'workloads.yaml'), 'workloads.yaml'));
  return out;
}

/** The example apps: examples/<name>.ts, each synthesized into a temp dir, as `npm run examples` does. */
export function exampleInputs(): Input[] {
  const dir = path.join(ROOT, 'examples');
  const out: Input[] = [];
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort()) {
    const name = path.basename(file, '.ts');
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(dir, file));
      mod.build(outdir).synth();
      for (const f of filesIn(outdir)) out.push(...objectsOfFile(path.join(outdir, f), `examples/${name}/${f}`));
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
  return out;
}
