// Istio and SPIRE agent tokens, each readable only in its own container: both at /var/run/secrets/tokens, in two projected volumes (one per container).
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IstioToken, SpireAgentToken } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'istio-spire', { namespace: 'spire' });
  const account = new kplus.ServiceAccount(chart, 'Account', { metadata: { name: 'spire-agent' } });
  const agent = new kplus.DaemonSet(chart, 'Agent', {
    serviceAccount: account,
    containers: [
      { name: 'spire-agent', image: 'ghcr.io/spiffe/spire-agent:1.10.0', args: ['-config', '/run/spire/config/agent.conf'], securityContext: { user: 1000 } },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3', securityContext: { user: 1337 } },
    ],
  });
  new SpireAgentToken().bind(agent, { containers: ['spire-agent'] });
  new IstioToken().bind(agent, { containers: ['istio-proxy'] });
  return app;
}

if (require.main === module) build().synth();
