// Both sides of an IRSA trust from one declaration: an AWS CDK program owns
// the IAM role, the cdk8s app owns the ServiceAccount and the Deployment.
//
// The role's ARN goes from AWS CDK into the cdk8s app as an AWS CDK token,
// resolved in the manifests at synth by a cdk8s resolver (as
// @cdk8s/awscdk-resolver does with a deployed stack's outputs); the role's
// trust policy comes back from the preset bound in the cdk8s app, generated
// from the same ServiceAccount, namespace, audience and issuer as the
// manifests. The AWS CDK side here is a small stand-in with the shape of
// aws-cdk-lib (Stack, OpenIdConnectProvider, Role, tokens), so the example runs
// without it; with aws-cdk-lib, pass `irsa.trustPolicy(...)` to
// `iam.PolicyDocument.fromJson()` or the role's `assumeRolePolicy`.
//
// Synthesizes the manifests and writes the role's trust policy next to them
// (trust-policy.json), once the synth has succeeded.
import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Chart, IResolver, ResolutionContext } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AwsIamRole } from '../src';

/** The cluster's issuer (`aws eks describe-cluster --query cluster.identity.oidc.issuer`). */
export const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

// ---- the AWS CDK-shaped stand-in -------------------------------------------------------------

/** The deployed value of each token. */
const TOKEN_VALUES = new Map<string, () => string>();

/** A deploy-time value: a string token, as `Token.asString()` makes them in aws-cdk-lib. */
class Tokens {
  /** A new token whose value is known once the stack is deployed. */
  public static asString(deployed: () => string): string {
    const token = `\${Token[TOKEN.${TOKEN_VALUES.size + 100}]}`;
    TOKEN_VALUES.set(token, deployed);
    return token;
  }
  /** Replaces every token in a string with its deployed value. */
  public static resolve(s: string): string {
    return s.replace(/\$\{Token\[[^\]]+\]\}/g, t => TOKEN_VALUES.get(t)?.() ?? t);
  }
}

/** `cdk.Stack`: an account, a region, resources. */
class Stack {
  public readonly resources = new Map<string, Role | OpenIdConnectProvider>();
  constructor(public readonly stackName: string, public readonly account: string, public readonly region: string) {}
  /** What the deployed stack holds, with every token resolved (what CloudFormation would create). */
  public deployed(): any {
    const out: Record<string, any> = {};
    for (const [id, r] of this.resources) out[id] = JSON.parse(Tokens.resolve(JSON.stringify(r.toCloudFormation())));
    return out;
  }
}

/** `iam.OpenIdConnectProvider` (or `eks.Cluster.openIdConnectProvider`). */
class OpenIdConnectProvider {
  public readonly openIdConnectProviderArn: string;
  constructor(private readonly stack: Stack, id: string, private readonly props: { url: string }) {
    this.openIdConnectProviderArn = Tokens.asString(() => `arn:aws:iam::${stack.account}:oidc-provider/${props.url.replace('https://', '')}`);
    stack.resources.set(id, this);
  }
  public toCloudFormation(): any {
    return { Type: 'AWS::IAM::OIDCProvider', Properties: { Url: this.props.url, ClientIdList: ['sts.amazonaws.com'] }, Account: this.stack.account };
  }
}

/** `iam.Role`: its ARN is a token until deployment; the assume-role policy is set from the cdk8s side. */
class Role {
  public readonly roleArn: string;
  public assumeRolePolicyDocument: any;
  constructor(stack: Stack, id: string, private readonly props: { roleName: string }) {
    this.roleArn = Tokens.asString(() => `arn:aws:iam::${stack.account}:role/${props.roleName}`);
    stack.resources.set(id, this);
  }
  public toCloudFormation(): any {
    return { Type: 'AWS::IAM::Role', Properties: { RoleName: this.props.roleName, AssumeRolePolicyDocument: this.assumeRolePolicyDocument } };
  }
}

/** The cdk8s resolver: writes the deployed value of every AWS CDK token in the manifests (like @cdk8s/awscdk-resolver). */
class AwsCdkTokenResolver implements IResolver {
  public resolve(context: ResolutionContext): void {
    if (typeof context.value === 'string' && context.value.includes('${Token[')) context.replaceValue(Tokens.resolve(context.value));
  }
}

// ---- the app ---------------------------------------------------------------------------------

/** A cdk8s app that writes the role's deployed trust policy next to the manifests once they are synthesized. */
class TrustApp extends App {
  constructor(props: AppProps, private readonly stack: Stack, private readonly roleId: string) {
    super(props);
  }
  public synth(): void {
    super.synth();
    const policy = this.stack.deployed()[this.roleId].Properties.AssumeRolePolicyDocument;
    fs.writeFileSync(path.join(this.outdir, 'trust-policy.json'), JSON.stringify(policy, undefined, 2) + '\n');
  }
}

export function build(outdir?: string): App {
  // AWS CDK: the cluster's OIDC provider and the application's role
  const stack = new Stack('payments-iam', '111122223333', 'eu-west-1');
  const provider = new OpenIdConnectProvider(stack, 'ClusterOidc', { url: ISSUER });
  const role = new Role(stack, 'ApiRole', { roleName: 'payments-api' });

  // cdk8s: the role ARN goes in as a token, resolved at synth
  const app = new TrustApp({ outdir, resolvers: [new AwsCdkTokenResolver()] }, stack, 'ApiRole');
  const chart = new Chart(app, 'aws-cdk-trust', { namespace: 'payments' });
  const irsa = new AwsIamRole({ roleArn: role.roleArn, region: stack.region });
  const account = irsa.createServiceAccount(chart, 'Account', { metadata: { name: 'payments-api' } });
  const api = new kplus.Deployment(chart, 'Api', {
    serviceAccount: account,
    containers: [{ name: 'api', image: 'public.ecr.aws/aws-cli/aws-cli:2.17.0', args: ['sts', 'get-caller-identity'], securityContext: { user: 1000 } }],
  });
  irsa.bind(api);

  // ...and the role's trust comes back, from the same ServiceAccount, namespace, audience and issuer
  role.assumeRolePolicyDocument = irsa.trustPolicy({ issuer: ISSUER, oidcProviderArn: provider.openIdConnectProviderArn });
  return app;
}

if (require.main === module) {
  const app = build();
  app.synth();
  console.log(fs.readFileSync(path.join(app.outdir, 'trust-policy.json'), 'utf8'));
}
