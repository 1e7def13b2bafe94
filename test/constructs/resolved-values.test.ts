// Issue 18, "AWS CDK values": a value that cdk8s resolves later (an App
// resolver such as cdk8s-awscdk-resolver, a Lazy) is accepted where it is
// given and checked once resolved, under the same rule ids and construct path.
// Tested with cdk8s's own resolver mechanism (the App's `resolvers`) and a
// small stand-in for AWS CDK tokens (no aws-cdk-lib dependency).
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, IResolver, Lazy, ResolutionContext } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AwsIamRole, AzureWorkloadIdentity, ClusterIssuerConfig, ProjectedTokenVolume } from '../../src';
import { captureWarnings, errorOf, tmpdir } from '../util';

/**
 * The shape of AWS CDK tokens as cdk8s sees them: a string `${Token[NAME.n]}`
 * standing for a value known only at synth (a CloudFormation output, as
 * cdk8s-awscdk-resolver reads it).
 */
class CdkTokens {
  private readonly values = new Map<string, unknown>();
  private n = 0;
  public token(value: unknown, name = 'Role.Arn'): string {
    const t = `\${Token[${name}.${++this.n}]}`;
    this.values.set(t, value);
    return t;
  }
  public lookup(s: string): { found: boolean; value?: unknown } {
    return this.values.has(s) ? { found: true, value: this.values.get(s) } : { found: false };
  }
}

/** A resolver shaped like cdk8s-awscdk-resolver's: it replaces a value that is a token with what it stands for. */
class AwsCdkResolver implements IResolver {
  constructor(private readonly tokens: CdkTokens) {}
  public resolve(context: ResolutionContext): void {
    if (typeof context.value !== 'string') return;
    const r = this.tokens.lookup(context.value);
    if (r.found) context.replaceValue(r.value);
  }
}

const ARN = 'arn:aws:iam::111122223333:role/app';

function app(resolvers: IResolver[] = []): { app: App; chart: Chart; outdir: string } {
  const outdir = tmpdir('bt-resolved-');
  const a = new App({ outdir, resolvers });
  return { app: a, chart: new Chart(a, 'c'), outdir };
}

function deployment(c: Chart, id = 'Dep'): kplus.Deployment {
  const sa = new kplus.ServiceAccount(c, `${id}Sa`);
  return new kplus.Deployment(c, id, { serviceAccount: sa, containers: [{ name: 'app', image: 'busybox:1.36' }] });
}

const written = (outdir: string) => fs.readdirSync(outdir);
const yamlOf = (outdir: string) => written(outdir).map(f => fs.readFileSync(path.join(outdir, f), 'utf8')).join('\n');

describe('roleArn from AWS CDK (an App resolver)', () => {
  test('an unresolved token is accepted when the preset is created, and written resolved into the env var and the annotation', () => {
    const tokens = new CdkTokens();
    const { app: a, chart, outdir } = app([new AwsCdkResolver(tokens)]);
    const roleArn = tokens.token(ARN);
    const preset = new AwsIamRole({ roleArn, region: 'eu-west-1' });
    const d = deployment(chart);
    preset.bind(d);
    preset.annotateServiceAccount(d.serviceAccount!);
    const w = captureWarnings(() => a.synth());
    expect(w).toEqual([]);
    const yaml = yamlOf(outdir);
    expect(yaml).toContain(`value: ${ARN}`);
    expect(yaml).toContain(`eks.amazonaws.com/role-arn: ${ARN}`);
    expect(yaml).not.toContain('${Token[');
  });

  test('a token that resolves to something that is not a role ARN is BT200 at the workload, and nothing is written', () => {
    const tokens = new CdkTokens();
    const { app: a, chart, outdir } = app([new AwsCdkResolver(tokens)]);
    new AwsIamRole({ roleArn: tokens.token('arn:aws:s3:::bucket') }).bind(deployment(chart));
    const msg = errorOf(() => a.synth());
    expect(msg).toContain('[c/Dep]');
    expect(msg).toContain("BT200: 'roleArn' must be the ARN of an IAM role, got 'arn:aws:s3:::bucket'");
    expect(written(outdir)).toEqual([]);
  });

  test('the region is checked against the partition of the resolved ARN (BT201)', () => {
    const tokens = new CdkTokens();
    const { app: a, chart } = app([new AwsCdkResolver(tokens)]);
    new AwsIamRole({ roleArn: tokens.token('arn:aws-cn:iam::111122223333:role/app'), region: 'eu-west-1' }).bind(deployment(chart));
    expect(errorOf(() => a.synth())).toContain("BT201: 'region' is in partition 'aws' but the role is in 'aws-cn'");
  });

  test('a token no resolver of the App resolves is BT231, and nothing is written', () => {
    const { app: a, chart, outdir } = app();
    new AwsIamRole({ roleArn: '${Token[Role.Arn.7]}' }).bind(deployment(chart));
    const msg = errorOf(() => a.synth());
    expect(msg).toContain('[c/Dep]');
    expect(msg).toContain("BT231: 'roleArn' is still unresolved when the manifest is written (no resolver of the App resolves it), got '${Token[Role.Arn.7]}'");
    expect(written(outdir)).toEqual([]);
  });

  test('a token that resolves to a number is BT231', () => {
    const tokens = new CdkTokens();
    const { app: a, chart } = app([new AwsCdkResolver(tokens)]);
    new AwsIamRole({ roleArn: tokens.token(42) }).bind(deployment(chart));
    expect(errorOf(() => a.synth())).toContain("BT231: 'roleArn' resolved to a value that is not a string, got 42");
  });

  test('a literal value is still refused where the preset is created (BT200), as before', () => {
    expect(errorOf(() => new AwsIamRole({ roleArn: 'nope' }))).toContain("AwsIamRole: BT200: 'roleArn' must be the ARN of an IAM role, got 'nope'");
  });

  test('Azure ids from tokens: accepted, then checked (BT203)', () => {
    const tokens = new CdkTokens();
    const { app: a, chart } = app([new AwsCdkResolver(tokens)]);
    new AzureWorkloadIdentity({ clientId: tokens.token('not-a-guid', 'Identity.ClientId'), tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }).bind(deployment(chart));
    expect(errorOf(() => a.synth())).toContain("BT203: 'clientId' must be a GUID, got 'not-a-guid'");
  });
});

