// Input checks of the identity presets (pure).
import { R } from './catalogue';
import { Finding, finding, show } from './finding';
import { isUnresolvedToken } from './trust';

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const REGION = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob)-[a-z]+-\d$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const GCP_ID = /^[a-z0-9-]{4,32}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** True for an IAM role ARN in any partition (aws, aws-cn, aws-us-gov). */
export function isIamRoleArn(arn: string): boolean {
  return ROLE_ARN.test(arn);
}

/** The partition of an ARN ('aws', 'aws-cn', 'aws-us-gov'), if it is one. */
export function arnPartition(arn: string): string | undefined {
  const m = /^arn:(aws|aws-cn|aws-us-gov):/.exec(arn);
  return m ? m[1] : undefined;
}

export function checkRoleArn(arn: unknown, prop: string): Finding[] {
  // an AWS CDK / CDKTF token is checked where it resolves (a cdk8s resolver writes the ARN at synth)
  if (typeof arn === 'string' && (isIamRoleArn(arn) || isUnresolvedToken(arn))) return [];
  return [finding(R.PRESET_AWS_ROLE_ARN, '', prop, 'must be the ARN of an IAM role', show(arn))];
}

export function checkRegion(region: unknown, prop: string, partition?: string): Finding[] {
  if (region === undefined) return [];
  if (typeof region !== 'string' || !REGION.test(region)) {
    return [finding(R.PRESET_AWS_REGION, '', prop, 'must be an AWS region name', show(region))];
  }
  const regionPartition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  if (partition && partition !== regionPartition) {
    return [finding(R.PRESET_AWS_REGION, '', prop, `is in partition '${regionPartition}' but the role is in '${partition}'`, show(region))];
  }
  return [];
}

export function checkLifetimeRange(seconds: number, min: number, max: number | undefined, consumer: string, prop: string): Finding[] {
  if (seconds < min || (max !== undefined && seconds > max)) {
    const range = max === undefined ? `at least ${min} seconds` : `between ${min} and ${max} seconds`;
    return [finding(R.PRESET_LIFETIME, '', prop, `must be ${range} for ${consumer}`, `${seconds} seconds`,
      `use a lifetime ${range}`)];
  }
  return [];
}

export function checkGuid(value: unknown, prop: string): Finding[] {
  if (typeof value === 'string' && GUID.test(value)) return [];
  const problem = value === undefined || value === '' ? 'is required' : 'must be a GUID';
  return [finding(R.PRESET_AZURE_ID, '', prop, problem, show(value))];
}

export function checkAuthorityHost(host: string, expected: string | undefined, cloud: string, prop: string): Finding[] {
  if (!/^https:\/\/[a-z0-9.-]+\/$/.test(host)) {
    return [finding(R.PRESET_AZURE_AUTHORITY, '', prop, "must be an https URL of a host ending in '/'", show(host))];
  }
  if (expected !== undefined && host !== expected) {
    return [finding(R.PRESET_AZURE_AUTHORITY, '', prop, `does not belong to the ${cloud} cloud (${expected})`, show(host))];
  }
  return [];
}

export function checkGcpInputs(p: { projectNumber: string; poolId: string; providerId: string; serviceAccountEmail?: string }): Finding[] {
  const out: Finding[] = [];
  if (!/^\d{1,20}$/.test(p.projectNumber)) {
    out.push(finding(R.PRESET_GCP_INPUT, '', 'projectNumber', 'must be the project number (digits), not the project id', show(p.projectNumber)));
  }
  for (const [prop, v] of [['poolId', p.poolId], ['providerId', p.providerId]] as const) {
    if (!GCP_ID.test(v) || v.startsWith('-') || v.endsWith('-')) {
      out.push(finding(R.PRESET_GCP_INPUT, '', prop, 'must be 4 to 32 lowercase letters, digits or hyphens', show(v)));
    } else if (prop === 'poolId' && v.startsWith('gcp-')) {
      out.push(finding(R.PRESET_GCP_INPUT, '', prop, "must not start with 'gcp-' (reserved by Google)", show(v)));
    }
  }
  if (p.serviceAccountEmail !== undefined && !EMAIL.test(p.serviceAccountEmail)) {
    out.push(finding(R.PRESET_GCP_INPUT, '', 'serviceAccountEmail', 'must be an email address', show(p.serviceAccountEmail)));
  }
  return out;
}
