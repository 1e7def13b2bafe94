// Issue 12, part 3: the shared rules follow Kubernetes - today's projected
// sources, paths as the kubelet cleans them, paths it cannot write, the
// API-access volume by its shape, and messages that show the value received.
import * as fc from 'fast-check';
import { checkObject, checkShape, cleanPath, Finding, isApiAccessVolume, MANIFEST_STYLE, show } from '../../src/rules';

const pod = (volumes: any[], mounts: any[] = [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }], extra: any = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { serviceAccountName: 'app', containers: [{ name: 'app', image: 'i:1', volumeMounts: mounts }], volumes, ...extra },
});
const vol = (sources: any[], extra: any = {}) => ({ name: 'tok', projected: { sources }, ...extra });
const tok = (p: string, audience = 'vault') => ({ serviceAccountToken: { path: p, audience, expirationSeconds: 3600 } });
const check = (obj: any) => checkObject(obj, { style: MANIFEST_STYLE });
const ids = (f: Finding[]) => f.map(x => x.ruleId);

/** The platform's API-access volume as the ServiceAccount admission plugin adds it. */
function apiAccess(name: string, token: any = { expirationSeconds: 3607, path: 'token' }): any {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: token },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}
const SA_MOUNT = (name: string) => ({ name, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });

describe('projected sources of Kubernetes 1.29-1.35', () => {
  test('podCertificate and clusterTrustBundle sources are sources, not empty ones (compliant case of BT134)', () => {
    const f = check(pod([vol([
      tok('token'),
      { podCertificate: { signerName: 'example.com/s', keyType: 'ED25519', credentialBundlePath: 'creds.pem' } },
      { clusterTrustBundle: { signerName: 'example.com/s', labelSelector: {}, path: 'ca.pem' } },
    ])]));
    expect(f).toEqual([]);
  });

  test('fails when a podCertificate key file is the token path (BT114; the split files are BT268)', () => {
    const f = check(pod([vol([tok('token'), { podCertificate: { signerName: 'example.com/s', keyType: 'RSA3072', keyPath: 'token', certificateChainPath: 'chain.pem' } }])]));
    expect(ids(f)).toEqual(['BT268', 'BT114']);
    expect(f[1].path).toBe('/spec/volumes/0/projected/sources/1/podCertificate/keyPath');
    expect(f[1].message).toContain("BT114: 'path' of PodCertificate in volume 'tok' overlaps 'token' of ServiceAccountToken, got 'token'");
  });

  test.each([
    ['credentialBundlePath', 'token/bundle.pem'],
    ['certificateChainPath', 'token'],
  ])('fails when the podCertificate %s overlaps the token (BT114)', (field, file) => {
    const f = check(pod([vol([tok('token'), { podCertificate: { signerName: 'example.com/s', keyType: 'ED25519', [field]: file } }])])).filter(x => x.ruleId !== 'BT268');
    expect(ids(f)).toEqual(['BT114']);
    expect(f[0].path).toBe(`/spec/volumes/0/projected/sources/1/podCertificate/${field}`);
  });

  test('fails when a clusterTrustBundle path holds the token path under it (BT114)', () => {
    const f = check(pod([vol([{ clusterTrustBundle: { signerName: 'example.com/s', labelSelector: {}, path: 'certs' } }, tok('certs/token')])]));
    expect(ids(f)).toEqual(['BT114']);
    expect(f[0].message).toContain("'path' of ServiceAccountToken in volume 'tok' overlaps 'certs' of ClusterTrustBundle, got 'certs/token'");
  });

  test('a source that holds nothing is still empty (BT134)', () => {
    expect(ids(check(pod([vol([tok('token'), {}])])))).toEqual(['BT134']);
  });
});

