// Issue 18, "Messages a user can act on": each message says what happened and what to do.
import * as kplus from 'cdk8s-plus-33';
import { AwsIamRole, ProjectedTokenVolume } from '../src';
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
