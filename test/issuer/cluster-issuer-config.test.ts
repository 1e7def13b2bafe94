import * as net from 'net';
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { build as buildIssuerRotation } from '../../examples/issuer-rotation';
import {
  BoundTokenPod, BoundTokenRules, ClusterIssuerConfig, GitOps, IssuerRotationRestart, ProjectedTokenVolume,
} from '../../src';
import { RESTART_SCRIPT } from '../../src/private/issuer/restart-script';
import { markNeedsPublicIssuer, publicIssuerMarks } from '../../src/private/public-issuer';
import {
  checkIssuerValue, clusterInternalReason, cloudAudienceConsumer, KINDS_WITHOUT_POD_SPEC, locationOfKind, parseIPv4, parseIPv6, TEMPLATE_KINDS,
} from '../../src/rules';
import { authenticationValidator, expectValidManifests, schemaErrors } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

const PUBLIC = 'https://oidc.example.com/cluster-a';

/** Synthesizes and returns the objects and the printed warnings. */
function synthWarn(c: Chart): { objs: any[]; warnings: string[] } {
  let objs: any[] = [];
  const warnings = captureWarnings(() => {
    objs = synth(c);
  });
  return { objs, warnings };
}

/** A chart with an issuer config whose change is planned (BT165 acknowledged), so tests see only what they look for. */
function issuerChart(serviceAccountIssuer: string, props: Record<string, unknown> = {}): { c: Chart; cfg: ClusterIssuerConfig } {
  const c = chart();
  const cfg = new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer, ...props });
  if (!('restart' in props)) BoundTokenRules.acknowledge(cfg, 'BT165', 'restart planned by the test');
  return { c, cfg };
}

function account(c: Construct, name = 'app') {
  return new kplus.ServiceAccount(c, `SA-${name}`, { metadata: { name } });
}

function podWithAudience(c: Construct, audience: string, id = 'Pod') {
  return new BoundTokenPod(c, id, {
    serviceAccount: account(c, id.toLowerCase()),
    tokens: [{ path: 'token', audience }],
    containers: [{ image: 'busybox:1.36' }],
  });
}

