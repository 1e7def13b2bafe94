// The Authentication schema the tests validate against is committed
// (test/fixtures/authentication.v1.schema.json), so the repository passes its
// tests with nothing beside it. This file checks that it is what the script
// makes of the CRD, whenever the CRD is at hand (CI lays ../shared beside the checkout).
import * as fs from 'fs';
import * as path from 'path';
import { authenticationSchemaFile as generate, withoutDescriptions } from '../../scripts/authentication-schema';
import { AUTH_CRD_PATH, AUTH_SCHEMA_PATH, authenticationSchemaFile } from '../schema';
import { tmpdir } from '../util';

/** JSON pointers of every key named `key`, anywhere in `value`. */
function keysNamed(value: any, key: string, at = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key ? [`${at}/${k}`] : []),
    ...keysNamed(v, key, `${at}/${k}`),
  ]);
}

describe('the committed Authentication schema', () => {
  test('names its source: the CRD file, its group/version/kind and the upstream repository', () => {
    const { source, schema } = authenticationSchemaFile();
    expect(source).toMatchObject({
      repository: 'https://github.com/openshift/api',
      file: 'authentications.config.openshift.io.crd.yaml',
      crd: 'authentications.config.openshift.io',
      group: 'config.openshift.io',
      version: 'v1',
      kind: 'Authentication',
      scope: 'Cluster',
    });
    expect(source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(schema.properties.spec.properties.serviceAccountIssuer).toEqual({ type: 'string' });
  });

  test('carries no upstream description', () => {
    const { schema } = authenticationSchemaFile();
    expect(Object.keys(schema.properties)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(keysNamed(authenticationSchemaFile(), 'description')).toEqual([]);
  });

  test('is what `npx projen schema:authentication` makes of the CRD in ../shared/data, when it is there', () => {
    if (!fs.existsSync(AUTH_CRD_PATH)) {
      // nothing to compare with on a lone clone: the two tests above still check the committed file
      console.log(`authentication schema: no CRD at ${AUTH_CRD_PATH}, so the committed ${path.basename(AUTH_SCHEMA_PATH)} was not compared with it`);
      expect(fs.existsSync(AUTH_SCHEMA_PATH)).toBe(true);
      return;
    }
    expect(fs.readFileSync(AUTH_SCHEMA_PATH, 'utf8')).toEqual(generate(AUTH_CRD_PATH));
  });
});

describe('scripts/authentication-schema.ts', () => {
  test('removes description keywords but keeps a property named description', () => {
    expect(withoutDescriptions({
      'description': 'upstream prose',
      'type': 'object',
      'properties': {
        description: { type: 'string', description: 'the field called description' },
        list: { type: 'array', items: { description: 'x', type: 'string', enum: ['description'] } },
      },
      'additionalProperties': { description: 'y', type: 'string' },
      'x-kubernetes-validations': [{ rule: 'self.size() > 0', message: 'must not be empty' }],
    })).toEqual({
      'type': 'object',
      'properties': {
        description: { type: 'string' },
        list: { type: 'array', items: { type: 'string', enum: ['description'] } },
      },
      'additionalProperties': { type: 'string' },
      'x-kubernetes-validations': [{ rule: 'self.size() > 0', message: 'must not be empty' }],
    });
  });

  test('fails when the file is not the Authentication CRD, or has no served and stored v1', () => {
    const dir = tmpdir('bt-auth-crd-');
    const other = path.join(dir, 'other.yaml');
    fs.writeFileSync(other, 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {kind: Thing}\n');
    expect(() => generate(other)).toThrow('is not the Authentication CRD of config.openshift.io, got kind CustomResourceDefinition of group example.com');
    const old = path.join(dir, 'old.yaml');
    fs.writeFileSync(old, 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: config.openshift.io\n  names: {kind: Authentication}\n  versions:\n    - {name: v1, served: true, storage: false}\n');
    expect(() => generate(old)).toThrow('has no served and stored v1 version; found v1 (served true, storage false)');
  });
});
