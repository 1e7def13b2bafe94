// Issue 18, "Messages a user can act on": each message says what happened and what to do.
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import * as kplus from 'cdk8s-plus-33';
import { AwsIamRole, BoundTokenRules, ClusterIssuerConfig, IssuerRotationRestart, ProjectedTokenVolume } from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, synth } from '../util';

const IMAGE = 'busybox:1.36';

function vault(c: any): ProjectedTokenVolume {
  return new ProjectedTokenVolume(c, 'VaultToken', { tokens: [{ path: 'vault-token', audience: 'vault' }] });
}

describe('a workload without a service account that projects a token', () => {
  test('a Deployment with a plain token volume warns (BT151): its token identifies the default account', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { containers: [{ image: IMAGE, name: 'app' }] });
    vault(c).mountInto(d);
    const lines = captureWarnings(() => synth(c));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("[test/D] BT151: 'serviceAccountName' is not set on a pod that projects a token (volume 'vault-token'), so the token identifies the namespace's 'default' account");
  });

  test('the same Deployment bound to a preset fails (BT152) and is not warned about twice', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { containers: [{ image: IMAGE, name: 'app' }] });
    new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/web', region: 'eu-west-1' }).bind(d);
    let msg = '';
    const lines = captureWarnings(() => { msg = errorOf(() => synth(c)); });
    expect(msg).toContain("[test/D] BT152: 'serviceAccount' of the workload is not set, so its token names the namespace's default account");
    expect(msg).not.toContain('BT151');
    expect(lines.join('\n')).not.toContain('BT151');
  });

  test('compliant: with a service account, neither', () => {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'web' } });
    const d = new kplus.Deployment(c, 'D', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
    vault(c).mountInto(d);
    new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/web', region: 'eu-west-1' }).bind(d);
    expect(captureWarnings(() => synth(c))).toEqual([]);
  });
});

describe('a cdk8s-plus StatefulSet whose own volume cdk8s-plus leaves out (BT144)', () => {
  function statefulSet(c: any, kp: any = kplus) {
    const sa = new kp.ServiceAccount(c, 'SA', { metadata: { name: 'db' } });
    const sts = new kp.StatefulSet(c, 'Db', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'db', portNumber: 5432 }] });
    sts.containers[0].mount('/cache', kp.Volume.fromEmptyDir(c, 'Cache', 'cache'));
    vault(c).mountInto(sts);
    return sts;
  }

  test('says that cdk8s-plus dropped the volume, and the patch that adds it back', () => {
    const c = chart();
    statefulSet(c);
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("[test/Db] BT144: 'name' of a volume mount in container 'db' names no volume of the pod, got 'cache'; "
      + "the StatefulSet has this volume, but cdk8s-plus-33 renders a StatefulSet's pod volumes only when it has volumeClaimTemplates (cdk8s-team/cdk8s-plus#6735)");
    expect(msg).toContain("ApiObject.of(statefulSet).addJsonPatch(JsonPatch.add('/spec/template/spec/volumes/-', {\"name\":\"cache\",\"emptyDir\":{}}))");
    expect(msg).not.toContain('add the volume to the pod');
  });

  test('the patch the message gives works', () => {
    const c = chart();
    const sts = statefulSet(c);
    ApiObject.of(sts).addJsonPatch(JsonPatch.add('/spec/template/spec/volumes/-', { name: 'cache', emptyDir: {} }));
    const objs = synth(c);
    const spec = objs.find(o => o.kind === 'StatefulSet').spec.template.spec;
    expect(spec.volumes.map((v: any) => v.name).sort()).toEqual(['cache', 'vault-token']);
    expect(spec.volumes.find((v: any) => v.name === 'cache')).toEqual({ name: 'cache', emptyDir: {} });
    expectValidManifests(objs);
  });

  test('cdk8s-plus-27 renders the volume, so there is nothing to report', () => {
    const c = chart();
    statefulSet(c, kplus27);
    const spec = synth(c).find(o => o.kind === 'StatefulSet').spec.template.spec;
    expect(spec.volumes.map((v: any) => v.name).sort()).toEqual(['cache', 'vault-token']);
  });

  test('a mount of a volume the StatefulSet does not have keeps the ordinary fix', () => {
    const c = chart();
    const sts = statefulSet(c);
    ApiObject.of(sts).addJsonPatch(JsonPatch.add('/spec/template/spec/volumes/-', { name: 'cache', emptyDir: {} }));
    ApiObject.of(sts).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'nope', mountPath: '/nope' }));
    const msg = errorOf(() => synth(c));
    expect(msg).toContain("BT144: 'name' of a volume mount in container 'db' names no volume of the pod, got 'nope'; add the volume to the pod or fix the mount name");
    expect(msg).not.toContain('volumeClaimTemplates');
  });
});

