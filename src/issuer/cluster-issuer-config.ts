import { Construct, IConstruct } from 'constructs';
import { Authentication } from './authentication';
import { GitOps, GitOpsOptions } from '../gitops';
import { IssuerRestartOptions, IssuerRotationRestart } from './issuer-rotation-restart';
import { objectSubject, registerSubject } from '../private/engine';
import { clusterScopeOf, describeCluster, issuerConfigsSharing, registerIssuerConfig, restartsSharing } from '../private/issuer/facts';
import { appPublicIssuerNeeds, appTokenAudiences } from '../private/issuer/scan';
import { checkProps, GITOPS, isDeferred, known, pathOf, resolvingWith, RESTART_OPTIONS, shape, str, throwErrors } from '../private/props';
import {
  checkIssuerAudiences, checkIssuerChangePlanned, checkIssuerPerCluster, checkIssuerPublic, checkIssuerValue, checkSyncWaveInteger, effectiveIssuer,
  Finding, PLATFORM_DEFAULT_ISSUER,
} from '../rules';

/** Options of a `ClusterIssuerConfig`, apart from the issuer itself. */
export interface ClusterIssuerConfigOptions {
  /**
   * Opt-in annotations that make Argo CD or Flux apply the change
   * server-side, never prune the cluster's `Authentication`, and apply it
   * before workloads.
   *
   * @default - no GitOps annotations
   */
  readonly gitOps?: GitOpsOptions;

  /**
   * Restart the workloads once the new issuer is in effect: a Job with its
   * own ServiceAccount and least RBAC (see `IssuerRotationRestart`), run
   * once per issuer value. Without it the change is warning BT165.
   *
   * @default - no restart; plan it yourself
   */
  readonly restart?: IssuerRestartOptions;

  /**
   * The part of the app that is this config's cluster: usually the Chart
   * that is synthesized for that cluster, so that an app with one chart per
   * cluster declares one issuer per cluster. The config then checks the token
   * audiences and cloud identities at or below it only, its restart belongs to
   * it, and another ClusterIssuerConfig whose scope contains this one or lies
   * inside it is BT160. A construct of another app is BT240.
   *
   * @default - the whole app is one cluster
   */
  readonly clusterScope?: IConstruct;
}

/** Props of a `ClusterIssuerConfig`. */
export interface ClusterIssuerConfigProps extends ClusterIssuerConfigOptions {
  /**
   * The issuer of the cluster's bound service account tokens
   * (`spec.serviceAccountIssuer` of the `Authentication` named `cluster`).
   * To go back to the platform default, use
   * `ClusterIssuerConfig.platformDefault()` or an empty string (OpenShift's
   * own default value, read as `https://kubernetes.default.svc`); a value of
   * white space only is error BT161.
   *
   * @see https://docs.openshift.com/container-platform/4.14/authentication/bound-service-account-tokens.html
   */
  readonly serviceAccountIssuer: string;
}

/**
 * Sets the issuer of an OpenShift cluster's bound service account tokens:
 * renders `config.openshift.io/v1` `Authentication` named `cluster` with only
 * `spec.serviceAccountIssuer` (apply it with server-side apply or a merge
 * patch: the object's other fields belong to other owners; the `gitOps`
 * option annotates it for Argo CD and Flux), and never a namespace.
 *
 * Changing the issuer invalidates tokens already in use: OpenShift trusts the
 * previous issuer for 24 hours after the change, so pods holding its tokens
 * must get new ones within that window. The `restart` option adds a Job that
 * restarts them once the kube-apiserver signs with the new issuer; without
 * it the change is warning BT165.
 *
 * The issuer is checked as the platform and external verifiers would
 * (BT161-BT164), and against the rest of the app: token audiences equal to it
 * or differing by a trailing slash (BT168, BT167), and cloud identities that
 * need a publicly reachable issuer (BT169).
 *
 * On vanilla Kubernetes the issuer is not an object but kube-apiserver flags
 * (`--service-account-issuer`, given twice during a rotation: the first signs,
 * every one is accepted; `--service-account-jwks-uri`; `--api-audiences`):
 * this construct does not configure them.
 */
export class ClusterIssuerConfig extends Construct {
  /** The issuer OpenShift documents as its default. */
  public static readonly PLATFORM_DEFAULT_ISSUER = PLATFORM_DEFAULT_ISSUER;

