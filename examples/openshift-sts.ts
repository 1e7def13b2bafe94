// Use OpenShift short-term credentials (STS mode) for an operator on AWS.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { OpenShiftShortTermCredentials } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'openshift-sts', { namespace: 'my-operator' });
  const creds = OpenShiftShortTermCredentials.aws({ roleArn: 'arn:aws:iam::111122223333:role/my-operator' });
  creds.createCredentialsSecret(chart, 'Credentials', { metadata: { name: 'my-operator-cloud-credentials' } });
  const account = new kplus.ServiceAccount(chart, 'Account', { metadata: { name: 'my-operator' } });
  const operator = new kplus.Deployment(chart, 'Operator', {
    serviceAccount: account,
    containers: [{ name: 'operator', image: 'quay.io/example/my-operator:1.0.0', securityContext: { user: 1000 } }],
  });
  creds.bind(operator);
  return app;
}

if (require.main === module) build().synth();
