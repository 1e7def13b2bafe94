// Validation of synthesized manifests against schemas we did not write:
// the upstream Kubernetes OpenAPI schema (kubernetes-models 4.5.x) and the
// OpenShift Authentication CRD's v1 schema, without its descriptions, kept in
// test/fixtures/authentication.v1.schema.json (see scripts/authentication-schema.ts).
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';

/* eslint-disable @typescript-eslint/no-require-imports */
const MODELS: Record<string, () => any> = {
  'v1/Pod': () => require('kubernetes-models/v1').Pod,
  'v1/ServiceAccount': () => require('kubernetes-models/v1').ServiceAccount,
  'v1/ConfigMap': () => require('kubernetes-models/v1').ConfigMap,
  'v1/Secret': () => require('kubernetes-models/v1').Secret,
  'v1/Service': () => require('kubernetes-models/v1').Service,
  'v1/Namespace': () => require('kubernetes-models/v1').Namespace,
  'v1/PodTemplate': () => require('kubernetes-models/v1').PodTemplate,
  'v1/ReplicationController': () => require('kubernetes-models/v1').ReplicationController,
  'apps/v1/Deployment': () => require('kubernetes-models/apps/v1').Deployment,
  'apps/v1/StatefulSet': () => require('kubernetes-models/apps/v1').StatefulSet,
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1').DaemonSet,
  'apps/v1/ReplicaSet': () => require('kubernetes-models/apps/v1').ReplicaSet,
  'batch/v1/Job': () => require('kubernetes-models/batch/v1').Job,
  'batch/v1/CronJob': () => require('kubernetes-models/batch/v1').CronJob,
  'rbac.authorization.k8s.io/v1/Role': () => require('kubernetes-models/rbac.authorization.k8s.io/v1').Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1').RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': () => require('kubernetes-models/rbac.authorization.k8s.io/v1').ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1').ClusterRoleBinding,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': () => require('kubernetes-models/admissionregistration.k8s.io/v1').ValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': () => require('kubernetes-models/admissionregistration.k8s.io/v1').ValidatingAdmissionPolicyBinding,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The description-free JSON schema of the Authentication v1 object, generated from the CRD by `npx projen schema:authentication`. */
export const AUTH_SCHEMA_PATH = path.join(__dirname, 'fixtures', 'authentication.v1.schema.json');
/** The CRD beside the checkout (CI lays a copy there); only the test of the committed schema reads it. */
export const AUTH_CRD_PATH = path.resolve(__dirname, '..', '..', 'shared', 'data', 'authentications.config.openshift.io.crd.yaml');

let authValidator: ((obj: any) => string[]) | undefined;

/** The committed schema file (its `source` header and its `schema`). */
export function authenticationSchemaFile(): { source: Record<string, string>; schema: any } {
  return JSON.parse(fs.readFileSync(AUTH_SCHEMA_PATH, 'utf8'));
}

/** A validator for Authentication objects from the committed openAPIV3Schema of the CRD's v1 version. */
export function authenticationValidator(): (obj: any) => string[] {
  if (authValidator !== undefined) return authValidator;
  const schema = stripK8sExtensions(authenticationSchemaFile().schema);
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false }); // the CRD's formats (date-time) are status-only and unknown to bare ajv
  const validate = ajv.compile(schema);
  authValidator = (obj: any) => (validate(obj) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}`));
  return authValidator;
}

function stripK8sExtensions(schema: any): any {
  if (Array.isArray(schema)) return schema.map(stripK8sExtensions);
  if (!schema || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-kubernetes-')) continue;
    out[k] = stripK8sExtensions(v);
  }
  return out;
}

/**
 * Validates one manifest against the upstream schema. Returns the schema's
 * complaint, or undefined when valid. Throws for a kind no schema covers,
 * so that a new kind cannot slip through unvalidated.
 */
export function schemaErrors(obj: any): string | undefined {
  if (obj.apiVersion === 'config.openshift.io/v1' && obj.kind === 'Authentication') {
    const errs = authenticationValidator()(obj);
    return errs.length ? errs.join('; ') : undefined;
  }
  const key = `${obj.apiVersion}/${obj.kind}`;
  const model = MODELS[key];
  if (!model) throw new Error(`no upstream schema for ${key}`);
  const Model = model();
  try {
    new Model(obj).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Asserts that every manifest is valid against its upstream schema. */
export function expectValidManifests(objs: any[]): void {
  for (const obj of objs) {
    const err = schemaErrors(obj);
    if (err) throw new Error(`${obj.kind}/${obj.metadata?.name} is not valid against the upstream schema: ${err}`);
  }
}
