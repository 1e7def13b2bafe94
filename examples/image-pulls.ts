// Pull images with the pod's service account token (Kubernetes 1.34+): an ECR
// pull role on one ServiceAccount, an ACR identity on another, the grants
// that let the kubelets request tokens for both audiences, and the kubelet's
// tokenAttributes for each provider, from the same presets.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { AwsEcrImagePull, AzureAcrImagePull } from '../src';

/** The two image-pull presets: the ServiceAccounts and the node configuration read the same keys. */
export function presets(): { ecr: AwsEcrImagePull; acr: AzureAcrImagePull } {
  // ECR: the ServiceAccount carries eks.amazonaws.com/ecr-role-arn
  const ecr = new AwsEcrImagePull({ roleArn: 'arn:aws:iam::111122223333:role/storefront-ecr-pull' });
  // ACR: both ids, required by the ACR credential provider
  const acr = new AzureAcrImagePull({
    clientId: '00000000-1111-2222-3333-444444444444',
    tenantId: '55555555-6666-7777-8888-999999999999',
  });
  return { ecr, acr };
}

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'image-pulls', { namespace: 'shop' });
  const { ecr, acr } = presets();

  const storefront = new kplus.ServiceAccount(chart, 'Storefront', { metadata: { name: 'storefront' } });
  ecr.annotateServiceAccount(storefront);
  // the kubelets may request tokens for sts.amazonaws.com (node audience restriction)
  ecr.grantNodeAudience(chart, 'EcrAudience');

  new kplus.Deployment(chart, 'Web', {
    serviceAccount: storefront,
    containers: [{ name: 'web', image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/storefront:1.4.2', portNumber: 8080, securityContext: { user: 1000 } }],
  });

  const reports = new kplus.ServiceAccount(chart, 'Reports', { metadata: { name: 'reports' } });
  acr.annotateServiceAccount(reports);
  // limited to the ServiceAccounts that pull from ACR
  acr.grantNodeAudience(chart, 'AcrAudience', { serviceAccountNames: ['reports'] });
  return app;
}

/** The kubelet's tokenAttributes of each provider, for the nodes' CredentialProviderConfig. */
export function tokenAttributes(): string {
  const { ecr, acr } = presets();
  return `# providers[name=ecr-credential-provider]\n${ecr.tokenAttributesYaml()}`
    + `# providers[name=acr-credential-provider]\n${acr.tokenAttributesYaml()}`;
}

if (require.main === module) {
  build().synth();
  // npx ts-node examples/image-pulls.ts > token-attributes.yaml
  process.stdout.write(tokenAttributes());
}
