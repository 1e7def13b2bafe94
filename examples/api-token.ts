// A controller that calls the Kubernetes API with a short-lived token, mounted
// only into the container that needs it (automountServiceAccountToken stays off).
//   npm run examples      (writes dist/examples/api-token/)
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { ApiAccessToken } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'api-token');

  // The account the token identifies: grant it only what the controller needs.
  const account = new kplus.ServiceAccount(chart, 'Controller', {
    metadata: { name: 'config-watcher' },
  });
  const role = new kplus.Role(chart, 'ReadConfigMaps');
  role.allowRead(kplus.ApiResource.CONFIG_MAPS);
  role.bind(account);

  const deployment = new kplus.Deployment(chart, 'Watcher', {
    metadata: { name: 'config-watcher' },
    serviceAccount: account,
    // cdk8s-plus leaves automountServiceAccountToken off: no container gets the platform's year-long token
    containers: [
      { name: 'watcher', image: 'registry.example.com/config-watcher:1.4.0' },
      { name: 'exporter', image: 'registry.example.com/metrics-exporter:2.1.0', portNumber: 9100 },
    ],
  });

  // A 1-hour token, ca.crt and namespace at /var/run/secrets/kubernetes.io/serviceaccount,
  // where client-go's rest.InClusterConfig() reads them; only the watcher calls the API.
  const apiToken = new ApiAccessToken(chart, 'ApiToken', { expiration: Duration.hours(1) });
  apiToken.mountInto(deployment, { containers: ['watcher'] });

  return app;
}

if (require.main === module) {
  build().synth();
}