describe('ClusterIssuerConfig: the Authentication object', () => {
  test('defaults: only spec.serviceAccountIssuer on Authentication "cluster", valid against the CRD (snapshot)', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC });
    const { objs, warnings } = synthWarn(c);
    // the change itself is the one warning: no restart is planned
    expect(warnings.map(w => w.match(/BT\d+/)?.[0])).toEqual(['BT165']);
    expect(objs).toHaveLength(1);
    const auth = findKind(objs, 'Authentication');
    expect(auth.apiVersion).toBe('config.openshift.io/v1');
    expect(auth.metadata).toEqual({ name: 'cluster' });
    expect(auth.spec).toEqual({ serviceAccountIssuer: PUBLIC });
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('the CRD schema check is live: it refuses a wrongly typed issuer', () => {
    expect(authenticationValidator()).not.toBeNull();
    expect(schemaErrors({ apiVersion: 'config.openshift.io/v1', kind: 'Authentication', metadata: { name: 'cluster' }, spec: { serviceAccountIssuer: 5 } }))
      .toContain('/spec/serviceAccountIssuer must be string');
  });

  test('never carries a namespace, even in a chart that has one', () => {
    const c = chart({ namespace: 'apps' });
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {} });
    const auth = findKind(synth(c), 'Authentication');
    expect(auth.metadata.namespace).toBeUndefined();
  });

  test('no GitOps annotations unless asked', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {} });
    expect(findKind(synth(c), 'Authentication').metadata.annotations).toBeUndefined();
  });

  test('Argo CD: server-side apply, never pruned or deleted, wave -1 (before workloads)', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {}, gitOps: { argoCd: true } });
    const objs = synth(c);
    expect(findKind(objs, 'Authentication').metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false,Delete=false',
      'argocd.argoproj.io/sync-wave': '-1',
    });
    expectValidManifests(objs);
  });

  test('Flux: Merge apply policy, prune disabled', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {}, gitOps: { flux: true } });
    expect(findKind(synth(c), 'Authentication').metadata.annotations).toEqual({
      'kustomize.toolkit.fluxcd.io/ssa': 'Merge',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
  });

  test('a custom wave, and the restart objects in their own later wave', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {}, gitOps: { argoCd: true, syncWave: -5, restartSyncWave: 3 } });
    const objs = synth(c);
    expect(findKind(objs, 'Authentication').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-5');
    expect(findKind(objs, 'Job').metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('3');
  });

  test('GitOps.authenticationAnnotations gives the same annotations for hand-written objects', () => {
    expect(GitOps.authenticationAnnotations({})).toEqual({});
    expect(GitOps.authenticationAnnotations({ argoCd: true, flux: true, syncWave: -2 })).toEqual({
      [GitOps.ARGOCD_SYNC_OPTIONS]: GitOps.ARGOCD_AUTHENTICATION_SYNC_OPTIONS,
      [GitOps.ARGOCD_SYNC_WAVE]: '-2',
      [GitOps.FLUX_SSA]: 'Merge',
      [GitOps.FLUX_PRUNE]: 'disabled',
    });
  });

  test('platformDefault() writes https://kubernetes.default.svc explicitly, with options', () => {
    const c = chart();
    const cfg = ClusterIssuerConfig.platformDefault(c, 'Issuer', { restart: {}, gitOps: { argoCd: true } });
    expect(cfg.serviceAccountIssuer).toBe('https://kubernetes.default.svc');
    expect(cfg.restart).toBeInstanceOf(IssuerRotationRestart);
    const objs = synth(c);
    expect(findKind(objs, 'Authentication').spec).toEqual({ serviceAccountIssuer: 'https://kubernetes.default.svc' });
    expect(findKind(objs, 'Job').spec.template.spec.containers[0].env[0]).toEqual({ name: 'NEW_ISSUER', value: 'https://kubernetes.default.svc' });
    expectValidManifests(objs);
  });

  test('the restart option adds the restart Job as child Restart, for the same issuer', () => {
    const c = chart();
    const cfg = new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: { namespaces: ['team-a'] } });
    expect(cfg.restart?.node.path).toBe('test/Issuer/Restart');
    expect(cfg.restart?.serviceAccountIssuer).toBe(PUBLIC);
    expect(ApiObject.of(cfg).kind).toBe('Authentication');
  });

  test('the example app changes the issuer and restarts workloads (snapshot, schema, no warning)', () => {
    const app = buildIssuerRotation();
    let objs: any[] = [];
    const warnings = captureWarnings(() => {
      objs = Testing.synth(app.charts[0]);
    });
    expect(warnings).toEqual([]);
    expect(objs.map(o => o.kind)).toEqual([
      'Authentication', 'Namespace', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding',
      'ClusterRole', 'ClusterRoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Job',
    ]);
    expect(findKind(objs, 'Job').spec.template.spec.containers[0].env.find((e: any) => e.name === 'EXCLUDE').value)
      .toBe('openshift openshift-* kube-* legacy-batch');
    expectValidManifests(objs);
    // the restart script is snapshotted once (issuer-rotation-restart.test.ts): here it must be that very script
    const container = findKind(objs, 'Job').spec.template.spec.containers[0];
    expect(container.command[2]).toBe(RESTART_SCRIPT);
    container.command[2] = '<RESTART_SCRIPT, snapshotted in issuer-rotation-restart.test.ts>';
    expect(objs).toMatchSnapshot();
  });
});

