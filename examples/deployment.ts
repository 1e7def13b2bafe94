// A Deployment whose pods read a short-lived Vault token, written with
// cdk8s-plus and this library.
//   npm run examples      (writes dist/examples/deployment/)
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ProjectedTokenVolume } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'deployment');

  const account = new kplus.ServiceAccount(chart, 'Web', {
    metadata: { name: 'web' },
  });

  const web = new kplus.Deployment(chart, 'WebDeployment', {
    metadata: { name: 'web' },
    replicas: 2,
    serviceAccount: account,
    containers: [{
      name: 'web',
      // runs as uid 101 and listens on 8080: fits cdk8s-plus's non-root defaults
      image: 'nginxinc/nginx-unprivileged:1.27-alpine',
      portNumber: 8080,
    }],
  });
  // nginx writes its pid and caches under /tmp; the root filesystem is read-only.
  web.containers[0].mount('/tmp', kplus.Volume.fromEmptyDir(chart, 'Tmp', 'tmp'));

  // A 2-hour token for Vault's Kubernetes auth (role audience: vault),
  // refreshed by the kubelet after 1h36m.
  const vaultToken = new ProjectedTokenVolume(chart, 'VaultToken', {
    tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }],
  });

  // Every container and init container gets the volume read-only at
  // /var/run/secrets/vault, and the file's path in VAULT_TOKEN_FILE. The pod
  // template says when the token is refreshed and when it expires.
  vaultToken.mountInto(web, {
    mountPath: '/var/run/secrets/vault',
    envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }],
    rotationAnnotations: true,
  });

  return app;
}

if (require.main === module) {
  build().synth();
}
