import { Testing } from 'cdk8s';
import { expectValidManifests } from './schema';
import { captureWarnings, findKind } from './util';
import { build as buildCronJob } from '../examples/cronjob';
import { build as buildDeployment } from '../examples/deployment';

function synthExample(build: () => any): { objs: any[]; warnings: string[] } {
  let objs: any[] = [];
  const warnings = captureWarnings(() => { objs = Testing.synth(build().charts[0]); });
  return { objs, warnings };
}

describe('examples', () => {
  test('deployment: a Deployment with a Vault token in every container', () => {
    const { objs, warnings } = synthExample(buildDeployment);
    expect(warnings).toEqual([]);
    const dep = findKind(objs, 'Deployment');
    const spec = dep.spec.template.spec;
    expect(spec.serviceAccountName).toBe('web');
    expect(spec.volumes).toContainEqual({
      name: 'vault-token',
      projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } }] },
    });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'vault-token', mountPath: '/var/run/secrets/vault', readOnly: true });
    expect(spec.containers[0].env).toEqual([{ name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/vault/vault-token' }]);
    expect(dep.spec.template.metadata.annotations).toEqual({
      'token-rotation.bound-tokens.io/vault-token': 'vault-token: refresh after 1h36m, expires after 2h',
    });
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('cronjob: a raw KubeCronJob with an AWS token, its own volumes kept', () => {
    const { objs, warnings } = synthExample(buildCronJob);
    expect(warnings).toEqual([]);
    const cron = findKind(objs, 'CronJob');
    const tpl = cron.spec.jobTemplate.spec.template;
    expect(tpl.spec.volumes.map((v: any) => v.name)).toEqual(['data', 'tmp', 'aws-iam-token']);
    expect(tpl.spec.containers[0].volumeMounts).toEqual([
      { name: 'data', mountPath: '/data', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', name: 'aws-iam-token', readOnly: true },
    ]);
    expect(tpl.spec.containers[0].env).toContainEqual({ name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' });
    expect(tpl.metadata.annotations).toEqual({
      'token-rotation.bound-tokens.io/aws-iam-token': 'token: refresh after 48m, expires after 1h',
    });
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });
});
