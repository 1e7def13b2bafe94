// Image pulls with service account tokens (KEP-4412, issue 19 section 1):
// the rules of the image-pull presets, the node-audience grant and the
// ServiceAccounts the kubelet's image credential providers read. Pure, like
// the rest of src/rules (no cdk8s, no constructs).
//
// Facts (Kubernetes 1.34+, beta, on by default):
// - the kubelet's CredentialProviderConfig (kubelet.config.k8s.io/v1) gives a
//   provider `tokenAttributes`: serviceAccountTokenAudience (required),
//   cacheType (required since beta: Token or ServiceAccount),
//   requireServiceAccount (required), requiredServiceAccountAnnotationKeys
//   and optionalServiceAccountAnnotationKeys (qualified names as for
//   ObjectMeta annotations, no duplicates, no key in both lists, no required
//   keys with requireServiceAccount false): the kubelet refuses any other
//   configuration (kubernetes/kubernetes pkg/credentialprovider/plugin config
//   validation);
// - a required key missing on the pod's ServiceAccount: the kubelet does not
//   call the provider and the pull fails;
// - with node audience restriction (beta since 1.33) a kubelet may request a
//   token for an audience only if RBAC grants the nodes the verb
//   `request-serviceaccounts-token-audience` on the resource `<audience>`
//   (apiGroups [''], optionally resourceNames: ServiceAccount names).
import { defineRule } from './catalogue';
import { isIamRoleArn } from './check-preset';
import { Finding, finding, ptr, show } from './finding';
import { isUnresolvedToken } from './trust';

/** Rule ids of image pulls with service account tokens (BT250-BT259). */
export const IP = {
  ECR_ROLE_ARN: defineRule('BT250', 'error',
    "The ECR image-pull preset's role is not an IAM role ARN (arn:aws|aws-cn|aws-us-gov:iam::<12-digit account>:role/<name>): the ECR credential provider's AssumeRoleWithWebIdentity fails, and so does every pull from ECR for the ServiceAccount.",
    'pass the ARN of the IAM role that may pull, e.g. arn:aws:iam::111122223333:role/ecr-pull', 'construct'),
  ACR_ID: defineRule('BT251', 'error',
    "The ACR image-pull preset's client id or tenant id is missing or not a GUID: Microsoft Entra refuses the token exchange, and the pull from ACR fails.",
    'pass the GUIDs of the managed identity (client id) that may pull and of its tenant', 'construct'),
  AUDIENCE: defineRule('BT252', 'error',
    'The audience of an image-pull preset or of a node-audience grant is empty or white space only: the kubelet refuses a tokenAttributes without serviceAccountTokenAudience, and an RBAC rule on the resource "" grants no audience.',
    "set the audience the image credential provider expects (e.g. 'sts.amazonaws.com', 'api://AzureADTokenExchange')", 'construct'),
  ANNOTATION_KEYS: defineRule('BT253', 'error',
    "The annotation keys of an image-pull preset are ones the kubelet refuses in its CredentialProviderConfig (a key that is not a qualified name, a key twice, a key both required and optional, required keys with requireServiceAccount false), or a required key has no value on the preset's ServiceAccounts (the kubelet then never calls the provider), or an annotation is in neither list (the kubelet never passes it on).",
    'list each annotation key once, as a qualified name (e.g. example.com/registry-identity), required or optional; give every required key a value', 'construct'),
  SA_PARTIAL_KEYS: defineRule('BT254', 'warning',
    'A ServiceAccount carries some but not all of the annotations an image credential provider requires (ACR: kubernetes.azure.com/acr-client-id and kubernetes.azure.com/acr-tenant-id): with the provider configured to require them, the kubelet does not call it for the pods of this account and their image pulls fail.',
    'set every annotation the provider requires on the ServiceAccount (ACR: both the client id and the tenant id), or remove the partial one'),
  SA_BAD_VALUE: defineRule('BT255', 'warning',
    'A ServiceAccount image-pull annotation has a value the credential provider cannot use (eks.amazonaws.com/ecr-role-arn not an IAM role ARN, an ACR client or tenant id not a GUID): pulls from that registry for the pods of this account fail.',
    'write the IAM role ARN (ECR) or the GUIDs (ACR) the provider exchanges the token for'),
  NO_GRANT: defineRule('BT256', 'warning',
    "An image-pull preset's audience has no node-audience grant in the app (a NodeAudienceGrant, or a ClusterRole giving request-serviceaccounts-token-audience on that audience): with node audience restriction (beta, on by default since Kubernetes 1.33) the kubelet may not request the token, unless the grant is applied some other way (the platform's own, another app).",
    'add a NodeAudienceGrant for the audience (preset.grantNodeAudience(scope, id)), or acknowledge the warning if the cluster already grants it', 'construct'),
};

/** The RBAC verb that lets the nodes request tokens for an audience (node audience restriction). */
export const NODE_AUDIENCE_VERB = 'request-serviceaccounts-token-audience';
/** The group every kubelet is in (the Node authorizer's subject). */
export const NODES_GROUP = 'system:nodes';

/** The ECR credential provider's annotation: the IAM role to assume (optional in EKS's configuration). */
export const ECR_ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';
/** The ACR credential provider's annotations: both required. */
export const ACR_CLIENT_ID_ANNOTATION = 'kubernetes.azure.com/acr-client-id';
export const ACR_TENANT_ID_ANNOTATION = 'kubernetes.azure.com/acr-tenant-id';

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True for a DNS-1123 subdomain (a ServiceAccount name, an annotation key's prefix). */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** True for a qualified name as Kubernetes validates annotation keys: `[prefix/]name`, the name at most 63 characters. */
export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) return false;
  return parts.length === 1 || (parts[0].length > 0 && isDnsSubdomain(parts[0]));
}

