// Objects on which fast-check once found the policy and the lint disagreeing.
import { policyAgreesWithLint } from './harness';

describe('the policy and the lint agree on', () => {
  test('two token volumes of one name, the first shaped like the API-access volume: both report BT133, BT120 and BT143 alike', () => {
    const apiAccess = {
      name: 'tok',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    const obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x' },
      spec: {
        serviceAccountName: 'app',
        volumes: [apiAccess, { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
        containers: [{ name: 'a', image: 'i:1', volumeMounts: [] }],
      },
    };
    const r = policyAgreesWithLint([['pod', obj]]);
    expect(r.disagreements).toEqual([]);
  });
});