describe('ClusterIssuerConfig: rules on the issuer value', () => {
  test.each([
    PUBLIC, 'https://oidc.example.com', 'https://oidc.example.com/', 'https://[2001:db8::1]:8443/x', 'https://kubernetes.default.svc',
  ])('compliant: %s', issuer => {
    const { warnings } = synthWarn(issuerChart(issuer).c);
    expect(warnings).toEqual([]);
  });

  test('fails when the app has two ClusterIssuerConfigs (BT160)', () => {
    const { c } = issuerChart(PUBLIC);
    new ClusterIssuerConfig(c, 'Second', { serviceAccountIssuer: PUBLIC, restart: {} });
    const msg = errorOf(() => synthWarn(c));
    expect(msg).toContain('BT160');
    expect(msg).toContain("'ClusterIssuerConfig' must appear once per cluster, but 2 apply to the same objects (this one to the whole app)");
  });

  test.each(['   ', '\t'])('fails where it is given when the issuer is white space only (BT161): %j', issuer => {
    const msg = errorOf(() => issuerChart(issuer));
    expect(msg).toContain('BT161');
    expect(msg).toContain("'serviceAccountIssuer' must not be white space only (an empty string is the platform default, 'https://kubernetes.default.svc')");
    expect(msg).toContain('ClusterIssuerConfig.platformDefault()');
  });

  test("an empty issuer is OpenShift's own default (read as https://kubernetes.default.svc): no BT161 (issue 16)", () => {
    const { objs, warnings } = synthWarn(issuerChart('').c);
    expect(warnings).toEqual([]);
    expect(findKind(objs, 'Authentication').spec).toEqual({ serviceAccountIssuer: '' });
  });

  test('an empty issuer with the restart option: the Job waits for the default issuer the tokens will carry', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: '', restart: {} });
    const { objs, warnings } = synthWarn(c);
    expect(warnings).toEqual([]);
    expect(findKind(objs, 'Job').spec.template.spec.containers[0].env[0]).toEqual({ name: 'NEW_ISSUER', value: 'https://kubernetes.default.svc' });
  });

  test('an empty issuer is the cluster-internal default for a cloud audience too (BT169)', () => {
    const { c } = issuerChart('');
    podWithAudience(c, 'sts.amazonaws.com');
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("BT169: 'serviceAccountIssuer' has the cluster-internal host 'kubernetes.default.svc'");
  });

  test.each([
    ['https://a b', 'invalid character " " in host name'],
    ['https://x:abc', 'invalid port ":abc" after host'],
    ['1a:b', 'first path segment in URL cannot contain colon'],
    [':foo', 'missing protocol scheme'],
    ['https://x/%zz', 'invalid URL escape "%zz"'],
    ['https://[example.com]/', "has a host in brackets that is not an IPv6 address ('example.com')"],
  ])('fails where it is given when the issuer contains : but is not a URL Go accepts (BT162): %s', (issuer, phrase) => {
    const msg = errorOf(() => issuerChart(issuer));
    expect(msg).toContain('BT162');
    expect(msg).toContain(phrase);
  });

  test.each(['https://x/?a=b', 'https://x/?', 'https://x/#frag', 'https://x#'])('fails where it is given when an https issuer has a query or fragment (BT163): %s', issuer => {
    const msg = errorOf(() => issuerChart(issuer));
    expect(msg).toContain('BT163');
    expect(msg).toContain("'serviceAccountIssuer' must not have a query or a fragment");
  });

  test.each([
    ['http://oidc.example.com', 'is not an https URL'],
    ['kubernetes.default.svc', 'is not an https URL'],
    ['https:oidc.example.com', 'is an https URL without a host'],
  ])('fails when the issuer is not an https URL with a host (BT164, a warning): %s', (issuer, phrase) => {
    const { warnings } = synthWarn(issuerChart(issuer).c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('BT164');
    expect(warnings[0]).toContain(phrase);
  });

  test('fails when the issuer changes without a planned restart (BT165, a warning), and not with one', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC });
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('BT165');
    expect(warnings[0]).toContain("add the 'restart' option");
    const planned = chart();
    new ClusterIssuerConfig(planned, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {} });
    expect(synthWarn(planned).warnings).toEqual([]);
  });

  test('fails where it is given when gitOps.syncWave is not an integer (BT183)', () => {
    const c = chart();
    const msg = errorOf(() => new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {}, gitOps: { argoCd: true, syncWave: -0.5 } }));
    expect(msg).toContain('[test/Issuer] BT183');
    expect(msg).toContain("'gitOps.syncWave' must be an integer, got -0.5");
  });

  test('a restart option about one prop fails where the config is created, at the path of its restart, adding nothing to the chart', () => {
    const c = chart();
    const msg = errorOf(() => new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: { namespaces: ['team_a'] } }));
    expect(msg).toContain("[test/Issuer/Restart] BT180: 'namespaces[0]' must be a DNS-1123 label (a namespace name), got 'team_a'");
    expect(c.node.tryFindChild('Issuer')).toBeUndefined();
  });

  test('checkIssuerValue never throws and always names one rule or none (property)', () => {
    fc.assert(fc.property(fc.fullUnicodeString({ maxLength: 40 }), s => {
      const f = checkIssuerValue(s, '/spec/serviceAccountIssuer', 'serviceAccountIssuer');
      expect(f.length).toBeLessThanOrEqual(1);
      expect(checkIssuerValue(s, '/spec/serviceAccountIssuer', 'serviceAccountIssuer')).toEqual(f);
    }), { numRuns: 2000 });
  });
});