describe('paths compared as the kubelet cleans them (BT114)', () => {
  test.each([
    ['token', './token'],
    ['a/b', 'a//b'],
    ['token', 'token/'],
    ['a/b', './a/./b/'],
    ['dir', 'dir//file'],
  ])('fails when %j and %j are one file or nested', (a, b) => {
    const f = check(pod([vol([tok(a), tok(b, 'sts')])]));
    expect(ids(f)).toEqual(['BT114']);
    expect(f[0].message).toContain(`overlaps '${a}' of ServiceAccountToken, got '${b}'`);
  });

  test.each([
    ['token', 'token2'],
    ['a/b', 'a/bc'],
    ['a.b', 'a/b'],
  ])('%j and %j are different files (compliant)', (a, b) => {
    expect(check(pod([vol([tok(a), tok(b, 'sts')])]))).toEqual([]);
  });

  test('cleanPath drops empty and . segments and keeps .. (property: idempotent, no empty segment)', () => {
    expect(cleanPath('./a//b/.')).toBe('a/b');
    expect(cleanPath('a/../b')).toBe('a/../b');
    expect(cleanPath('.')).toBe('');
    fc.assert(fc.property(fc.stringOf(fc.constantFrom('a', '/', '.', 'b'), { maxLength: 12 }), p => {
      const c = cleanPath(p);
      expect(cleanPath(c)).toBe(c);
      if (c !== '') expect(c.split('/').every(s => s !== '' && s !== '.')).toBe(true);
    }), { numRuns: 300 });
  });

  test('the overlap check is not quadratic: 50,000 distinct paths are one sort, and identical ones are reported once each', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => tok(`t/${i}`));
    expect(check(pod([vol(many)]))).toEqual([]);
    const same = Array.from({ length: 3_000 }, () => tok('token'));
    const f = check(pod([vol(same)]));
    expect(f.length).toBe(2_999);
    expect(new Set(f.map(x => x.ruleId))).toEqual(new Set(['BT114']));
  });
});

describe('token paths the kubelet cannot write (BT115)', () => {
  test.each([
    ['.', "names the volume's own directory ('.')"],
    ['./', "names the volume's own directory ('.')"],
    ['a\u0000b', 'contains a NUL character'],
    ['x'.repeat(256), 'has a segment longer than 255 bytes (one has 256)'],
    ['é'.repeat(128), 'has a segment longer than 255 bytes (one has 256)'],
    [`${'d/'.repeat(2048)}t`, 'is longer than 4096 bytes (it has 4097)'],
  ])('fails when the token path is %j', (p, phrase) => {
    const f = check(pod([vol([tok(p)])]));
    expect(ids(f)).toEqual(['BT115']);
    expect(f[0].message).toContain(`BT115: 'path' ${phrase}, so the kubelet cannot write the token file`);
  });

  test('a segment of 255 bytes and a path of 4096 bytes are fine (compliant)', () => {
    expect(check(pod([vol([tok('x'.repeat(255))])]))).toEqual([]);
    expect(check(pod([vol([tok(`${'d/'.repeat(2047)}tt`)])]))).toEqual([]);
  });
});

describe('messages of the path rules say what Kubernetes 1.30 does', () => {
  test('fails on an absolute path (BT111) and a .. segment (BT112), naming the 1.30 API server check', () => {
    const f = check(pod([vol([tok('/abs'), tok('../up', 'sts')])]));
    expect(ids(f)).toEqual(['BT111', 'BT112']);
    expect(f[0].message).toContain("BT111: 'path' must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '/abs'");
    expect(f[1].message).toContain("BT112: 'path' must not contain a '..' segment (the API server refuses it from Kubernetes 1.30");
  });
});

