// Use Azure Workload Identity on a Deployment (US Government cloud).
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AzureCloud, AzureWorkloadIdentity } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'azure-workload-identity', { namespace: 'reports' });
  const identity = new AzureWorkloadIdentity({
    clientId: '00000000-1111-2222-3333-444444444444',
    tenantId: '55555555-6666-7777-8888-999999999999',
    cloud: AzureCloud.US_GOVERNMENT,
  });
  const account = identity.createServiceAccount(chart, 'Account', { metadata: { name: 'reports' } });
  const app1 = new kplus.Deployment(chart, 'Reports', {
    serviceAccount: account,
    containers: [{ name: 'reports', image: 'mcr.microsoft.com/azure-cli:2.61.0', args: ['az', 'login', '--federated-token', '@/var/run/secrets/azure/tokens/azure-identity-token'], securityContext: { user: 1000 } }],
  });
  identity.bind(app1);
  return app;
}

if (require.main === module) build().synth();
