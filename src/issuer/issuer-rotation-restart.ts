import * as crypto from 'crypto';
import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GitOps, GitOpsOptions } from '../gitops';
import { ClusterScopedObject } from '../private/cluster-scoped';
import { objectSubject, registerSubject } from '../private/engine';
import { durationMs, wholeSeconds } from '../private/internal';
import { clusterScopeOf, describeCluster, issuerConfigsSharing, registerRestart, restartsSharing } from '../private/issuer/facts';
import { RESTART_ENV, RESTART_SCRIPT } from '../private/issuer/restart-script';
import { kplus } from '../private/kplus';
import { checkProps, GITOPS, known, pathOf, resolvingWith, RESTART_OPTIONS, str, throwErrors } from '../private/props';
import {
  checkRestartImage, checkRestartInCluster, checkRestartNamespaces, checkRestartNamespacesExcluded, checkRestartTiming, checkRestartWave,
  checkSyncWaveInteger, effectiveIssuer, Finding, matchesNamespacePattern, RestartNamespaces, RestartTiming,
} from '../rules';

/** How the restart Job replaces the pods that hold tokens of the previous issuer. */
export enum RestartMethod {
  /**
   * `oc rollout restart` of every Deployment, StatefulSet and DaemonSet: a
   * graceful rollout that honours each workload's update strategy and
   * disruption budget. Bare pods, Jobs, CronJobs, DeploymentConfigs and
   * workloads with `updateStrategy: OnDelete` are not replaced (the Job logs
   * the OnDelete ones).
   */
  ROLLOUT = 'rollout',
  /**
   * Deletes the running pods that a controller recreates (the seed
   * document's method, minus the pods nobody would recreate: those are
   * logged and left alone). Abrupt: every pod of a namespace goes at once.
   */
  DELETE_PODS = 'delete-pods',
}

/** Options of the restart that follows an issuer change. */
export interface IssuerRestartOptions {
  /**
   * How pods are replaced.
   *
   * @default RestartMethod.ROLLOUT
   */
  readonly method?: RestartMethod;

  /**
   * The namespaces to restart, in this order. The Job then gets its
   * workload permissions through a RoleBinding in each of them (they must
   * exist) instead of cluster-wide.
   *
   * @default - every namespace of the cluster, in the order the API lists them
   */
  readonly namespaces?: string[];

  /**
   * Namespaces never restarted: names or patterns with `*` (e.g.
   * `openshift-*`). Replaces the default list; the Job's own namespace is
   * always skipped.
   *
   * @default IssuerRotationRestart.DEFAULT_EXCLUDED_NAMESPACES
   *   (`openshift`, `openshift-*`, `kube-*`: the platform's own workloads,
   *   which its operators reconcile)
   */
  readonly excludeNamespaces?: string[];

  /**
   * The pause between two namespaces, in whole seconds.
   *
   * @default Duration.seconds(10)
   */
  readonly pauseBetweenNamespaces?: Duration;

  /**
   * How long the Job waits for the kube-apiserver to sign tokens with the
   * new issuer and finish its rollout before it gives up, restarting
   * nothing. Between 1 minute and 24 hours, whole seconds.
   *
   * @default Duration.hours(2)
   */
  readonly waitTimeout?: Duration;

  /**
   * The interval between two checks while waiting, in whole seconds (at least 1).
   *
   * @default Duration.seconds(15)
   */
  readonly pollInterval?: Duration;

  /**
   * How many fresh tokens in a row must carry the new issuer, before and
   * after the rollout, for the Job to consider it in effect. Each token
   * request may reach another kube-apiserver instance. Between 1 and 100.
   *
   * @default 5
   */
  readonly confirmations?: number;

  /**
   * The image of the Job: it needs `bash`, `oc`, `base64`, `sed` and `tr`.
   * Pin it: a Job's pod template cannot change once the Job exists.
   *
   * @default IssuerRotationRestart.DEFAULT_IMAGE
   */
  readonly image?: string;

  /**
   * The namespace the Job, its ServiceAccount and its token Role live in.
   * Whoever can create pods there can act as the Job's account, which may
   * patch workloads cluster-wide: keep it a namespace of its own.
   *
   * @default IssuerRotationRestart.DEFAULT_NAMESPACE, created by the construct
   */
  readonly namespace?: string;

  /**
   * Create the namespace.
   *
   * @default - true when `namespace` is not set, false otherwise
   */
  readonly createNamespace?: boolean;
}