describe('an acknowledgement on the workload of a warning that belongs to the volume', () => {
  function setup() {
    const c = chart();
    const sa = new kplus.ServiceAccount(c, 'SA', { metadata: { name: 'client' } });
    const d = new kplus.Deployment(c, 'Client', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'client' }] });
    const token = new ProjectedTokenVolume(c, 'ApiToken', { tokens: [{ path: 'token' }] });
    token.mountInto(d);
    return { c, d, token };
  }

  test('fails and says where to acknowledge it (BT120 at the volume)', () => {
    const { c, d } = setup();
    BoundTokenRules.acknowledge(d, 'BT120', 'the API server is the consumer');
    const msg = errorOf(() => captureWarnings(() => synth(c)));
    expect(msg).toContain("[test/Client] BT120: the acknowledgement of BT120 ('the API server is the consumer') matches no warning of this construct or its children; "
      + "BT120 is reported at 'test/ApiToken', the token volume this workload mounts: the warning belongs to the volume. "
      + "Acknowledge it there, BoundTokenRules.acknowledge(<the construct at 'test/ApiToken'>, 'BT120', reason)");
    expect(msg).not.toMatch(/matches no warning of this construct or its children; remove it/);
  });

  test('acknowledged where the message says, the synth passes and the workload carries the annotation', () => {
    const { c, token } = setup();
    BoundTokenRules.acknowledge(token, 'BT120', 'the API server is the consumer');
    const lines: string[] = [];
    let objs: any[] = [];
    lines.push(...captureWarnings(() => { objs = synth(c); }));
    expect(lines).toEqual([]);
    const dep = objs.find(o => o.kind === 'Deployment');
    expect(dep.spec.template.metadata.annotations['bound-tokens.io/acknowledge-BT120']).toBe('the API server is the consumer');
  });

  test('an acknowledgement that matches no warning anywhere still says to remove it', () => {
    const { c, d, token } = setup();
    BoundTokenRules.acknowledge(token, 'BT120', 'the API server is the consumer');
    BoundTokenRules.acknowledge(d, 'BT132', 'no restrictive mode here');
    expect(errorOf(() => synth(c))).toContain("[test/Client] BT132: the acknowledgement of BT132 ('no restrictive mode here') matches no warning of this construct or its children; remove it");
  });
});

