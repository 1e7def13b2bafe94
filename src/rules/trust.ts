// The rules of the cloud side of a trust (issue 20, BT210-BT229): what the
// trust documents need to be generated, and why a given trust document does
// not trust a ServiceAccount. Pure, like the rest of src/rules.
import { defineRule } from './catalogue';

/** Rule ids of the trust documents (`trustDocuments()` of the presets, `cdk8s-bound-tokens trust`). */
export const TR = {
  // --- generating the documents ---
  NO_ISSUER: defineRule('BT210', 'error',
    "The cloud side of a trust names the cluster's issuer (the OIDC provider, the federated credential's issuer, the pool provider's issuer URI), but the issuer is not known: no ClusterIssuerConfig in the app, no Authentication object in the manifests, no issuer given.",
    "give the issuer (the 'issuer' option, or --issuer URL), or add the app's ClusterIssuerConfig", 'construct'),
  NO_NAMESPACE: defineRule('BT211', 'error',
    'The subject a cloud trusts is system:serviceaccount:<namespace>:<name>, but the object that runs as the ServiceAccount has no namespace (no metadata.namespace, no chart namespace), so the namespace it will be applied into is not known.',
    'set the namespace of the object (or of its chart), or pass --namespace NS to the trust command', 'construct'),
  ISSUER_NOT_HTTPS: defineRule('BT212', 'error',
    'AWS IAM OIDC providers, Microsoft Entra federated credentials and Google workload identity pool providers only accept an https issuer URL, without query or fragment.',
    'set the cluster issuer to a public https URL that serves the discovery document (e.g. the bucket ccoctl fills)', 'construct'),
  GCP_SUBJECT_TOO_LONG: defineRule('BT213', 'error',
    "Google Cloud limits the mapped google.subject to 127 bytes, and system:serviceaccount:<namespace>:<name> of this ServiceAccount is longer: the token exchange fails with 'The size of mapped attribute exceeds the 127 bytes limit'.",
    "shorten the namespace or the ServiceAccount name, or map google.subject to a shorter claim (e.g. assertion['kubernetes.io']['serviceaccount']['uid']) and bind that principal yourself", 'construct'),
  POD_IDENTITY_FACTS: defineRule('BT214', 'error',
    'An EKS Pod Identity association names the cluster and the IAM role, but the cluster name or the role ARN was not given (the manifests do not show them: the association lives in EKS).',
    "give the cluster name and the role ARN (the 'clusterName' and 'roleArn' options, or --cluster-name and --role-arn)", 'construct'),
  DEFAULT_SERVICE_ACCOUNT: defineRule('BT215', 'error',
    "A workload that uses a cloud identity runs as no named ServiceAccount: its token names the namespace's default account, and trusting that would trust every pod of the namespace that sets no account.",
    'give the workload its own ServiceAccount (serviceAccountName) and trust that one', 'construct'),
  AUDIENCE_UNKNOWN: defineRule('BT216', 'error',
    'A workload names a token file for a cloud identity (AWS_WEB_IDENTITY_TOKEN_FILE, AZURE_FEDERATED_TOKEN_FILE, a credentials file) that no projected token of the container writes, so the audience the cloud must trust is not known.',
    'project the token with its audience at that path (an identity preset does), or fix the path', 'construct'),
  AZURE_CREDENTIAL_LIMIT: defineRule('BT217', 'warning',
    'Microsoft Entra accepts at most 20 federated identity credentials per application or user-assigned managed identity, and this identity would need more (one per ServiceAccount).',
    'use one identity per group of at most 20 ServiceAccounts', 'construct'),
  AWS_ACCOUNT_UNKNOWN: defineRule('BT218', 'error',
    "The IAM role trust policy's Federated principal is the OIDC provider of the role's account, but the role ARN is not an IAM role ARN yet (an unresolved token of AWS CDK, CDKTF or Pulumi), so the account and partition are not known.",
    "pass the OIDC provider's ARN ('oidcProviderArn'), e.g. the provider's token from the same AWS CDK program", 'construct'),
  NOTHING_BOUND: defineRule('BT219', 'error',
    'The trust documents of a preset are asked for, but the preset is bound to no workload and annotates no ServiceAccount, so there is nobody to trust.',
    "bind the preset (bind(), bindApiObject(), annotateServiceAccount()) before asking for its trust documents, or name the ServiceAccounts ('serviceAccounts')", 'construct'),
  // --- checking a given trust document (trust --verify) ---
  VERIFY_NAMESPACE: defineRule('BT220', 'error',
    "A trust document trusts the ServiceAccount's name in another namespace: the subject system:serviceaccount:<namespace>:<name> it names differs from the manifests' in the namespace.",
    'trust the namespace the ServiceAccount is applied into (or move the workload)', 'construct'),
  VERIFY_NAME: defineRule('BT221', 'error',
    'A trust document trusts another ServiceAccount of the namespace: the subject it names differs from the one the workload runs as.',
    'trust the ServiceAccount the workload runs as (serviceAccountName)', 'construct'),
  VERIFY_AUDIENCE: defineRule('BT222', 'error',
    "A trust document requires an audience that the workload's token does not carry (the aud condition of an IAM trust policy, a federated credential's audiences, a pool provider's allowed audiences).",
    'trust the audience the token is projected with, or project the token with the audience the cloud expects', 'construct'),
  VERIFY_ISSUER: defineRule('BT223', 'error',
    "A trust document trusts another issuer or identity provider than the cluster's: the Federated OIDC provider (host, path, account), the federated credential's issuer (compared as exact strings, trailing slash included), the pool provider's issuer URI, project or pool.",
    "trust the cluster's issuer exactly as its tokens carry it in 'iss'", 'construct'),
  VERIFY_NOT_TRUSTED: defineRule('BT224', 'error',
    'A trust document has no entry that could trust the ServiceAccount at all: no Allow statement with the action and principal kind the identity needs, no federated credential, no pool binding, another attribute mapping, role or cluster.',
    'add the entry the generated document shows (cdk8s-bound-tokens trust)', 'construct'),
  VERIFY_TOO_BROAD: defineRule('BT225', 'warning',
    'A trust document trusts the ServiceAccount, but through a condition that trusts more than it: no sub condition (every ServiceAccount of the cluster), a wildcard subject, or a principalSet of the whole pool.',
    'trust the exact subject system:serviceaccount:<namespace>:<name>', 'construct'),
  VERIFY_INPUT: defineRule('BT226', 'error',
    'The file given to --verify is not a trust document this command reads: an IAM role trust policy, an EKS Pod Identity association, Microsoft Entra federated identity credentials, a Google workload identity pool provider or IAM policy, or the JSON output of cdk8s-bound-tokens trust.',
    'pass one of those documents as JSON (e.g. aws iam get-role --query Role.AssumeRolePolicyDocument, az identity federated-credential list, gcloud ... describe --format=json)', 'construct'),
  AZURE_CREDENTIAL_NAME: defineRule('BT227', 'error',
    "The federated identity credential's name, made of the namespace and the ServiceAccount name, is not one Azure accepts (3 to 120 letters, digits, '-' and '_', starting with a letter or digit).",
    'shorten the namespace or ServiceAccount name, or name the credential yourself', 'construct'),
};

/**
 * True for a string that is an unresolved token of AWS CDK (`${Token[...]}`)
 * or CDKTF (`${TfToken[...]}`): its value is known only when that tool
 * resolves it (e.g. through a cdk8s resolver at synth), so its format is not
 * checked here.
 */
export function isUnresolvedToken(value: unknown): boolean {
  return typeof value === 'string' && /\$\{(Tf)?Token\[[^\]]+\]\}/.test(value);
}
