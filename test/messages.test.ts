// Issue 18, "Messages a user can act on": each message says what happened and what to do.
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus27 from 'cdk8s-plus-27';
import * as kplus from 'cdk8s-plus-33';
import { AwsIamRole, BoundTokenRules, ProjectedTokenVolume } from '../src';
import { captureWarnings, chart, errorOf, synth } from './util';

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
    expect(objs.find(o => o.kind === 'Deployment').metadata.annotations['bound-tokens.io/acknowledge-BT120']).toBe('the API server is the consumer');
  });

  test('an acknowledgement that matches no warning anywhere still says to remove it', () => {
    const { c, d, token } = setup();
    BoundTokenRules.acknowledge(token, 'BT120', 'the API server is the consumer');
    BoundTokenRules.acknowledge(d, 'BT132', 'no restrictive mode here');
    expect(errorOf(() => synth(c))).toContain("[test/Client] BT132: the acknowledgement of BT132 ('no restrictive mode here') matches no warning of this construct or its children; remove it");
  });
});