export function checkImagePullAudience(audience: unknown, prop: string): Finding[] {
  if (typeof audience === 'string' && audience.trim() !== '') return [];
  return [finding(IP.AUDIENCE, '', prop, 'must name the audience the image credential provider expects', show(audience))];
}

/** The kubelet's own validation of the annotation keys of tokenAttributes, and the preset's values. */
export function checkImagePullKeys(p: {
  required: readonly string[]; optional: readonly string[]; requireServiceAccount: boolean; annotations: { readonly [k: string]: string };
}): Finding[] {
  const out: Finding[] = [];
  const bad = (prop: string, problem: string, got: string) => out.push(finding(IP.ANNOTATION_KEYS, '', prop, problem, got));
  for (const [prop, keys] of [['requiredAnnotationKeys', p.required], ['optionalAnnotationKeys', p.optional]] as const) {
    const seen = new Set<string>();
    for (const k of keys) {
      if (!isQualifiedName(k)) bad(prop, 'must hold qualified names, as annotation keys are (an optional DNS subdomain prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit)', show(k));
      else if (seen.has(k)) bad(prop, 'must list each key once (the kubelet refuses a duplicate)', show(k));
      seen.add(k);
    }
  }
  const both = p.required.filter(k => p.optional.includes(k));
  if (both.length > 0) bad('optionalAnnotationKeys', 'must not repeat a required key (the kubelet refuses a key that is both required and optional)', show(both[0]));
  if (p.required.length > 0 && !p.requireServiceAccount) {
    bad('requireServiceAccount', 'must be true when requiredAnnotationKeys are set (the kubelet refuses the configuration otherwise)', 'false');
  }
  for (const k of p.required) {
    const v = p.annotations[k];
    if (typeof v !== 'string' || v.trim() === '') {
      bad(`annotations.${k}`, 'must be set: it is a required key, and the kubelet does not call the provider for a ServiceAccount without it', show(v));
    }
  }
  for (const k of Object.keys(p.annotations)) {
    if (!p.required.includes(k) && !p.optional.includes(k)) {
      bad(`annotations.${k}`, 'is in neither requiredAnnotationKeys nor optionalAnnotationKeys, so the kubelet never passes it to the provider', show(p.annotations[k]));
    }
  }
  return out;
}

export function checkEcrRoleArn(arn: unknown, prop: string): Finding[] {
  if (typeof arn === 'string' && (isIamRoleArn(arn) || isUnresolvedToken(arn))) return [];
  return [finding(IP.ECR_ROLE_ARN, '', prop, 'must be the ARN of an IAM role', show(arn))];
}

export function checkAcrId(value: unknown, prop: string): Finding[] {
  if (typeof value === 'string' && (GUID.test(value) || isUnresolvedToken(value))) return [];
  return [finding(IP.ACR_ID, '', prop, value === undefined || value === '' ? 'is required' : 'must be a GUID', show(value))];
}

/**
 * BT254 and BT255 on a ServiceAccount: the well-known annotations of the ECR
 * and ACR credential providers (a preset with keys of its own is checked by
 * its construct). Warnings: a ServiceAccount alone does not show whether a
 * node's credential provider reads these keys.
 */
export function checkServiceAccountImagePull(obj: any): Finding[] {
  const annotations = obj?.metadata?.annotations;
  if (!annotations || typeof annotations !== 'object') return [];
  const out: Finding[] = [];
  const at = (k: string) => ptr('metadata', 'annotations', k);
  const has = (k: string) => Object.prototype.hasOwnProperty.call(annotations, k);
  const ecr = annotations[ECR_ROLE_ARN_ANNOTATION];
  if (has(ECR_ROLE_ARN_ANNOTATION) && !(typeof ecr === 'string' && isIamRoleArn(ecr))) {
    out.push(finding(IP.SA_BAD_VALUE, at(ECR_ROLE_ARN_ANNOTATION), ECR_ROLE_ARN_ANNOTATION,
      'is not an IAM role ARN, so the ECR credential provider cannot assume it', show(ecr)));
  }
  const acr = [ACR_CLIENT_ID_ANNOTATION, ACR_TENANT_ID_ANNOTATION];
  const present = acr.filter(has);
  if (present.length === 1) {
    const missing = acr.find(k => !has(k))!;
    out.push(finding(IP.SA_PARTIAL_KEYS, at(present[0]), present[0],
      `is set without ${missing}, and the ACR credential provider requires both`, show(annotations[present[0]])));
  }
  for (const k of present) {
    const v = annotations[k];
    if (!(typeof v === 'string' && GUID.test(v))) {
      out.push(finding(IP.SA_BAD_VALUE, at(k), k, 'is not a GUID, so Microsoft Entra refuses the ACR token exchange', show(v)));
    }
  }
  return out;
}

/** True when an RBAC rule (plain JSON) lets its subjects request tokens for `audience` of the ServiceAccount `name`. */
export function ruleGrantsAudience(rule: any, audience: string, serviceAccountName?: string): boolean {
  const has = (list: unknown, v: string) => Array.isArray(list) && (list.includes(v) || list.includes('*'));
  if (!has(rule?.verbs, NODE_AUDIENCE_VERB) || !has(rule?.apiGroups, '') || !has(rule?.resources, audience)) return false;
  const names = rule?.resourceNames;
  if (!Array.isArray(names) || names.length === 0) return true;
  return serviceAccountName !== undefined && names.includes(serviceAccountName);
}
