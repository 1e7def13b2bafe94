import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { CloudTrustOptions } from '../cloud-trust';
import { createServiceAccount27, kplus } from '../private/kplus';
import { annotateServiceAccount, bindPreset, presetSpec, presetTokenFile } from '../private/preset-spec';
import { arrayOf, checkProps, str } from '../private/props';
import { presetTrustDocuments } from '../trust/preset-trust';

const BIND_OPTIONS = { containers: arrayOf(str, 'container names', 'omit it to bind every container and init container'), mountPath: str };

/** Where a preset binds. */
export interface PresetBindOptions {
  /**
   * Names of the containers and init containers to bind.
   *
   * @default - every container and init container of the workload
   */
  readonly containers?: string[];

  /**
   * Where the token volume is mounted. A token volume already mounted at
   * this path on the workload is shared (the preset's token becomes another
   * source of it) when its tokens reach exactly the containers the preset
   * binds and no other workload; otherwise the preset's token gets a volume
   * of its own (the webhook's volume name, or that name with `-2`, `-3`,
   * ...), so that a token file is readable only in the containers it was
   * bound to.
   *
   * @default - the path the platform's webhook uses
   */
  readonly mountPath?: string;
}

/**
 * A cloud or platform identity preset: the token volume, mount and
 * environment a webhook would inject, produced at synth time, visibly, with
 * the webhook's own names (so a webhook still installed leaves the pod alone).
 */
export abstract class IdentityPreset {
  /**
   * Binds the preset to a cdk8s-plus workload (Pod, Deployment, StatefulSet,
   * DaemonSet, Job, CronJob of cdk8s-plus-27, -32, -33, -34 or another 2.x
   * line; anything else is error BT149) through the same binding as
   * `ProjectedTokenVolume.mountInto()`: projects the token (into the token
   * volume already mounted at the mount path, or a volume of the webhook's
   * name), mounts it read-only and sets the environment in every container
   * and init container there is now, or those named. Binding twice adds
   * nothing twice; bind again after adding containers (BT190 otherwise).
   * The workload must run as a named service account (BT152).
   */
  public bind(workload: IConstruct, options: PresetBindOptions = {}): void {
    checkProps(`${this.constructor.name}.bind():`, options, BIND_OPTIONS, [], 'options');
    bindPreset(this, workload, options, false);
  }

  /**
   * Binds the preset to a plain ApiObject that carries a pod spec
   * (`KubeDeployment` and the other generated kinds, objects loaded with
   * `Include`, Argo `Rollout`, ...): the token volume, read-only mounts and
   * environment are added to its manifest as it renders, keeping what is
   * there. Binding twice adds nothing twice.
   */
  public bindApiObject(obj: ApiObject, options: PresetBindOptions = {}): void {
    checkProps(`${this.constructor.name}.bindApiObject():`, options, BIND_OPTIONS, [], 'options');
    bindPreset(this, obj, options, true);
  }

  /** The annotations the platform expects on the ServiceAccount (e.g. `eks.amazonaws.com/role-arn`). */
  public serviceAccountAnnotations(): { [key: string]: string } {
    return { ...(presetSpec(this).serviceAccountAnnotations ?? {}) };
  }

  /**
   * Adds the platform's annotations to a ServiceAccount: one of any
   * cdk8s-plus line (27, 32, 33, 34, ...) or a plain `KubeServiceAccount`;
   * anything else is error BT149.
   */
  public annotateServiceAccount(serviceAccount: IConstruct): void {
    annotateServiceAccount(this, serviceAccount);
  }

  /**
   * Creates a cdk8s-plus-27 ServiceAccount carrying the platform's
   * annotations. With another cdk8s-plus line, create the account with that
   * line and call `annotateServiceAccount()`.
   */
  public createServiceAccount(scope: Construct, id: string, props: kplus.ServiceAccountProps = {}): kplus.ServiceAccount {
    const sa = createServiceAccount27(scope, id, props);
    this.annotateServiceAccount(sa);
    return sa;
  }

  /**
   * The cloud side of the trust, as plain JSON: a list of
   * `{ cloud, kind, for, serviceAccounts, document }`, one per document the
   * cloud needs (an IAM role trust policy, an EKS Pod Identity association, a
   * federated identity credential, a pool provider, an IAM binding), for every
   * ServiceAccount the preset is bound through, in the namespace its objects
   * are written into, with the token's audience and the app's issuer (the
   * same documents as `cdk8s-bound-tokens trust` prints for the synthesized
   * manifests). EKS Pod Identity associations are included when the
   * `clusterName` and `roleArn` options are given. Empty for presets without
   * a cloud side (Vault, meshes).
   * Missing facts are errors with rule ids (BT210 no issuer, BT211 no
   * namespace, BT215 no ServiceAccount, BT219 not bound, ...).
   */
  public trustDocuments(options: CloudTrustOptions = {}): any {
    return presetTrustDocuments(this, options, `${this.constructor.name}.trustDocuments()`, ['BT214']);
  }

  /** The token file's path for a mount path (the path the binding writes into the env vars). */
  public tokenFile(mountPath?: string): string {
    return presetTokenFile(this, mountPath);
  }
}