/** Props of an `IssuerRotationRestart`. */
export interface IssuerRotationRestartProps extends IssuerRestartOptions {
  /**
   * The issuer the cluster changes to. The Job waits until the
   * kube-apiserver signs tokens with exactly this value, and its name
   * carries a hash of it, so that it runs once per issuer value.
   */
  readonly serviceAccountIssuer: string;

  /**
   * GitOps annotations for the restart objects.
   *
   * @default - none
   */
  readonly gitOps?: GitOpsOptions;

  /**
   * The part of the app that is this restart's cluster (usually the Chart
   * synthesized for it), as `ClusterIssuerConfig`'s `clusterScope`: the
   * restart is then compared with the ClusterIssuerConfigs and restarts of
   * that cluster only (BT182). A construct of another app is BT240.
   *
   * @default - the whole app is one cluster
   */
  readonly clusterScope?: IConstruct;
}

const DEFAULT_NAMESPACE = 'bound-tokens-issuer-rotation';
const SERVICE_ACCOUNT = 'issuer-restart';
const TOKEN_ROLE = 'issuer-restart-token';
const STATE_CONFIGMAP = 'issuer-restart-state';
const GRANT_LABEL = 'bound-tokens.io/restart-grant';
const WAIT_ROLE = 'bound-tokens-issuer-restart-wait';
const WORKLOAD_ROLE = 'bound-tokens-issuer-restart-workloads';
const ISSUER_ANNOTATION = 'bound-tokens.io/issuer';
const ARGOCD_HOOK = 'argocd.argoproj.io/hook';
const ARGOCD_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
/** Finished Jobs (outside Argo CD hooks and Flux) are deleted a day after they end. */
const JOB_TTL_SECONDS = 86400;
const LABELS = { 'app.kubernetes.io/name': 'issuer-restart', 'app.kubernetes.io/managed-by': 'cdk8s-bound-tokens' };

/**
 * The planned restart after a change of the cluster's service account
 * issuer (OpenShift): a Job, with its own ServiceAccount and the least RBAC
 * it needs, that
 *
 * 1. waits until the kube-apiserver signs tokens with the new issuer and the
 *    `kube-apiserver` cluster operator is no longer progressing (pods
 *    restarted earlier could get tokens of the old issuer again);
 * 2. restarts one namespace at a time, with a pause, skipping excluded
 *    namespaces: a rollout restart of Deployments, StatefulSets and
 *    DaemonSets, or the deletion of their pods.
 *
 * It restarts pods once per issuer change, whatever the sync tool does:
 * the Job's name is a hash of its whole spec (the issuer, every option and
 * the script of this library version), so an upgrade or an option change
 * makes a new Job instead of changing an immutable one, and a sync never
 * fails on it; and the Job records the issuer it restarted for in the
 * annotation `bound-tokens.io/restarted-issuer` of the ConfigMap
 * `issuer-restart-state` in its namespace, and does nothing when that is
 * already the issuer it waits for. A change back to an earlier issuer
 * (A, B, A) finds B recorded, so it restarts.
 *
 * The grant to patch workloads (or delete pods) is as small as RBAC
 * allows: RoleBindings in the named `namespaces` when you name them,
 * otherwise a ClusterRoleBinding that covers every namespace, system ones
 * included (the script skips the excluded ones; RBAC cannot). With
 * `gitOps.argoCd`, the Job and its ServiceAccount and RBAC are Argo CD
 * PostSync hooks deleted when the sync ends, so the grant exists only while
 * a restart runs. Otherwise it stays until you remove it:
 * `kubectl delete clusterrolebinding,rolebinding -A -l bound-tokens.io/restart-grant`.
 *
 * Usually created by `ClusterIssuerConfig`'s `restart` option; use this
 * construct directly when the issuer change is applied elsewhere.
 * OpenShift only: it waits on the `kube-apiserver` ClusterOperator.
 */
export class IssuerRotationRestart extends Construct {
  /** The default image: the OpenShift CLI of OpenShift 4.14 (pulled with the cluster's global pull secret). */
  public static readonly DEFAULT_IMAGE = 'registry.redhat.io/openshift4/ose-cli:v4.14';

  /** The namespace the Job runs in unless told otherwise; created by the construct. */
  public static readonly DEFAULT_NAMESPACE = DEFAULT_NAMESPACE;

  /** The namespaces not restarted unless told otherwise: the platform's own. */
  public static readonly DEFAULT_EXCLUDED_NAMESPACES: string[] = Object.freeze(['openshift', 'openshift-*', 'kube-*']) as string[];

