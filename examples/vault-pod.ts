// The seed document's pod: nginx with a Vault token, written with this library.
//   npm run examples      (writes dist/examples/vault-pod/)
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenPod, ProjectedTokenVolume } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'vault-pod');

  const account = new kplus.ServiceAccount(chart, 'BuildRobot', {
    metadata: { name: 'build-robot' },
  });

  // A 2-hour token for Vault's Kubernetes auth (role audience: vault).
  const vaultToken = new ProjectedTokenVolume(chart, 'VaultToken', {
    tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }],
  });

  const pod = new BoundTokenPod(chart, 'Nginx', {
    metadata: { name: 'nginx' },
    serviceAccount: account,
    tokenVolume: vaultToken,
    // mounted read-only at /var/run/secrets/tokens (the default)
    containers: [{
      name: 'nginx',
      // runs as uid 101 and listens on 8080: fits cdk8s-plus's non-root defaults
      image: 'nginxinc/nginx-unprivileged:1.27-alpine',
      portNumber: 8080,
    }],
  });

  // nginx writes its pid and caches under /tmp; the root filesystem is read-only.
  const tmp = kplus.Volume.fromEmptyDir(chart, 'Tmp', 'tmp');
  pod.containers[0].mount('/tmp', tmp);

  return app;
}

if (require.main === module) {
  build().synth();
}
