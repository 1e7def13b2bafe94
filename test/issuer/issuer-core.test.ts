import { ApiObject } from 'cdk8s';
import { BoundTokenRules, ClusterIssuerConfig } from '../../src';
import { authenticationValidator, expectValidManifests } from '../schema';
import { captureWarnings, chart, errorOf, synth } from '../util';

describe('ClusterIssuerConfig (core)', () => {
  test('renders only spec.serviceAccountIssuer of the Authentication named cluster, never a namespace', () => {
    const c = chart({ namespace: 'apps' });
    const issuer = new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://oidc.example.com/cluster-a' });
    BoundTokenRules.acknowledge(issuer, 'BT165', 'workloads restarted by the platform team');
    const objs = synth(c);
    expect(objs).toHaveLength(1);
    expect(objs[0]).toEqual({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Authentication',
      metadata: { name: 'cluster', annotations: { 'bound-tokens.io/acknowledge-BT165': 'workloads restarted by the platform team' } },
      spec: { serviceAccountIssuer: 'https://oidc.example.com/cluster-a' },
    });
    expect(ApiObject.of(issuer)).toBe(issuer.resource);
    expectValidManifests(objs);
    expect(objs).toMatchSnapshot();
  });

  test('the Authentication object is valid against the CRD openAPIV3Schema (test/fixtures/authentication.v1.schema.json)', () => {
    const validate = authenticationValidator();
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://oidc.example.com' });
    let objs: any[] = [];
    captureWarnings(() => { objs = synth(c); });
    expect(validate(objs[0])).toEqual([]);
    // and the validator really rejects a wrong object
    expect(validate({ ...objs[0], spec: { serviceAccountIssuer: 42 } }).join(' ')).toContain('must be string');
  });

  test('warns on every issuer change (BT165), once per synth', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'https://oidc.example.com' });
    const lines = captureWarnings(() => synth(c));
    expect(lines.filter(l => l.includes('BT165'))).toHaveLength(1);
    expect(lines[0]).toContain("[test/Issuer] BT165: 'serviceAccountIssuer' changes the cluster issuer: tokens of the previous issuer stop being trusted 24 h after the change");
  });

  test('fails when an app has more than one ClusterIssuerConfig (BT160)', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'A', { serviceAccountIssuer: 'https://a.example.com' });
    new ClusterIssuerConfig(c, 'B', { serviceAccountIssuer: 'https://b.example.com' });
    const msg = errorOf(() => captureWarnings(() => synth(c)));
    expect(msg).toContain("[test/A] BT160: 'ClusterIssuerConfig' must appear once per cluster, but 2 apply to the same objects (this one to the whole app), got 'test/B' (applies to the whole app) besides this one");
    expect(msg).toContain('[test/B] BT160');
  });

  test.each([
    ['  ', 'BT161', "'serviceAccountIssuer' must not be white space only"],
    ['https://a b', 'BT162', "contains ':' but is not a valid URL"],
    ['https://issuer.example.com?x=1', 'BT163', 'must not have a query or a fragment'],
  ])('fails where it is given when the issuer is %p (%s), adding nothing to the chart', (issuer, id, phrase) => {
    const c = chart();
    const msg = errorOf(() => new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: issuer }));
    expect(msg).toContain(`[test/Issuer] ${id}`);
    expect(msg).toContain(phrase);
    expect(c.node.tryFindChild('Issuer')).toBeUndefined();
  });

  test('warns when the issuer is not https (BT164)', () => {
    const c = chart();
    new ClusterIssuerConfig(c, 'Issuer', { serviceAccountIssuer: 'http://issuer.example.com' });
    expect(captureWarnings(() => synth(c)).join('\n')).toContain("BT164: 'serviceAccountIssuer' is not an https URL");
  });
});
