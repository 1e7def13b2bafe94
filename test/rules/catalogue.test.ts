// Every rule of the catalogue on plain manifests: compliant and non-compliant cases.
import * as fs from 'fs';
import * as path from 'path';
import { allRules, checkObject, Finding, MANIFEST_STYLE } from '../../src/rules';

function pod(spec: any, extra: any = {}): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...(extra.metadata ?? {}) }, spec };
}
function tokenVolume(token: any, extra: any = {}): any {
  return { name: 'tok', projected: { sources: [{ serviceAccountToken: token }], ...extra } };
}
function goodSpec(volume: any, mount: any = { name: 'tok', mountPath: '/var/run/secrets/tokens', readOnly: true }, extra: any = {}): any {
  return { serviceAccountName: 'app', containers: [{ name: 'app', image: 'busybox', volumeMounts: [mount] }], volumes: [volume], ...extra };
}
const ids = (list: Finding[]) => list.filter(f => f.acknowledged === undefined).map(f => f.ruleId).sort();
const check = (obj: any) => checkObject(obj, { style: MANIFEST_STYLE });
const good = { path: 'token', audience: 'vault', expirationSeconds: 3600 };

describe('rules on plain manifests', () => {
  test('a correct token pod has no findings', () => {
    expect(check(pod(goodSpec(tokenVolume(good))))).toEqual([]);
  });

  test.each([
    ['BT101', { ...good, expirationSeconds: 599 }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds', 'may not be shorter than 10 minutes (600 seconds), got 599 seconds'],
    ['BT102', { ...good, expirationSeconds: 4294967297 }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds', 'may not be longer than 2^32'],
    ['BT104', { ...good, expirationSeconds: 86401 }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds', 'is longer than 24 hours'],
    ['BT105', { ...good, expirationSeconds: 3600.5 }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds', 'must be a whole number of seconds, got 3600.5'],
    ['BT110', { ...good, path: '' }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/path', "must be a non-empty relative path, got ''"],
    ['BT111', { ...good, path: '/token' }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/path', "must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '/token'"],
    ['BT112', { ...good, path: '../token' }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/path', "must not contain a '..' segment"],
    ['BT113', { ...good, path: '..data' }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/path', "must not start with '..'"],
    ['BT120', { path: 'token', expirationSeconds: 3600 }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/audience', 'is not set'],
    ['BT121', { ...good, audience: 'a b' }, '/spec/volumes/0/projected/sources/0/serviceAccountToken/audience', 'is one audience taken literally'],
  ])('%s on a token source', (id, token, pointer, phrase) => {
    const findings = check(pod(goodSpec(tokenVolume(token))));
    expect(ids(findings)).toEqual([id]);
    expect(findings[0].path).toBe(pointer);
    expect(findings[0].message).toContain(`${id}: '`);
    expect(findings[0].message).toContain(phrase);
  });

  test('an omitted expirationSeconds is valid (defaulted to 3600)', () => {
    expect(check(pod(goodSpec(tokenVolume({ path: 'token', audience: 'vault' }))))).toEqual([]);
  });

  test('BT114: two sources with the same path, or nested, or a token over a configMap item', () => {
    const v = {
      name: 'tok',
      projected: {
        sources: [
          { serviceAccountToken: good },
          { configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'token' }] } },
          { serviceAccountToken: { ...good, path: 'token/x' } },
        ],
      },
    };
    const f = check(pod(goodSpec(v)));
    // each file is reported once, on the later of the two, naming the earlier
    expect(ids(f)).toEqual(['BT114', 'BT114']);
    expect(f[0].message).toContain("overlaps 'token' of ServiceAccountToken");
    expect(f[0].path).toBe('/spec/volumes/0/projected/sources/1/configMap/items/0/path');
    expect(f[1].message).toContain("'path' of ServiceAccountToken in volume 'tok' overlaps 'token' of ServiceAccountToken, got 'token/x'");
    expect(f[1].path).toBe('/spec/volumes/0/projected/sources/2/serviceAccountToken/path');
  });

  test('BT130: a volume name that is not a DNS-1123 label', () => {
    const f = check(pod(goodSpec({ ...tokenVolume(good), name: 'Tok_1' }, { name: 'Tok_1', mountPath: '/t' })));
    expect(ids(f)).toEqual(['BT130']);
    expect(f[0].message).toContain("BT130: 'name' must be a DNS-1123 label");
  });

  test('BT131 and BT132: defaultMode out of range, and restrictive without fsGroup', () => {
    expect(ids(check(pod(goodSpec(tokenVolume(good, { defaultMode: 512 })))))).toEqual(['BT131']);
    expect(ids(check(pod(goodSpec(tokenVolume(good, { defaultMode: 0o400 })))))).toEqual(['BT132']);
    expect(ids(check(pod(goodSpec(tokenVolume(good, { defaultMode: 0o400 }), undefined, { securityContext: { runAsUser: 1000 } }))))).toEqual([]);
    expect(ids(check(pod(goodSpec(tokenVolume(good, { defaultMode: 0o444 })))))).toEqual([]);
  });

  test('BT133: two volumes with the same name', () => {
    const spec = goodSpec(tokenVolume(good));
    spec.volumes.push({ name: 'tok', emptyDir: {} });
    const f = check(pod(spec));
    expect(ids(f)).toEqual(['BT133']);
    expect(f[0].message).toContain('is already used by volume 0');
  });

  test('BT134 and BT135: empty sources, and one source with two kinds', () => {
    expect(ids(check(pod(goodSpec({ name: 'tok', projected: { sources: [{ serviceAccountToken: good }, {}] } }))))).toEqual(['BT134']);
    const two = { name: 'tok', projected: { sources: [{ serviceAccountToken: good, configMap: { name: 'x' } }] } };
    const f = check(pod(goodSpec(two)));
    expect(ids(f)).toEqual(['BT135']);
    expect(f[0].message).toContain('may not specify more than 1 volume type per source');
  });

  test('BT140, BT137, BT141, BT142: mount path empty or not absolute, used twice, subPath', () => {
    expect(ids(check(pod(goodSpec(tokenVolume(good), { name: 'tok', mountPath: '' }))))).toEqual(['BT140']);
    // the API server accepts a relative mount path; the kubelet mounts it at '/tokens' (a warning, not an error)
    expect(ids(check(pod(goodSpec(tokenVolume(good), { name: 'tok', mountPath: 'tokens' }))))).toEqual(['BT137']);
    const twice = goodSpec(tokenVolume(good));
    twice.volumes.push({ name: 'scratch', emptyDir: {} });
    twice.containers[0].volumeMounts.push({ name: 'scratch', mountPath: '/var/run/secrets/tokens/' });
    expect(ids(check(pod(twice)))).toEqual(['BT141']);
    const sub = check(pod(goodSpec(tokenVolume(good), { name: 'tok', mountPath: '/t', subPath: 'token' })));
    expect(ids(sub)).toEqual(['BT142']);
    expect(sub[0].path).toBe('/spec/containers/0/volumeMounts/0/subPath');
    expect(ids(check(pod(goodSpec(tokenVolume(good), { name: 'tok', mountPath: '/t', subPathExpr: '$(POD)' }))))).toEqual(['BT142']);
  });

  test('BT143 and BT144: a token volume mounted nowhere, a mount of a missing volume', () => {
    const spec = goodSpec(tokenVolume(good));
    spec.containers[0].volumeMounts = [];
    expect(ids(check(pod(spec)))).toEqual(['BT143']);
    const missing = goodSpec(tokenVolume(good));
    missing.containers[0].volumeMounts.push({ name: 'nope', mountPath: '/n' });
    expect(ids(check(pod(missing)))).toEqual(['BT144']);
  });

  test('BT151 applies to bare Pods and to the pod templates of workloads, not to PodTemplate objects', () => {
    const spec = goodSpec(tokenVolume(good));
    delete spec.serviceAccountName;
    expect(ids(check(pod(spec)))).toEqual(['BT151']);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec } } };
    expect(ids(check(dep))).toEqual(['BT151']);
    expect(check(dep)[0].message).toContain("BT151: 'serviceAccountName' is not set on a pod that projects a token");
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec } } } } };
    expect(ids(check(cron))).toEqual(['BT151']);
    const template = { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 't' }, template: { spec } };
    expect(ids(check(template))).toEqual([]);
  });

  test("the platform's API-access volume (kube-api-access-*) is exempt from the audience rule", () => {
    const access = {
      name: 'kube-api-access-abcde',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    expect(check(pod(goodSpec(access, { name: 'kube-api-access-abcde', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true })))).toEqual([]);
  });

  test('warnings are acknowledged by annotation on the object or its pod template; errors are not', () => {
    const spec = goodSpec(tokenVolume({ path: '/abs' }));
    const f = check(pod(spec, { metadata: { annotations: { 'bound-tokens.io/acknowledge-BT120': 'api', 'bound-tokens.io/acknowledge-BT111': 'no' } } }));
    expect(f.find(x => x.ruleId === 'BT120')?.acknowledged).toBe('api');
    expect(f.find(x => x.ruleId === 'BT111')?.acknowledged).toBeUndefined();
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { metadata: { annotations: { 'bound-tokens.io/acknowledge-BT120': 'api' } }, spec: goodSpec(tokenVolume({ path: 't' })) } },
    };
    expect(ids(check(dep))).toEqual([]);
  });

  test('pod specs are found in every kind that carries one', () => {
    const spec = goodSpec(tokenVolume({ ...good, path: '/abs' }));
    const kinds: Array<[any, string]> = [
      [{ kind: 'PodTemplate', template: { spec } }, '/template/spec'],
      [{ kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec } } } } }, '/spec/jobTemplate/spec/template/spec'],
      [{ kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1', spec: { template: { spec } } }, '/spec/template/spec'],
      [{ kind: 'DeploymentConfig', apiVersion: 'apps.openshift.io/v1', spec: { template: { spec } } }, '/spec/template/spec'],
      [{ kind: 'Service', apiVersion: 'serving.knative.dev/v1', spec: { template: { spec } } }, '/spec/template/spec'],
    ];
    for (const [obj, base] of kinds) {
      const f = check(obj);
      expect(ids(f)).toEqual(['BT111']);
      expect(f[0].path).toBe(`${base}/volumes/0/projected/sources/0/serviceAccountToken/path`);
    }
  });

  test('OpenShift Authentication: name must be cluster (BT166), issuer checks (BT161-BT164)', () => {
    const auth = (name: string, issuer: any) => ({ apiVersion: 'config.openshift.io/v1', kind: 'Authentication', metadata: { name }, spec: { serviceAccountIssuer: issuer } });
    expect(check(auth('cluster', 'https://issuer.example.com'))).toEqual([]);
    expect(ids(check(auth('other', 'https://issuer.example.com')))).toEqual(['BT166']);
    // empty is OpenShift's own default (https://kubernetes.default.svc); white space only is not
    expect(check(auth('cluster', ''))).toEqual([]);
    expect(ids(check(auth('cluster', '  ')))).toEqual(['BT161']);
    expect(ids(check(auth('cluster', 'https://a b')))).toEqual(['BT162']);
    expect(ids(check(auth('cluster', 'https://issuer.example.com/?a=b')))).toEqual(['BT163']);
    expect(ids(check(auth('cluster', 'https://issuer.example.com/#x')))).toEqual(['BT163']);
    expect(ids(check(auth('cluster', 'http://issuer.example.com')))).toEqual(['BT164']);
    expect(ids(check(auth('cluster', 'my-issuer')))).toEqual(['BT164']);
    // the construct-only issuer-change warning is never reported on manifests
    expect(check(auth('cluster', 'https://issuer.example.com')).map(f => f.ruleId)).not.toContain('BT165');
  });

  test('every rule has a compliant and a non-compliant test somewhere in the suite', () => {
    // the catalogue is not allowed to grow rules without at least a mention in the tests
    const dir = path.join(__dirname, '..');
    const text = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter(f => f.endsWith('.ts')).map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    const missing = allRules().filter(r => !text.includes(r.id)).map(r => r.id);
    expect(missing).toEqual([]);
  });
});
