// The cloud side of an identity preset's trust, generated from the same facts
// as its manifests (issue 20): the option and result types of the presets'
// trust methods. The documents are plain JSON, to pass to an AWS CDK, CDKTF
// or Pulumi program in any jsii language. The code is in src/trust/.

/** A ServiceAccount to trust, named by hand. */
export interface TrustedServiceAccount {
  /** The namespace the ServiceAccount is applied into. */
  readonly namespace: string;
  /** The ServiceAccount's name. */
  readonly name: string;
}

/** Options of the trust documents of an identity preset. */
export interface CloudTrustOptions {
  /**
   * The cluster's service account issuer, as its tokens carry it in `iss`
   * (e.g. `https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`).
   *
   * @default - the issuer of the app's `ClusterIssuerConfig`; without one, error BT210
   */
  readonly issuer?: string;

  /**
   * ServiceAccounts to trust besides those the preset is bound through
   * (`bind()`, `bindApiObject()`, `annotateServiceAccount()`, `createServiceAccount()`).
   *
   * @default - only the ServiceAccounts the preset is bound through
   */
  readonly serviceAccounts?: TrustedServiceAccount[];

  /**
   * AWS: the ARN of the IAM OIDC provider to trust, for a role ARN that is an
   * unresolved token (AWS CDK, CDKTF), e.g. the provider's ARN token of the
   * same AWS CDK program.
   *
   * @default - `arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>`, with the role ARN's partition and account
   */
  readonly oidcProviderArn?: string;

  /**
   * EKS Pod Identity: the cluster's name, for the associations.
   *
   * @default - none; `podIdentityAssociations()` fails with BT214
   */
  readonly clusterName?: string;

  /**
   * EKS Pod Identity: the IAM role of the associations.
   *
   * @default - none; `podIdentityAssociations()` fails with BT214
   */
  readonly roleArn?: string;
}

/**
 * An EKS Pod Identity association, with the fields of the EKS
 * `CreatePodIdentityAssociation` API (and of `AWS::EKS::PodIdentityAssociation`
 * in CloudFormation, capitalised there).
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html
 */
export interface EksPodIdentityAssociation {
  /** The EKS cluster's name. */
  readonly clusterName: string;
  /** The ServiceAccount's namespace. */
  readonly namespace: string;
  /** The ServiceAccount's name. */
  readonly serviceAccount: string;
  /** The IAM role the pods get credentials of. */
  readonly roleArn: string;
}

/**
 * A Microsoft Entra federated identity credential (on a user-assigned managed
 * identity or an app registration), with the fields of its Graph / ARM resource.
 *
 * @see https://learn.microsoft.com/graph/api/resources/federatedidentitycredential
 */
export interface AzureFederatedIdentityCredential {
  /** The credential's name: `<namespace>-<name>` ('.' written as '-'). */
  readonly name: string;
  /** The cluster's issuer, exactly as the tokens carry it. */
  readonly issuer: string;
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly subject: string;
  /** The token's audience (`api://AzureADTokenExchange`, or `openshift` for OpenShift STS). */
  readonly audiences: string[];
}

/**
 * What a Google Cloud workload identity pool needs to trust the
 * ServiceAccounts: the provider's settings, the principals, and (with
 * impersonation) the binding on the Google service account.
 *
 * @see https://cloud.google.com/iam/docs/workload-identity-federation-with-kubernetes
 */
export interface GcpWorkloadIdentityTrust {
  /** The provider's resource name, `projects/<NUM>/locations/global/workloadIdentityPools/<POOL>/providers/<PROVIDER>`. */
  readonly providerName: string;
  /** The provider's OIDC issuer URI: the cluster's issuer. */
  readonly issuerUri: string;
  /** The provider's allowed audiences: the token's audience. */
  readonly allowedAudiences: string[];
  /** The provider's attribute mapping: `google.subject` = `assertion.sub`. */
  readonly attributeMapping: { [key: string]: string };
  /** One `principal://iam.googleapis.com/.../subject/system:serviceaccount:<namespace>:<name>` per ServiceAccount. */
  readonly principals: string[];
  /**
   * The Google service account the principals impersonate (they need
   * `roles/iam.workloadIdentityUser` on it).
   *
   * @default - none: grant roles to the principals directly
   */
  readonly serviceAccountEmail?: string;
  /**
   * The role the principals need on the Google service account.
   *
   * @default - none (no impersonation)
   */
  readonly serviceAccountRole?: string;
}