describe("the platform's API-access volume, by its shape", () => {
  test('a hand-written copy named kube-api-access (no suffix) is exempt from BT120 (compliant)', () => {
    expect(check(pod([apiAccess('kube-api-access')], [SA_MOUNT('kube-api-access')]))).toEqual([]);
  });

  test('the shape, not the name: any name', () => {
    expect(isApiAccessVolume(apiAccess('sa-token'))).toBe(true);
    expect(isApiAccessVolume(apiAccess('kube-api-access-x', { path: 'token', expirationSeconds: 3600 }))).toBe(false);
    expect(isApiAccessVolume(apiAccess('kube-api-access-x', { path: 'token', expirationSeconds: 3607, audience: 'vault' }))).toBe(false);
    const noCa = apiAccess('a');
    noCa.projected.sources[1].configMap.name = 'my-ca';
    expect(isApiAccessVolume(noCa)).toBe(false);
    const extra = apiAccess('a');
    extra.projected.sources.push({ secret: { name: 's' } });
    expect(isApiAccessVolume(extra)).toBe(false);
  });

  test('fails when a volume named kube-api-access-* lacks the 3607-second shape (BT136); a token for the API of another lifetime needs no audience (ApiAccessToken\'s shape, no BT120)', () => {
    const v = apiAccess('kube-api-access-abcde', { path: 'token', expirationSeconds: 3600 });
    const f = check(pod([v], [SA_MOUNT('kube-api-access-abcde')]));
    expect(ids(f)).toEqual(['BT136']);
    const vault = apiAccess('kube-api-access-abcde', { path: 'token', expirationSeconds: 3600, audience: 'vault' });
    expect(ids(check(pod([vault], [{ name: 'kube-api-access-abcde', mountPath: '/t' }])))).toEqual(['BT136']);
    expect(ids(check(pod([{ ...vol([tok('token', '')]), name: 'x' }], [{ name: 'x', mountPath: '/t' }])))).toEqual(['BT120']);
  });

  test('fails when a token volume of its own is named kube-api-access-* (BT136)', () => {
    const f = check(pod([{ ...vol([tok('token')]), name: 'kube-api-access-vault' }], [{ name: 'kube-api-access-vault', mountPath: '/t' }]));
    expect(ids(f)).toEqual(['BT136']);
    expect(f[0].path).toBe('/spec/volumes/0/name');
    expect(f[0].message).toContain("BT136: 'name' of a token volume starts with 'kube-api-access-', so the ServiceAccount admission plugin takes it for the platform's API token volume");
    expect(f[0].message).toContain("got 'kube-api-access-vault'");
  });

  test('the API-access volume mounted nowhere is not reported (BT143 exempt), a copy of it neither', () => {
    expect(check(pod([vol([tok('token')]), apiAccess('kube-api-access')]))).toEqual([]);
  });
});

