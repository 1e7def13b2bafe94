import { Duration } from 'cdk8s';

/**
 * A `clusterTrustBundle` source of a projected volume: the kubelet writes the
 * trust anchors (CA certificates) of one ClusterTrustBundle, or of every
 * bundle of a signer, to a file, and keeps it up to date.
 *
 * Needs Kubernetes 1.33 or later with the feature gates `ClusterTrustBundle`
 * and `ClusterTrustBundleProjection` on (beta, off by default; alpha from
 * 1.29) and the `certificates.k8s.io/v1beta1` API enabled. An API server
 * with the gate off drops the source silently: the pod starts without the file.
 *
 * Select the bundle by `name` or by `signerName`, never both (BT260).
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#clustertrustbundle
 */
export interface ClusterTrustBundleProjection {
  /**
   * The file the bundle is written to, relative to the volume's mount point:
   * the same path rules as a token's (BT264).
   */
  readonly path: string;

  /**
   * One ClusterTrustBundle, by object name (a DNS-1123 subdomain, or
   * `<signer with : for />:<name>` for a bundle of a signer, BT263).
   * Not with `signerName` or `labelSelector`.
   *
   * @default - select by `signerName`
   */
  readonly name?: string;

  /**
   * Every ClusterTrustBundle of this signer (`<domain>/<name>`, BT262) that
   * `labelSelector` matches, deduplicated into one file. Not with `name`.
   *
   * @default - select by `name`
   */
  readonly signerName?: string;

  /**
   * With `signerName` only: the labels (`matchLabels`) a bundle must carry.
   *
   * @default - every bundle of the signer: rendered as an empty selector
   * (`labelSelector: {}`), since Kubernetes reads a missing one as "match
   * nothing" (BT269)
   */
  readonly labelSelector?: { [key: string]: string };

  /**
   * Start the pod even when no bundle matches (the file is then empty).
   *
   * @default false - the pod does not start until a bundle matches
   */
  readonly optional?: boolean;
}

/**
 * The key pair the kubelet generates for a `podCertificate` source.
 */
export enum PodCertificateKeyType {
  /** Ed25519. */
  ED25519 = 'ED25519',
  /** ECDSA on the P-256 curve. */
  ECDSAP256 = 'ECDSAP256',
  /** ECDSA on the P-384 curve. */
  ECDSAP384 = 'ECDSAP384',
  /** ECDSA on the P-521 curve. */
  ECDSAP521 = 'ECDSAP521',
  /** RSA, 3072 bits. */
  RSA3072 = 'RSA3072',
  /** RSA, 4096 bits. */
  RSA4096 = 'RSA4096',
}

/**
 * A `podCertificate` source of a projected volume: the kubelet generates a
 * private key, asks the signer for a certificate with a
 * PodCertificateRequest, writes both, and renews them before they expire.
 *
 * Needs Kubernetes 1.35 or later with the feature gate `PodCertificateRequest`
 * on (beta, off by default; alpha in 1.34) and the
 * `certificates.k8s.io/v1beta1` API enabled, and a signer that issues the
 * certificates. An older API server does not know the field (kubectl refuses
 * it as an unknown field; other clients have it dropped).
 *
 * Write the key and the chain to one file (`credentialBundlePath`): with
 * `keyPath` and `certificateChainPath` an application can read the two files
 * mid-rotation (warning BT268). At least one of the three is required (BT267).
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#podcertificate
 */
export interface PodCertificateProjection {
  /** The signer the kubelet's requests go to, `<domain>/<name>` (BT262), e.g. `example.com/my-signer`. */
  readonly signerName: string;

  /** The key pair the kubelet generates (BT265). */
  readonly keyType: PodCertificateKeyType;

  /**
   * The longest lifetime the certificate may have; the signer may issue a
   * shorter one. Whole seconds, between 1 hour and 91 days, at most 24 hours
   * for a `kubernetes.io/` signer (BT266).
   *
   * @default - 24 hours (the API server's default)
   */
  readonly maxExpiration?: Duration;

  /**
   * One file with the private key (PKCS#8, first) and the certificate chain,
   * read in one read: the recommended way.
   *
   * @default - none; then `keyPath` or `certificateChainPath` must be set
   */
  readonly credentialBundlePath?: string;

  /**
   * The private key in a file of its own (warning BT268).
   *
   * @default - none
   */
  readonly keyPath?: string;

  /**
   * The certificate chain in a file of its own (warning BT268).
   *
   * @default - none
   */
  readonly certificateChainPath?: string;

  /**
   * Annotations copied into each PodCertificateRequest, for the signer
   * (keys such as `example.com/profile`; the signer documents the ones it reads).
   *
   * @default - none
   */
  readonly userAnnotations?: { [key: string]: string };
}
