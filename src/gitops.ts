/**
 * Opt-in annotations that make a GitOps tool apply the cluster issuer change
 * (and its restart Job) safely.
 */
export interface GitOpsOptions {
  /**
   * Write Argo CD annotations: on the `Authentication` object
   * `argocd.argoproj.io/sync-options: ServerSideApply=true,Prune=false,Delete=false`
   * and `argocd.argoproj.io/sync-wave: <syncWave>`; on the restart objects
   * `argocd.argoproj.io/sync-wave: <restartSyncWave>`.
   *
   * @default false
   * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
   */
  readonly argoCd?: boolean;

  /**
   * Write Flux (kustomize-controller) annotations: on the `Authentication`
   * object `kustomize.toolkit.fluxcd.io/ssa: Merge` and
   * `kustomize.toolkit.fluxcd.io/prune: disabled`; on the restart Job
   * `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`. Flux has no per-object
   * ordering: put the issuer change in a Flux Kustomization that your
   * workloads' Kustomizations `dependsOn`.
   *
   * @default false
   * @see https://fluxcd.io/flux/components/kustomize/kustomizations/#controlling-the-apply-behavior-of-resources
   */
  readonly flux?: boolean;

  /**
   * The Argo CD sync wave of the `Authentication` object. Argo CD applies
   * lower waves first and waits for them to be healthy; ordinary objects are
   * in wave 0, so a negative wave places the issuer change before workloads.
   *
   * @default -1
   */
  readonly syncWave?: number;

  /**
   * The Argo CD sync wave of the restart Job and its ServiceAccount and RBAC.
   * Argo CD waits for a wave to be healthy before the next, and a Job is
   * healthy only once it has finished (after the kube-apiserver rollout and
   * every restart): a late wave keeps it from holding back your workloads.
   * Must be greater than `syncWave`.
   *
   * @default 10
   */
  readonly restartSyncWave?: number;
}

/**
 * The GitOps annotations this library writes, and what each does.
 */
export class GitOps {
  /** Argo CD: per-object sync options, comma-separated. */
  public static readonly ARGOCD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
  /**
   * Argo CD sync options of the `Authentication` object:
   * `ServerSideApply=true` applies only the fields this library writes
   * (`kubectl apply --server-side`), so the object's other fields keep their
   * owners; `Prune=false` keeps Argo CD from deleting the cluster's
   * `Authentication` when it leaves Git; `Delete=false` keeps it when the
   * Argo CD Application is deleted.
   */
  public static readonly ARGOCD_AUTHENTICATION_SYNC_OPTIONS = 'ServerSideApply=true,Prune=false,Delete=false';
  /** Argo CD: the sync wave (a quoted integer; lower waves are applied first). */
  public static readonly ARGOCD_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
  /** Flux kustomize-controller: the server-side apply policy of an object. */
  public static readonly FLUX_SSA = 'kustomize.toolkit.fluxcd.io/ssa';
  /**
   * Flux apply policy of the `Authentication` object: `Merge` keeps the
   * fields that other managers added (the rest of the cluster's
   * `Authentication`) and only overrides the fields written here.
   */
  public static readonly FLUX_SSA_MERGE = 'Merge';
  /**
   * Flux apply policy of the restart Job: `IfNotPresent` creates the Job
   * once and never applies it again, so a finished Job stays as it is.
   */
  public static readonly FLUX_SSA_IF_NOT_PRESENT = 'IfNotPresent';
  /** Flux kustomize-controller: the garbage-collection policy of an object. */
  public static readonly FLUX_PRUNE = 'kustomize.toolkit.fluxcd.io/prune';
  /** Flux: never garbage-collect the object (the cluster's `Authentication`). */
  public static readonly FLUX_PRUNE_DISABLED = 'disabled';

  /** The default Argo CD sync wave of the `Authentication` object: before workloads (wave 0). */
  public static readonly DEFAULT_SYNC_WAVE = -1;
  /** The default Argo CD sync wave of the restart Job: after ordinary workloads. */
  public static readonly DEFAULT_RESTART_SYNC_WAVE = 10;

  /** The annotations of the `Authentication` object for these options. */
  public static authenticationAnnotations(options: GitOpsOptions): { [key: string]: string } {
    const out: { [key: string]: string } = {};
    if (options.argoCd) {
      out[GitOps.ARGOCD_SYNC_OPTIONS] = GitOps.ARGOCD_AUTHENTICATION_SYNC_OPTIONS;
      out[GitOps.ARGOCD_SYNC_WAVE] = String(options.syncWave ?? GitOps.DEFAULT_SYNC_WAVE);
    }
    if (options.flux) {
      out[GitOps.FLUX_SSA] = GitOps.FLUX_SSA_MERGE;
      out[GitOps.FLUX_PRUNE] = GitOps.FLUX_PRUNE_DISABLED;
    }
    return out;
  }

  /**
   * The annotations of the restart objects for these options.
   *
   * @param options the GitOps options
   * @param job true for the Job itself (Flux gets `ssa: IfNotPresent` on it)
   */
  public static restartAnnotations(options: GitOpsOptions, job: boolean): { [key: string]: string } {
    const out: { [key: string]: string } = {};
    if (options.argoCd) {
      out[GitOps.ARGOCD_SYNC_WAVE] = String(options.restartSyncWave ?? GitOps.DEFAULT_RESTART_SYNC_WAVE);
    }
    if (options.flux && job) {
      out[GitOps.FLUX_SSA] = GitOps.FLUX_SSA_IF_NOT_PRESENT;
    }
    return out;
  }

  private constructor() {}
}
