// Issue 11: every supported cdk8s-plus line (27, 32, 33, 34) gets the same
// binding, presets, rotation and rules as cdk8s-plus-27, and the same app
// written against 27 and against another line synthesizes the same pod specs.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { IMAGE, Kp, LINES, OTHER_LINES, Outcome, WORKLOADS, outcome, podMetadata, podSpec, ruleIds, tokenView } from './lines-support';
import {
  AwsEksPodIdentity, AwsIamRole, AzureWorkloadIdentity, BoundTokenRules, GcpWorkloadIdentityFederation, IdentityPreset,
  IstioToken, OpenShiftShortTermCredentials, ProjectedTokenVolume, SpireAgentToken, TokenRotation, VaultToken,
} from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

/** The rule id of "not a workload"; to be tightened to the id the construct layer settles on. */
const NOT_A_WORKLOAD = /BT149/;

const ROLE = 'arn:aws:iam::111122223333:role/app';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = '55555555-6666-7777-8888-999999999999';
const SUBSCRIPTION = '99999999-8888-7777-6666-555555555555';
const GCP = { projectNumber: '123456789012', poolId: 'my-pool', providerId: 'my-provider' };
const GCP_AUDIENCE = 'https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-pool/providers/my-provider';

const TOKEN_MOUNT = { name: 'vault-token', mountPath: '/var/run/secrets/tokens', readOnly: true };
const TOKEN_VOLUME = {
  name: 'vault-token',
  projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } }] },
};
const ROTATION = { 'token-rotation.bound-tokens.io/vault-token': 'vault-token: refresh after 1h36m, expires after 2h' };

function vaultVolume(c: Construct, id = 'VaultToken') {
  return new ProjectedTokenVolume(c, id, { tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }] });
}

function account(kp: Kp, c: Chart, name = 'app') {
  return new kp.ServiceAccount(c, `SA-${name}`, { metadata: { name } });
}

/** A Deployment of line `kp` with containers app and sidecar and init container init. */
function deployment(kp: Kp, c: Chart, id = 'Dep') {
  return new kp.Deployment(c, id, {
    serviceAccount: account(kp, c),
    containers: [{ image: IMAGE, name: 'app' }, { image: IMAGE, name: 'sidecar' }],
    initContainers: [{ image: IMAGE, name: 'init' }],
  });
}

const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));

