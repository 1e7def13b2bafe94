// `cdk8s-bound-tokens trust`: the cloud side of the trust of the
// ServiceAccounts in manifests (IAM role trust policies, EKS Pod Identity
// associations, Entra federated credentials, Google pool providers and
// bindings), or, with --verify, which of them a given trust document does not
// trust and why. Reads inputs as `lint` does; loads no cdk8s.
import * as fs from 'fs';
import { scanArgs, UsageError } from './args';
import { expandInputs, readInput } from '../lint/files';
import { escapeControl } from '../lint/format';
import { Linter } from '../lint/lint';
import { finding, show, TR } from '../rules';
import { generateTrust, TrustBinding, TrustDocument, TrustFinding } from '../trust/core';
import { bindingsOf, ManifestObject, readObjects } from '../trust/manifests';
import { readTrustDocuments, verifyTrust } from '../trust/verify';

/** Where the command reads and writes. */
export interface TrustIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly stdin: () => string;
}

export const TRUST_USAGE = `Usage: cdk8s-bound-tokens trust [options] <file-or-dir>...
       cdk8s-bound-tokens trust --verify FILE [options] <file-or-dir>...

Reads ServiceAccounts and workloads from Kubernetes manifests (.yaml, .yml,
.json; directories recursively; '-' for standard input) and prints the cloud
side of their trust: the IAM role trust policy (IRSA, OpenShift STS), the EKS
Pod Identity association and role trust, the Microsoft Entra federated identity
credentials, the Google workload identity pool provider and IAM members.

With --verify FILE, checks a trust document you already have instead (an IAM
role trust policy, an EKS Pod Identity association, Entra federated credentials
as one object or a list, a Google pool provider or IAM policy, or this
command's JSON output) and reports each ServiceAccount it does not trust, and why.

Options:
  --issuer URL         the cluster's service account issuer (default: the
                       Authentication object of the manifests, if there is one)
  --namespace NS       the namespace of objects that name none
  --cluster-name NAME  the EKS cluster, for Pod Identity associations
  --role-arn ARN       the role of the Pod Identity associations; with --verify,
                       check only the ServiceAccounts bound to this role
  --client-id ID       with --verify, check only the ServiceAccounts of this Azure identity
  --verify FILE        check a trust document (JSON) against the manifests
  --format <text|json> output format (default: text)
  -h, --help           show this help

Exit codes: 0 the documents were printed (or --verify: every ServiceAccount
checked is trusted); 1 a fact is missing (no issuer, no namespace, ...: the
rule id says which), an input does not parse, or --verify found a
ServiceAccount the document does not trust; 2 usage error or an input that
cannot be read.
`;


interface Args {
  issuer?: string;
  namespace?: string;
  clusterName?: string;
  roleArn?: string;
  clientId?: string;
  verify?: string;
  format: 'text' | 'json';
  inputs: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { format: 'text', inputs: [] };
  args.inputs = scanArgs(argv, {
    '--issuer': undefined,
    '--namespace': undefined,
    '--cluster-name': undefined,
    '--role-arn': undefined,
    '--client-id': undefined,
    '--verify': undefined,
    '--format': '-f',
  }, o => {
    switch (o.name) {
      case '--issuer': args.issuer = o.value(); break;
      case '--namespace': args.namespace = o.value(); break;
      case '--cluster-name': args.clusterName = o.value(); break;
      case '--role-arn': args.roleArn = o.value(); break;
      case '--client-id': args.clientId = o.value(); break;
      case '--verify': args.verify = o.value(); break;
      case '--format':
      case '-f': {
        const f = o.value();
        if (f !== 'text' && f !== 'json') throw new UsageError(`--format must be text or json, got '${f}'`);
        args.format = f;
        break;
      }
      default:
        throw new UsageError(`unknown option '${o.word}'`);
    }
  }, 'file or directory of manifests');
  return args;
}

const TITLES: Record<string, string> = {
  'aws iam-role-trust-policy': 'AWS IAM role trust policy (web identity: IRSA, OpenShift STS)',
  'eks-pod-identity iam-role-trust-policy': 'AWS IAM role trust policy (EKS Pod Identity)',
  'eks-pod-identity eks-pod-identity-association': 'EKS Pod Identity association',
  'azure azure-federated-identity-credential': 'Microsoft Entra federated identity credential',
  'gcp gcp-workload-identity-pool-provider': 'Google Cloud workload identity pool provider',
  'gcp gcp-service-account-iam-binding': 'Google Cloud IAM binding on the service account (impersonation)',
  'gcp gcp-principal': 'Google Cloud principals (grant them roles on the resources)',
};

function findingLine(f: TrustFinding): string {
  const message = f.message.startsWith(`${f.ruleId}: `) ? f.message.slice(f.ruleId.length + 2) : f.message;
  const who = f.serviceAccount ? `ServiceAccount ${f.serviceAccount}` : f.source || '-';
  return `${f.level.padEnd(7)}  ${f.ruleId}  ${escapeControl(who)}  ${escapeControl(message)}${f.source && f.serviceAccount ? `  (${escapeControl(f.source)})` : ''}\n`;
}

function documentText(d: TrustDocument): string {
  const title = TITLES[`${d.cloud} ${d.kind}`] ?? `${d.cloud} ${d.kind}`;
  return `# ${title} for ${escapeControl(d.for)}\n# trusts: ${escapeControl(d.serviceAccounts.join(', '))}\n${JSON.stringify(d.document, undefined, 2).split('\n').map(escapeControl).join('\n')}\n\n`;
}