describe('ClusterIssuerConfig: rules across the app', () => {
  test('BT160 names the other configs in tree order, whatever order they were made in', () => {
    const app = Testing.app();
    const [a, b, c] = ['a', 'b', 'c'].map(id => new Chart(app, id));
    for (const scope of [c, a, b]) new ClusterIssuerConfig(scope, 'Issuer', { serviceAccountIssuer: PUBLIC, restart: {} });
    const msg = errorOf(() => app.synth());
    expect(msg).toContain("[a/Issuer] BT160: 'ClusterIssuerConfig' must appear once per cluster, but 3 apply to the same objects (this one to the whole app), "
      + "got 'b/Issuer' (applies to the whole app), 'c/Issuer' (applies to the whole app) besides this one");
  });

  test('two apps in one process keep their own issuer facts (configs, restarts, public-issuer marks)', () => {
    const first = issuerChart('https://issuer.cluster.local', { restart: {} });
    markNeedsPublicIssuer(first.c, 'Example Cloud IAM');
    const second = chart();
    new ClusterIssuerConfig(second, 'Issuer', { serviceAccountIssuer: 'https://issuer.cluster.local', restart: {} });
    expect(publicIssuerMarks(second)).toEqual([]);
    // neither sees the other's config (no BT160) or restart (no BT182); only the first has a cloud consumer (BT169)
    expect(synthWarn(second).warnings).toEqual([]);
    const { warnings } = synthWarn(first.c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("BT169: 'serviceAccountIssuer' has the cluster-internal host 'issuer.cluster.local'");
  });

  test('the kinds the audience scan does not render never have a pod spec by their kind (src/rules/kubernetes.ts)', () => {
    expect(KINDS_WITHOUT_POD_SPEC.size).toBeGreaterThan(20);
    for (const kind of KINDS_WITHOUT_POD_SPEC) expect(locationOfKind(kind)).toBeUndefined();
    for (const kind of ['Pod', 'PodTemplate', 'CronJob', ...TEMPLATE_KINDS]) expect(KINDS_WITHOUT_POD_SPEC.has(kind)).toBe(false);
  });

  test('reads the audiences of the workloads the library bound from their binding records: a plain ApiObject bound with mountIntoApiObject', () => {
    const { c } = issuerChart('https://oidc.example.com/');
    const raw = new kplus.k8s.KubeDeployment(c, 'Raw', {
      metadata: { name: 'raw' },
      spec: {
        selector: { matchLabels: { app: 'raw' } },
        template: { metadata: { labels: { app: 'raw' } }, spec: { serviceAccountName: 'raw', containers: [{ name: 'app', image: 'busybox:1.36' }] } },
      },
    });
    new ProjectedTokenVolume(c, 'Tokens', { tokens: [{ path: 'token', audience: 'https://oidc.example.com' }] }).mountIntoApiObject(raw);
    const msg = errorOf(() => synthWarn(c));
    expect(msg).toContain('BT167');
    // the first place in the tree that sets the audience: the workload (before the volume made after it)
    expect(msg).toContain("differs only by a trailing slash from the audience 'https://oidc.example.com' of a token at 'test/Raw'");
  });

  test('fails when an audience differs from the issuer only by a trailing slash (BT167)', () => {
    const { c } = issuerChart('https://oidc.example.com/');
    podWithAudience(c, 'https://oidc.example.com');
    const msg = errorOf(() => synthWarn(c));
    expect(msg).toContain('BT167');
    expect(msg).toContain("differs only by a trailing slash from the audience 'https://oidc.example.com' of a token at 'test/Pod'");
  });

  test('fails when an audience differs by a trailing slash the other way round, in a hand-written Deployment (BT167)', () => {
    const { c } = issuerChart('https://oidc.example.com');
    new kplus.k8s.KubeDeployment(c, 'Raw', {
      metadata: { name: 'raw' },
      spec: {
        selector: { matchLabels: { app: 'raw' } },
        template: {
          metadata: { labels: { app: 'raw' } },
          spec: {
            serviceAccountName: 'raw',
            containers: [{ name: 'app', image: 'busybox:1.36', volumeMounts: [{ name: 't', mountPath: '/t', readOnly: true }] }],
            volumes: [{ name: 't', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'https://oidc.example.com//' } }] } }],
          },
        },
      },
    });
    const msg = errorOf(() => synthWarn(c));
    expect(msg).toContain('BT167');
    expect(msg).toContain("'https://oidc.example.com//' of a token at 'test/Raw'");
  });

  test('fails when a token audience equals the issuer (BT168, a warning)', () => {
    const { c } = issuerChart(PUBLIC);
    new ProjectedTokenVolume(c, 'ApiToken', { tokens: [{ path: 'token', audience: PUBLIC }] });
    const { warnings } = synthWarn(c);
    const w = warnings.filter(x => x.includes('BT168'));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("equals the audience of a token at 'test/ApiToken'");
  });

  test('compliant: audiences unrelated to the issuer', () => {
    const { c } = issuerChart(PUBLIC);
    podWithAudience(c, 'vault');
    podWithAudience(c, 'https://oidc.example.com/cluster-b', 'Other');
    expect(synthWarn(c).warnings).toEqual([]);
  });

  test.each([
    ['sts.amazonaws.com', 'AWS IAM'],
    ['api://AzureADTokenExchange', 'Azure AD'],
    ['//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q', 'Google Cloud'],
    ['https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q', 'Google Cloud'],
    ['sts.googleapis.com', 'Google Cloud'],
  ])('fails when a cloud audience (%s) meets a cluster-internal issuer (BT169, a warning)', (audience, cloud) => {
    const { c } = issuerChart('https://kubernetes.default.svc');
    podWithAudience(c, audience);
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('BT169');
    expect(warnings[0]).toContain("has the cluster-internal host 'kubernetes.default.svc' (a cluster service name (*.svc))");
    expect(warnings[0]).toContain(`${cloud}`);
    expect(warnings[0]).toContain(`(audience '${audience}') at 'test/Pod' needs a cloud to fetch`);
  });

  test('warns for a cluster-internal issuer whether it is https or not (BT169 beside BT164)', () => {
    const { c } = issuerChart('http://10.0.0.5:8080');
    podWithAudience(c, 'sts.amazonaws.com');
    const { warnings } = synthWarn(c);
    expect(warnings.map(w => w.match(/BT\d+/)?.[0]).sort()).toEqual(['BT164', 'BT169']);
    expect(warnings.find(w => w.includes('BT169'))).toContain("'10.0.0.5' (a private address (10.0.0.0/8))");
  });

  test('compliant: a cloud audience with a public issuer; a cluster-internal issuer with no cloud consumer', () => {
    const a = issuerChart(PUBLIC);
    podWithAudience(a.c, 'sts.amazonaws.com');
    expect(synthWarn(a.c).warnings).toEqual([]);
    const b = issuerChart('https://kubernetes.default.svc');
    podWithAudience(b.c, 'vault');
    expect(synthWarn(b.c).warnings).toEqual([]);
  });

  test('a preset marks its construct with markNeedsPublicIssuer (fake consumer): BT169', () => {
    const { c } = issuerChart('https://issuer.cluster.local');
    class FakePreset extends Construct {
      constructor(scope: Construct, id: string) {
        super(scope, id);
        markNeedsPublicIssuer(this, 'Example Cloud IAM');
        markNeedsPublicIssuer(this, 'Example Cloud IAM');
      }
    }
    const preset = new FakePreset(c, 'Preset');
    expect(publicIssuerMarks(c)).toEqual([{ construct: preset, consumer: 'Example Cloud IAM' }]);
    const { warnings } = synthWarn(c);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("BT169: 'serviceAccountIssuer' has the cluster-internal host 'issuer.cluster.local'");
    expect(warnings[0]).toContain("Example Cloud IAM at 'test/Preset' needs a cloud");
  });

  test('markNeedsPublicIssuer refuses an empty consumer, naming the construct', () => {
    const c = chart();
    expect(errorOf(() => markNeedsPublicIssuer(c, ' '))).toContain("[test] 'consumer' must name the verifier");
  });

  test('BT169 can be acknowledged with a reason', () => {
    const { c, cfg } = issuerChart('https://kubernetes.default.svc');
    podWithAudience(c, 'sts.amazonaws.com');
    BoundTokenRules.acknowledge(cfg, 'BT169', 'the AWS role trusts a mirror of our keys');
    const { objs, warnings } = synthWarn(c);
    expect(warnings).toEqual([]);
    expect(findKind(objs, 'Authentication').metadata.annotations['bound-tokens.io/acknowledge-BT169']).toBe('the AWS role trusts a mirror of our keys');
  });
});

