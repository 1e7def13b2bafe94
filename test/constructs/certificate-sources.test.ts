// Issue 19, part 2: clusterTrustBundle and podCertificate sources, typed in
// the construct API and checked by one set of rules (src/rules/check-sources.ts)
// in the constructs, the lint and the policy's coverage table.
//
// Not tested on the API server: the test server is Kubernetes 1.32, which
// drops a clusterTrustBundle source while its gate is off and does not know
// podCertificate (1.34+). The rules follow validateProjectionSources of
// k8s pkg/apis/core/validation/validation.go and the API reference.
import { ApiObject, Duration } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import * as kplus32 from 'cdk8s-plus-32';
import * as kplus34 from 'cdk8s-plus-34';
import * as YAML from 'yaml';
import { PodCertificateKeyType, ProjectedTokenVolume } from '../../src';
import { Linter } from '../../src/lint/lint';
import { POLICY_RULES } from '../../src/policy/rules';
import { checkObject, Finding, MANIFEST_STYLE } from '../../src/rules';
import { chart, errorOf, findKind, synth } from '../util';

const ids = (f: readonly Finding[]) => f.map(x => x.ruleId);

const pod = (sources: any[], name = 'certs') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: {
    serviceAccountName: 'app',
    containers: [{ name: 'app', image: 'i:1', volumeMounts: [{ name, mountPath: '/var/run/secrets/tokens', readOnly: true }] }],
    volumes: [{ name, projected: { sources } }],
  },
});
const tok = { serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 3600 } };
const check = (sources: any[]) => checkObject(pod(sources), { style: MANIFEST_STYLE });
const ctb = (x: any) => ({ clusterTrustBundle: x });
const pc = (x: any) => ({ podCertificate: { signerName: 'example.com/agent', keyType: 'ED25519', credentialBundlePath: 'credentials.pem', ...x } });

