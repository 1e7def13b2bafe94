// Use Google Cloud Workload Identity Federation (outside GKE) with service account impersonation.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { GcpWorkloadIdentityFederation } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'gcp-workload-identity', { namespace: 'analytics' });
  const account = new kplus.ServiceAccount(chart, 'Account', { metadata: { name: 'exporter' } });
  const exporter = new kplus.Deployment(chart, 'Exporter', {
    serviceAccount: account,
    containers: [{ name: 'exporter', image: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:480.0.0-slim', args: ['gcloud', 'storage', 'ls'], securityContext: { user: 1000 } }],
  });
  new GcpWorkloadIdentityFederation({
    projectNumber: '123456789012',
    poolId: 'on-prem-clusters',
    providerId: 'cluster-a',
    serviceAccountEmail: 'exporter@analytics-prod.iam.gserviceaccount.com',
  }).bind(exporter);
  return app;
}

if (require.main === module) build().synth();
