// Change an OpenShift cluster's service account issuer through GitOps, and
// restart the workloads once the new issuer is in effect.
//   npm run examples      (writes dist/examples/issuer-rotation/)
import { App, Chart, Duration } from 'cdk8s';
import { ClusterIssuerConfig, IssuerRotationRestart, RestartMethod } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'issuer-rotation');

  new ClusterIssuerConfig(chart, 'Issuer', {
    // a public https URL that serves /.well-known/openid-configuration and the keys
    serviceAccountIssuer: 'https://oidc.example.com/clusters/prod-eu-1',
    // server-side apply, never pruned, before workloads (wave -1)
    gitOps: { argoCd: true, flux: true },
    // once the kube-apiserver signs with the new issuer: a rollout restart of
    // every Deployment, StatefulSet and DaemonSet, namespace by namespace
    restart: {
      method: RestartMethod.ROLLOUT,
      excludeNamespaces: [...IssuerRotationRestart.DEFAULT_EXCLUDED_NAMESPACES, 'legacy-batch'],
      pauseBetweenNamespaces: Duration.seconds(10),
      image: IssuerRotationRestart.DEFAULT_IMAGE,
    },
  });

  return app;
}

if (require.main === module) {
  build().synth();
}
