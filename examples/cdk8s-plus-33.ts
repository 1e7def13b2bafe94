// The same Deployment as examples/deployment.ts, written with cdk8s-plus-33
// (what `cdk8s init typescript-app` writes today): mountInto, the presets and
// TokenRotation take workloads of any cdk8s-plus line.
//   npm run examples      (writes dist/examples/cdk8s-plus-33/)
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { AwsIamRole, ProjectedTokenVolume } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'cdk8s-plus-33');

  const role = new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/web', region: 'eu-west-1' });
  const account = new kplus.ServiceAccount(chart, 'Web', { metadata: { name: 'web' } });
  role.annotateServiceAccount(account);

  const web = new kplus.Deployment(chart, 'WebDeployment', {
    metadata: { name: 'web' },
    serviceAccount: account,
    containers: [{ name: 'web', image: 'nginxinc/nginx-unprivileged:1.27-alpine', portNumber: 8080 }],
  });
  web.containers[0].mount('/tmp', kplus.Volume.fromEmptyDir(chart, 'Tmp', 'tmp'));

  const vaultToken = new ProjectedTokenVolume(chart, 'VaultToken', {
    tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }],
  });
  vaultToken.mountInto(web, {
    mountPath: '/var/run/secrets/vault',
    envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }],
  });
  role.bind(web);
  return app;
}

if (require.main === module) build().synth();