describe.each(LINES)('%s', (_line, kp) => {
  describe('ProjectedTokenVolume.mountInto', () => {
    test.each(WORKLOADS)('%s: read-only at /var/run/secrets/tokens in every container and init container, env vars, rotation annotations', (kind, make) => {
      const c = chart();
      const w = make(kp, c, 'W', {
        serviceAccount: account(kp, c),
        containers: [{ image: IMAGE, name: 'app' }, { image: IMAGE, name: 'sidecar' }],
        initContainers: [{ image: IMAGE, name: 'init' }],
      });
      vaultVolume(c).mountInto(w, { envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }], rotationAnnotations: true });
      const objs = synth(c);
      const obj = findKind(objs, kind);
      const spec = podSpec(obj);
      expect(spec.volumes).toEqual([TOKEN_VOLUME]);
      expect([...spec.containers, ...spec.initContainers].map((x: any) => x.name)).toEqual(['app', 'sidecar', 'init']);
      for (const cont of [...spec.containers, ...spec.initContainers]) {
        expect(cont.volumeMounts).toEqual([TOKEN_MOUNT]);
        expect(cont.env).toEqual([{ name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/tokens/vault-token' }]);
      }
      expect(spec.serviceAccountName).toBe('app');
      expect(podMetadata(obj).annotations).toEqual(ROTATION);
      expectValidManifests(objs);
    });

    test.each(WORKLOADS)('%s: the containers filter mounts into the named containers only, init containers included', (kind, make) => {
      const c = chart();
      const w = make(kp, c, 'W', {
        serviceAccount: account(kp, c),
        containers: [{ image: IMAGE, name: 'app' }, { image: IMAGE, name: 'proxy' }],
        initContainers: [{ image: IMAGE, name: 'init' }],
      });
      vaultVolume(c).mountInto(w, { containers: ['proxy', 'init'], envVars: [{ name: 'T', tokenPath: 'vault-token' }] });
      const obj = findKind(synth(c), kind);
      const spec = podSpec(obj);
      expect(spec.volumes).toEqual([TOKEN_VOLUME]);
      const app = spec.containers.find((x: any) => x.name === 'app');
      expect(app.volumeMounts).toBeUndefined();
      expect(app.env).toBeUndefined();
      for (const cont of [spec.containers.find((x: any) => x.name === 'proxy'), spec.initContainers[0]]) {
        expect(cont.volumeMounts).toEqual([TOKEN_MOUNT]);
        expect(cont.env).toEqual([{ name: 'T', value: '/var/run/secrets/tokens/vault-token' }]);
      }
      // rotation annotations are opt-in
      expect(podMetadata(obj).annotations).toBeUndefined();
    });

    test('containers added after mountInto are BT190 until mountInto is called again, which mounts and sets the env var', () => {
      const c = chart();
      const d = new kp.Deployment(c, 'D', { serviceAccount: account(kp, c) });
      const v = vaultVolume(c);
      const options = { mountPath: '/var/run/secrets/vault', envVars: [{ name: 'T', tokenPath: 'vault-token' }] };
      v.mountInto(d, options);
      d.addContainer({ image: IMAGE, name: 'late' });
      d.addInitContainer({ image: IMAGE, name: 'late-init' });
      const msg = errorOf(() => synth(c));
      expect(msg).toContain("[test/D] BT190: 'containers' container 'late' lacks the mount of token volume 'vault-token' at '/var/run/secrets/vault'");
      expect(msg).toContain("[test/D] BT190: 'containers' container 'late-init' lacks the mount");
      v.mountInto(d, options);
      const spec = findKind(synth(c), 'Deployment').spec.template.spec;
      for (const cont of [spec.containers[0], spec.initContainers[0]]) {
        expect(cont.volumeMounts).toEqual([{ ...TOKEN_MOUNT, mountPath: '/var/run/secrets/vault' }]);
        expect(cont.env).toEqual([{ name: 'T', value: '/var/run/secrets/vault/vault-token' }]);
      }
    });

    test('an env var of the workload\'s own is kept, the token file\'s comes after it', () => {
      const c = chart();
      const d = new kp.Deployment(c, 'D', {
        serviceAccount: account(kp, c),
        containers: [{ image: IMAGE, name: 'app', envVariables: { OTHER: kp.EnvValue.fromValue('x') } }],
      });
      vaultVolume(c).mountInto(d, { envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }] });
      const cont = findKind(synth(c), 'Deployment').spec.template.spec.containers[0];
      expect(cont.env).toEqual([{ name: 'OTHER', value: 'x' }, { name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/tokens/vault-token' }]);
    });

    test.each([
      ['a ConfigMap', 'ConfigMap', 'test/Cm', (c: Chart) => new kp.ConfigMap(c, 'Cm')],
      ['a Service', 'Service', 'test/Svc', (c: Chart) => new kp.Service(c, 'Svc', { ports: [{ port: 80 }] })],
      ['a plain Construct', 'Construct', 'test/Plain', (c: Chart) => new Construct(c, 'Plain')],
    ])('fails with a rule id, the path and what was passed when given %s', (_what, kind, path, make) => {
      const c = chart();
      const thing: any = make(c);
      const v = vaultVolume(c);
      const fromMount = errorOf(() => v.mountInto(thing));
      const fromBind = errorOf(() => new VaultToken().bind(thing));
      for (const [call, msg] of [['mountInto', fromMount], ['bind', fromBind]]) {
        const m = /\[[^\]]*\] (BT\d{3}): /.exec(msg);
        expect([call, m?.[1]]).toEqual([call, expect.stringMatching(NOT_A_WORKLOAD)]);
        expect(msg).toContain(kind);
        expect(msg).toContain(path);
      }
      expect(fromMount).toMatch(/BT\d{3}.*mountInto.*/);
      expect(fromMount).toMatch(new RegExp(`BT\\d{3}: .*${kind}`));
    });
  });

  describe('identity presets', () => {
    interface PresetCase {
      readonly make: () => IdentityPreset;
      readonly volumes: any[];
      readonly mounts: any[];
      readonly env: Record<string, string>;
      readonly podAnnotations?: Record<string, string>;
      readonly saAnnotations: Record<string, string>;
    }
    const token = (name: string, audience: string, expirationSeconds: number, path = name) =>
      ({ name, projected: { sources: [{ serviceAccountToken: { audience, expirationSeconds, path } }] } });
    const mount = (name: string, mountPath: string) => ({ mountPath, name, readOnly: true });
    const OPENSHIFT = {
      volumes: [token('bound-sa-token', 'openshift', 3600, 'token')],
      mounts: [mount('bound-sa-token', '/var/run/secrets/openshift/serviceaccount')],
      env: {},
      saAnnotations: {},
    };
    const CASES: Array<[string, PresetCase]> = [
      ['AwsIamRole', {
        make: () => new AwsIamRole({ roleArn: ROLE, region: 'eu-west-1' }),
        volumes: [token('aws-iam-token', 'sts.amazonaws.com', 86400, 'token')],
        mounts: [mount('aws-iam-token', '/var/run/secrets/eks.amazonaws.com/serviceaccount')],
        env: {
          AWS_ROLE_ARN: ROLE,
          AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
          AWS_STS_REGIONAL_ENDPOINTS: 'regional',
          AWS_REGION: 'eu-west-1',
          AWS_DEFAULT_REGION: 'eu-west-1',
        },
        saAnnotations: { 'eks.amazonaws.com/role-arn': ROLE },
      }],
      ['AwsEksPodIdentity', {
        make: () => new AwsEksPodIdentity(),
        volumes: [token('eks-pod-identity-token', 'pods.eks.amazonaws.com', 86400)],
        mounts: [mount('eks-pod-identity-token', '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount')],
        env: {
          AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
          AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
        },
        saAnnotations: {},
      }],
      ['OpenShiftShortTermCredentials.aws', { make: () => OpenShiftShortTermCredentials.aws({ roleArn: ROLE }), ...OPENSHIFT }],
      ['OpenShiftShortTermCredentials.azure', {
        make: () => OpenShiftShortTermCredentials.azure({ clientId: CLIENT, tenantId: TENANT, region: 'eastus', subscriptionId: SUBSCRIPTION }),
        ...OPENSHIFT,
      }],
      ['OpenShiftShortTermCredentials.gcp', {
        make: () => OpenShiftShortTermCredentials.gcp({ projectNumber: '1', poolId: 'pool', providerId: 'prov', serviceAccountEmail: 'a@b.iam.gserviceaccount.com' }),
        ...OPENSHIFT,
      }],
      ['AzureWorkloadIdentity', {
        make: () => new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT }),
        volumes: [token('azure-identity-token', 'api://AzureADTokenExchange', 3600)],
        mounts: [mount('azure-identity-token', '/var/run/secrets/azure/tokens')],
        env: {
          AZURE_CLIENT_ID: CLIENT,
          AZURE_TENANT_ID: TENANT,
          AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
          AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
        },
        saAnnotations: { 'azure.workload.identity/client-id': CLIENT, 'azure.workload.identity/tenant-id': TENANT },
      }],
      ['GcpWorkloadIdentityFederation', {
        make: () => new GcpWorkloadIdentityFederation({ ...GCP, serviceAccountEmail: 'app@proj.iam.gserviceaccount.com' }),
        // the ConfigMap's generated name is checked in the test
        volumes: [token('token', GCP_AUDIENCE, 3600), { name: 'workload-identity-credential-configuration', configMap: { name: expect.any(String) } }],
        mounts: [mount('token', '/var/run/service-account'), mount('workload-identity-credential-configuration', '/etc/workload-identity')],
        env: { GOOGLE_APPLICATION_CREDENTIALS: '/etc/workload-identity/credential-configuration.json' },
        saAnnotations: {},
      }],
      ['VaultToken', {
        make: () => new VaultToken({ agentInjector: true }),
        volumes: [token('vault-token', 'vault', 7200)],
        mounts: [mount('vault-token', '/var/run/secrets/tokens')],
        env: {},
        podAnnotations: { 'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token' },
        saAnnotations: {},
      }],
      ['IstioToken', {
        make: () => new IstioToken(),
        volumes: [token('istio-token', 'istio-ca', 43200)],
        mounts: [mount('istio-token', '/var/run/secrets/tokens')],
        env: {},
        saAnnotations: {},
      }],
      ['SpireAgentToken', {
        make: () => new SpireAgentToken(),
        volumes: [token('spire-agent', 'spire-server', 7200)],
        mounts: [mount('spire-agent', '/var/run/secrets/tokens')],
        env: {},
        saAnnotations: {},
      }],
    ];

    test.each(CASES)('%s: bind() adds the volume, read-only mounts and env to every container and init container', (name, p) => {
      const c = chart();
      p.make().bind(deployment(kp, c));
      let objs: any[] = [];
      expect(captureWarnings(() => { objs = synth(c); })).toEqual([]);
      const dep = findKind(objs, 'Deployment');
      const spec = dep.spec.template.spec;
      expect(spec.volumes).toEqual(p.volumes);
      expect([...spec.containers, ...spec.initContainers].map((x: any) => x.name)).toEqual(['app', 'sidecar', 'init']);
      for (const cont of [...spec.containers, ...spec.initContainers]) {
        expect([cont.name, cont.volumeMounts]).toEqual([cont.name, p.mounts]);
        expect([cont.name, envOf(cont)]).toEqual([cont.name, p.env]);
      }
      expect(dep.spec.template.metadata.annotations).toEqual(p.podAnnotations);
      expect(spec.serviceAccountName).toBe('app');
      if (name === 'GcpWorkloadIdentityFederation') {
        const cm = findKind(objs, 'ConfigMap');
        expect(spec.volumes[1].configMap.name).toBe(cm.metadata.name);
        expect(JSON.parse(cm.data['credential-configuration.json']).credential_source).toEqual({ file: '/var/run/service-account/token', format: { type: 'text' } });
      }
      expectValidManifests(objs);
    });

    test.each(CASES)('%s: annotateServiceAccount() puts the preset\'s annotations on a ServiceAccount of the line', (_name, p) => {
      const c = chart();
      const sa = new kp.ServiceAccount(c, 'Existing', { metadata: { name: 'existing', annotations: { keep: 'me' } } });
      p.make().annotateServiceAccount(sa);
      expect(findKind(synth(c), 'ServiceAccount').metadata.annotations).toEqual({ keep: 'me', ...p.saAnnotations });
    });

    test('bind() with containers and mountPath binds the named containers at that path', () => {
      const c = chart();
      new AwsIamRole({ roleArn: ROLE }).bind(deployment(kp, c), { containers: ['sidecar'], mountPath: '/aws' });
      const spec = findKind(synth(c), 'Deployment').spec.template.spec;
      expect(spec.containers[0].volumeMounts).toBeUndefined();
      expect(spec.initContainers[0].volumeMounts).toBeUndefined();
      expect(spec.containers[1].volumeMounts).toEqual([{ mountPath: '/aws', name: 'aws-iam-token', readOnly: true }]);
      expect(envOf(spec.containers[1]).AWS_WEB_IDENTITY_TOKEN_FILE).toBe('/aws/token');
    });

    test('presets at /var/run/secrets/tokens share one volume on every workload kind', () => {
      const c = chart();
      const sa = account(kp, c);
      for (const [kind, make] of WORKLOADS) {
        const w = make(kp, c, kind, { serviceAccount: sa, containers: [{ image: IMAGE, name: 'app' }] });
        new IstioToken().bind(w);
        new SpireAgentToken().bind(w);
      }
      const objs = synth(c);
      for (const [kind] of WORKLOADS) {
        const spec = podSpec(findKind(objs, kind));
        expect([kind, spec.volumes.map((v: any) => v.projected.sources.map((s: any) => s.serviceAccountToken.path))]).toEqual([kind, [['istio-token', 'spire-agent']]]);
        expect([kind, spec.containers[0].volumeMounts]).toEqual([kind, [{ mountPath: '/var/run/secrets/tokens', name: 'istio-token', readOnly: true }]]);
      }
      expectValidManifests(objs);
    });
  });

  describe('TokenRotation', () => {
    test('of(): refresh-after, expiry, containers and files of every token of a workload', () => {
      const c = chart();
      const d = new kp.Deployment(c, 'D', {
        serviceAccount: account(kp, c),
        containers: [{ image: IMAGE, name: 'app' }],
        initContainers: [{ image: IMAGE, name: 'init' }],
      });
      new ProjectedTokenVolume(c, 'VaultToken', {
        tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }, { path: 'api-token', audience: 'api' }],
      }).mountInto(d, { mountPath: '/var/run/secrets/vault/' });
      const info = TokenRotation.of(d);
      const rows = info.map(t =>
        [t.volumeName, t.tokenPath, t.audience, t.containers, t.files, t.expiresAfter.toSeconds(), t.refreshAfter.toSeconds()]);
      expect(rows).toEqual([
        ['vault-token', 'vault-token', 'vault', ['init', 'app'], ['/var/run/secrets/vault/vault-token'], 7200, 5760],
        ['vault-token', 'api-token', 'api', ['init', 'app'], ['/var/run/secrets/vault/api-token'], 3600, 2880],
      ]);
    });

    test('report() lists workloads bound by mountInto and by container.mount, sorted by path', () => {
      const c = chart();
      const b = deployment(kp, c, 'B');
      const a = new kp.Deployment(c, 'A', { serviceAccount: b.serviceAccount, containers: [{ image: IMAGE, name: 'app' }] });
      new kp.Deployment(c, 'NoToken', { containers: [{ image: IMAGE }] });
      const v = new ProjectedTokenVolume(c, 'T', { tokens: [{ path: 't', audience: 'a', expiration: Duration.minutes(10) }] });
      v.mountInto(b);
      a.containers[0].mount('/t', v, { readOnly: true });
      const report = TokenRotation.report(c);
      expect(report.map(r => [r.constructPath, r.kind, r.tokens.map(t => [t.tokenPath, t.files, t.refreshAfter.toSeconds()])])).toEqual([
        ['test/A', 'Deployment', [['t', ['/t/t'], 480]]],
        ['test/B', 'Deployment', [['t', ['/var/run/secrets/tokens/t'], 480]]],
      ]);
    });

    test('annotate(workload) writes the durations on the pod template only', () => {
      const c = chart();
      const d = deployment(kp, c);
      vaultVolume(c).mountInto(d);
      TokenRotation.annotate(d);
      const dep = findKind(synth(c), 'Deployment');
      expect(dep.spec.template.metadata.annotations).toEqual(ROTATION);
      expect(dep.metadata.annotations).toBeUndefined();
    });
  });

  describe('BoundTokenRules.acknowledge', () => {
    test('on a workload: silences the warning of its volume and lands on its pod template, where the pods get it', () => {
      const c = chart();
      const d = deployment(kp, c, 'D');
      new ProjectedTokenVolume(d, 'T', { tokens: [{ path: 't' }] }).mountInto(d);
      const unacknowledged = captureWarnings(() => synth(c));
      expect(unacknowledged).toHaveLength(1);
      expect(unacknowledged[0]).toContain("[test/D/T] BT120: 'audience' of token 't' in volume");

      BoundTokenRules.acknowledge(d, 'BT120', 'reason');
      let objs: any[] = [];
      expect(captureWarnings(() => { objs = synth(c); })).toEqual([]);
      const dep = findKind(objs, 'Deployment');
      // where its pods get it: the pod template, not the Deployment's own metadata (BT138)
      expect(dep.metadata.annotations?.['bound-tokens.io/acknowledge-BT120']).toBeUndefined();
      expect(dep.spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT120': 'reason' });
    });

    test('on a workload with nothing to acknowledge: fails (BT120)', () => {
      const c = chart();
      const d = deployment(kp, c, 'D');
      vaultVolume(c).mountInto(d);
      BoundTokenRules.acknowledge(d, 'BT120', 'reason');
      expect(errorOf(() => synth(c))).toContain("[test/D] BT120: the acknowledgement of BT120 ('reason') matches no warning");
    });
  });
});