describe('the cluster issuer from AWS CDK (an App resolver)', () => {
  test('accepted where it is given, written resolved, and checked resolved (BT163 at the issuer config)', () => {
    const tokens = new CdkTokens();
    const ok = app([new AwsCdkResolver(tokens)]);
    new ClusterIssuerConfig(ok.chart, 'Issuer', { serviceAccountIssuer: tokens.token('https://oidc.example.com/cluster-a', 'Bucket.Url'), restart: { namespaces: ['team-a'] } });
    captureWarnings(() => ok.app.synth());
    const yaml = yamlOf(ok.outdir);
    expect(yaml).toContain('serviceAccountIssuer: https://oidc.example.com/cluster-a');
    expect(yaml).toContain('value: https://oidc.example.com/cluster-a');
    expect(yaml).not.toContain('${Token[');

    const bad = app([new AwsCdkResolver(tokens)]);
    new ClusterIssuerConfig(bad.chart, 'Issuer', { serviceAccountIssuer: tokens.token('https://oidc.example.com/a?x=1', 'Bucket.Url') });
    let msg = '';
    captureWarnings(() => { msg = errorOf(() => bad.app.synth()); });
    expect(msg).toContain('[c/Issuer]');
    expect(msg).toContain('BT163');
    expect(written(bad.outdir)).toEqual([]);
  });
});

describe('Lazy values', () => {
  test('a Lazy roleArn is refused where it is given (BT230): cdk8s-plus would write it into the env var as [object Object]', () => {
    const msg = errorOf(() => new AwsIamRole({ roleArn: Lazy.any({ produce: () => ARN }) as any }));
    expect(msg).toContain("AwsIamRole: BT230: 'roleArn' must be a string: a Lazy cannot be written into an environment variable or annotation");
    expect(msg).toContain('pass the value through an App resolver instead');
  });

  test('a Lazy audience is written resolved; one that resolves to a number is BT231 on the volume, and nothing is written', () => {
    const ok = app();
    new ProjectedTokenVolume(ok.chart, 'Tokens', { tokens: [{ path: 'token', audience: Lazy.any({ produce: () => 'vault' }) as any }] }).mountInto(deployment(ok.chart));
    ok.app.synth();
    expect(yamlOf(ok.outdir)).toContain('audience: vault');

    const bad = app();
    new ProjectedTokenVolume(bad.chart, 'Tokens', { tokens: [{ path: 'token', audience: Lazy.any({ produce: () => 123 }) as any }] }).mountInto(deployment(bad.chart));
    const msg = errorOf(() => bad.app.synth());
    expect(msg).toContain('[c/Tokens]');
    expect(msg).toContain("BT231: 'tokens[0].audience' resolved to a value that is not a string, got 123");
    expect(written(bad.outdir)).toEqual([]);
  });

  test('a Lazy path that resolves to an absolute path is BT111, as a literal one is', () => {
    const { app: a, chart } = app();
    new ProjectedTokenVolume(chart, 'Tokens', { tokens: [{ path: Lazy.any({ produce: () => '/abs' }) as any, audience: 'vault' }] }).mountInto(deployment(chart));
    expect(errorOf(() => a.synth())).toContain('BT111');
  });

  test('a failed synth writes nothing: the first chart is fine, the second has an audience that resolves to a function', () => {
    const { app: a, chart, outdir } = app();
    new ProjectedTokenVolume(chart, 'Tokens', { tokens: [{ path: 'token', audience: 'vault' }] }).mountInto(deployment(chart));
    const second = new Chart(a, 'd');
    new ProjectedTokenVolume(second, 'Tokens', { tokens: [{ path: 'token', audience: Lazy.any({ produce: () => () => 'x' }) as any }] }).mountInto(deployment(second));
    const msg = errorOf(() => a.synth());
    expect(msg).toContain("BT231: 'tokens[0].audience' resolved to a value that is not a string, got a function");
    expect(written(outdir)).toEqual([]);
  });
});