  /**
   * Resets the cluster's issuer to the platform default
   * (`https://kubernetes.default.svc`), written explicitly (an empty value
   * means the same). Like any change, it invalidates the tokens of the
   * current issuer after 24 hours.
   *
   * @param scope the parent construct
   * @param id the construct id
   * @param options GitOps annotations and the restart
   */
  public static platformDefault(scope: Construct, id: string, options: ClusterIssuerConfigOptions = {}): ClusterIssuerConfig {
    checkProps(pathOf(scope, id), options, { gitOps: GITOPS, restart: shape('restart options (IssuerRestartOptions)', RESTART_OPTIONS) }, [], 'options');
    return new ClusterIssuerConfig(scope, id, { ...options, serviceAccountIssuer: PLATFORM_DEFAULT_ISSUER });
  }

  /** The issuer this construct sets. */
  public readonly serviceAccountIssuer: string;

  /** The rendered `Authentication` object (id `Resource`). */
  public readonly resource: Authentication;

  /** The restart Job and its RBAC, when the `restart` option is set (id `Restart`). */
  public readonly restart?: IssuerRotationRestart;

  /** The objects this config applies to: its `clusterScope`, or the app. */
  public readonly clusterScope: IConstruct;

  private readonly gitOps: GitOpsOptions;

  constructor(scope: Construct, id: string, props: ClusterIssuerConfigProps) {
    const where = pathOf(scope, id);
    checkProps(where, props, {
      serviceAccountIssuer: str, gitOps: GITOPS, restart: shape('restart options (IssuerRestartOptions)', RESTART_OPTIONS),
    }, ['serviceAccountIssuer']);
    // the errors about one prop, where it is given (an issuer that cdk8s resolves later is checked resolved, at synth)
    const issuer = props.serviceAccountIssuer;
    throwErrors(where, [
      ...(isDeferred(issuer) ? [] : checkIssuerValue(issuer, '/spec/serviceAccountIssuer', 'serviceAccountIssuer')),
      ...(props.gitOps?.argoCd ? checkSyncWaveInteger(props.gitOps.syncWave, 'gitOps.syncWave', '/metadata/annotations') : []),
    ]);
    if (props.restart) {
      throwErrors(pathOf(scope, `${id}/Restart`), IssuerRotationRestart._singlePropErrors({ ...props.restart, serviceAccountIssuer: issuer, gitOps: props.gitOps }));
    }
    super(scope, id);
    this.serviceAccountIssuer = props.serviceAccountIssuer;
    this.clusterScope = clusterScopeOf(this, props.clusterScope, 'ClusterIssuerConfig');
    this.gitOps = { ...(props.gitOps ?? {}) };
    const annotations = GitOps.authenticationAnnotations(this.gitOps);
    this.resource = new Authentication(this, 'Resource', {
      metadata: Object.keys(annotations).length > 0 ? { annotations } : undefined,
      spec: { serviceAccountIssuer: props.serviceAccountIssuer },
    });
    if (props.restart) {
      this.restart = new IssuerRotationRestart(this, 'Restart', {
        ...props.restart,
        serviceAccountIssuer: props.serviceAccountIssuer,
        gitOps: this.gitOps,
        clusterScope: props.clusterScope,
      });
    }
    registerIssuerConfig({ construct: this, issuer: props.serviceAccountIssuer, gitOps: this.gitOps, scope: this.clusterScope });
    registerSubject(objectSubject(this, this.resource, () => this.findings()));
  }

  private findings(): Finding[] {
    const out: Finding[] = [];
    const cluster = this.clusterScope;
    const others = issuerConfigsSharing(cluster).filter(c => c.construct !== this)
      .map(o => ({ path: o.construct.node.path, appliesTo: describeCluster(o.scope) }));
    out.push(...checkIssuerPerCluster(describeCluster(cluster), others));
    const effective = effectiveIssuer(this.serviceAccountIssuer);
    const planned = this.restart !== undefined || restartsSharing(cluster).some(r => effectiveIssuer(r.issuer) === effective);
    out.push(...checkIssuerChangePlanned(this.serviceAccountIssuer, planned));

    // an issuer that cdk8s resolves later (an App resolver's token) is compared resolved
    const resolved = resolvingWith(this.resource, () => known(this.serviceAccountIssuer));
    const issuer = typeof resolved === 'string' ? resolved : this.serviceAccountIssuer;
    const path = '/spec/serviceAccountIssuer';
    const audiences = appTokenAudiences(cluster);
    out.push(...checkIssuerAudiences(issuer, audiences, path, 'serviceAccountIssuer'));
    out.push(...checkIssuerPublic(issuer, appPublicIssuerNeeds(cluster, audiences), path, 'serviceAccountIssuer'));

    return out;
  }
}
