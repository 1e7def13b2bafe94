// Enforce the library's rules inside the cluster: the admission policies of
// cdk8s-bound-tokens, for a platform team's chart.
//   npm run examples      (writes dist/examples/admission-policy/)
// The same YAML, without cdk8s code:
//   npx cdk8s-bound-tokens policy --exclude-namespace-prefix sandbox- \
//     --exclude-namespace-label bound-tokens.io/exempt=true
import { App, Chart } from 'cdk8s';
import { PolicyAction, TokenAdmissionPolicy } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  // A namespace on the chart does not end up on the cluster-scoped policies.
  const chart = new Chart(app, 'admission-policy', { namespace: 'platform' });

  new TokenAdmissionPolicy(chart, 'BoundTokens', {
    // Roll out: refuse nothing, warn and audit (the default, written out);
    // switch to PolicyAction.DENY once the audit log shows no more violations
    // (docs/admission-policy.md).
    errorAction: PolicyAction.WARN,
    // kube-system, kube-public and kube-node-lease are left out by default
    // (openShift: true adds openshift and openshift-*); leave out the
    // sandboxes and opted-out namespaces too.
    excludeNamespacePrefixes: ['sandbox-'],
    excludeNamespaceLabels: { 'bound-tokens.io/exempt': 'true' },
  });

  return app;
}

if (require.main === module) {
  build().synth();
}
