// Use an AWS IAM role: IRSA on a Deployment, and the EKS Pod Identity variant on a Job.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AwsEksPodIdentity, AwsIamRole } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'aws-iam-role', { namespace: 'payments' });

  const irsa = new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/payments-api', region: 'eu-west-1' });
  // the ServiceAccount carries eks.amazonaws.com/role-arn, as EKS expects
  const account = irsa.createServiceAccount(chart, 'Account', { metadata: { name: 'payments-api' } });
  const api = new kplus.Deployment(chart, 'Api', {
    serviceAccount: account,
    containers: [{ name: 'api', image: 'public.ecr.aws/aws-cli/aws-cli:2.17.0', args: ['sts', 'get-caller-identity'], securityContext: { user: 1000 } }],
  });
  irsa.bind(api);

  const batchAccount = new kplus.ServiceAccount(chart, 'BatchAccount', { metadata: { name: 'payments-batch' } });
  const job = new kplus.Job(chart, 'Batch', {
    serviceAccount: batchAccount,
    containers: [{ name: 'batch', image: 'public.ecr.aws/aws-cli/aws-cli:2.17.0', args: ['s3', 'ls'], securityContext: { user: 1000 } }],
  });
  new AwsEksPodIdentity().bind(job);
  return app;
}

if (require.main === module) build().synth();
