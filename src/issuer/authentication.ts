import { ApiObjectMetadata, GroupVersionKind } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterScopedObject } from '../private/cluster-scoped';

/** The spec fields of OpenShift's `Authentication` that this library writes. */
export interface AuthenticationSpec {
  /**
   * The issuer of bound service account tokens (`spec.serviceAccountIssuer`).
   */
  readonly serviceAccountIssuer: string;
}

/** Props of `Authentication`. */
export interface AuthenticationProps {
  /** Metadata; the name must be `cluster`. @default - name 'cluster' */
  readonly metadata?: ApiObjectMetadata;
  /** The spec fields to write. */
  readonly spec: AuthenticationSpec;
}

/**
 * OpenShift's cluster-scoped `config.openshift.io/v1` `Authentication` object,
 * limited to the fields this library manages. A small typed class of our own:
 * the CRD belongs to OpenShift.
 *
 * @see https://docs.openshift.com/container-platform/4.14/rest_api/config_apis/authentication-config-openshift-io-v1.html
 */
export class Authentication extends ClusterScopedObject {
  /** The group, version and kind. */
  public static readonly GVK: GroupVersionKind = {
    apiVersion: 'config.openshift.io/v1',
    kind: 'Authentication',
  };

  constructor(scope: Construct, id: string, props: AuthenticationProps) {
    super(scope, id, {
      ...Authentication.GVK,
      metadata: { name: 'cluster', ...props.metadata },
      spec: { serviceAccountIssuer: props.spec.serviceAccountIssuer },
    });
  }

  /**
   * Renders the object. The object is cluster-scoped: it never carries a
   * namespace, even inside a chart that has one.
   */
  public toJson(): any {
    // (ClusterScopedObject leaves the namespace out; kept here for its documentation)
    return super.toJson();
  }
}
