// The Google Cloud `external_account` credential configuration, shared by the
// Workload Identity Federation preset and OpenShift's GCP credentials Secret.
// Internal: not part of the jsii API.

/** The coordinates of a Workload Identity Federation provider. */
export interface ProviderCoordinates {
  readonly projectNumber: string;
  readonly poolId: string;
  readonly providerId: string;
}

/** The provider's full resource name, `//iam.googleapis.com/projects/<NUM>/.../providers/<PROVIDER>`. */
export function providerName(p: ProviderCoordinates): string {
  return `//iam.googleapis.com/projects/${p.projectNumber}/locations/global/workloadIdentityPools/${p.poolId}/providers/${p.providerId}`;
}

/** The `external_account` credential configuration for a token file. */
export function credentialConfiguration(p: ProviderCoordinates, tokenFile: string, email: string | undefined): string {
  const config: Record<string, unknown> = {
    type: 'external_account',
    audience: providerName(p),
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: 'https://sts.googleapis.com/v1/token',
    credential_source: { file: tokenFile, format: { type: 'text' } },
  };
  if (email !== undefined) {
    config.service_account_impersonation_url = `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${email}:generateAccessToken`;
  }
  return JSON.stringify(config, undefined, 2);
}