describe('cluster-internal hosts and cloud audiences', () => {
  test.each([
    ['kubernetes.default.svc', 'a cluster service name (*.svc)'],
    ['oidc.issuer.svc.cluster.local', 'a cluster DNS name (*.cluster.local)'],
    ['localhost', 'localhost'],
    ['api.localhost', 'localhost'],
    ['printer.local', 'a local-only name (*.local)'],
    ['oidc.corp.internal', 'a private-use name (*.internal)'],
    ['issuer', 'a single-label name that public DNS does not resolve'],
    ['10.1.2.3', 'a private address (10.0.0.0/8)'],
    ['172.16.0.1', 'a private address (172.16.0.0/12)'],
    ['172.31.255.255', 'a private address (172.16.0.0/12)'],
    ['192.168.1.1', 'a private address (192.168.0.0/16)'],
    ['127.0.0.1', 'a loopback address (127.0.0.0/8)'],
    ['169.254.169.254', 'a link-local address (169.254.0.0/16)'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address (100.64.0.0/10)'],
    ['::1', 'the IPv6 loopback address (::1)'],
    ['fd00::1', 'a unique local IPv6 address (fc00::/7)'],
    ['fc12:3456::', 'a unique local IPv6 address (fc00::/7)'],
    ['fe80::1', 'a link-local IPv6 address (fe80::/10)'],
    ['::ffff:10.0.0.1', 'a private address (10.0.0.0/8)'],
  ])('%s is cluster-internal: %s', (host, reason) => {
    expect(clusterInternalReason(host)).toBe(reason);
  });

  test.each(['oidc.example.com', 's3.eu-west-1.amazonaws.com', '172.32.0.1', '8.8.8.8', '2001:db8::1', 'svc.example.com'])('%s may be public', host => {
    expect(clusterInternalReason(host)).toBeUndefined();
  });

  test('the host is read from the URL as a verifier would: port, brackets, zone, case and trailing dot removed', () => {
    for (const issuer of ['https://Kubernetes.Default.SVC.:443', 'https://u@kubernetes.default.svc/x']) {
      const { c } = issuerChart(issuer);
      podWithAudience(c, 'sts.amazonaws.com');
      expect(synthWarn(c).warnings.join('\n')).toContain("cluster-internal host 'kubernetes.default.svc'");
    }
    const { c } = issuerChart('https://[fe80::1%25eth0]:8443');
    podWithAudience(c, 'sts.amazonaws.com');
    expect(synthWarn(c).warnings.join('\n')).toContain("cluster-internal host 'fe80::1'");
  });

  test.each([
    ['sts.amazonaws.com', true], ['api://AzureADTokenExchange', true], ['api://AzureADTokenExchangeChina', true],
    ['sts.googleapis.com', true], ['//iam.googleapis.com/projects/1/x', true], ['openshift', true],
    ['pods.eks.amazonaws.com', false], ['vault', false], ['https://kubernetes.default.svc', false],
  ])('cloud audience %s: %s', (audience, cloud) => {
    expect(cloudAudienceConsumer(audience) !== undefined).toBe(cloud);
  });

  // References: Node's own address parsers, and CIDR arithmetic on 32-bit integers.
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
  const CIDRS: Array<[number, number]> = [
    [0x0a000000, 8], [0xac100000, 12], [0xc0a80000, 16], [0x7f000000, 8], [0xa9fe0000, 16], [0x64400000, 10], [0x00000000, 8],
  ];
  const inCidr = (ip: number, [net4, bits]: [number, number]) => Math.floor(ip / 2 ** (32 - bits)) === Math.floor(net4 / 2 ** (32 - bits));

  test('IPv4: cluster-internal exactly for the private, loopback, link-local, shared and this-network ranges (property)', () => {
    fc.assert(fc.property(v4, o => {
      const ip = ((o[0] * 256 + o[1]) * 256 + o[2]) * 256 + o[3];
      const want = CIDRS.some(c => inCidr(ip, c));
      expect(clusterInternalReason(o.join('.')) !== undefined).toBe(want);
      // the same address mapped into IPv6
      expect(clusterInternalReason(`::ffff:${o.join('.')}`) !== undefined).toBe(want);
    }), { numRuns: 3000 });
  });

  test('parseIPv4 and parseIPv6 accept exactly what Node accepts (property)', () => {
    const v4text = fc.stringOf(fc.constantFrom('0', '1', '9', '25', '255', '256', '.', '01'), { maxLength: 8 });
    fc.assert(fc.property(v4text, s => {
      expect(parseIPv4(s) !== undefined).toBe(net.isIPv4(s));
    }), { numRuns: 3000 });
    const v6text = fc.stringOf(fc.constantFrom('0', '1', 'f', 'ffff', '12345', ':', '::', '.', '1.2.3.4', 'g'), { maxLength: 10 });
    fc.assert(fc.property(v6text, s => {
      expect(parseIPv6(s) !== undefined).toBe(net.isIPv6(s));
    }), { numRuns: 5000 });
  });

  test('parseIPv6 expands :: to eight groups', () => {
    expect(parseIPv6('fe80::1')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
  });
});