  /** The name of the Job's ServiceAccount. */
  public static readonly SERVICE_ACCOUNT_NAME = SERVICE_ACCOUNT;

  /** The ConfigMap (in the Job's namespace) whose annotation records the issuer the last successful restart was for. */
  public static readonly STATE_CONFIGMAP_NAME = STATE_CONFIGMAP;

  /** The annotation of that ConfigMap: the issuer the last successful restart was for. */
  public static readonly RESTARTED_ISSUER_ANNOTATION = 'bound-tokens.io/restarted-issuer';

  /** The label of every object that grants the Job's account a permission (the standing grant; see the class docs). */
  public static readonly GRANT_LABEL = GRANT_LABEL;

  /**
   * The errors of props that are each about one prop (BT180, BT181, BT183,
   * BT186), which the constructor throws.
   *
   * @internal
   */
  public static _singlePropErrors(props: IssuerRotationRestartProps): Finding[] {
    const gitOps = props.gitOps ?? {};
    return [
      ...checkRestartNamespaces(restartNamespaces(props)),
      ...checkRestartTiming(restartTiming(props)),
      ...(gitOps.argoCd ? checkSyncWaveInteger(gitOps.restartSyncWave, 'gitOps.restartSyncWave') : []),
    ];
  }

  /** The issuer the Job waits for. */
  public readonly serviceAccountIssuer: string;
  /** The Job's name. */
  public readonly jobName: string;
  /** The namespace of the Job. */
  public readonly namespace: string;
  /** How pods are replaced. */
  public readonly method: RestartMethod;
  /** The Job (id `Resource`). */
  public readonly job: ApiObject;

  private readonly props: IssuerRotationRestartProps;
  private readonly namespaces?: string[];
  private readonly exclude: string[];