describe('one cluster issuer per cluster, for an app with one chart per cluster', () => {
  const ISSUER = (cl: string) => `https://oidc.example.com/clusters/${cl}`;

  test('without clusterScope, two charts with an issuer and a restart each fail, and every error says how to declare one issuer per chart', () => {
    const app = Testing.app();
    for (const cl of ['prod-eu', 'prod-us']) {
      new ClusterIssuerConfig(new Chart(app, cl), 'Issuer', { serviceAccountIssuer: ISSUER(cl), restart: {} });
    }
    const msg = errorOf(() => app.synth());
    const errors = msg.split('\n').filter(l => /\] BT\d+:/.test(l));
    expect(errors.map(l => /\] (BT\d+):/.exec(l)![1]).sort()).toEqual(['BT160', 'BT160', 'BT182', 'BT182']);
    expect(msg).toContain("[prod-eu/Issuer] BT160: 'ClusterIssuerConfig' must appear once per cluster, but 2 apply to the same objects (this one to the whole app), "
      + "got 'prod-us/Issuer' (applies to the whole app) besides this one; keep one ClusterIssuerConfig per cluster: if the app synthesizes one chart per cluster, "
      + "give each ClusterIssuerConfig the chart of its cluster as clusterScope (new ClusterIssuerConfig(chart, 'Issuer', { serviceAccountIssuer, clusterScope: chart }))");
    expect(msg).toContain("[prod-eu/Issuer/Restart] BT182: 'IssuerRotationRestart' must appear once per cluster");
    for (const l of errors) expect(l).toContain('clusterScope');
  });

  test('with clusterScope set to each chart, each chart gets its own Authentication and restart Job', () => {
    const app = Testing.app();
    const configs = ['prod-eu', 'prod-us'].map(cl => {
      const ch = new Chart(app, cl);
      return new ClusterIssuerConfig(ch, 'Issuer', { serviceAccountIssuer: ISSUER(cl), restart: {}, clusterScope: ch });
    });
    const lines = captureWarnings(() => app.synth());
    expect(lines).toEqual([]);
    for (const [i, config] of configs.entries()) {
      const objs = Testing.synth(config.clusterScope as Chart);
      expect(objs.filter(o => o.kind === 'Authentication').map(o => o.spec.serviceAccountIssuer)).toEqual([ISSUER(['prod-eu', 'prod-us'][i])]);
      const jobs = objs.filter(o => o.kind === 'Job');
      expect(jobs.map(o => o.metadata.name)).toEqual([config.restart!.jobName]);
      expect(JSON.stringify(jobs[0].spec)).toContain(ISSUER(['prod-eu', 'prod-us'][i]));
    }
  });

  test("a scoped issuer is checked against its own chart's tokens only; the per-app form still sees every chart", () => {
    // prod-us's token audience equals prod-eu's issuer: BT168 only where the two meet
    const scoped = Testing.app();
    for (const cl of ['prod-eu', 'prod-us']) {
      const ch = new Chart(scoped, cl);
      new ClusterIssuerConfig(ch, 'Issuer', { serviceAccountIssuer: ISSUER(cl), restart: {}, clusterScope: ch });
      if (cl === 'prod-us') new ProjectedTokenVolume(ch, 'T', { tokens: [{ path: 't', audience: ISSUER('prod-eu') }] });
    }
    const scopedLines = captureWarnings(() => { try { scoped.synth(); } catch { /* BT143: the volume is mounted nowhere */ } });
    expect(scopedLines.join('\n')).not.toContain('BT168');

    const perApp = Testing.app();
    new ClusterIssuerConfig(new Chart(perApp, 'issuer'), 'Issuer', { serviceAccountIssuer: ISSUER('prod-eu'), restart: {} });
    new ProjectedTokenVolume(new Chart(perApp, 'apps'), 'T', { tokens: [{ path: 't', audience: ISSUER('prod-eu') }] });
    const perAppLines = captureWarnings(() => { try { perApp.synth(); } catch { /* as above */ } });
    expect(perAppLines.join('\n')).toContain("[issuer/Issuer] BT168: 'serviceAccountIssuer'");
  });

  test('an issuer for the whole app and one scoped to a chart overlap (BT160)', () => {
    const app = Testing.app();
    new ClusterIssuerConfig(new Chart(app, 'all'), 'Issuer', { serviceAccountIssuer: ISSUER('all'), restart: {} });
    const eu = new Chart(app, 'prod-eu');
    new ClusterIssuerConfig(eu, 'Issuer', { serviceAccountIssuer: ISSUER('prod-eu'), restart: {}, clusterScope: eu });
    const msg = errorOf(() => app.synth());
    expect(msg).toContain("[prod-eu/Issuer] BT160: 'ClusterIssuerConfig' must appear once per cluster, but 2 apply to the same objects (this one to 'prod-eu'), got 'all/Issuer' (applies to the whole app) besides this one");
  });

  test('a restart scoped to a chart is compared with the issuer of that chart only (BT182)', () => {
    const app = Testing.app();
    const eu = new Chart(app, 'prod-eu');
    const us = new Chart(app, 'prod-us');
    new ClusterIssuerConfig(eu, 'Issuer', { serviceAccountIssuer: ISSUER('prod-eu'), clusterScope: eu });
    new ClusterIssuerConfig(us, 'Issuer', { serviceAccountIssuer: ISSUER('prod-us'), clusterScope: us, restart: {} });
    new IssuerRotationRestart(eu, 'Restart', { serviceAccountIssuer: ISSUER('prod-us'), clusterScope: eu });
    const msg = errorOf(() => app.synth());
    expect(msg).toContain("[prod-eu/Restart] BT182: 'serviceAccountIssuer' waits for an issuer that no ClusterIssuerConfig of its cluster ('prod-eu') sets ('https://oidc.example.com/clusters/prod-eu')");
    expect(msg).not.toContain('[prod-us/Issuer/Restart] BT182');
  });

  test('fails when clusterScope belongs to another app (BT240)', () => {
    const other = new Chart(Testing.app(), 'elsewhere');
    const ch = new Chart(Testing.app(), 'prod-eu');
    expect(errorOf(() => new ClusterIssuerConfig(ch, 'Issuer', { serviceAccountIssuer: ISSUER('prod-eu'), clusterScope: other })))
      .toContain("[prod-eu/Issuer] BT240: 'clusterScope' of ClusterIssuerConfig must be a construct of the same app (the Chart of the cluster), got a construct of another app at 'elsewhere'");
  });
});

describe('trust documents of a preset in an app with one issuer per chart', () => {
  test("take the issuer of the bound workload's chart", () => {
    const app = Testing.app();
    const roles = ['prod-eu', 'prod-us'].map(cl => {
      const ch = new Chart(app, cl, { namespace: 'payments' });
      new ClusterIssuerConfig(ch, 'Issuer', { serviceAccountIssuer: `https://oidc.example.com/${cl}`, clusterScope: ch, restart: {} });
      const sa = new kplus.ServiceAccount(ch, 'SA', { metadata: { name: 'api' } });
      const role = new AwsIamRole({ roleArn: 'arn:aws:iam::111122223333:role/api', region: 'eu-west-1' });
      role.bind(new kplus.Deployment(ch, 'Api', { serviceAccount: sa, containers: [{ image: IMAGE, name: 'api' }] }));
      return role;
    });
    expect(roles[0].trustPolicy().Statement[0].Principal.Federated).toBe('arn:aws:iam::111122223333:oidc-provider/oidc.example.com/prod-eu');
    expect(roles[1].trustPolicy().Statement[0].Principal.Federated).toBe('arn:aws:iam::111122223333:oidc-provider/oidc.example.com/prod-us');
  });
});