/** One app exercising mountInto, presets and rotation on every workload kind, written against `kp`. */
function fullApp(kp: Kp): Chart {
  const c = chart();
  const sa = account(kp, c);
  new AwsIamRole({ roleArn: ROLE }).annotateServiceAccount(sa);
  const containers = [{ image: IMAGE, name: 'app' }, { image: IMAGE, name: 'proxy' }];
  const initContainers = [{ image: IMAGE, name: 'init' }];
  const workloads = WORKLOADS.map(([kind, make]) => make(kp, c, kind, { serviceAccount: sa, containers, initContainers }));
  const [pod, dep, sts, ds, job, cron] = workloads;
  const appToken = new ProjectedTokenVolume(c, 'AppToken', { tokens: [{ path: 'app-token', audience: 'app', expiration: Duration.hours(2) }] });
  for (const w of workloads) appToken.mountInto(w, { mountPath: '/var/run/secrets/app', envVars: [{ name: 'APP_TOKEN_FILE', tokenPath: 'app-token' }], rotationAnnotations: true });
  new AwsIamRole({ roleArn: ROLE, region: 'eu-west-1' }).bind(dep);
  new VaultToken({ agentInjector: true }).bind(sts, { mountPath: '/var/run/secrets/vault' });
  new GcpWorkloadIdentityFederation(GCP).bind(cron, { containers: ['app'] });
  new IstioToken().bind(ds, { containers: ['proxy'] });
  new SpireAgentToken().bind(ds, { containers: ['proxy'] });
  new AzureWorkloadIdentity({ clientId: CLIENT, tenantId: TENANT }).bind(job);
  OpenShiftShortTermCredentials.aws({ roleArn: ROLE }).bind(pod, { containers: ['app'] });
  pod.containers[1].mount('/extra', new ProjectedTokenVolume(c, 'Extra', { tokens: [{ path: 'x', audience: 'x' }] }), { readOnly: true });
  TokenRotation.annotate(job);
  return c;
}