/** Runs `trust`; returns the exit code. */
export function runTrustCommand(argv: readonly string[], io: TrustIo): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(TRUST_USAGE);
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`cdk8s-bound-tokens trust: ${e.message}\n\n${TRUST_USAGE}`);
    return 2;
  }

  // the trust document first: a bad one is a usage-level problem of this run
  let verifyDocs: ReturnType<typeof readTrustDocuments> | undefined;
  let verifyProblem: TrustFinding | undefined;
  if (args.verify !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(args.verify, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      io.stderr(`cdk8s-bound-tokens trust: --verify ${args.verify}: ${code === 'ENOENT' ? 'no such file or directory' : 'cannot be read'}\n`);
      return 2;
    }
    let json: unknown;
    try {
      json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      json = undefined;
      verifyProblem = { ...finding(TR.VERIFY_INPUT, '', '--verify', `is not JSON (${(e as Error).message.split('\n')[0]})`, show(args.verify)), source: args.verify, cloud: 'aws' };
    }
    verifyDocs = json === undefined ? [] : readTrustDocuments(json);
    if (!verifyProblem && verifyDocs.length === 0) {
      verifyProblem = { ...finding(TR.VERIFY_INPUT, '', '--verify', 'holds no trust document this command reads', show(args.verify)), source: args.verify, cloud: 'aws' };
    }
  }

  // the manifests, read as lint reads them: its input findings (BT900-BT905) are reported here too
  const { files, problems } = expandInputs(args.inputs);
  const linter = new Linter({});
  const objects: ManifestObject[] = [];
  for (const file of files) {
    const { text, problem } = readInput(file, io.stdin);
    if (problem) {
      problems.push(problem);
      continue;
    }
    linter.addSource(file.name, text!);
    objects.push(...readObjects(file.name, text!));
  }
  const inputFindings = linter.report().findings.filter(f => /^BT90\d$/.test(f.ruleId));
  const { bindings, issuers } = bindingsOf(objects, { namespace: args.namespace });
  const findings: TrustFinding[] = [];
  let issuer = args.issuer;
  if (issuer === undefined && issuers.length === 1) issuer = issuers[0];
  if (issuer === undefined && issuers.length > 1) {
    findings.push({ ...finding(TR.NO_ISSUER, '', 'issuer', 'is not known: the manifests set more than one (Authentication objects)', show(issuers)), source: '', cloud: 'aws' });
  }

  const result: any = { issuer: issuer ?? null };
  let failed = false;
  if (verifyDocs !== undefined) {
    if (verifyProblem) {
      findings.push(verifyProblem);
    } else {
      const usable = bindings.filter(b => (b.findings ?? []).every(f => f.level !== 'error'));
      for (const b of bindings) for (const f of b.findings ?? []) findings.push(own(b, f));
      const v = verifyTrust(usable, verifyDocs, { issuer, roleArn: args.roleArn, clientId: args.clientId });
      findings.push(...v.findings);
      result.verified = args.verify;
      result.checked = v.checked;
      result.trusted = v.trusted;
      if (v.checked === 0 && findings.every(f => f.level !== 'error')) {
        findings.push({ ...finding(TR.VERIFY_NOT_TRUSTED, '', '--verify', 'addresses no ServiceAccount of the manifests (no binding of its cloud, role or identity)', show(args.verify)), source: args.verify!, cloud: verifyDocs[0]?.cloud ?? 'aws' });
      }
    }
  } else {
    const g = generateTrust(bindings, { issuer, clusterName: args.clusterName, podIdentityRoleArn: args.roleArn });
    findings.push(...g.findings);
    result.documents = g.documents;
  }
  result.findings = findings;
  failed = findings.some(f => f.level === 'error') || inputFindings.some(f => f.level === 'error');

  if (args.format === 'json') {
    result.inputFindings = inputFindings;
    io.stdout(JSON.stringify(result, undefined, 2) + '\n');
  } else {
    let out = '';
    for (const f of inputFindings) {
      const message = f.message.startsWith(`${f.ruleId}: `) ? f.message.slice(f.ruleId.length + 2) : f.message;
      out += `${escapeControl(f.file)}:${f.line}  ${f.level.padEnd(7)}  ${f.ruleId}  ${escapeControl(message)}\n`;
    }
    if (result.documents) {
      for (const d of result.documents as TrustDocument[]) out += documentText(d);
      if (result.documents.length === 0 && findings.length === 0) out += `No cloud identity found in ${files.length} file${files.length === 1 ? '' : 's'}.\n`;
    }
    for (const f of findings) out += findingLine(f);
    if (result.verified !== undefined) {
      const bad = new Set(findings.filter(f => f.level === 'error' && f.serviceAccount).map(f => f.serviceAccount));
      out += `${escapeControl(args.verify!)}: ${result.trusted.length} of ${result.checked} ServiceAccount binding${result.checked === 1 ? '' : 's'} trusted${bad.size > 0 ? `; not trusted: ${escapeControl([...bad].join(', '))}` : ''}\n`;
    }
    io.stdout(out);
  }
  for (const p of problems) io.stderr(`cdk8s-bound-tokens trust: ${escapeControl(p.message)}\n`);
  if (problems.length > 0) return 2;
  return failed ? 1 : 0;
}

function own(b: TrustBinding, f: ReturnType<typeof finding>): TrustFinding {
  return { ...f, source: b.source, cloud: b.cloud, ...(b.namespace && b.serviceAccount ? { serviceAccount: `${b.namespace}/${b.serviceAccount}` } : {}) };
}
