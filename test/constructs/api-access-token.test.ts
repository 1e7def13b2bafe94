// Issue 19, part 3: a least-privilege API token (ApiAccessToken), and the
// strict warning on a hand-written API token of exactly 3607 seconds (BT271),
// which the API server extends to a year.
import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import * as YAML from 'yaml';
import { ApiAccessToken, BoundTokenRules, ClusterTokenLimits, ProjectedTokenVolume } from '../../src';
import { Linter } from '../../src/lint/lint';
import { POLICY_RULES } from '../../src/policy/rules';
import { checkObject, MANIFEST_STYLE } from '../../src/rules';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

const API_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function lintObjects(objs: any[], strict: boolean) {
  const linter = new Linter({ strict });
  linter.addSource('out.yaml', objs.map(o => YAML.stringify(o)).join('---\n'));
  return linter.report().findings;
}

function deployment(c: any) {
  const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'controller' } });
  return new kplus.Deployment(c, 'Controller', {
    serviceAccount: sa,
    containers: [
      { name: 'controller', image: 'registry.example.com/controller:1.0' },
      { name: 'metrics', image: 'registry.example.com/metrics:1.0', portNumber: 9090 },
    ],
  });
}

describe('ApiAccessToken', () => {
  test('mounts the API-access shape with a 1-hour token at the API token directory, automount left off', () => {
    const c = chart();
    const d = deployment(c);
    new ApiAccessToken(c, 'ApiToken').mountInto(d);
    const objs = synth(c);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.volumes).toEqual([{
      name: 'api-token',
      projected: {
        sources: [
          { serviceAccountToken: { expirationSeconds: 3600, path: 'token' } },
          { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
          { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
        ],
      },
    }]);
    for (const container of spec.containers) {
      expect(container.volumeMounts).toEqual([{ mountPath: API_DIR, name: 'api-token', readOnly: true }]);
    }
    expectValidManifests(objs);
  });

  test('its output lints clean, also with --strict (no BT120: a token for the API; no BT139: its audience is the API server\'s)', () => {
    const c = chart();
    new ApiAccessToken(c, 'ApiToken', { expiration: Duration.minutes(30) }).mountInto(deployment(c), { containers: ['controller'] });
    const objs = synth(c);
    expect(lintObjects(objs, false)).toEqual([]);
    expect(lintObjects(objs, true)).toEqual([]);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds).toBe(1800);
    expect(spec.containers.find((x: any) => x.name === 'metrics').volumeMounts).toBeUndefined();
  });

  test('synthesizes with no warning, also in strict mode', () => {
    const c = chart();
    BoundTokenRules.strict(c);
    new ApiAccessToken(c, 'ApiToken').mountInto(deployment(c));
    expect(captureWarnings(() => synth(c))).toEqual([]);
  });

  test('refuses exactly 3607 seconds (BT272), which the API server extends to a year', () => {
    const msg = errorOf(() => new ApiAccessToken(chart(), 'ApiToken', { expiration: Duration.seconds(3607) }));
    expect(msg).toContain("[test/ApiToken] BT272: 'expiration' must not be exactly 3607 seconds, which the API server extends to a year");
  });

  test('the lifetime rules of every token apply (BT101)', () => {
    const c = chart();
    new ApiAccessToken(c, 'ApiToken', { expiration: Duration.minutes(5) }).mountInto(deployment(c));
    expect(errorOf(() => synth(c))).toContain('BT101');
  });

  test('a container it does not have is BT145; a volume name of the platform\'s is BT136', () => {
    const c = chart();
    new ApiAccessToken(c, 'ApiToken').mountInto(deployment(c), { containers: ['ghost'] });
    expect(errorOf(() => synth(c))).toContain('BT145');
    const c2 = chart();
    new ApiAccessToken(c2, 'ApiToken', { name: 'kube-api-access-abcde' }).mountInto(deployment(c2));
    expect(errorOf(() => synth(c2))).toContain('BT136');
  });

  test('mountIntoApiObject writes the same volume into a plain object', () => {
    const c = chart();
    const obj = new ApiObject(c, 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'i:1' }] } });
    new ApiAccessToken(c, 'ApiToken').mountIntoApiObject(obj);
    const objs = synth(c);
    const spec = findKind(objs, 'Pod').spec;
    expect(spec.volumes[0].projected.sources).toHaveLength(3);
    expect(spec.containers[0].volumeMounts).toEqual([{ mountPath: API_DIR, name: 'api-token', readOnly: true }]);
    expect(lintObjects(objs, true)).toEqual([]);
  });
});