/** Apps that break one rule each, written against `kp`, and the rule ids and phrases they must report. */
const BROKEN: Array<[string, (kp: Kp, c: Chart) => void, { errors: string[]; warnings: string[]; phrase: string }]> = [
  ['a token path with ..', (kp, c) => {
    const v = new ProjectedTokenVolume(c, 'V', { tokens: [{ path: '../x', audience: 'a' }] });
    v.mountInto(deployment(kp, c, 'D'));
  }, { errors: ['BT112'], warnings: [], phrase: "'path' must not contain a '..' segment (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount), got '../x'" }],
  ['a subPath mount of a token volume', (kp, c) => {
    const d = deployment(kp, c, 'D');
    const v = vaultVolume(c);
    v.mountInto(d);
    d.addContainer({ image: IMAGE, name: 'legacy', volumeMounts: [{ path: '/token', volume: v.asVolume(), subPath: 'vault-token' }] });
  }, { errors: ['BT142'], warnings: [], phrase: "'subPath' of token volume 'vault-token' in container 'legacy' stops the kubelet from updating the rotated token" }],
  ['a containers filter naming a missing container', (kp, c) => {
    vaultVolume(c).mountInto(deployment(kp, c, 'D'), { containers: ['app', 'missing'] });
  }, { errors: ['BT145'], warnings: [], phrase: "names a container the workload does not have (it has 'init', 'app', 'sidecar'), got 'missing'" }],
  ['a container setting the env var to something else', (kp, c) => {
    const d = new kp.Deployment(c, 'D', {
      serviceAccount: account(kp, c),
      containers: [{ image: IMAGE, name: 'app', envVariables: { VAULT_TOKEN_FILE: kp.EnvValue.fromValue('/elsewhere') } }],
    });
    vaultVolume(c).mountInto(d, { envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }] });
  }, { errors: ['BT146'], warnings: [], phrase: "'env' variable 'VAULT_TOKEN_FILE' of container 'app' is already set" }],
  ['a container setting a preset\'s env var to something else', (kp, c) => {
    const d = deployment(kp, c, 'D');
    d.containers[0].env.addVariable('AWS_ROLE_ARN', kp.EnvValue.fromValue('arn:aws:iam::999999999999:role/other'));
    new AwsIamRole({ roleArn: ROLE }).bind(d);
  }, { errors: ['BT146'], warnings: [], phrase: "'env' variable 'AWS_ROLE_ARN' of container 'app' is already set to something other than 'arn:aws:iam::111122223333:role/app', which the AWS IAM roles for service accounts preset sets" }],
  ['a token volume name used by another volume', (kp, c) => {
    const d = deployment(kp, c, 'D');
    d.containers[0].mount('/data', kp.Volume.fromEmptyDir(c, 'Scratch', 'vault-token'));
    vaultVolume(c).mountInto(d);
  }, { errors: ['BT133'], warnings: [], phrase: "'name' of a token volume is already used by another volume of the workload, got 'vault-token'" }],
  ['a preset bound to a Pod without a serviceAccount', (kp, c) => {
    new AwsIamRole({ roleArn: ROLE }).bind(new kp.Pod(c, 'P', { containers: [{ image: IMAGE, name: 'app' }] }));
  }, { errors: ['BT152'], warnings: [], phrase: "BT152: 'serviceAccount' of the workload is not set, so its token names the namespace's default account, which AWS IAM roles for service accounts does not trust" }],
  ['a token without audience', (kp, c) => {
    new ProjectedTokenVolume(c, 'NoAud', { tokens: [{ path: 't' }] }).mountInto(deployment(kp, c, 'D'));
  }, { errors: [], warnings: ['BT120'], phrase: "'audience' of token 't' in volume 'no-aud' is not set" }],
];