describe('the rules, on manifests (the lint)', () => {
  test('a trust bundle by name and a pod certificate with one bundle file pass', () => {
    expect(check([tok, ctb({ name: 'my-ca', path: 'ca.pem' }), pc({})])).toEqual([]);
    expect(check([tok, ctb({ name: 'example.com:agent:ca-1', path: 'ca.pem' })])).toEqual([]);
    expect(check([tok, ctb({ signerName: 'example.com/agent', labelSelector: { matchLabels: { 'example.com/tier': 'prod' } }, path: 'ca.pem' })])).toEqual([]);
  });

  test.each([
    [{ name: 'a', signerName: 'example.com/s', path: 'ca.pem' }, 'BT260', "'name' and 'signerName' of the clusterTrustBundle in volume 'certs' are both set"],
    [{ path: 'ca.pem' }, 'BT260', "'name' or 'signerName' of the clusterTrustBundle in volume 'certs' must be set"],
    [{ name: 'a', labelSelector: {}, path: 'ca.pem' }, 'BT261', "'labelSelector' of the clusterTrustBundle in volume 'certs' must be unset when 'name' is set"],
    [{ signerName: 'example.com/s', labelSelector: { matchLabels: { 'bad key!': 'x' } }, path: 'ca.pem' }, 'BT261', 'has a label key that is not valid'],
    [{ signerName: 'signer', labelSelector: {}, path: 'ca.pem' }, 'BT262', "must be a fully qualified domain and path of the form 'example.com/signer-name'"],
    [{ signerName: 'example/s', labelSelector: {}, path: 'ca.pem' }, 'BT262', 'must have a domain with at least two segments'],
    [{ name: 'My_CA', path: 'ca.pem' }, 'BT263', 'must be a DNS-1123 subdomain'],
    [{ name: '', path: 'ca.pem' }, 'BT263', 'must be a valid object name, not empty'],
    [{ name: 'ca', path: '/etc/ca.pem' }, 'BT264', 'must be a relative path'],
    [{ name: 'ca', path: '' }, 'BT264', 'must be a non-empty relative path'],
    [{ name: 'ca', path: '..data' }, 'BT264', "must not start with '..'"],
    [{ signerName: 'example.com/s', path: 'ca.pem' }, 'BT269', 'matches no ClusterTrustBundle, so the kubelet never starts the pod'],
    [{ signerName: 'example.com/s', optional: true, path: 'ca.pem' }, 'BT270', 'so the optional bundle file is always empty'],
  ])('a clusterTrustBundle %j is %s', (src, id, phrase) => {
    const f = check([tok, ctb(src)]);
    expect(ids(f)).toEqual([id]);
    expect(f[0].message).toContain(`${id}: `);
    expect(f[0].message).toContain(phrase);
  });

  test.each([
    [{ signerName: 's' }, 'BT262', "of the podCertificate in volume 'certs' must be a fully qualified domain"],
    [{ keyType: 'RSA2048' }, 'BT265', 'must be one of RSA3072, RSA4096, ECDSAP256, ECDSAP384, ECDSAP521, ED25519'],
    [{ keyType: undefined }, 'BT265', 'got nothing'],
    [{ maxExpirationSeconds: 3599 }, 'BT266', 'must be between 3600 and 7862400 seconds, got 3599 seconds'],
    [{ maxExpirationSeconds: 7862401 }, 'BT266', 'must be between 3600 and 7862400 seconds'],
    [{ signerName: 'kubernetes.io/kube-apiserver-client-pod', maxExpirationSeconds: 86401 }, 'BT266', 'must be between 3600 and 86400 seconds (a kubernetes.io/ signer issues for at most 24 hours)'],
    [{ maxExpirationSeconds: 3600.5 }, 'BT266', 'must be a whole number of seconds'],
    [{ credentialBundlePath: undefined }, 'BT267', "'credentialBundlePath' of the podCertificate in volume 'certs' is not set, and neither are keyPath and certificateChainPath"],
    [{ credentialBundlePath: '../creds.pem' }, 'BT264', "must not contain a '..' segment"],
  ])('a podCertificate with %j is %s', (over, id, phrase) => {
    const f = check([tok, pc(over)]);
    expect(ids(f)).toEqual([id]);
    expect(f[0].message).toContain(phrase);
  });

  test('the limits are inclusive: 3600, 7862400 and 86400 for kubernetes.io/ signers pass', () => {
    expect(check([tok, pc({ maxExpirationSeconds: 3600 })])).toEqual([]);
    expect(check([tok, pc({ maxExpirationSeconds: 7862400 })])).toEqual([]);
    expect(check([tok, pc({ signerName: 'kubernetes.io/kube-apiserver-client-pod', maxExpirationSeconds: 86400 })])).toEqual([]);
  });

  test('a key and a chain in files of their own are a warning (BT268), one per source', () => {
    const f = check([tok, pc({ credentialBundlePath: undefined, keyPath: 'tls.key', certificateChainPath: 'tls.crt' })]);
    expect(ids(f)).toEqual(['BT268']);
    expect(f[0].level).toBe('warning');
    expect(f[0].message).toContain("BT268: 'keyPath' of the podCertificate in volume 'certs' writes the key and the chain to files of their own");
  });

  test('their paths take part in the overlap rule (BT114), with a token and with each other', () => {
    const f = check([tok, ctb({ name: 'ca', path: 'certs' }), pc({ credentialBundlePath: 'certs/creds.pem' })]);
    expect(ids(f)).toEqual(['BT114']);
    expect(f[0].message).toContain("'path' of PodCertificate in volume 'certs' overlaps 'certs' of ClusterTrustBundle");
  });

  test('a volume without tokens is checked for its certificate sources alone', () => {
    expect(ids(check([ctb({ signerName: 'example.com/s', path: 'ca.pem' })]))).toEqual(['BT269']);
    expect(check([ctb({ name: 'ca', path: 'ca.pem' }), { configMap: { name: 'x', items: [{ key: 'k', path: 'k' }] } }])).toEqual([]);
  });

  test('the lint reports them with a line', () => {
    const linter = new Linter();
    linter.addSource('pod.yaml', YAML.stringify(pod([tok, ctb({ name: 'a', signerName: 'example.com/s', path: 'ca.pem' })])));
    const r = linter.report();
    expect(r.findings.map(f => f.ruleId)).toEqual(['BT260']);
    expect(r.findings[0].line).toBeGreaterThan(1);
  });

  test('the policy says why it does not enforce them', () => {
    for (const id of ['BT260', 'BT261', 'BT262', 'BT263', 'BT264', 'BT265', 'BT266', 'BT267']) {
      expect((POLICY_RULES[id] as any).notExpressible).toContain('refuses it before admission');
    }
    for (const id of ['BT268', 'BT269', 'BT270']) expect((POLICY_RULES[id] as any).notExpressible).toContain('drops a clusterTrustBundle source');
  });
});