  constructor(scope: Construct, id: string, props: IssuerRotationRestartProps) {
    const where = pathOf(scope, id);
    checkProps(where, props, { ...RESTART_OPTIONS, serviceAccountIssuer: str, gitOps: GITOPS }, ['serviceAccountIssuer']);
    throwErrors(where, IssuerRotationRestart._singlePropErrors(props));
    super(scope, id);
    this.props = props;
    this.serviceAccountIssuer = props.serviceAccountIssuer;
    this.namespace = props.namespace ?? DEFAULT_NAMESPACE;
    this.method = props.method ?? RestartMethod.ROLLOUT;
    this.namespaces = props.namespaces ? [...props.namespaces] : undefined;
    this.exclude = [...(props.excludeNamespaces ?? IssuerRotationRestart.DEFAULT_EXCLUDED_NAMESPACES)];

    const gitOps = props.gitOps ?? {};
    const annotations = GitOps.restartAnnotations(gitOps, false);
    // With Argo CD, the account and every grant are PostSync hooks that Argo CD
    // deletes when the sync ends (successful or not), and replaces at the next one.
    const hook: { [key: string]: string } = gitOps.argoCd ? { [ARGOCD_HOOK]: 'PostSync', [ARGOCD_HOOK_DELETE_POLICY]: 'BeforeHookCreation,HookSucceeded,HookFailed' } : {};
    const meta = (name: string, namespaced: boolean, grant = false) => {
      const a: { [key: string]: string } = grant ? { ...annotations, ...hook } : annotations;
      return {
        name,
        ...(namespaced ? { namespace: this.namespace } : {}),
        labels: grant ? { ...LABELS, [GRANT_LABEL]: 'true' } : { ...LABELS },
        ...(Object.keys(a).length ? { annotations: { ...a } } : {}),
      };
    };

    if (props.createNamespace ?? props.namespace === undefined) {
      new ClusterScopedObject(this, 'Namespace', { ...kplus.k8s.KubeNamespace.GVK, metadata: meta(this.namespace, false) });
    }
    // The record of the last successful restart: not a hook, it outlives every Job.
    new kplus.k8s.KubeConfigMap(this, 'State', { metadata: meta(STATE_CONFIGMAP, true) });
    new kplus.k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta(SERVICE_ACCOUNT, true, true) });

    // Its own token, to see which issuer the kube-apiserver signs with, and its record.
    new kplus.k8s.KubeRole(this, 'TokenRole', {
      metadata: meta(TOKEN_ROLE, true, true),
      rules: [
        { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [SERVICE_ACCOUNT], verbs: ['create'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [STATE_CONFIGMAP], verbs: ['get', 'patch'] },
      ],
    });
    new kplus.k8s.KubeRoleBinding(this, 'TokenRoleBinding', {
      metadata: meta(TOKEN_ROLE, true, true),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: TOKEN_ROLE },
      subjects: [this.subject()],
    });

    // The wait (one ClusterOperator) and, for every namespace, the namespace list.
    new ClusterScopedObject(this, 'WaitRole', {
      ...kplus.k8s.KubeClusterRole.GVK,
      metadata: meta(WAIT_ROLE, false, true),
      rules: [
        { apiGroups: ['config.openshift.io'], resources: ['clusteroperators'], resourceNames: ['kube-apiserver'], verbs: ['get'] },
        ...(this.namespaces ? [] : [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }]),
      ] satisfies kplus.k8s.PolicyRule[],
    });
    new ClusterScopedObject(this, 'WaitRoleBinding', {
      ...kplus.k8s.KubeClusterRoleBinding.GVK,
      metadata: meta(WAIT_ROLE, false, true),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WAIT_ROLE } satisfies kplus.k8s.RoleRef,
      subjects: [this.subject()],
    });

    // The restart itself: only the verbs the chosen method uses.
    new ClusterScopedObject(this, 'WorkloadRole', {
      ...kplus.k8s.KubeClusterRole.GVK,
      metadata: meta(WORKLOAD_ROLE, false, true),
      rules: this.method === RestartMethod.DELETE_PODS
        ? [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] }]
        : [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'list', 'patch'] }] satisfies kplus.k8s.PolicyRule[],
    });
    if (this.namespaces) {
      for (const ns of this.restartedNamespaces()) {
        new kplus.k8s.KubeRoleBinding(this, `WorkloadRoleBinding-${ns}`, {
          metadata: { ...meta(WORKLOAD_ROLE, false, true), namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WORKLOAD_ROLE },
          subjects: [this.subject()],
        });
      }
    } else {
      new ClusterScopedObject(this, 'WorkloadRoleBinding', {
        ...kplus.k8s.KubeClusterRoleBinding.GVK,
        metadata: meta(WORKLOAD_ROLE, false, true),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WORKLOAD_ROLE } satisfies kplus.k8s.RoleRef,
        subjects: [this.subject()],
      });
    }

    const spec: kplus.k8s.JobSpec = {
      // A failed run is not retried: it may have restarted part of the cluster already.
      backoffLimit: 0,
      // A finished Job goes after a day (plain kubectl apply), so that a later
      // change back to this issuer creates it again; re-created by a sync
      // before that, it finds its issuer recorded and restarts nothing.
      // Argo CD hooks are replaced at every sync, Flux prunes the Job of an
      // earlier issuer: neither needs it (Flux would re-create it every day).
      ...(gitOps.argoCd || gitOps.flux ? {} : { ttlSecondsAfterFinished: JOB_TTL_SECONDS }),
      template: {
        metadata: { labels: { ...LABELS } },
        spec: {
          serviceAccountName: SERVICE_ACCOUNT,
          automountServiceAccountToken: true,
          restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'restart',
            image: props.image ?? IssuerRotationRestart.DEFAULT_IMAGE,
            command: ['/bin/bash', '-c', RESTART_SCRIPT],
            env: this.env().map(([name, value]) => ({ name, value })),
            resources: {
              requests: { cpu: kplus.k8s.Quantity.fromString('10m'), memory: kplus.k8s.Quantity.fromString('64Mi') },
              limits: { memory: kplus.k8s.Quantity.fromString('256Mi') },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    };
    // The name is a hash of the whole spec: any change of issuer, option or
    // script is a new Job (a Job's template is immutable), never an update.
    this.jobName = `issuer-restart-${crypto.createHash('sha256').update(JSON.stringify(spec), 'utf8').digest('hex').slice(0, 10)}`;
    this.job = new kplus.k8s.KubeJob(this, 'Resource', {
      metadata: {
        ...meta(this.jobName, true),
        annotations: {
          ...GitOps.restartAnnotations(gitOps, true),
          ...(gitOps.argoCd ? { [ARGOCD_HOOK]: 'PostSync', [ARGOCD_HOOK_DELETE_POLICY]: 'BeforeHookCreation' } : {}),
          [ISSUER_ANNOTATION]: this.serviceAccountIssuer,
        },
      },
      spec,
    });

    registerRestart({ construct: this, issuer: this.serviceAccountIssuer, scope: clusterScopeOf(this, props.clusterScope, 'IssuerRotationRestart') });
    registerSubject(objectSubject(this, this.job, () => this.findings()));
  }

  /** The namespaces named in `namespaces` that are not excluded (empty when every namespace is restarted). */
  private restartedNamespaces(): string[] {
    return (this.namespaces ?? []).filter(ns => !this.excluded(ns));
  }

  private excluded(ns: string): boolean {
    return ns === this.namespace || this.exclude.some(p => matchesNamespacePattern(ns, p));
  }

  private subject(): kplus.k8s.Subject {
    return { kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: this.namespace };
  }

  private env(): Array<[string, string]> {
    const p = this.props;
    return [
      // an empty issuer is the platform default, and tokens carry that
      [RESTART_ENV.NEW_ISSUER, effectiveIssuer(this.serviceAccountIssuer)],
      [RESTART_ENV.SELF_NAMESPACE, this.namespace],
      [RESTART_ENV.SELF_SERVICE_ACCOUNT, SERVICE_ACCOUNT],
      [RESTART_ENV.STATE_CONFIGMAP, STATE_CONFIGMAP],
      [RESTART_ENV.MODE, this.method],
      [RESTART_ENV.NAMESPACES, (this.namespaces ?? []).join(' ')],
      [RESTART_ENV.EXCLUDE, this.exclude.join(' ')],
      [RESTART_ENV.PAUSE_SECONDS, String(wholeSeconds(p.pauseBetweenNamespaces ?? Duration.seconds(10)).seconds)],
      [RESTART_ENV.POLL_SECONDS, String(wholeSeconds(p.pollInterval ?? Duration.seconds(15)).seconds)],
      [RESTART_ENV.WAIT_TIMEOUT_SECONDS, String(wholeSeconds(p.waitTimeout ?? Duration.hours(2)).seconds)],
      [RESTART_ENV.CONFIRMATIONS, String(p.confirmations ?? 5)],
      ['HOME', '/tmp'],
    ];
  }

  /** What is checked at synth: what depends on other props or on the rest of the app, and values resolved later. */
  private findings(): Finding[] {
    const p = this.props;
    const named: RestartNamespaces = { namespace: this.namespace, namespaces: this.namespaces, excludeNamespaces: this.exclude };
    const out: Finding[] = [...checkRestartNamespacesExcluded(named)];
    // an image that cdk8s resolves later (an App resolver's token) is checked resolved
    out.push(...checkRestartImage(resolvingWith(this.job, () => known(p.image ?? IssuerRotationRestart.DEFAULT_IMAGE))));

    // the cluster (the app, or clusterScope): one restart, for the issuer its configs set
    const cluster = clusterScopeOf(this, p.clusterScope, 'IssuerRotationRestart');
    const restarts = restartsSharing(cluster).filter(r => r.construct !== this);
    const configs = issuerConfigsSharing(cluster);
    const others = restarts.map(r => ({ path: r.construct.node.path, appliesTo: describeCluster(r.scope) }));
    out.push(...checkRestartInCluster(this.serviceAccountIssuer, describeCluster(cluster), others, configs.map(c => c.issuer)));

    // Argo CD waves: the Job after the Authentication change
    const gitOps = p.gitOps ?? {};
    if (gitOps.argoCd) {
      const argoConfig = configs.find(c => c.gitOps.argoCd);
      const issuerWave = (argoConfig ? argoConfig.gitOps.syncWave : gitOps.syncWave) ?? GitOps.DEFAULT_SYNC_WAVE;
      out.push(...checkRestartWave(gitOps.restartSyncWave ?? GitOps.DEFAULT_RESTART_SYNC_WAVE, issuerWave));
    }
    return out;
  }
}

/** The namespaces a restart's rules read. */
function restartNamespaces(p: IssuerRestartOptions): RestartNamespaces {
  return {
    namespace: p.namespace ?? DEFAULT_NAMESPACE,
    namespaces: p.namespaces,
    excludeNamespaces: p.excludeNamespaces ?? IssuerRotationRestart.DEFAULT_EXCLUDED_NAMESPACES,
  };
}

/** The durations and count a restart's rules read. */
function restartTiming(p: IssuerRestartOptions): RestartTiming {
  const ms = (d: Duration | undefined) => (d === undefined ? undefined : durationMs(d));
  return {
    pauseBetweenNamespacesMs: ms(p.pauseBetweenNamespaces),
    pollIntervalMs: ms(p.pollInterval),
    waitTimeoutMs: ms(p.waitTimeout),
    confirmations: p.confirmations,
  };
}