describe('a hand-written API token of exactly 3607 seconds (BT271)', () => {
  const podWith = (volumeName: string, token: any) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      serviceAccountName: 'app',
      containers: [{ name: 'app', image: 'i:1', volumeMounts: [{ name: volumeName, mountPath: API_DIR, readOnly: true }] }],
      volumes: [{
        name: volumeName,
        projected: {
          sources: [
            { serviceAccountToken: { path: 'token', ...token } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      }],
    },
  });

  test('is a warning with --strict only', () => {
    const p = podWith('kube-api-access', { expirationSeconds: 3607 });
    expect(lintObjects([p], false)).toEqual([]);
    const f = lintObjects([p], true);
    expect(f.map(x => x.ruleId)).toEqual(['BT271']);
    expect(f[0].level).toBe('warning');
    expect(f[0].message).toContain("BT271: 'expirationSeconds' of the API token 'token' in volume 'kube-api-access' is exactly 3607, which an API server with --service-account-extend-token-expiration (the default) extends to a year");
  });

  test("the platform's own volume (kube-api-access-xxxxx, in kubectl dumps) is exempt; so is a token for another audience, and 3600 s", () => {
    expect(lintObjects([podWith('kube-api-access-x7k2p', { expirationSeconds: 3607 })], true)).toEqual([]);
    expect(checkObject(podWith('api', { expirationSeconds: 3607, audience: 'vault' }), { style: MANIFEST_STYLE, strict: true }).map(f => f.ruleId)).not.toContain('BT271');
    expect(checkObject(podWith('api', { expirationSeconds: 3600 }), { style: MANIFEST_STYLE, strict: true })).toEqual([]);
    expect(checkObject(podWith('api', { expirationSeconds: 3607, audience: 'https://kubernetes.default.svc' }), { style: MANIFEST_STYLE, strict: true }).map(f => f.ruleId)).toEqual(['BT271']);
  });

  test('a strict construct reports it on a ProjectedTokenVolume (an error in strict mode), a lenient one does not', () => {
    const make = (strict: boolean) => {
      const c = chart();
      if (strict) BoundTokenRules.strict(c);
      const v = new ProjectedTokenVolume(c, 'Api', { tokens: [{ path: 'token', expiration: Duration.seconds(3607) }] });
      const pod = new kplus.Pod(c, 'Pod', { serviceAccount: new kplus.ServiceAccount(c, 'SA'), containers: [{ image: 'i:1' }] });
      v.mountInto(pod, { mountPath: '/var/run/secrets/api' });
      return c;
    };
    const lenient = captureWarnings(() => synth(make(false)));
    expect(lenient.join('\n')).not.toContain('BT271');
    const msg = errorOf(() => synth(make(true)));
    expect(msg).toContain("BT271: 'expiration' of the API token 'token' in volume 'api' is exactly 3607");
    expect(msg).toContain('(a warning, made an error by strict mode)');
  });

  test('a cluster that does not extend 3607-second tokens (--no-extend-token-expiration, ClusterTokenLimits) gets no BT271, in the lint and the constructs', () => {
    const p = podWith('api', { expirationSeconds: 3607 });
    expect(checkObject(p, { style: MANIFEST_STYLE, strict: true, limits: { extendExpiration: false } }).map(f => f.ruleId)).toEqual([]);
    expect(checkObject(p, { style: MANIFEST_STYLE, strict: true, limits: { extendExpiration: true } }).map(f => f.ruleId)).toEqual(['BT271']);
    const c = chart();
    BoundTokenRules.strict(c);
    new ClusterTokenLimits(c, 'Limits', { extendTokenExpiration: false });
    const v = new ProjectedTokenVolume(c, 'Api', { tokens: [{ path: 'token', audience: 'https://kubernetes.default.svc', expiration: Duration.seconds(3607) }] });
    v.mountInto(new kplus.Pod(c, 'Pod', { serviceAccount: new kplus.ServiceAccount(c, 'SA'), containers: [{ image: 'i:1' }] }), { mountPath: '/var/run/secrets/api' });
    expect(captureWarnings(() => synth(c)).join('\n')).not.toContain('BT271');
  });

  test('the policy says why it leaves it to the lint', () => {
    expect((POLICY_RULES.BT271 as any).notExpressible).toContain('kube-api-access-xxxxx');
    expect((POLICY_RULES.BT272 as any).notExpressible).toContain('construct-only');
  });
});

describe('examples/api-token.ts', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build } = require('../../examples/api-token');

  test('a controller whose watcher container alone gets a 1-hour API token; the output lints clean with --strict', () => {
    let objs: any[] = [];
    const warnings = captureWarnings(() => { objs = synth(build().charts[0]); });
    expect(warnings).toEqual([]);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.serviceAccountName).toBe('config-watcher');
    expect(spec.containers.map((x: any) => [x.name, x.volumeMounts?.map((m: any) => m.mountPath)])).toEqual([
      ['watcher', [API_DIR]],
      ['exporter', undefined],
    ]);
    expect(spec.volumes[0].projected.sources[0]).toEqual({ serviceAccountToken: { expirationSeconds: 3600, path: 'token' } });
    expect(lintObjects(objs, true)).toEqual([]);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });
});