describe('values shown in messages', () => {
  test.each([
    [NaN, 'got NaN;'],
    [-1, 'got -1;'],
    [Infinity, 'got Infinity;'],
    ['0644', "got '0644';"],
  ])('fails when defaultMode is %p (BT131) and shows the value received', (mode, phrase) => {
    const f = check(pod([{ name: 'tok', projected: { defaultMode: mode, sources: [tok('token')] } }]));
    expect(ids(f)).toEqual(['BT131']);
    expect(f[0].message).toContain("BT131: 'defaultMode' must be a number between 0 and 0777 (octal)");
    expect(f[0].message).toContain(phrase);
  });

  test('long values are shortened to 80 characters with an ellipsis', () => {
    const long = 'a'.repeat(500);
    expect(show(long)).toBe(`'${'a'.repeat(79)}…'`);
    const f = check(pod([vol([tok('/' + long)])]));
    expect(f.map(x => x.ruleId)).toEqual(['BT111', 'BT115']);
    for (const x of f) expect(x.message.length).toBeLessThan(400);
  });

  test('show() never walks a whole nested value (a shared, deep or huge one)', () => {
    let deep: any = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(show(deep).length).toBeLessThanOrEqual(80);
    let bomb: any = ['lol'];
    for (let i = 0; i < 30; i++) bomb = [bomb, bomb];
    expect(show(bomb)).toMatch(/^\[\[\[.*…$/);
    expect(show({ a: 1, b: [true, null] })).toBe('{"a":1,"b":[true,null]}');
  });
});

describe('audience given as a list (BT902)', () => {
  test('fails when audience is a list: one token carries one audience', () => {
    const f = checkShape(pod([vol([{ serviceAccountToken: { path: 'token', audience: ['vault', 'sts'] } }])]));
    expect(f.map(x => [x.ruleId, x.path])).toEqual([['BT902', '/spec/volumes/0/projected/sources/0/serviceAccountToken/audience']]);
    expect(f[0].message).toContain("BT902: 'audience' must be a string, so the object was not checked further, got a list");
  });

  test('a string audience is of the right shape (compliant)', () => {
    expect(checkShape(pod([vol([tok('token')])]))).toEqual([]);
  });
});

// Issue 16, section 3: where the rules and Kubernetes disagreed. Each fact that
// says what the API server accepts was checked by hand on the real API server
// (../shared/tools/apiserver, v1.32.13) with `kubectl apply --dry-run=server -f <file>`.
describe('issue 16: the rules agree with Kubernetes', () => {
  const first = (f: Finding[], id: string) => f.find(x => x.ruleId === id)!;

  test('a Windows pod mounting its token at C:\\var\\run\\secrets\\tokens gets no BT140 (the API server accepts any non-empty mountPath)', () => {
    // kubectl apply --dry-run=server: spec.os.name windows, mountPath 'C:\var\run\secrets\tokens' -> "pod/win created (server dry run)";
    // the same with mountPath 'tokens', 'C:/var/...', '/var/...' or '\\?\C:\x', on Linux and Windows pods alike -> created
    const windows = { os: { name: 'windows' } };
    expect(check(pod([vol([tok('token')])], [{ name: 'tok', mountPath: 'C:\\var\\run\\secrets\\tokens' }], windows))).toEqual([]);
    expect(check(pod([vol([tok('token')])], [{ name: 'tok', mountPath: 'c:/var/run/secrets/tokens' }], windows))).toEqual([]);
    expect(check(pod([vol([tok('token')])], [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }], windows))).toEqual([]);
    const rel = check(pod([vol([tok('token')])], [{ name: 'tok', mountPath: 'tokens' }], windows));
    expect(ids(rel)).toEqual(['BT137']);
    expect(rel[0].level).toBe('warning');
    expect(rel[0].message).toContain("BT137: 'mountPath' of token volume 'tok' in container 'app' is not absolute on Windows, so the kubelet mounts it at 'C:\\tokens'");
    // the same Windows path in a Linux pod: the kubelet mounts it at /C:\var\... (a warning, not a refusal)
    const linux = check(pod([vol([tok('token')])], [{ name: 'tok', mountPath: 'C:\\var\\run\\secrets\\tokens' }]));
    expect(ids(linux)).toEqual(['BT137']);
    expect(linux[0].message).toContain("is not absolute on Linux, so the kubelet mounts it at '/C:\\var\\run\\secrets\\tokens'");
  });

  test('fails on an empty token mountPath (BT140): the API server refuses it', () => {
    // kubectl apply --dry-run=server with mountPath '' -> "spec.containers[0].volumeMounts[0].mountPath: Required value"
    const f = check(pod([vol([tok('token')])], [{ name: 'tok', mountPath: '' }]));
    expect(ids(f)).toEqual(['BT140']);
    expect(f[0].level).toBe('error');
    expect(f[0].message).toContain("BT140: 'mountPath' of token volume 'tok' in container 'app' must not be empty (the API server refuses it), got ''");
  });

  describe('BT132 reads the effective runAsUser of every container (k8s FsUserFrom)', () => {
    const restrictive = [vol([tok('token')], { projected: { sources: [tok('token')], defaultMode: 0o400 } })];
    const twoContainers = (app: any, side: any, podSc?: any) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        serviceAccountName: 'app',
        ...(podSc ? { securityContext: podSc } : {}),
        containers: [
          { name: 'app', image: 'i:1', ...(app ? { securityContext: app } : {}), volumeMounts: [{ name: 'tok', mountPath: '/t' }] },
          { name: 'side', image: 'i:1', ...(side ? { securityContext: side } : {}), volumeMounts: [{ name: 'tok', mountPath: '/t' }] },
        ],
        volumes: restrictive,
      },
    });

    test('every container runs as 1000, the pod sets no user: the kubelet gives the file to 1000 (no warning; before issue 16 a false BT132)', () => {
      expect(check(twoContainers({ runAsUser: 1000 }, { runAsUser: 1000 }))).toEqual([]);
    });

    test('warns when one container overrides the pod runAsUser (BT132; before issue 16 silence)', () => {
      const f = check(twoContainers(undefined, { runAsUser: 2000 }, { runAsUser: 1000 }));
      expect(ids(f)).toEqual(['BT132']);
      expect(f[0].message).toContain("BT132: 'defaultMode' of volume 'tok' keeps the token unreadable for a non-root application (the pod sets no securityContext.fsGroup, and its containers do not all run as one runAsUser");
    });

    test('warns when an init container has no user at all (BT132)', () => {
      const obj: any = twoContainers({ runAsUser: 1000 }, { runAsUser: 1000 });
      obj.spec.initContainers = [{ name: 'init', image: 'i:1' }];
      expect(ids(check(obj))).toEqual(['BT132']);
    });

    test('fsGroup alone, or the pod user restated by a container, is enough (compliant)', () => {
      expect(check(twoContainers(undefined, undefined, { fsGroup: 2000 }))).toEqual([]);
      expect(check(twoContainers({ runAsUser: 1000 }, undefined, { runAsUser: 1000 }))).toEqual([]);
    });
  });

  test("an empty serviceAccountIssuer is OpenShift's default, not BT161; white space only still is", () => {
    const auth = (issuer: unknown) => ({ apiVersion: 'config.openshift.io/v1', kind: 'Authentication', metadata: { name: 'cluster' }, spec: { serviceAccountIssuer: issuer } });
    expect(check(auth(''))).toEqual([]);
    expect(check(auth(null))).toEqual([]);
    const blank = check(auth(' '));
    expect(ids(blank)).toEqual(['BT161']);
    expect(blank[0].message).toContain("BT161: 'serviceAccountIssuer' must not be white space only (an empty string is the platform default, 'https://kubernetes.default.svc')");
  });

  describe('acknowledgements count where the pods get them', () => {
    const spec = { serviceAccountName: 'app', containers: [{ name: 'app', image: 'i:1', volumeMounts: [{ name: 'tok', mountPath: '/t' }] }], volumes: [vol([tok('token', 'vault')])] };
    spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds = 172800; // BT104
    const ACK = { 'bound-tokens.io/acknowledge-BT104': 'the consumer needs two days' };

    test.each([
      ['Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', annotations: ACK }, spec: { selector: {}, template: { spec } } }, 'spec.template.metadata.annotations'],
      ['Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'w', annotations: ACK }, spec: { template: { spec } } }, 'spec.template.metadata.annotations'],
      ['CronJob', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'w', annotations: ACK }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } } },
        'spec.jobTemplate.spec.template.metadata.annotations'],
    ])("warns when an acknowledgement is on the %s's own metadata (BT138), and the warning stands", (kind, obj, where) => {
      const f = check(obj);
      expect(f.filter(x => x.acknowledged === undefined).map(x => x.ruleId).sort()).toEqual(['BT104', 'BT138']);
      const b = first(f, 'BT138');
      expect(b.path).toBe('/metadata/annotations/bound-tokens.io~1acknowledge-BT104');
      expect(b.message).toContain(`BT138: 'bound-tokens.io/acknowledge-BT104' is on the ${kind}'s own metadata, not on its pod template (${where}), so its pods never carry it`);
    });

    test('an acknowledgement on the pod template is honoured (compliant)', () => {
      const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { selector: {}, template: { metadata: { annotations: ACK }, spec } } };
      const f = check(obj);
      expect(f.map(x => [x.ruleId, x.acknowledged])).toEqual([['BT104', 'the consumer needs two days']]);
    });

    test("an acknowledgement on an OLM ClusterServiceVersion reaches its deployments' pods (OLM copies the CSV's annotations to each pod template)", () => {
      const csv = {
        apiVersion: 'operators.coreos.com/v1alpha1',
        kind: 'ClusterServiceVersion',
        metadata: { name: 'op.v1', annotations: ACK },
        spec: { install: { strategy: 'deployment', spec: { deployments: [{ name: 'a', spec: { selector: {}, template: { spec } } }] } } },
      };
      const f = check(csv);
      expect(f.map(x => [x.ruleId, x.path, x.acknowledged])).toEqual([
        ['BT104', '/spec/install/spec/deployments/0/spec/template/spec/volumes/0/projected/sources/0/serviceAccountToken/expirationSeconds', 'the consumer needs two days'],
      ]);
    });
  });

  test('warns when a token of another audience is mounted at the API token directory (BT139): in-cluster clients would present it', () => {
    const f = check(pod([vol([tok('token', 'vault')])], [{ name: 'tok', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]));
    expect(ids(f)).toEqual(['BT139']);
    expect(f[0].level).toBe('warning');
    expect(f[0].message).toContain("BT139: 'mountPath' of token volume 'tok' in container 'app' is the API token directory, and the volume's token 'token' has the audience 'vault': in-cluster clients present it to the API server, which refuses it");
    // the API server's own audience (its issuer), or no audience: compliant for BT139
    expect(check(pod([vol([tok('token', 'https://kubernetes.default.svc')])], [SA_MOUNT('tok')]))).toEqual([]);
    expect(ids(check(pod([vol([tok('token', '')])], [SA_MOUNT('tok')])))).toEqual(['BT120']);
    // elsewhere: compliant
    expect(check(pod([vol([tok('token', 'vault')])], [{ name: 'tok', mountPath: '/var/run/secrets/kubernetes.io/serviceaccounts' }]))).toEqual([]);
  });

  describe("an OLM ClusterServiceVersion's deployments are checked like any workload", () => {
    const csv = (deployments: any[]) => ({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'ClusterServiceVersion',
      metadata: { name: 'op.v1' },
      spec: { install: { strategy: 'deployment', spec: { deployments } } },
    });
    const dep = (name: string, volumes: any[], mounts: any[]) => ({
      name,
      spec: { selector: {}, template: { spec: { serviceAccountName: 'op', containers: [{ name: 'm', image: 'i:1', volumeMounts: mounts }], volumes } } },
    });

    test('fails on the second deployment of a CSV (BT142; before issue 16 a CSV was never read)', () => {
      const f = check(csv([
        dep('a', [vol([tok('token')])], [{ name: 'tok', mountPath: '/t' }]),
        dep('b', [vol([tok('token')])], [{ name: 'tok', mountPath: '/t/token', subPath: 'token' }]),
      ]));
      expect(ids(f)).toEqual(['BT142']);
      expect(f[0].path).toBe('/spec/install/spec/deployments/1/spec/template/spec/containers/0/volumeMounts/0/subPath');
      expect(f[0].message).toContain("BT142: 'subPath' of token volume 'tok' in container 'm' stops the kubelet from updating the rotated token");
    });

    test('the wrong shape inside a CSV deployment is BT902, at its own path', () => {
      const bad = csv([dep('a', [], [])]);
      (bad.spec.install.spec.deployments[0].spec.template.spec as any).volumes = { tok: {} };
      const f = checkShape(bad);
      expect(ids(f)).toEqual(['BT902']);
      expect(f[0].path).toBe('/spec/install/spec/deployments/0/spec/template/spec/volumes');
      expect(checkShape(csv([dep('a', [vol([tok('token')])], [{ name: 'tok', mountPath: '/t' }])]))).toEqual([]);
    });
  });

  test('the same token path of over 4096 bytes twice: BT114 and BT115, as the policy says (the API server warns "overlapping paths")', () => {
    // kubectl apply --dry-run=server of a Pod whose token path ('a/' x 2100 + 'token') is projected twice
    // -> 'Warning: volume "tok" (Projected): overlapping paths: "a/a/...' and "pod/long-twice created (server dry run)"
    const long = 'a/'.repeat(2100) + 'token';
    const f = check(pod([vol([tok(long, 'v'), tok(long, 'w')])]));
    expect(ids(f).sort()).toEqual(['BT114', 'BT115', 'BT115']);
    expect(first(f, 'BT114').message).toContain("BT114: 'path' of ServiceAccountToken in volume 'tok' overlaps");
    expect(first(f, 'BT115').message).toContain('is longer than 4096 bytes (it has 4205)');
  });
});
