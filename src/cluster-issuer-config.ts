import { Construct } from 'constructs';
import { Authentication } from './authentication';
import { registerSubject } from './engine';
import { Finding, finding, PLATFORM_DEFAULT_ISSUER, R } from './rules';

/** Props of a `ClusterIssuerConfig`. */
export interface ClusterIssuerConfigProps {
  /**
   * The issuer of the cluster's bound service account tokens
   * (`spec.serviceAccountIssuer` of the `Authentication` named `cluster`).
   * To go back to the platform default, set
   * `ClusterIssuerConfig.PLATFORM_DEFAULT_ISSUER` explicitly.
   *
   * @see https://docs.openshift.com/container-platform/4.14/authentication/bound-service-account-tokens.html
   */
  readonly serviceAccountIssuer: string;
}

/**
 * Sets the issuer of an OpenShift cluster's bound service account tokens:
 * renders `config.openshift.io/v1` `Authentication` named `cluster` with only
 * `spec.serviceAccountIssuer` (apply it with server-side apply or a merge
 * patch: the object's other fields belong to other owners), and never a
 * namespace.
 *
 * Changing the issuer invalidates tokens already in use: the previous issuer
 * stays trusted for 24 hours, so pods holding its tokens must be restarted
 * within that window (warning BT165, acknowledge it once planned).
 *
 * On vanilla Kubernetes the issuer is a kube-apiserver flag
 * (`--service-account-issuer`), not an object: this construct does not
 * configure it.
 */
export class ClusterIssuerConfig extends Construct {
  /** The issuer OpenShift documents as its default. */
  public static readonly PLATFORM_DEFAULT_ISSUER = PLATFORM_DEFAULT_ISSUER;

  /** The issuer this construct sets. */
  public readonly serviceAccountIssuer: string;

  /** The rendered `Authentication` object (id `Resource`). */
  public readonly resource: Authentication;

  constructor(scope: Construct, id: string, props: ClusterIssuerConfigProps) {
    super(scope, id);
    this.serviceAccountIssuer = props.serviceAccountIssuer;
    this.resource = new Authentication(this, 'Resource', {
      spec: { serviceAccountIssuer: props.serviceAccountIssuer },
    });
    registerSubject({
      construct: this,
      apiObject: this.resource,
      annotate: (key, value) => this.resource.metadata.addAnnotation(key, value),
      extraFindings: () => this.findings(),
    });
  }

  private findings(): Finding[] {
    const out: Finding[] = [];
    const others = this.node.root.node.findAll().filter(c => c instanceof ClusterIssuerConfig && c !== this);
    if (others.length > 0) {
      out.push(finding(R.ISSUER_MULTIPLE, '', 'ClusterIssuerConfig',
        `must appear once per app, but the app has ${others.length + 1}`,
        others.map(o => `'${o.node.path}'`).join(', ') + ' besides this one'));
    }
    out.push(finding(R.ISSUER_CHANGE, '/spec/serviceAccountIssuer', 'serviceAccountIssuer',
      'changes the cluster issuer: tokens of the previous issuer stop being trusted 24 h after the change and their pods must be restarted',
      `'${this.serviceAccountIssuer}'`));
    return out;
  }
}
