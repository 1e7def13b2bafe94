// A nightly CronJob, written as a plain KubeCronJob, that assumes an AWS IAM
// role with a bound token (web identity federation). The token is mounted
// with mountIntoApiObject, which works on any ApiObject with a pod spec.
//   npm run examples      (writes dist/examples/cronjob/)
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ProjectedTokenVolume } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'cronjob');

  new kplus.k8s.KubeServiceAccount(chart, 'Backup', {
    metadata: { name: 'backup' },
    automountServiceAccountToken: false,
  });

  const cron = new kplus.k8s.KubeCronJob(chart, 'Nightly', {
    metadata: { name: 'backup' },
    spec: {
      schedule: '30 2 * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            spec: {
              serviceAccountName: 'backup',
              automountServiceAccountToken: false,
              restartPolicy: 'OnFailure',
              securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
              containers: [{
                name: 'backup',
                image: 'amazon/aws-cli:2.17.0',
                args: ['s3', 'sync', '/data', 's3://example-backups/nightly/'],
                env: [
                  { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/backup' },
                  { name: 'AWS_REGION', value: 'eu-west-1' },
                  // the CLI caches credentials under $HOME; the root filesystem is read-only
                  { name: 'HOME', value: '/tmp' },
                ],
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
                volumeMounts: [
                  { name: 'data', mountPath: '/data', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              }],
              volumes: [
                { name: 'data', persistentVolumeClaim: { claimName: 'app-data', readOnly: true } },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      },
    },
  });

  // A one-hour token for AWS STS. The AWS SDKs and CLI re-read the file
  // named by AWS_WEB_IDENTITY_TOKEN_FILE whenever they refresh credentials.
  const token = new ProjectedTokenVolume(chart, 'AwsIamToken', {
    tokens: [{ path: 'token', audience: 'sts.amazonaws.com', expiration: Duration.hours(1) }],
  });
  token.mountIntoApiObject(cron, {
    mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount',
    envVars: [{ name: 'AWS_WEB_IDENTITY_TOKEN_FILE', tokenPath: 'token' }],
    rotationAnnotations: true,
  });

  return app;
}

if (require.main === module) {
  build().synth();
}
