// Internal: the one base of the objects this library renders that Kubernetes
// keeps outside namespaces (the issuer's Authentication, the restart's
// Namespace, ClusterRoles and ClusterRoleBindings, the admission policies and
// their bindings). A chart with a namespace gives every ApiObject that
// namespace; these are rendered without it.
import { ApiObject } from 'cdk8s';

/**
 * A cluster-scoped object: never rendered with a namespace, even inside a
 * chart that has one. A hidden base class (jsii erases it from the public API:
 * `Authentication` is an `ApiObject` there).
 *
 * @internal
 */
export class ClusterScopedObject extends ApiObject {
  public toJson(): any {
    const json = super.toJson();
    if (json.metadata) delete json.metadata.namespace;
    return json;
  }
}
