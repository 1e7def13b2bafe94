import { Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { BoundTokenPod, ProjectedTokenVolume, TokenRotation } from '../../src';
import { formatSeconds, rotationAnnotations, tokenRotations } from '../../src/rules/rotation';
import { expectValidManifests } from '../schema';
import { chart, errorOf, findKind, synth } from '../util';

const IMAGE = 'busybox:1.36';

function deployment(c: Chart, id = 'D') {
  const sa = new kplus.ServiceAccount(c, `SA${id}`, { metadata: { name: `sa-${id.toLowerCase()}` } });
  return new kplus.Deployment(c, id, { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }], initContainers: [{ image: IMAGE, name: 'init' }] });
}

describe('TokenRotation', () => {
  test('of(): refresh-after and expiry of every token of a workload', () => {
    const c = chart();
    const d = deployment(c);
    new ProjectedTokenVolume(c, 'VaultToken', {
      tokens: [
        { path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) },
        { path: 'api-token' },
      ],
    }).mountInto(d, { mountPath: '/var/run/secrets/vault/' });
    const info = TokenRotation.of(d);
    expect(info).toHaveLength(2);
    expect(info[0]).toMatchObject({
      volumeName: 'vault-token',
      tokenPath: 'vault-token',
      audience: 'vault',
      containers: ['init', 'app'],
      files: ['/var/run/secrets/vault/vault-token'],
    });
    expect(info[0].expiresAfter.toSeconds()).toBe(7200);
    expect(info[0].refreshAfter.toSeconds()).toBe(5760);
    // an omitted lifetime is the API server's default, one hour
    expect(info[1].audience).toBeUndefined();
    expect(info[1].expiresAfter.toSeconds()).toBe(3600);
    expect(info[1].refreshAfter.toSeconds()).toBe(2880);
  });

  test('of(): the same answer as ProjectedTokenVolume.refreshAfter, for a raw object too', () => {
    const c = chart();
    const job = new kplus.k8s.KubeJob(c, 'Job', {
      spec: { template: { spec: { restartPolicy: 'Never', serviceAccountName: 'x', containers: [{ name: 'x', image: IMAGE }] } } },
    });
    new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't', audience: 'a', expiration: Duration.hours(48) }] }).mountIntoApiObject(job);
    const [t] = TokenRotation.of(job);
    expect(t.refreshAfter.toSeconds()).toBe(ProjectedTokenVolume.refreshAfter(Duration.hours(48)).toSeconds());
    expect(t.refreshAfter.toSeconds()).toBe(86400);
  });

  test('of() reads the workload as it is: a container added later shows once it is bound', () => {
    const c = chart();
    const d = deployment(c);
    const v = new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't', audience: 'a' }] });
    v.mountInto(d);
    d.addContainer({ image: IMAGE, name: 'late' });
    expect(TokenRotation.of(d)[0].containers).toEqual(['init', 'app']);
    v.mountInto(d);
    expect(TokenRotation.of(d)[0].containers).toEqual(['init', 'app', 'late']);
  });

  test('fails when of() is given something without a pod spec', () => {
    const c = chart();
    const cm = new kplus.ConfigMap(c, 'Cm');
    expect(errorOf(() => TokenRotation.of(cm))).toContain("[test/Cm] TokenRotation.of: 'workload' carries no pod spec, got kind ConfigMap");
    expect(errorOf(() => TokenRotation.of(c))).toContain("[test] BT149: 'workload' of TokenRotation.of must be a cdk8s-plus workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob) or an ApiObject with a pod spec, got a Chart at 'test'");
  });

  test('report(): every checked workload under a scope, sorted by path', () => {
    const c = chart();
    const b = deployment(c, 'B');
    const a = deployment(c, 'A');
    const v = new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't', audience: 'a', expiration: Duration.minutes(10) }] });
    v.mountInto(b);
    a.containers[0].mount('/t', v, { readOnly: true }); // found by the discovery
    new kplus.Deployment(c, 'NoToken', { containers: [{ image: IMAGE }] });
    const report = TokenRotation.report(c);
    expect(report.map(r => [r.constructPath, r.kind, r.tokens.length])).toEqual([['test/A', 'Deployment', 1], ['test/B', 'Deployment', 1]]);
    expect(report[0].tokens[0].refreshAfter.toSeconds()).toBe(480);
    expect(report[0].tokens[0].files).toEqual(['/t/t']);
    expect(report[0].name).toMatch(/^test-a-/);
  });

  test('annotate(): opt-in durations on the pod template, never timestamps', () => {
    const c = chart();
    const d = deployment(c);
    new ProjectedTokenVolume(c, 'VaultToken', {
      tokens: [
        { path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) },
        { path: 'short', audience: 'x', expiration: Duration.seconds(601) },
      ],
    }).mountInto(d);
    new ProjectedTokenVolume(c, 'Istio', { tokens: [{ path: 'istio-token', audience: 'istio-ca', expiration: Duration.hours(12) }] })
      .mountInto(d, { mountPath: '/var/run/secrets/istio', rotationAnnotations: true });
    const objs = synth(c);
    const dep = findKind(objs, 'Deployment');
    expect(dep.spec.template.metadata.annotations).toEqual({
      'token-rotation.bound-tokens.io/istio': 'istio-token: refresh after 9h36m, expires after 12h',
      'token-rotation.bound-tokens.io/vault-token': 'vault-token: refresh after 1h36m, expires after 2h; short: refresh after 8m1s, expires after 10m1s',
    });
    // on the pod template only: the Deployment's own metadata is unchanged
    expect(dep.metadata.annotations).toBeUndefined();
    expectValidManifests(objs);
    // deterministic: the next synth writes the same
    expect(synth(c)).toEqual(objs);
  });

  test('annotate(): off by default', () => {
    const c = chart();
    const d = deployment(c);
    new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't', audience: 'a' }] }).mountInto(d);
    expect(findKind(synth(c), 'Deployment').spec.template.metadata.annotations).toBeUndefined();
  });

  test('annotate(scope): every checked workload below it, bare Pods on their own metadata, raw objects too', () => {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'robot' } });
    const v = new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't', audience: 'a' }] });
    new BoundTokenPod(c, 'Pod', { serviceAccount: sa, tokenVolume: v, containers: [{ image: IMAGE }] });
    const cron = new kplus.k8s.KubeCronJob(c, 'Cron', {
      spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', serviceAccountName: 'robot', containers: [{ name: 'x', image: IMAGE }] } } } } },
    });
    v.mountIntoApiObject(cron);
    TokenRotation.annotate(c);
    const objs = synth(c);
    const expected = { 'token-rotation.bound-tokens.io/t': 't: refresh after 48m, expires after 1h' };
    expect(findKind(objs, 'Pod').metadata.annotations).toEqual(expected);
    expect(findKind(objs, 'CronJob').spec.jobTemplate.spec.template.metadata.annotations).toEqual(expected);
    expectValidManifests(objs);
  });

  test('annotate(workload) on a raw object with a hand-written token volume', () => {
    const c = chart();
    const pod = new kplus.k8s.KubePod(c, 'Pod', {
      spec: {
        serviceAccountName: 'x',
        containers: [{ name: 'x', image: IMAGE, volumeMounts: [{ name: 'tok', mountPath: '/tok' }] }],
        volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'aud', expirationSeconds: 86400 } }] } }],
      },
    });
    TokenRotation.annotate(pod);
    expect(synth(c)[0].metadata.annotations).toEqual({ 'token-rotation.bound-tokens.io/tok': 'token: refresh after 19h12m, expires after 24h' });
    expect(TokenRotation.of(pod)[0].files).toEqual(['/tok/token']);
  });

  test('formatDuration: hours, minutes and seconds without zero units', () => {
    expect(TokenRotation.formatDuration(Duration.seconds(5760))).toBe('1h36m');
    expect(TokenRotation.formatDuration(Duration.seconds(481))).toBe('8m1s');
    expect(TokenRotation.formatDuration(Duration.hours(24))).toBe('24h');
    expect(TokenRotation.formatDuration(Duration.seconds(4294967296))).toBe('1193046h28m16s');
    expect(errorOf(() => TokenRotation.formatDuration(Duration.millis(1500)))).toContain("BT103: 'duration' must be a whole number of seconds, got 1.5 seconds");
  });

  test('property: formatSeconds reads back to the same number of seconds', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 32 }), (s) => {
      const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(formatSeconds(s));
      expect(m).not.toBeNull();
      const [, h, mi, se] = m!;
      expect(Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(se ?? 0)).toBe(s);
      expect(Number(mi ?? 0)).toBeLessThan(60);
      expect(Number(se ?? 0)).toBeLessThan(60);
    }));
  });

  test('property: annotations agree with refreshAfter and are the same on every render', () => {
    fc.assert(fc.property(fc.integer({ min: 600, max: 2 ** 32 }), (seconds) => {
      const pod = {
        kind: 'Pod',
        spec: {
          containers: [{ name: 'a', volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
          volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: seconds } }] } }],
        },
      };
      const refresh = ProjectedTokenVolume.refreshAfter(Duration.seconds(seconds)).toSeconds();
      const [entry] = tokenRotations(pod);
      expect(entry.refreshAfterSeconds).toBe(refresh);
      expect(refresh).toBeLessThanOrEqual(Math.min(seconds, 86400));
      const value = rotationAnnotations(pod).get('token-rotation.bound-tokens.io/v');
      expect(value).toBe(`t: refresh after ${formatSeconds(refresh)}, expires after ${formatSeconds(seconds)}`);
      expect(rotationAnnotations(pod)).toEqual(rotationAnnotations(JSON.parse(JSON.stringify(pod))));
    }));
  });

  test('tokens mounted with subPath have no file that rotates', () => {
    const pod = {
      kind: 'Pod',
      spec: {
        containers: [{ name: 'a', volumeMounts: [{ name: 'v', mountPath: '/v/t', subPath: 't' }] }],
        volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
      },
    };
    expect(tokenRotations(pod)[0].files).toEqual([]);
  });
});
