// Loads the admission policy fixtures (test/fixtures/policy/*.yaml). Each file
// holds one object and states, in its header, what the policies must do with it:
//   # <what the object shows>
//   # deny: BT111 BT142     (rule ids the error policy fails, or -)
//   # warn: BT120           (rule ids the warning policy fails, or -)
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

export const POLICY_FIXTURES_DIR = path.join(__dirname, '..', 'fixtures', 'policy');

export interface PolicyFixture {
  readonly name: string;
  readonly description: string;
  readonly deny: string[];
  readonly warn: string[];
  readonly object: any;
}

function ids(header: string, key: string, file: string): string[] {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(header);
  if (!m) throw new Error(`${file}: no '# ${key}:' line`);
  return m[1].trim() === '-' ? [] : m[1].trim().split(/\s+/).sort();
}

export function loadPolicyFixtures(): PolicyFixture[] {
  return fs.readdirSync(POLICY_FIXTURES_DIR).filter(f => f.endsWith('.yaml')).sort().map(file => {
    const text = fs.readFileSync(path.join(POLICY_FIXTURES_DIR, file), 'utf8');
    const header = text.split('\n').filter(l => l.startsWith('#')).join('\n');
    return {
      name: file.replace(/\.yaml$/, ''),
      description: /^# (.*)$/m.exec(header)?.[1] ?? '',
      deny: ids(header, 'deny', file),
      warn: ids(header, 'warn', file),
      object: YAML.parse(text),
    };
  });
}