describe.each(OTHER_LINES)('parity of %s with cdk8s-plus-27', (_line, kp) => {
  const kplus27 = LINES[0][1];

  test('the same app synthesizes the same volumes, mounts, env and annotations', () => {
    const expected = tokenView(synth(fullApp(kplus27)));
    // not a vacuous comparison: 27 renders what the app binds
    const dep = expected.find(o => o.kind === 'Deployment');
    expect(dep.volumes.map((v: any) => v.name)).toEqual(['app-token', 'aws-iam-token']);
    // rotation annotations cover every token of the pod once one mount asks for them
    expect(dep.podAnnotations).toEqual({
      'token-rotation.bound-tokens.io/app-token': 'app-token: refresh after 1h36m, expires after 2h',
      'token-rotation.bound-tokens.io/aws-iam-token': 'token: refresh after 19h12m, expires after 24h',
    });
    expect(dep.containers[0].env.map((e: any) => e.name)).toContain('APP_TOKEN_FILE');
    expect(expected.find(o => o.kind === 'StatefulSet').podAnnotations).toEqual({
      'token-rotation.bound-tokens.io/app-token': 'app-token: refresh after 1h36m, expires after 2h',
      'token-rotation.bound-tokens.io/vault-token': 'vault-token: refresh after 1h36m, expires after 2h',
      'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token',
    });
    expect(expected.find(o => o.kind === 'Pod').containers[1].volumeMounts.map((m: any) => m.mountPath)).toEqual(['/var/run/secrets/app', '/extra']);
    expect(expected.find(o => o.kind === 'ServiceAccount').annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE });

    const objs = synth(fullApp(kp));
    expect(tokenView(objs)).toEqual(expected);
    expectValidManifests(objs);
  });

  test.each(BROKEN)('%s: the same rules fire with the same messages', (_name, build, want) => {
    const run = (m: Kp): Outcome => {
      const c = chart();
      build(m, c);
      return outcome(c);
    };
    const reference = run(kplus27);
    expect(ruleIds(reference.errors)).toEqual(want.errors);
    expect(ruleIds(reference.warnings)).toEqual(want.warnings);
    expect([...reference.errors, ...reference.warnings].join('\n')).toContain(want.phrase);
    const got = run(kp);
    expect(got).toEqual(reference);
  });
});

