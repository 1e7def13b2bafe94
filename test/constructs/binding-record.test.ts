// The record of a bound workload: the validation pass records its outcome,
// and the annotations that describe the manifest (acknowledgements, token
// rotation) read that record when the YAML is written, without running the
// rules again.
import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenRules, ProjectedTokenVolume, TokenRotation } from '../../src';
import * as manifest from '../../src/rules/manifest';
import { chart, countRenders, findKind, synth } from '../util';

const IMAGE = 'busybox:1.36';

function kubeDeployment(c: ReturnType<typeof chart>, id: string): kplus.k8s.KubeDeployment {
  return new kplus.k8s.KubeDeployment(c, id, {
    spec: {
      selector: { matchLabels: { app: id } },
      template: {
        metadata: { labels: { app: id } },
        spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: IMAGE }] },
      },
    },
  });
}

describe('the record of the validation pass', () => {
  test('writing the manifest runs no rule: the acknowledgement annotation is read from the record', () => {
    const c = chart();
    // no service account: warning BT151 on the workload itself
    const d = new kplus.Deployment(c, 'Web', { containers: [{ name: 'app', image: IMAGE, portNumber: 8080 }] });
    new ProjectedTokenVolume(c, 'Tok', { tokens: [{ path: 'token', audience: 'vault' }] }).mountInto(d);
    BoundTokenRules.acknowledge(d, 'BT151', 'the default account is this namespace\'s workload identity');
    const written = findKind(synth(c), 'Deployment');
    expect(written.spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT151': 'the default account is this namespace\'s workload identity' });
    const spy = jest.spyOn(manifest, 'checkObject');
    try {
      const again = ApiObject.of(d).toJson();
      expect(again.spec.template.metadata.annotations['bound-tokens.io/acknowledge-BT151']).toBe('the default account is this namespace\'s workload identity');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  test('a plain object renders once per render: the annotations read the record, not a nested render for the rules', () => {
    const c = chart();
    // a token volume written by hand, without an audience: warning BT120 on the object itself
    const d = new kplus.k8s.KubeDeployment(c, 'Api', {
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: {
            serviceAccountName: 'app',
            containers: [{ name: 'app', image: IMAGE, volumeMounts: [{ name: 'own', mountPath: '/own', readOnly: true }] }],
            volumes: [{ name: 'own', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
          },
        },
      },
    });
    new ProjectedTokenVolume(c, 'Tok', { tokens: [{ path: 'token', audience: 'vault' }] }).mountIntoApiObject(d);
    BoundTokenRules.acknowledge(d, 'BT120', 'the API server is the consumer');
    synth(c);
    const renders = countRenders(() => {
      expect(d.toJson().spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT120': 'the API server is the consumer' });
    });
    expect([...renders.values()].reduce((a, b) => a + b, 0)).toBe(1);
  });

  test('on a plain object whose pod template has no annotations, every recorded annotation is written (none replaces another)', () => {
    const c = chart();
    const d = kubeDeployment(c, 'Api');
    // two warnings of the volume: BT120 (no audience) and BT104 (over 24 hours)
    new ProjectedTokenVolume(c, 'Tok', { tokens: [{ path: 'token', expiration: Duration.hours(48) }] }).mountIntoApiObject(d);
    BoundTokenRules.acknowledge(c, 'BT120', 'the API server is the consumer');
    BoundTokenRules.acknowledge(c, 'BT104', 'a batch job that outlives a day');
    TokenRotation.annotate(d);
    const template = findKind(synth(c), 'Deployment').spec.template;
    expect(template.metadata.annotations).toEqual({
      'bound-tokens.io/acknowledge-BT120': 'the API server is the consumer',
      'bound-tokens.io/acknowledge-BT104': 'a batch job that outlives a day',
      'token-rotation.bound-tokens.io/tok': 'token: refresh after 24h, expires after 48h',
    });
    expect(template.metadata.labels).toEqual({ app: 'Api' });
  });

  test('the rotation annotation of a plain object follows a token added after binding', () => {
    const c = chart();
    const d = kubeDeployment(c, 'Api');
    const v = new ProjectedTokenVolume(c, 'Tok', { tokens: [{ path: 'a', audience: 'x', expiration: Duration.hours(1) }] });
    v.mountIntoApiObject(d, { rotationAnnotations: true });
    v.addToken({ path: 'b', audience: 'y', expiration: Duration.hours(2) });
    expect(findKind(synth(c), 'Deployment').spec.template.metadata.annotations).toEqual({
      'token-rotation.bound-tokens.io/tok': 'a: refresh after 48m, expires after 1h; b: refresh after 1h36m, expires after 2h',
    });
  });
});
