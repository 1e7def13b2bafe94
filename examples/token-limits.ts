// The cluster's token limits, declared once: this cluster's kube-apiserver runs with
// --service-account-max-token-expiration=2h, so a longer request is shortened and the kubelet
// refreshes the token earlier than the manifest says. The lifetime rules, TokenRotation and the
// admission policy read the declaration. Beside it, a Vault Agent with JWT auto-auth reading a
// read-only projected token (the preset writes the injector's auth-config annotations).
//   npm run examples      (writes dist/examples/token-limits/)
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { BoundTokenRules, ClusterTokenLimits, ProjectedTokenVolume, TokenRotation, VaultAuthMethod, VaultToken } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  new ClusterTokenLimits(app, 'TokenLimits', { maxTokenExpiration: Duration.hours(2) });

  const chart = new Chart(app, 'token-limits', { namespace: 'reports' });
  const account = new kplus.ServiceAccount(chart, 'ReportsAccount', { metadata: { name: 'reports' } });
  const reports = new kplus.Deployment(chart, 'Reports', {
    metadata: { name: 'reports' },
    serviceAccount: account,
    containers: [{ name: 'reports', image: 'ghcr.io/example/reports:1.8.0', portNumber: 8080 }],
  });
  const gatewayToken = new ProjectedTokenVolume(chart, 'ApiGatewayToken', {
    name: 'gateway-token',
    // the gateway's own client asks for 4 h; this cluster issues 2 h (BT280 says so, acknowledged here)
    tokens: [{ path: 'gateway-token', audience: 'https://gateway.example.com', expiration: Duration.hours(4) }],
  });
  gatewayToken.mountInto(reports);
  BoundTokenRules.acknowledge(gatewayToken, 'BT280', 'the client re-reads the file; 2 h tokens are fine on this cluster');
  // the pod template says when the kubelet refreshes each token on this cluster
  TokenRotation.annotate(reports);

  const agentAccount = new kplus.ServiceAccount(chart, 'BillingAccount', { metadata: { name: 'billing' } });
  const billing = new kplus.Deployment(chart, 'Billing', {
    metadata: { name: 'billing' },
    serviceAccount: agentAccount,
    containers: [{ name: 'billing', image: 'ghcr.io/example/billing:3.0.2', portNumber: 8080 }],
  });
  new VaultToken({ authMethod: VaultAuthMethod.JWT, agentInjector: true, expiration: Duration.hours(1) }).bind(billing);
  return app;
}

if (require.main === module) build().synth();
