// `cdk8s-bound-tokens policy`: prints the admission policies as YAML, for
// teams that want enforcement without writing cdk8s code. The objects are
// those TokenAdmissionPolicy synthesizes with the same options, byte for byte.
import { scanArgs, UsageError } from './args';
import { yamlPackage } from '../lint/yaml';
import { ActionName, buildPolicyObjects, PolicyBuildOptions, PolicyOptionError } from '../policy/build';
import { parseDurationSeconds } from '../rules/token-limits';

/** Where the command writes. */
export interface CommandIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

export const POLICY_USAGE = `Usage: cdk8s-bound-tokens policy [options]

Prints two ValidatingAdmissionPolicy/Binding pairs (admissionregistration.k8s.io/v1,
Kubernetes 1.30+ / OpenShift 4.17+) that check the rules of cdk8s-bound-tokens:
<prefix>-errors and <prefix>-warnings. By default both warn and audit and refuse
nothing; refuse with --error-action deny once the warnings are read.
Apply with kubectl apply -f -.

Options:
  --exclude-namespace NAME            leave out a namespace (repeatable)
  --exclude-namespace-prefix PREFIX   leave out namespaces whose name starts with PREFIX (repeatable)
  --exclude-namespace-label KEY=VALUE leave out namespaces carrying that label (repeatable)
  --openshift                         the cluster is OpenShift: also leave out openshift
                                      and openshift-* (elsewhere anyone may create them)
  --include-system-namespaces         also check kube-system, kube-public, kube-node-lease
                                      (and, with --openshift, openshift-*; left out by default)
  --disable RULE-ID                   leave a rule out, e.g. BT143 (repeatable)
  --error-action deny|warn|audit      what the error policy's binding does (default: warn,
                                      which also audits; deny refuses the request)
  --warning-action deny|warn|audit    what the warning policy's binding does (default: warn,
                                      which also audits)
  --name-prefix PREFIX                prefix of the object names (default: bound-tokens)
  --max-token-expiration DURATION     the cluster's maximum token lifetime (seconds, or 1h,
                                      24h, ...), baked into the CEL: BT280 warns about longer
                                      requests; a maximum of at most 24h leaves BT104 out
  -h, --help                          show this help
`;

const FLAG_OF: Record<string, string> = {
  policyNamePrefix: '--name-prefix',
  errorAction: '--error-action',
  warningAction: '--warning-action',
  excludeNamespaces: '--exclude-namespace',
  excludeNamespacePrefixes: '--exclude-namespace-prefix',
  excludeNamespaceLabels: '--exclude-namespace-label',
  disabledRules: '--disable',
  maxTokenExpiration: '--max-token-expiration',
};


interface Mutable {
  namePrefix?: string;
  errorAction?: ActionName;
  warningAction?: ActionName;
  excludeSystemNamespaces?: boolean;
  openShift?: boolean;
  excludeNamespaces: string[];
  excludeNamespacePrefixes: string[];
  excludeNamespaceLabels: Record<string, string>;
  disabledRules: string[];
  maxTokenExpirationSeconds?: number;
}

function action(flag: string, value: string): ActionName {
  const v = value.toLowerCase();
  if (v !== 'deny' && v !== 'warn' && v !== 'audit') {
    throw new UsageError(`'${flag}' must be deny, warn or audit, got '${value}'`);
  }
  return v;
}

