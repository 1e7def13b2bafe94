import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { labelFromId, wholeSeconds } from './private/internal';
import { arrayOf, checkProps, duration, num, pathOf, str } from './private/props';
import { ProjectedTokenVolume } from './projected-token-volume';
import { API_ACCESS_EXPIRATION_SECONDS, API_TOKEN_DIR, R } from './rules';

/** Props of an `ApiAccessToken`. */
export interface ApiAccessTokenProps {
  /**
   * The lifetime of the token. The kubelet refreshes it after 80% of it
   * (`ProjectedTokenVolume.refreshAfter()`); client-go and the other
   * Kubernetes SDKs re-read the file. Whole seconds, at least 10 minutes,
   * and never exactly 3607 seconds (BT272): the API server extends a token of
   * 3607 seconds to a year (`--service-account-extend-token-expiration`).
   *
   * @default Duration.hours(1)
   */
  readonly expiration?: Duration;

  /**
   * The volume name, a DNS-1123 label that does not start with
   * `kube-api-access-` (BT136: the ServiceAccount admission plugin takes such
   * a volume for its own).
   *
   * @default - the construct id as a DNS-1123 label (`ApiToken` -> `api-token`)
   */
  readonly name?: string;

  /**
   * Mode bits of the files (token, ca.crt, namespace).
   *
   * @default - 0o644, the kubelet's default
   */
  readonly defaultMode?: number;
}

/** Where `ApiAccessToken.mountInto()` and `mountIntoApiObject()` mount the token. */
export interface ApiAccessTokenMountOptions {
  /**
   * The containers (or init containers) that call the Kubernetes API. A name
   * the workload does not have when it is synthesized is an error (BT145).
   *
   * @default - every container and init container, also ones added later
   */
  readonly containers?: string[];
}

/**
 * A short-lived token for the Kubernetes API, mounted only into the
 * containers that call the API: what `automountServiceAccountToken: true`
 * gives every container, with a lifetime you choose.
 *
 * cdk8s-plus turns `automountServiceAccountToken` off by default, and this
 * construct leaves it off. It mounts, read-only at
 * `/var/run/secrets/kubernetes.io/serviceaccount` (where client-go's
 * `rest.InClusterConfig()` and the other SDKs look), a projected volume of
 * the API-access shape: `token` (a service account token without audience,
 * i.e. for the API server's own audiences, `expiration` long: 1 hour by
 * default), `ca.crt` from the configMap `kube-root-ca.crt` and `namespace`
 * from the pod's `metadata.namespace`. The platform's own volume asks for
 * 3607 seconds, which the API server extends to a year; this one never does
 * (BT272). Its output passes the lint, also with `--strict`.
 *
 * The token identifies the pod's service account: give the workload a
 * service account with only the RBAC permissions it needs.
 *
 * @see https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/
 */
export class ApiAccessToken extends Construct {
  /** Where the token, ca.crt and namespace are mounted. */
  public static readonly MOUNT_PATH: string = API_TOKEN_DIR;

  /** The projected volume (one token, ca.crt, namespace). */
  public readonly volume: ProjectedTokenVolume;

  /** The lifetime of the token. */
  public readonly expiration: Duration;

  constructor(scope: Construct, id: string, props: ApiAccessTokenProps = {}) {
    checkProps(pathOf(scope, id), props, { expiration: duration, name: str, defaultMode: num });
    super(scope, id);
    this.expiration = props.expiration ?? Duration.hours(1);
    const { seconds, whole } = wholeSeconds(this.expiration);
    if (whole && seconds === API_ACCESS_EXPIRATION_SECONDS) {
      throw new Error(`[${this.node.path}] ${R.API_TOKEN_LIFETIME.id}: 'expiration' must not be exactly ${API_ACCESS_EXPIRATION_SECONDS} seconds, which the API server extends to a year (--service-account-extend-token-expiration), got ${API_ACCESS_EXPIRATION_SECONDS} seconds; ${R.API_TOKEN_LIFETIME.fix}`);
    }
    this.volume = new ProjectedTokenVolume(this, 'Volume', {
      name: props.name ?? labelFromId(id) ?? 'api-token',
      tokens: [{ path: 'token', expiration: this.expiration }],
      defaultMode: props.defaultMode,
    });
    this.volume._projectApiAccess();
  }

  /**
   * Mounts the token, read-only at `/var/run/secrets/kubernetes.io/serviceaccount`,
   * into every container and init container of a cdk8s-plus workload (Pod,
   * Deployment, StatefulSet, DaemonSet, Job, CronJob of any 2.x line), or
   * into the ones named in `options.containers`.
   *
   * @param workload the workload whose containers call the Kubernetes API
   * @param options which containers
   */
  public mountInto(workload: IConstruct, options: ApiAccessTokenMountOptions = {}): void {
    checkProps(`[${this.node.path}] mountInto():`, options, MOUNT, [], 'options');
    this.volume.mountInto(workload, { mountPath: API_TOKEN_DIR, containers: options.containers });
  }

  /**
   * Mounts the token into a plain ApiObject with a pod spec (`KubeDeployment`,
   * an object of an `Include`, ...), as `ProjectedTokenVolume.mountIntoApiObject()` does.
   *
   * @param obj the object whose containers call the Kubernetes API
   * @param options which containers
   */
  public mountIntoApiObject(obj: ApiObject, options: ApiAccessTokenMountOptions = {}): void {
    checkProps(`[${this.node.path}] mountIntoApiObject():`, options, MOUNT, [], 'options');
    this.volume.mountIntoApiObject(obj, { mountPath: API_TOKEN_DIR, containers: options.containers });
  }
}

const MOUNT = { containers: arrayOf(str, 'container names', 'omit it to mount into every container and init container') };
