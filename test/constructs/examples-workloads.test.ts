import { Testing } from 'cdk8s';
import { build as buildPlus33 } from '../../examples/cdk8s-plus-33';
import { build as buildCronJob } from '../../examples/cronjob';
import { build as buildDeployment } from '../../examples/deployment';
import { build as buildTokenLimits } from '../../examples/token-limits';
import { Linter } from '../../src/lint/lint';
import { expectValidManifests } from '../schema';
import { captureWarnings, findKind } from '../util';

function synthExample(build: () => any): { objs: any[]; warnings: string[] } {
  let objs: any[] = [];
  const warnings = captureWarnings(() => { objs = Testing.synth(build().charts[0]); });
  return { objs, warnings };
}

describe('examples', () => {
  test('token-limits: the cluster\'s 2 h maximum shortens a 4 h token (acknowledged BT280), and the Vault agent reads a read-only JWT', () => {
    const { objs, warnings } = synthExample(buildTokenLimits);
    expect(warnings).toEqual([]);
    const [reports, billing] = objs.filter(o => o.kind === 'Deployment');
    expect(reports.spec.template.metadata.annotations).toEqual({
      'bound-tokens.io/acknowledge-BT280': 'the client re-reads the file; 2 h tokens are fine on this cluster',
      'token-rotation.bound-tokens.io/gateway-token': 'gateway-token: refresh after 1h36m, expires after 2h (requested 4h)',
    });
    expect(billing.spec.template.metadata.annotations).toMatchObject({
      'vault.hashicorp.com/auth-type': 'jwt',
      'vault.hashicorp.com/auth-config-path': '/var/run/secrets/tokens/vault-token',
      'vault.hashicorp.com/auth-config-remove-jwt-after-reading': 'false',
    });
    // the lint, told the same limit, finds the same warning and honours the acknowledgement the construct wrote
    const l = new Linter({ strict: true, limits: { maxExpirationSeconds: 7200 } });
    l.addSource('token-limits.yaml', objs.map(o => JSON.stringify(o)).join('\n---\n'));
    const r = l.report();
    expect(r.findings).toEqual([]);
    expect(r.acknowledged.map(f => f.ruleId)).toEqual(['BT280']);
    expectValidManifests(objs);
  });

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

describe('example cdk8s-plus-33', () => {
  test('a cdk8s-plus-33 Deployment gets the Vault token and the AWS role as a cdk8s-plus-27 one would', () => {
    const { objs, warnings } = synthExample(buildPlus33);
    expect(warnings).toEqual([]);
    expectValidManifests(objs);
    const spec = findKind(objs, 'Deployment').spec.template.spec;
    expect(spec.serviceAccountName).toBe('web');
    expect(findKind(objs, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/web' });
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['tmp', 'vault-token', 'aws-iam-token']);
    expect(spec.containers[0].volumeMounts).toEqual([
      { mountPath: '/tmp', name: 'tmp' },
      { mountPath: '/var/run/secrets/vault', name: 'vault-token', readOnly: true },
      { mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', name: 'aws-iam-token', readOnly: true },
    ]);
    expect(spec.containers[0].env).toEqual([
      { name: 'VAULT_TOKEN_FILE', value: '/var/run/secrets/vault/vault-token' },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
      { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/web' },
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
      { name: 'AWS_REGION', value: 'eu-west-1' },
      { name: 'AWS_DEFAULT_REGION', value: 'eu-west-1' },
    ]);
  });
});