/** Parses the arguments after `policy`. Returns undefined for --help. */
export function parsePolicyArgs(argv: readonly string[]): PolicyBuildOptions | undefined {
  // The labels as plain data: a key such as '__proto__' must reach the option check, not the prototype.
  const o: Mutable = { excludeNamespaces: [], excludeNamespacePrefixes: [], excludeNamespaceLabels: Object.create(null), disabledRules: [] };
  if (argv.includes('-h') || argv.includes('--help')) return undefined;
  scanArgs(argv, {
    '--exclude-namespace': undefined,
    '--exclude-namespace-prefix': undefined,
    '--exclude-namespace-label': undefined,
    '--disable': undefined,
    '--error-action': undefined,
    '--warning-action': undefined,
    '--name-prefix': undefined,
    '--max-token-expiration': undefined,
  }, opt => {
    const flag = opt.name;
    const value = opt.value;
    switch (flag) {
      case '--exclude-namespace': o.excludeNamespaces.push(value()); break;
      case '--exclude-namespace-prefix': o.excludeNamespacePrefixes.push(value()); break;
      case '--exclude-namespace-label': {
        const v = value();
        const at = v.indexOf('=');
        if (at <= 0) throw new UsageError(`'--exclude-namespace-label' must be KEY=VALUE, got '${v}'`);
        const key = v.slice(0, at);
        Object.defineProperty(o.excludeNamespaceLabels, key, { value: v.slice(at + 1), enumerable: true, writable: true, configurable: true });
        break;
      }
      case '--include-system-namespaces':
        if (opt.inline) throw new UsageError(`'${flag}' takes no value`);
        o.excludeSystemNamespaces = false;
        break;
      case '--openshift':
        if (opt.inline) throw new UsageError(`'${flag}' takes no value`);
        o.openShift = true;
        break;
      case '--disable': o.disabledRules.push(...value().split(',').map(s => s.trim()).filter(s => s !== '')); break;
      case '--error-action': o.errorAction = action(flag, value()); break;
      case '--warning-action': o.warningAction = action(flag, value()); break;
      case '--name-prefix': o.namePrefix = value(); break;
      case '--max-token-expiration': {
        const v = value();
        const seconds = parseDurationSeconds(v);
        if (seconds === undefined) throw new UsageError(`'--max-token-expiration' must be whole seconds or a duration such as 1h, 90m or 1h30m, got '${v}'`);
        // its range is the builder's check (BT232)
        o.maxTokenExpirationSeconds = seconds;
        break;
      }
      default:
        throw new UsageError(`unknown option '${opt.word}'`);
    }
  }, undefined);
  return o;
}

/**
 * The objects as `App.synthYaml()` writes them, with the `yaml` package's own
 * options as cdk8s sets them (YAML 1.1, no line folding, documents joined by
 * '---'): cdk8s sorts the keys of every mapping and puts apiVersion, kind and
 * metadata first, which for these objects (apiVersion, kind, metadata, spec)
 * is the sorted order itself; they hold no null (an undefined value is left
 * out, as cdk8s leaves it out), and a list they share is written out each
 * time, not as an alias (cdk8s copies every value). The tests compare it with
 * the construct's synth byte for byte.
 */
function synthYaml(objs: readonly any[]): string {
  const YAML = yamlPackage();
  return objs.map(o => YAML.stringify(o, { sortMapEntries: true, aliasDuplicateObjects: false, lineWidth: 0, version: '1.1' })).join('---\n');
}

/**
 * Runs `cdk8s-bound-tokens policy <argv>`: prints the policies as YAML.
 * Returns the exit code: 0, or 2 for a usage error (message on stderr).
 */
export function runPolicyCommand(argv: string[], io: CommandIo): number {
  let options: PolicyBuildOptions | undefined;
  let yaml: string;
  try {
    options = parsePolicyArgs(argv);
    if (options === undefined) {
      io.stdout(POLICY_USAGE);
      return 0;
    }
    yaml = synthYaml(buildPolicyObjects(options));
  } catch (e) {
    if (e instanceof UsageError || e instanceof PolicyOptionError) {
      let message = e.message;
      if (e instanceof PolicyOptionError && FLAG_OF[e.prop]) message = message.replace(`'${e.prop}'`, `'${FLAG_OF[e.prop]}'`);
      io.stderr(`cdk8s-bound-tokens policy: ${message}\n\n${POLICY_USAGE}`);
      return 2;
    }
    throw e;
  }
  io.stdout(yaml);
  return 0;
}