describe('the two bugs of the preset binding path', () => {
  test.each(LINES)('%s: a mountPath with a trailing slash gives one token file, in the env var and from tokenFile()', (_line, kp) => {
    const c = chart();
    const preset = new AwsIamRole({ roleArn: ROLE });
    preset.bind(deployment(kp, c), { mountPath: '/var/run/secrets/aws/' });
    const spec = findKind(synth(c), 'Deployment').spec.template.spec;
    const fromEnv = envOf(spec.containers[0]).AWS_WEB_IDENTITY_TOKEN_FILE;
    expect(fromEnv).toBe('/var/run/secrets/aws/token');
    expect(preset.tokenFile('/var/run/secrets/aws/')).toBe('/var/run/secrets/aws/token');
    expect(preset.tokenFile('/var/run/secrets/aws/')).toBe(fromEnv);
  });

  /** The volume the Vault Agent annotation names, which must exist and hold the Vault token. */
  function vaultAnnotationTarget(kp: Kp, order: Array<'istio' | 'vault'>) {
    const c = chart();
    const d = deployment(kp, c);
    for (const p of order) (p === 'istio' ? new IstioToken() : new VaultToken({ agentInjector: true })).bind(d);
    const tpl = findKind(synth(c), 'Deployment').spec.template;
    const named = tpl.metadata.annotations[VaultToken.AGENT_TOKEN_VOLUME_ANNOTATION];
    const volume = tpl.spec.volumes.find((v: any) => v.name === named);
    return { named, volumes: tpl.spec.volumes.map((v: any) => v.name), volume };
  }

  test.each(LINES)('%s: IstioToken then VaultToken: the agent annotation names the volume that holds the Vault token', (_line, kp) => {
    const { named, volumes, volume } = vaultAnnotationTarget(kp, ['istio', 'vault']);
    expect(volumes).toContain(named);
    expect(volume.projected.sources).toContainEqual({ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } });
  });

  test.each(LINES)('%s: VaultToken then IstioToken: the agent annotation names the volume that holds the Vault token', (_line, kp) => {
    const { named, volumes, volume } = vaultAnnotationTarget(kp, ['vault', 'istio']);
    expect(volumes).toContain(named);
    expect(volume.projected.sources).toContainEqual({ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } });
  });
});
