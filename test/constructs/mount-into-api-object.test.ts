import * as path from 'path';
import { ApiObject, Chart, Duration, Include, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BoundTokenRules, ProjectedTokenVolume } from '../../src';
import { expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, findKind, synth } from '../util';

const k8s = kplus.k8s;
const IMAGE = 'busybox:1.36';
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'workloads.yaml');

function vaultVolume(c: Chart, id = 'VaultToken') {
  return new ProjectedTokenVolume(c, id, { tokens: [{ path: 'vault-token', audience: 'vault', expiration: Duration.hours(2) }] });
}

const TOKEN_MOUNT = { mountPath: '/var/run/secrets/tokens', name: 'vault-token', readOnly: true };
const TOKEN_VOLUME = {
  name: 'vault-token',
  projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } }] },
};

/** A pod spec with one container, an init container and no volumes. */
function pod(extra: Record<string, unknown> = {}): kplus.k8s.PodSpec {
  return {
    serviceAccountName: 'app',
    containers: [{ name: 'app', image: IMAGE }],
    initContainers: [{ name: 'init', image: IMAGE }],
    ...extra,
  };
}
const template = (extra: Record<string, unknown> = {}) => ({ metadata: { labels: { app: 'x' } }, spec: pod(extra) });
const selector = { matchLabels: { app: 'x' } };

const KINDS: Array<[string, (c: Chart) => ApiObject, string]> = [
  ['KubePod', c => new k8s.KubePod(c, 'O', { spec: pod() }), '/spec'],
  ['KubeDeployment', c => new k8s.KubeDeployment(c, 'O', { spec: { selector, template: template() } }), '/spec/template/spec'],
  ['KubeStatefulSet', c => new k8s.KubeStatefulSet(c, 'O', { spec: { selector, serviceName: 'x', template: template() } }), '/spec/template/spec'],
  ['KubeDaemonSet', c => new k8s.KubeDaemonSet(c, 'O', { spec: { selector, template: template() } }), '/spec/template/spec'],
  ['KubeReplicaSet', c => new k8s.KubeReplicaSet(c, 'O', { spec: { selector, template: template() } }), '/spec/template/spec'],
  ['KubeReplicationController', c => new k8s.KubeReplicationController(c, 'O', { spec: { selector: { app: 'x' }, template: template() } }), '/spec/template/spec'],
  ['KubeJob', c => new k8s.KubeJob(c, 'O', { spec: { template: template({ restartPolicy: 'Never' }) } }), '/spec/template/spec'],
  ['KubeCronJob', c => new k8s.KubeCronJob(c, 'O', {
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: template({ restartPolicy: 'OnFailure' }) } } },
  }), '/spec/jobTemplate/spec/template/spec'],
  ['KubePodTemplate', c => new k8s.KubePodTemplate(c, 'O', { template: template() }), '/template/spec'],
];

function at(obj: any, pointer: string): any {
  return pointer.slice(1).split('/').reduce((o, k) => o?.[k], obj);
}

