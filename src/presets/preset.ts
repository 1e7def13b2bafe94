import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { bindPreset, bindPresetToApiObject, presetSpec } from './preset-spec';

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
   * this path on the workload is shared: the preset's token becomes another
   * source of it.
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
   * DaemonSet, Job, CronJob) through `ProjectedTokenVolume.mountInto()`:
   * projects the token, mounts it read-only and sets the environment in every
   * container and init container (also ones added later), or those named.
   * Binding twice adds nothing twice.
   */
  public bind(workload: kplus.AbstractPod, options: PresetBindOptions = {}): void {
    bindPreset(this, workload, options);
  }

  /**
   * Binds the preset to a plain ApiObject that carries a pod spec
   * (`KubeDeployment` and the other generated kinds, objects loaded with
   * `Include`, Argo `Rollout`, ...): the token volume, read-only mounts and
   * environment are added to its manifest as it renders, keeping what is
   * there. Binding twice adds nothing twice.
   */
  public bindApiObject(obj: ApiObject, options: PresetBindOptions = {}): void {
    bindPresetToApiObject(this, obj, options);
  }

  /** The annotations the platform expects on the ServiceAccount (e.g. `eks.amazonaws.com/role-arn`). */
  public serviceAccountAnnotations(): { [key: string]: string } {
    return { ...(presetSpec(this).serviceAccountAnnotations ?? {}) };
  }

  /** Adds the platform's annotations to a ServiceAccount. */
  public annotateServiceAccount(serviceAccount: kplus.ServiceAccount): void {
    for (const [k, v] of Object.entries(this.serviceAccountAnnotations())) serviceAccount.metadata.addAnnotation(k, v);
  }

  /** Creates a ServiceAccount carrying the platform's annotations. */
  public createServiceAccount(scope: Construct, id: string, props: kplus.ServiceAccountProps = {}): kplus.ServiceAccount {
    const sa = new kplus.ServiceAccount(scope, id, props);
    this.annotateServiceAccount(sa);
    return sa;
  }

  /** The token file's path for a mount path. */
  public tokenFile(mountPath?: string): string {
    const spec = presetSpec(this);
    return `${mountPath ?? spec.mountPath}/${spec.token.path}`;
  }
}