describe('the construct API', () => {
  const account = (c: any, k: any) => new k.ServiceAccount(c, 'SA', { metadata: { name: 'app' } });

  test('renders trust bundles and pod certificates after the tokens, a selector of every bundle of the signer when none is given', () => {
    const c = chart();
    const vol = new ProjectedTokenVolume(c, 'Identity', {
      tokens: [{ path: 'token', audience: 'spire-server' }],
      trustBundles: [{ signerName: 'example.com/agent', path: 'ca.pem' }],
    });
    vol.addTrustBundle({ name: 'corp-ca', path: 'corp-ca.pem', optional: true });
    vol.addTrustBundle({ signerName: 'example.com/agent', labelSelector: { 'example.com/tier': 'prod' }, path: 'prod-ca.pem' });
    vol.addPodCertificate({
      signerName: 'example.com/agent',
      keyType: PodCertificateKeyType.ECDSAP256,
      maxExpiration: Duration.hours(12),
      credentialBundlePath: 'credentials.pem',
    });
    const p = new kplus34.Pod(c, 'Pod', { serviceAccount: account(c, kplus34), containers: [{ image: 'i:1', name: 'app' }] });
    vol.mountInto(p);
    const volume = findKind(synth(c), 'Pod').spec.volumes[0];
    expect(volume.projected.sources).toEqual([
      { serviceAccountToken: { audience: 'spire-server', expirationSeconds: 3600, path: 'token' } },
      { clusterTrustBundle: { labelSelector: {}, path: 'ca.pem', signerName: 'example.com/agent' } },
      { clusterTrustBundle: { name: 'corp-ca', optional: true, path: 'corp-ca.pem' } },
      { clusterTrustBundle: { labelSelector: { matchLabels: { 'example.com/tier': 'prod' } }, path: 'prod-ca.pem', signerName: 'example.com/agent' } },
      {
        podCertificate: {
          credentialBundlePath: 'credentials.pem',
          keyType: 'ECDSAP256',
          maxExpirationSeconds: 43200,
          signerName: 'example.com/agent',
        },
      },
    ]);
    expect(vol.toVolumeJson()).toEqual(volume);
    // what the construct writes, the lint passes
    expect(checkObject(findKind(synth(c), 'Pod'), { style: MANIFEST_STYLE })).toEqual([]);
  });

  test("Kubernetes' own validation is thrown at construction, with the rule id", () => {
    const c = chart();
    expect(errorOf(() => new ProjectedTokenVolume(c, 'A', { trustBundles: [{ name: 'ca', signerName: 'example.com/s', path: 'ca.pem' }] })))
      .toContain("[test/A] BT260: 'name' and 'signerName' of the clusterTrustBundle in volume 'a' are both set");
    expect(errorOf(() => new ProjectedTokenVolume(c, 'B', { podCertificates: [{ signerName: 'kubernetes.io/kube-apiserver-client-pod', keyType: PodCertificateKeyType.ED25519, maxExpiration: Duration.days(2), credentialBundlePath: 'c.pem' }] })))
      .toContain("BT266: 'maxExpiration' of the podCertificate in volume 'b' must be between 3600 and 86400 seconds");
    expect(errorOf(() => new ProjectedTokenVolume(c, 'C', { podCertificates: [{ signerName: 'example.com/s', keyType: PodCertificateKeyType.ED25519 }] })))
      .toContain('BT267');
    const v = new ProjectedTokenVolume(c, 'D', { tokens: [{ path: 'token', audience: 'x' }] });
    expect(errorOf(() => v.addTrustBundle({ name: 'ca', path: '/abs.pem' }))).toContain("[test/D] addTrustBundle(): BT264: 'path' of the clusterTrustBundle in volume 'd' must be a relative path");
    expect(v.trustBundles).toEqual([]);
    expect(errorOf(() => v.addPodCertificate({ signerName: 'example.com/s', keyType: 'RSA1024' as any, credentialBundlePath: 'c.pem' })))
      .toContain("BT230: 'certificate.keyType' must be one of PodCertificateKeyType");
  });

  test('the split key and chain files are a synth warning (BT268), not an error', () => {
    const c = chart();
    const v = new ProjectedTokenVolume(c, 'V', { podCertificates: [{ signerName: 'example.com/s', keyType: PodCertificateKeyType.ED25519, keyPath: 'tls.key', certificateChainPath: 'tls.crt' }] });
    expect(v._findings().map(f => f.ruleId)).toEqual(['BT268', 'BT143']);
  });

  test('a path of a source that overlaps a token is BT114 at synth, as the lint reports it', () => {
    const c = chart();
    const v = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 'ca.pem', audience: 'x' }], trustBundles: [{ name: 'ca', path: './ca.pem' }] });
    const f = v._findings().filter(x => x.ruleId !== 'BT143');
    expect(f.map(x => x.ruleId)).toEqual(['BT114']);
    expect(f[0].message).toContain("overlaps 'ca.pem' of ServiceAccountToken");
  });

  test('a cdk8s-plus line that would drop the source is refused at mountInto (BT273)', () => {
    const c = chart();
    const v = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't', audience: 'x' }], podCertificates: [{ signerName: 'example.com/s', keyType: PodCertificateKeyType.ED25519, credentialBundlePath: 'c.pem' }] });
    const p27 = new kplus27.Pod(c, 'P27', { serviceAccount: account(c, kplus27), containers: [{ image: 'i:1' }] });
    expect(errorOf(() => v.mountInto(p27))).toContain("BT273: 'workload' is of cdk8s-plus-27, which cannot render the podCertificate source of volume 'v'");
    const c2 = chart();
    const w = new ProjectedTokenVolume(c2, 'W', { tokens: [{ path: 't', audience: 'x' }] });
    const p32 = new kplus32.Pod(c2, 'P32', { serviceAccount: account(c2, kplus32), containers: [{ image: 'i:1' }] });
    w.mountInto(p32);
    w.addTrustBundle({ name: 'ca', path: 'ca.pem' });
    expect(findKind(synth(c2), 'Pod').spec.volumes[0].projected.sources[1]).toEqual({ clusterTrustBundle: { name: 'ca', path: 'ca.pem' } });
    expect(errorOf(() => w.addPodCertificate({ signerName: 'example.com/s', keyType: PodCertificateKeyType.ED25519, credentialBundlePath: 'c.pem' })))
      .toContain('BT273');
    expect(w.podCertificates).toEqual([]);
  });

  test('userAnnotations (a Kubernetes 1.35 field that no cdk8s-plus line renders yet) are refused at mountInto and written by mountIntoApiObject', () => {
    const c = chart();
    const cert = { signerName: 'example.com/s', keyType: PodCertificateKeyType.ED25519, credentialBundlePath: 'c.pem', userAnnotations: { 'example.com/profile': 'mtls' } };
    const v = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't', audience: 'x' }], podCertificates: [cert] });
    const p34 = new kplus34.Pod(c, 'P34', { serviceAccount: account(c, kplus34), containers: [{ image: 'i:1' }] });
    expect(errorOf(() => v.mountInto(p34))).toContain("BT273: 'workload' is of cdk8s-plus-34, which cannot render the podCertificate userAnnotations of volume 'v'");
    const c2 = chart();
    const w = new ProjectedTokenVolume(c2, 'W', { tokens: [{ path: 't', audience: 'x' }], podCertificates: [cert] });
    // a plain ApiObject (or an Include): the generated KubePod classes filter their JSON through their own types too
    const kube = new ApiObject(c2, 'Kube', { apiVersion: 'v1', kind: 'Pod', spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'i:1' }] } });
    w.mountIntoApiObject(kube);
    expect(findKind(synth(c2), 'Pod').spec.volumes[0].projected.sources[1].podCertificate.userAnnotations).toEqual({ 'example.com/profile': 'mtls' });
  });
});