describe('ProjectedTokenVolume.mountIntoApiObject', () => {
  test.each(KINDS)('mounts the volume read-only into every container and init container of a %s', (_name, make, specPath) => {
    const c = chart();
    const obj = make(c);
    vaultVolume(c).mountIntoApiObject(obj);
    const objs = synth(c);
    expect(objs).toHaveLength(1);
    const spec = at(objs[0], specPath);
    // there was no volumes list: it is created
    expect(spec.volumes).toEqual([TOKEN_VOLUME]);
    expect(spec.containers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    expect(spec.initContainers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    // keys stay sorted, as cdk8s renders them
    expect(Object.keys(spec)).toEqual([...Object.keys(spec)].sort());
    expectValidManifests(objs);
  });

  test('keeps the volumes, mounts and env vars already there', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', {
      spec: {
        selector,
        template: template({
          containers: [{
            name: 'app',
            image: IMAGE,
            env: [{ name: 'A', value: '1' }],
            volumeMounts: [{ name: 'config', mountPath: '/etc/app', readOnly: true }],
          }],
          volumes: [{ name: 'config', configMap: { name: 'app-config' } }],
        }),
      },
    });
    vaultVolume(c).mountIntoApiObject(dep, { envVars: [{ name: 'VAULT_TOKEN_FILE', tokenPath: 'vault-token' }] });
    const objs = synth(c);
    const spec = objs[0].spec.template.spec;
    expect(spec.volumes).toEqual([{ name: 'config', configMap: { name: 'app-config' } }, TOKEN_VOLUME]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/app', readOnly: true }, TOKEN_MOUNT]);
    expect(spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/tokens/vault-token' }]);
    expect(spec.initContainers[0].env).toEqual([{ name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/tokens/vault-token' }]);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('works on objects loaded with Include, and the JSON patches they carry', () => {
    const c = chart();
    const inc = new Include(c, 'Manifests', { url: FIXTURE });
    const web = inc.apiObjects.find(o => o.kind === 'Deployment')!;
    const job = inc.apiObjects.find(o => o.kind === 'Job')!;
    const rollout = inc.apiObjects.find(o => o.kind === 'Rollout')!;
    // a container added by a JSON patch gets the mount too: the volume is added after the patches
    web.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/-', { name: 'exporter', image: IMAGE }));
    const v = vaultVolume(c);
    v.mountIntoApiObject(web, { containers: ['web', 'exporter'] });
    v.mountIntoApiObject(job);
    v.mountIntoApiObject(rollout);
    const objs = synth(c);
    const webSpec = findKind(objs, 'Deployment').spec.template.spec;
    expect(webSpec.volumes).toEqual([{ name: 'config', configMap: { name: 'web-config' } }, TOKEN_VOLUME]);
    expect(webSpec.containers[0].volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/nginx/conf.d', readOnly: true }, TOKEN_MOUNT]);
    expect(webSpec.containers[1]).toEqual({ name: 'exporter', image: IMAGE, volumeMounts: [TOKEN_MOUNT] });
    expect(findKind(objs, 'Job').spec.template.spec.volumes).toEqual([TOKEN_VOLUME]);
    // a kind the library does not know, with a pod template at spec.template.spec
    expect(findKind(objs, 'Rollout').spec.template.spec.containers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    // untouched
    expect(findKind(objs, 'ConfigMap').data).toEqual({ 'default.conf': 'server { listen 8080; }' });
    expectValidManifests(objs.filter(o => o.kind !== 'Rollout'));
  });

  test('binding twice is idempotent, and a volume already in the manifest is not added again', () => {
    const c = chart();
    const v = vaultVolume(c);
    const dep = new k8s.KubeDeployment(c, 'Dep', {
      spec: {
        selector,
        template: template({
          // the same volume and mount, already there (e.g. a manifest this library wrote before)
          containers: [{ name: 'app', image: IMAGE, volumeMounts: [TOKEN_MOUNT] }],
          volumes: [v.toVolumeJson()],
        }),
      },
    });
    v.mountIntoApiObject(dep);
    v.mountIntoApiObject(dep);
    v.mountIntoApiObject(dep, { containers: ['app'] });
    const first = synth(c);
    const spec = first[0].spec.template.spec;
    expect(spec.volumes).toEqual([TOKEN_VOLUME]);
    expect(spec.containers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    expect(spec.initContainers[0].volumeMounts).toEqual([TOKEN_MOUNT]);
    expect(synth(c)).toEqual(first);
  });

  test('tokens added after the binding are rendered', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', { spec: { selector, template: template() } });
    const v = vaultVolume(c);
    v.mountIntoApiObject(dep);
    v.addToken({ path: 'istio-token', audience: 'istio-ca', expiration: Duration.hours(12) });
    const spec = synth(c)[0].spec.template.spec;
    expect(spec.volumes[0].projected.sources.map((s: any) => s.serviceAccountToken.path)).toEqual(['vault-token', 'istio-token']);
  });

  test('fails when the object carries no pod spec (BT148)', () => {
    const c = chart();
    const cm = new k8s.KubeConfigMap(c, 'Cm', { data: { a: 'b' } });
    vaultVolume(c).mountIntoApiObject(cm);
    expect(errorOf(() => synth(c))).toContain("[test/Cm] BT148: 'kind' of the object carries no pod spec to mount token volume 'vault-token' into, got 'ConfigMap'");
  });

  test('fails when mountIntoApiObject is given something that is not an ApiObject', () => {
    const c = chart();
    const d = new kplus.Deployment(c, 'D', { containers: [{ image: IMAGE }] });
    expect(errorOf(() => vaultVolume(c).mountIntoApiObject(d as any))).toContain("[test/VaultToken] BT149: 'obj' of mountIntoApiObject(test/D) must be a cdk8s ApiObject (KubeDeployment, an object of an Include, ...), got Deployment at 'test/D'; use mountInto()");
  });

  test('fails when a volume of the object already has the name (BT133)', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', {
      spec: {
        selector,
        template: template({
          containers: [{ name: 'app', image: IMAGE, volumeMounts: [{ name: 'vault-token', mountPath: '/data' }] }],
          volumes: [{ name: 'vault-token', emptyDir: {} }],
        }),
      },
    });
    vaultVolume(c).mountIntoApiObject(dep);
    expect(errorOf(() => synth(c))).toContain("[test/Dep] BT133: 'name' of volume 1 is already used by volume 0 of the pod, got 'vault-token'");
  });

  test('fails when the mount path is already used in a container (BT141)', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', {
      spec: {
        selector,
        template: template({
          containers: [{ name: 'app', image: IMAGE, volumeMounts: [{ name: 'scratch', mountPath: '/var/run/secrets/tokens' }] }],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        }),
      },
    });
    vaultVolume(c).mountIntoApiObject(dep);
    expect(errorOf(() => synth(c))).toContain("[test/Dep] BT141: 'mountPath' of volume 'vault-token' in container 'app' is already used by the mount of volume 'scratch'");
  });

  test('fails when containers names a container the object does not have (BT145)', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', { spec: { selector, template: template() } });
    vaultVolume(c).mountIntoApiObject(dep, { containers: ['web'] });
    let msg = '';
    const lines = captureWarnings(() => { msg = errorOf(() => synth(c)); });
    expect(msg).toContain("[test/Dep] BT145: 'containers' of the mount of token volume 'vault-token' names a container the workload does not have (it has 'init', 'app'), got 'web'");
    // the volume is in the pod but no container mounts it
    expect(lines.join('\n')).toContain("[test/Dep] BT143: 'volumeMounts' of no container mount token volume 'vault-token'");
  });

  test('fails when a container sets the env var from elsewhere (BT146)', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', {
      spec: {
        selector,
        template: template({
          containers: [{ name: 'app', image: IMAGE, env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }],
        }),
      },
    });
    vaultVolume(c).mountIntoApiObject(dep, { containers: ['app'], envVars: [{ name: 'TOKEN', tokenPath: 'vault-token' }] });
    expect(errorOf(() => synth(c))).toContain("[test/Dep] BT146: 'env' variable 'TOKEN' of container 'app' is already set to something other than the token file '/var/run/secrets/tokens/vault-token' of volume 'vault-token', got valueFrom {\"secretKeyRef\":{\"key\":\"k\",\"name\":\"s\"}}");
  });

  test('warns when a KubePod without serviceAccountName gets a token (BT151); a PodTemplate object does not', () => {
    const c = chart();
    const v = vaultVolume(c);
    v.mountIntoApiObject(new k8s.KubePod(c, 'Pod', { spec: { containers: [{ name: 'app', image: IMAGE }] } }));
    v.mountIntoApiObject(new k8s.KubePodTemplate(c, 'Tpl', { template: { spec: { containers: [{ name: 'app', image: IMAGE }] } } }));
    const lines = captureWarnings(() => synth(c));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("[test/Pod] BT151: 'serviceAccountName' is not set on a pod that projects a token (volume 'vault-token')");
  });

  test('a Windows pod template mounts its token at C:\\var\\run\\secrets\\tokens without BT140 (issue 16: the API server accepts any non-empty mountPath)', () => {
    // checked on the real API server v1.32.13: kubectl apply --dry-run=server -f win.yaml (spec.os.name: windows,
    // mountPath 'C:\\var\\run\\secrets\\tokens') -> "pod/win created (server dry run)"; mountPath '' -> "mountPath: Required value"
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', { spec: { selector, template: template({ os: { name: 'windows' } }) } });
    new ProjectedTokenVolume(c, 'V', { tokens: [{ path: 't', audience: 'vault' }] }).mountIntoApiObject(dep, { mountPath: 'C:\\var\\run\\secrets\\tokens' });
    let objs: any[] = [];
    expect(captureWarnings(() => { objs = synth(c); })).toEqual([]);
    expect(objs[0].spec.template.spec.containers[0].volumeMounts[0].mountPath).toBe('C:\\var\\run\\secrets\\tokens');
  });

  test('warns (BT138) about an acknowledgement written on the KubeDeployment itself, as the lint does: its pods never carry it', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', {
      metadata: { annotations: { 'bound-tokens.io/acknowledge-BT132': 'runs as root' } },
      spec: { selector, template: template() },
    });
    new ProjectedTokenVolume(c, 'V', { defaultMode: 0o400, tokens: [{ path: 't', audience: 'a' }] }).mountIntoApiObject(dep);
    const text = captureWarnings(() => synth(c)).join('\n');
    expect(text).toContain("BT132: 'defaultMode' of volume");
    expect(text).toContain("BT138: 'bound-tokens.io/acknowledge-BT132' is on the Deployment's own metadata, not on its pod template (spec.template.metadata.annotations), so its pods never carry it");
  });

  test('an acknowledgement on a KubeDeployment lands on its pod template, where the pods get it, not on the object (BT138)', () => {
    const c = chart();
    const dep = new k8s.KubeDeployment(c, 'Dep', { spec: { selector, template: template() } });
    new ProjectedTokenVolume(c, 'V', { defaultMode: 0o400, tokens: [{ path: 't', audience: 'a' }] }).mountIntoApiObject(dep);
    BoundTokenRules.acknowledge(dep, 'BT132', 'runs as root');
    let objs: any[] = [];
    expect(captureWarnings(() => { objs = synth(c); })).toEqual([]);
    expect(objs[0].metadata.annotations?.['bound-tokens.io/acknowledge-BT132']).toBeUndefined();
    expect(objs[0].spec.template.metadata.annotations).toEqual({ 'bound-tokens.io/acknowledge-BT132': 'runs as root' });
    expectValidManifests(objs);
    // and a second synth renders the same
    expect(synth(c)).toEqual(objs);
  });
});
