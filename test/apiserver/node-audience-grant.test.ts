// The node-audience grants of examples/image-pulls.ts on a real API server
// (1.32): it stores them (RBAC takes any verb and resource), and its RBAC
// authorizer lets the nodes request-serviceaccounts-token-audience on exactly
// the audiences and ServiceAccounts granted, which is the check the
// NodeRestriction admission plugin makes with node audience restriction
// (1.33+). The 1.32 kubelet never asks: image pulls with service account
// tokens need 1.34, which these tests cannot run.
import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { describeWithApiServer } from './server';
import { build } from '../../examples/image-pulls';

/** What the RBAC authorizer says about a node asking for a token of `audience` for the ServiceAccount `name`. */
function review(audience: string, name: string, user = 'system:node:node-1', groups = ['system:nodes', 'system:authenticated']) {
  return JSON.stringify({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user,
      groups,
      resourceAttributes: { namespace: 'shop', verb: 'request-serviceaccounts-token-audience', group: '', resource: audience, name },
    },
  });
}

describeWithApiServer('node-audience grants on a real API server', (server) => {
  const objs = Testing.synth(build().charts[0]);
  const rbac = objs.filter(o => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding');

  test('the example has two ClusterRoles and two ClusterRoleBindings', () => {
    expect(rbac.map(o => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding']);
  });

  test('the server stores them as written', () => {
    const r = server().kubectl(['apply', '-f', '-'], rbac.map(o => YAML.stringify(o)).join('---\n'));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').filter(l => l.endsWith(' created'))).toHaveLength(4);
  });

  const allowed = (audience: string, name: string, user?: string, groups?: string[]) => {
    const r = server().kubectl(['create', '-o', 'json', '-f', '-'], review(audience, name, user, groups));
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout).status.allowed === true;
  };

  test.each([
    ['sts.amazonaws.com', 'storefront', true],
    ['sts.amazonaws.com', 'any-other-account', true],
    ['api://AzureADTokenExchange', 'reports', true],
    // the ACR grant names only 'reports'
    ['api://AzureADTokenExchange', 'storefront', false],
    // an audience nobody granted
    ['vault', 'storefront', false],
  ])('a node may request a token for %s of ServiceAccount %s: %s', (audience, name, expected) => {
    expect(allowed(audience, name)).toBe(expected);
  });

  test('only the nodes: a user outside system:nodes may not', () => {
    expect(allowed('sts.amazonaws.com', 'storefront', 'alice', ['system:authenticated'])).toBe(false);
  });
});
