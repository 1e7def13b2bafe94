// Mount a token for Vault, with the Vault Agent injector told to use it.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { VaultAuthMethod, VaultToken } from '../src';

export function build(outdir?: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'vault-agent', { namespace: 'shop' });
  const account = new kplus.ServiceAccount(chart, 'Account', { metadata: { name: 'shop' } });
  const shop = new kplus.StatefulSet(chart, 'Shop', {
    serviceAccount: account,
    containers: [{ name: 'shop', image: 'ghcr.io/example/shop:2.3.1', portNumber: 8080, securityContext: { user: 1000 } }],
  });
  new VaultToken({ authMethod: VaultAuthMethod.KUBERNETES, agentInjector: true }).bind(shop);
  return app;
}

if (require.main === module) build().synth();
