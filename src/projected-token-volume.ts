import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ClusterTrustBundleProjection, PodCertificateProjection } from './certificate-sources';
import { BindRequest, BoundWorkload, notAWorkload } from './private/bound-workload';
import { enableDiscovery } from './private/discovery';
import { isStrict, registerSubject, runPassHooks, Subject } from './private/engine';
import { durationMs, labelFromId, wholeSeconds } from './private/internal';
import { createVolume, kplus, kplusTypeOf } from './private/kplus';
import { apiObjectOf, arrayOf, checkKnown, checkProps, duration, isDeferred, known, lazyStr, MOUNT_OPTIONS, num, pathOf, resolvingWith, str, POD_CERTIFICATE, TOKEN, TRUST_BUNDLE, throwErrors, propFindings, Where, whereText } from './private/props';
import { limitsOf } from './private/token-limits';
import {
  checkCertificateVolume, checkExtendedApiToken, checkProjectedVolume, CONSTRUCT_STYLE, DEFAULT_EXPIRATION_SECONDS, Finding, finding,
  R, refreshAfterSeconds, show,
} from './rules';
import { TokenMountOptions } from './token-mount';
import { ServiceAccountTokenProjection } from './token-projection';

/** What a volume renders and what its own checks found; made again when a token is added. */
/** The runtime types of ProjectedTokenVolumeProps (made once: every check made by `arrayOf` is kept in a WeakMap). */
const PROPS = {
  name: str,
  tokens: arrayOf(TOKEN, 'tokens ({ path, audience?, expiration? })'),
  defaultMode: num,
  trustBundles: arrayOf(TRUST_BUNDLE, 'trust bundles ({ path, name?, signerName?, labelSelector?, optional? })'),
  podCertificates: arrayOf(POD_CERTIFICATE, 'pod certificates ({ signerName, keyType, credentialBundlePath?, ... })'),
};

/** Props of a `ProjectedTokenVolume`. */
export interface ProjectedTokenVolumeProps {
  /**
   * The volume name, a DNS-1123 label of at most 63 characters. Never truncated.
   *
   * @default - the construct id as a DNS-1123 label (`VaultToken` -> `vault-token`);
   * an id that cannot be turned into one is an error (BT130) asking for `name`
   */
  readonly name?: string;

  /**
   * The tokens the volume projects, one `serviceAccountToken` source each.
   * More can be added with `addToken()`.
   *
   * @default - no tokens
   */
  readonly tokens?: ServiceAccountTokenProjection[];

  /**
   * Mode bits of the token files, between 0 and 0o777. A mode that others
   * cannot read (e.g. 0o440) needs the pod's `fsGroup` or `runAsUser`,
   * or a non-root application cannot read the token (warning BT132).
   *
   * @default - 0o644, the kubelet's default
   * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/
   */
  readonly defaultMode?: number;

  /**
   * Trust bundles (CA certificates of ClusterTrustBundle objects) the volume
   * projects, one `clusterTrustBundle` source each, after the tokens. Needs
   * Kubernetes 1.33+ with the ClusterTrustBundle and
   * ClusterTrustBundleProjection gates on, and cdk8s-plus-32 or later for
   * `mountInto()` (BT273). More can be added with `addTrustBundle()`.
   *
   * @default - none
   */
  readonly trustBundles?: ClusterTrustBundleProjection[];

  /**
   * Pod certificates (a key and a certificate the kubelet requests from a
   * signer) the volume projects, one `podCertificate` source each, after the
   * trust bundles. Needs Kubernetes 1.35+ with the PodCertificateRequest gate
   * on, and cdk8s-plus-34 or later for `mountInto()` (BT273). More can be
   * added with `addPodCertificate()`.
   *
   * @default - none
   */
  readonly podCertificates?: PodCertificateProjection[];
}

/**
 * A projected volume of `serviceAccountToken` sources: short-lived tokens the
 * kubelet requests for the pod's service account, bound to an audience.
 *
 * Bind it to a whole workload with `mountInto()` (a Pod, Deployment,
 * StatefulSet, DaemonSet, Job or CronJob of cdk8s-plus-27, -32, -33, -34 or
 * another 2.x line) or `mountIntoApiObject()`
 * (KubeDeployment and the other generated kinds, objects loaded with
 * `Include`), or mount it yourself with
 * `container.mount(path, volume, { readOnly: true })`; `asVolume()` returns
 * the same `kplus.Volume` every time. Every workload that uses it is checked
 * by the rules at synth time; a volume that no workload uses is warning BT143.
 *
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
export class ProjectedTokenVolume extends Construct implements kplus.IStorage {
  /**
   * When the kubelet refreshes a token of this lifetime:
   * `min(L - floor(L * 20 / 100), 86400)` seconds, i.e. after 80% of the
   * lifetime or 24 hours, whichever comes first (minus up to 10 s of jitter).
   *
   * @param expiration the token's lifetime (whole seconds)
   * @see https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/token/token_manager.go
   */
  public static refreshAfter(expiration: Duration): Duration {
    checkProps('ProjectedTokenVolume.refreshAfter():', { expiration }, { expiration: duration }, ['expiration']);
    const { seconds, whole } = wholeSeconds(expiration);
    if (!whole) {
      throw new Error(`BT103: 'expiration' must be a whole number of seconds, got ${expiration.toMilliseconds({ integral: false }) / 1000} seconds; ${R.LIFETIME_NOT_WHOLE.fix}`);
    }
    return Duration.seconds(refreshAfterSeconds(seconds));
  }

  /** The volume name. */
  public readonly name: string;

  /** Mode bits of the token files. @default - 0o644 */
  public readonly defaultMode?: number;

  // (an array of the exact size: apps have thousands of volumes, and an array
  // that grows by push reserves room for 16 elements; the certificate sources,
  // which most volumes lack, share one empty list and are copied on change)
  private readonly _tokens: ServiceAccountTokenProjection[];
  private _trustBundles: readonly ClusterTrustBundleProjection[];
  private _podCertificates: readonly PodCertificateProjection[];
  private readonly _volume: kplus.Volume;
  private readonly _nameError?: Finding;
  private _exported = false;
  /** The volume also projects ca.crt and the namespace (ApiAccessToken's). */
  private _apiAccess = false;
  private _handedOut = false;
  /** The findings of the volume's own content (name, mode, sources); its sources and config are made when asked for. */
  private _contentFindings: Finding[];
  /** The workloads that use the volume: one directly (the common case), more in a Set. */
  private _users?: IConstruct | Set<IConstruct>;
  /** The volume's JSON for JSON patches, made on first use and kept up to date in place. */
  private _live?: any;
  private _acks?: Array<[string, string, () => string | undefined]>;
  private _by?: string;

  constructor(scope: Construct, id: string, props: ProjectedTokenVolumeProps = {}) {
    checkProps(() => pathOf(scope, id), props, PROPS);
    super(scope, id);
    if (props.name !== undefined) {
      this.name = props.name;
    } else {
      const derived = labelFromId(id);
      this.name = derived ?? id;
      if (derived === undefined) {
        this._nameError = finding(R.VOLUME_NAME, '/name', 'name',
          'is not set and the construct id cannot be turned into a DNS-1123 label of at most 63 characters', `id '${id}'`,
          "set 'name' to a DNS-1123 label, e.g. 'vault-token'");
      }
    }
    this.defaultMode = props.defaultMode;
    const tokens = props.tokens ?? [];
    this._tokens = tokens.map(t => ({ ...t }));
    this._trustBundles = props.trustBundles?.length ? props.trustBundles.map(b => ({ ...b })) : NONE;
    this._podCertificates = props.podCertificates?.length ? props.podCertificates.map(c => ({ ...c })) : NONE;
    // checked now, while its data is at hand (synth then reads one field per volume)
    this._contentFindings = this.contentFindings(this.sources());
    this.throwSourceErrors(() => `[${this.node.path}]`);
    this._volume = createVolume(this.name, undefined, this);
    registerSubject(new VolumeSubject(this));
  }

  /**
   * Mounts the volume, read-only, into every container and init container of
   * a cdk8s-plus workload, or into the ones named in `options.containers`,
   * and optionally exports token file paths as environment variables. The
   * workload may be of cdk8s-plus-27, -32, -33, -34 (tested) or another 2.x
   * line; anything else is error BT149. Calling it again with the same
   * volume, workload and mount path adds nothing twice (the options merge),
   * and mounts into containers added since: a container added after the
   * last call lacks the mount, which is error BT190.
   *
   * The workload is then checked by the rules at synth time, on its manifest
   * as it will be written: a mount path or volume name that collides with
   * another volume (BT141, BT133), a container name it does not have (BT145),
   * an env var already set to something else (BT146), a pod without a
   * service account (BT151), ...
   *
   * @param workload the Pod, Deployment, StatefulSet, DaemonSet, Job or CronJob (of any cdk8s-plus line)
   * @param options where to mount and what to export
   */
  public mountInto(workload: IConstruct, options: TokenMountOptions = {}): void {
    const caller = () => `[${this.node.path}] mountInto(${(workload as any)?.node?.path ?? ''})`;
    if (ApiObject.isApiObject(workload)) {
      throw notAWorkload(caller, 'workload', 'a cdk8s-plus workload', `the ApiObject '${workload.node.path}' (kind ${workload.kind})`, 'use mountIntoApiObject() for plain ApiObjects');
    }
    this.checkLineRenders(workload, caller);
    BoundWorkload.of(workload, caller, false).bind(this, this.request(options, caller), caller, this.bindingName());
  }

  /**
   * Mounts the volume, read-only, into a plain ApiObject that carries a pod
   * spec: `KubePod`, `KubeDeployment`, `KubeStatefulSet`, `KubeDaemonSet`,
   * `KubeJob`, `KubeCronJob`, `KubeReplicaSet`, `KubeReplicationController`,
   * `KubePodTemplate`, or an object loaded with `Include` (also kinds such as
   * Argo `Rollout` with a pod template at `spec.template.spec`).
   *
   * The volume, mounts and env vars are added to the object as JSON patches
   * (`addJsonPatch`), computed from its manifest at the time of the call,
   * its own JSON patches included; volumes, mounts and env vars already
   * there are kept as they are, and a `volumes` list is created when the pod
   * has none. Idempotent like `mountInto()`; a container that a later patch
   * adds lacks the mount (BT190). An object without a pod spec is error BT148.
   *
   * @param obj the object to mount the volume into
   * @param options where to mount and what to export
   */
  public mountIntoApiObject(obj: ApiObject, options: TokenMountOptions = {}): void {
    const caller = () => `[${this.node.path}] mountIntoApiObject(${(obj as any)?.node?.path ?? ''})`;
    if (!ApiObject.isApiObject(obj)) {
      throw notAWorkload(caller, 'obj', 'a cdk8s ApiObject (KubeDeployment, an object of an Include, ...)', describeObj(obj), 'use mountInto() for cdk8s-plus workloads');
    }
    BoundWorkload.of(obj, caller, true).bind(this, this.request(options, caller), caller, this.bindingName());
  }

  /** Who binds, for the messages of the binding rules. */
  private bindingName(): string {
    return (this._by ??= `volume '${this.name}'`);
  }

  /** The binding request of mount options, after checking them. */
  private request(options: TokenMountOptions, where: Where): BindRequest {
    const problems = propFindings(options, MOUNT_OPTIONS, [], 'options');
    if (problems.length > 0) throwErrors(`${whereText(where)}:`, problems);
    const env: Array<{ name: string; tokenPath: string }> = [];
    for (const e of options.envVars ?? []) {
      if (!e || typeof e.name !== 'string' || e.name === '' || e.name.includes('=')) {
        throw new Error(`${whereText(where)}: ${R.MOUNT_ENV_VAR.id}: 'envVars' name must be a non-empty variable name without '=', got ${show(e?.name)}; e.g. 'VAULT_TOKEN_FILE'`);
      }
      if (typeof e.tokenPath !== 'string' || e.tokenPath === '') {
        throw new Error(`${whereText(where)}: ${R.TOKEN_ENV_UNKNOWN_TOKEN.id}: 'envVars' tokenPath of '${e.name}' must be the path of one of the volume's tokens, got ${show(e.tokenPath)}; e.g. 'token'`);
      }
      const prior = env.find(x => x.name === e.name);
      if (prior && prior.tokenPath !== e.tokenPath) {
        throw new Error(`${whereText(where)}: ${R.MOUNT_ENV_VAR.id}: 'envVars' sets '${e.name}' twice, to '${prior.tokenPath}' and '${e.tokenPath}', got both; export each variable once`);
      }
      if (!prior) env.push({ name: e.name, tokenPath: e.tokenPath });
    }
    return { mountPath: options.mountPath, containers: options.containers, env, rotationAnnotations: options.rotationAnnotations };
  }

  /** The trust bundles of the volume (a copy). */
  public get trustBundles(): ClusterTrustBundleProjection[] {
    return [...this._trustBundles];
  }

  /** The pod certificates of the volume (a copy). */
  public get podCertificates(): PodCertificateProjection[] {
    return [...this._podCertificates];
  }

  /**
   * Adds a `clusterTrustBundle` source (Kubernetes 1.33+, gates
   * ClusterTrustBundle and ClusterTrustBundleProjection). Kubernetes' own
   * validation of it is an error thrown here (BT260-BT264).
   */
  public addTrustBundle(bundle: ClusterTrustBundleProjection): void {
    checkProps(`[${this.node.path}] addTrustBundle():`, { bundle }, { bundle: TRUST_BUNDLE }, ['bundle'], 'bundle');
    const before = this._trustBundles;
    this._trustBundles = [...before, { ...bundle }];
    this.sourcesChanged('addTrustBundle()', () => { this._trustBundles = before; });
  }

  /**
   * Adds a `podCertificate` source (Kubernetes 1.35+, gate
   * PodCertificateRequest). Kubernetes' own validation of it is an error
   * thrown here (BT262, BT264-BT267).
   */
  public addPodCertificate(certificate: PodCertificateProjection): void {
    checkProps(`[${this.node.path}] addPodCertificate():`, { certificate }, { certificate: POD_CERTIFICATE }, ['certificate'], 'certificate');
    const before = this._podCertificates;
    this._podCertificates = [...before, { ...certificate }];
    this.sourcesChanged('addPodCertificate()', () => { this._podCertificates = before; });
  }

  private sourcesChanged(caller: string, undo: () => void): void {
    const before = this._contentFindings;
    this._contentFindings = this.contentFindings(this.sources());
    try {
      this.throwSourceErrors(() => `[${this.node.path}] ${caller}:`);
      for (const u of this._usersList()) this.checkLineRenders(u, `[${this.node.path}] ${caller}`);
    } catch (e) {
      // the source is refused: the volume stays as it was
      undo();
      this._contentFindings = before;
      throw e;
    }
    if (this._live) this._live.projected = this.renderProjected();
    for (const u of this._usersList()) BoundWorkload.find(u)?._volumeChanged();
  }

  /** Throws the errors of the trust bundle and pod certificate sources (Kubernetes' own validation), one line each. */
  private throwSourceErrors(where: () => string): void {
    const found = this._contentFindings;
    if (found.length === 0) return;
    const errors = found.filter(f => f.level === 'error' && SOURCE_RULES.has(f.ruleId));
    if (errors.length === 0) return;
    const at = where();
    throw new Error(`${at} ${errors.map(f => f.message).join(`\n${' '.repeat(at.length + 1)}`)}`);
  }

  /** BT273: a workload of a cdk8s-plus line that would drop a source of the volume. */
  private checkLineRenders(workload: IConstruct, caller: Where): void {
    // (only certificate sources need a recent line)
    if (this._trustBundles.length === 0 && this._podCertificates.length === 0) return;
    const line = Number(/^cdk8s-plus-(\d+)$/.exec(kplusTypeOf(workload)?.line ?? '')?.[1]);
    if (!Number.isFinite(line)) return;
    // the first line whose generated types hold each (cdk8s-plus renders a volume through them, dropping what they lack)
    const missing = this._podCertificates.some(c => c.userAnnotations !== undefined) && line < 35 ? 'podCertificate userAnnotations'
      : this._podCertificates.length > 0 && line < 34 ? 'podCertificate source'
        : this._trustBundles.length > 0 && line < 32 ? 'clusterTrustBundle source' : undefined;
    if (missing === undefined) return;
    throw new Error(`${whereText(caller)}: ${R.SOURCE_NOT_RENDERED.id}: 'workload' is of cdk8s-plus-${line}, which cannot render the ${missing} of volume '${this.name}' (it would be dropped from the manifest), got cdk8s-plus-${line}; ${R.SOURCE_NOT_RENDERED.fix}`);
  }

  /** The tokens of the volume (a copy). */
  public get tokens(): ServiceAccountTokenProjection[] {
    return [...this._tokens];
  }

  /** Adds a token source. */
  public addToken(token: ServiceAccountTokenProjection): void {
    checkProps(`[${this.node.path}] addToken():`, { token }, { token: TOKEN }, ['token'], 'token');
    this._tokens.push({ ...token });
    this._contentFindings = this.contentFindings(this.sources());
    if (this._live) this._live.projected = this.renderProjected();
    for (const u of this._usersList()) BoundWorkload.find(u)?._volumeChanged();
  }

  /**
   * The `kplus.Volume` to mount; the same object every time. cdk8s-plus calls
   * it in `container.mount(path, volume)`; every cdk8s-plus workload that
   * uses it is then found at synth time and checked by the rules.
   */
  public asVolume(): kplus.Volume {
    // handed out: the library no longer knows where it goes, so it looks
    enableDiscovery(this);
    this._handedOut = true;
    return this._volume;
  }

  /**
   * True when the volume reaches no workload but `workload` (as far as can
   * be known: not written into JSON by hand, and every workload that mounts
   * it by hand found), so a token added to it reaches no one else.
   * @internal
   */
  public _onlyIn(workload: IConstruct): boolean {
    if (this._exported) return false;
    if (this._handedOut) runPassHooks(this);
    return this._usersList().every(u => u === workload);
  }

  /**
   * The `kplus.Volume`, for the library's own mounts (which record where the
   * volume goes, so no tree scan is needed).
   * @internal
   */
  public get _kplusVolume(): kplus.Volume {
    return this._volume;
  }

  /**
   * The volume as it appears in a pod spec (`spec.volumes[]`), as plain JSON,
   * for objects you write by hand. Once called, the library cannot know where
   * the volume is used, so it no longer warns that it is mounted nowhere (BT143).
   */
  public toVolumeJson(): any {
    this._exported = true;
    return this._renderVolume();
  }

  /** @internal */
  public _renderVolume(): any {
    return { name: this.name, projected: this.renderProjected() };
  }

  /**
   * The volume's JSON, one object kept up to date in place when a token is
   * added (JSON patches hold it by reference and copy it when they apply).
   * @internal
   */
  public _liveJson(): any {
    return (this._live ??= this._renderVolume());
  }

  /**
   * Records that `workload` uses the volume.
   * @internal
   */
  public _addUser(workload: IConstruct): void {
    const users = this._users;
    if (users === workload || (users instanceof Set && users.has(workload))) return;
    if (users === undefined) this._users = workload;
    else if (users instanceof Set) users.add(workload);
    else this._users = new Set([users, workload]);
    // acknowledgements of the volume's warnings are written on the workloads that use it
    for (const [ruleId, key, value] of this._acks ?? []) BoundWorkload.find(workload)?.acknowledged(ruleId, key, value);
  }

  /**
   * An acknowledgement of one of the volume's warnings, for the workloads that use it (now and later).
   * @internal
   */
  public _acknowledged(ruleId: string, key: string, value: () => string | undefined): void {
    (this._acks ??= []).push([ruleId, key, value]);
    for (const u of this._usersList()) BoundWorkload.find(u)?.acknowledged(ruleId, key, value);
  }

  /**
   * The workloads known to use the volume, in the order they were found.
   * @internal
   */
  public _usersList(): IConstruct[] {
    const users = this._users;
    return users === undefined ? [] : users instanceof Set ? [...users] : [users];
  }

  /** The `projected` field, as a fresh copy (for JSON that others may change). */
  private renderProjected(): any {
    const sources = this.sources().map(s => (s.serviceAccountToken
      ? { serviceAccountToken: { ...s.serviceAccountToken } }
      : JSON.parse(JSON.stringify(s))));
    return this.defaultMode !== undefined ? { defaultMode: this.defaultMode, sources } : { sources };
  }

  /** @internal */
  public _findings(): Finding[] {
    let own = this._tokens.some(hasDeferred) ? this.resolvedFindings() : this._contentFindings;
    // strict mode (BoundTokenRules.strict, the strict context key) may be set after the volume
    if (this._tokens.length > 0 && isStrict(this) && limitsOf(this)?.extendExpiration !== false) {
      const extended = checkExtendedApiToken({ name: this.name, projected: { sources: this.sources() } }, '');
      if (extended.length > 0) own = [...own, ...extended.map(f => ({ ...f, message: f.message.replace("'expirationSeconds'", "'expiration'") }))];
    }
    if (this._exported || this._users !== undefined) return own;
    return [...own, finding(R.MOUNT_NOWHERE, '', 'volume', `'${this.name}' is mounted in no workload, so no application can read its tokens`, 'no workload',
      'mount it with mountInto(), mountIntoApiObject() or container.mount(), or remove it')];
  }

  /** The clusterTrustBundle and podCertificate sources, as Kubernetes reads them (keys in cdk8s's sorted order). */
  private certificateSources(): any[] {
    const out: any[] = [];
    for (const b of this._trustBundles) {
      const src: any = {};
      // Kubernetes reads a missing selector as 'match nothing': every bundle of the signer is meant
      const labels = b.labelSelector !== undefined && Object.keys(b.labelSelector).length > 0 ? { matchLabels: { ...b.labelSelector } } : {};
      if (b.labelSelector !== undefined || (b.signerName !== undefined && b.name === undefined)) src.labelSelector = labels;
      if (b.name !== undefined) src.name = b.name;
      if (b.optional !== undefined) src.optional = b.optional;
      src.path = b.path;
      if (b.signerName !== undefined) src.signerName = b.signerName;
      out.push({ clusterTrustBundle: src });
    }
    for (const c of this._podCertificates) {
      const src: any = {};
      if (c.certificateChainPath !== undefined) src.certificateChainPath = c.certificateChainPath;
      if (c.credentialBundlePath !== undefined) src.credentialBundlePath = c.credentialBundlePath;
      if (c.keyPath !== undefined) src.keyPath = c.keyPath;
      src.keyType = c.keyType;
      if (c.maxExpiration !== undefined) {
        const { seconds, whole } = wholeSeconds(c.maxExpiration);
        src.maxExpirationSeconds = whole ? seconds : durationMs(c.maxExpiration) / 1000;
      }
      src.signerName = c.signerName;
      if (c.userAnnotations !== undefined) src.userAnnotations = { ...c.userAnnotations };
      out.push({ podCertificate: src });
    }
    return out;
  }

  /**
   * Makes the volume the API-access shape (ApiAccessToken): after the
   * tokens, `ca.crt` from the configMap `kube-root-ca.crt` and `namespace`
   * from the pod's metadata.namespace.
   * @internal
   */
  public _projectApiAccess(): void {
    this._apiAccess = true;
    this._contentFindings = this.contentFindings(this.sources());
  }

  /** The sources after the tokens: the API-access files, then the certificate sources. */
  private otherSources(): any[] {
    const api = this._apiAccess ? [
      { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
      { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
    ] : [];
    return [...api, ...this.certificateSources()];
  }

  /** The content of the volume as it is now (rendered and checked once per change). */
  /** The `sources` of the rendered volume, made afresh (so never shared with what renders them). */
  private sources(): any[] {
    const tokens = this._tokens.map(sourceOf);
    return this._apiAccess || this._trustBundles.length > 0 || this._podCertificates.length > 0 ? [...tokens, ...this.otherSources()] : tokens;
  }

  /**
   * What the kplus volume renders (`{ name, ...config }`), made each time it
   * renders rather than kept with each of thousands of volumes.
   * @internal
   */
  public _kplusConfig(): { readonly projected: any } {
    const sources = this.sources();
    // cdk8s-plus renders a volume through its generated types, which spell the key downwardApi
    const kplusSources = this._apiAccess ? sources.map(x => (x.downwardAPI ? { downwardApi: x.downwardAPI } : x)) : sources;
    return { projected: this.defaultMode !== undefined ? { defaultMode: this.defaultMode, sources: kplusSources } : { sources: kplusSources } };
  }

  /**
   * The checks of the volume with the values cdk8s resolves later (a Lazy
   * audience, a token string of an App resolver) resolved as cdk8s will
   * resolve them for the first workload that uses the volume: BT231 for one
   * that resolves to something other than a string.
   */
  private resolvedFindings(): Finding[] {
    const obj = apiObjectOf(this._usersList()[0]) ?? (this as unknown as ApiObject);
    return resolvingWith(obj, () => {
      const extra: Finding[] = [];
      const tokens = this._tokens.map((t, i) => {
        const r: { path: string; audience?: string; expiration?: Duration } = { ...t };
        for (const key of ['path', 'audience'] as const) {
          if (!isDeferred(t[key])) continue;
          const found = checkKnown(t[key], `tokens[${i}].${key}`, lazyStr, () => []);
          extra.push(...found);
          // one that does not resolve is left out of the other checks (a placeholder no rule refuses)
          r[key] = found.length > 0 ? `resolved-later-${i}` : known(t[key]) as string;
        }
        return r;
      });
      return [...extra, ...this.checkContent([...tokens.map(sourceOf), ...this.otherSources()], tokens)];
    });
  }

  /**
   * The findings of the volume's content. Apps mount volumes of the same
   * content into thousands of workloads: the findings of a volume of tokens
   * alone (plain values, whole lifetimes, no declared limits) are kept by
   * content and shared (the engine only reads them).
   */
  private contentFindings(sources: any[]): Finding[] {
    const key = this.contentKey(sources);
    if (key === undefined) return this.checkContent(sources);
    let found = CONTENT_FINDINGS.get(key);
    if (found === undefined) {
      found = this.checkContent(sources);
      if (CONTENT_FINDINGS.size >= 1024) CONTENT_FINDINGS.clear();
      CONTENT_FINDINGS.set(key, found);
    }
    return found;
  }

  /** What the findings of a volume of tokens alone depend on, or undefined for any other volume. */
  private contentKey(sources: any[]): string | undefined {
    if (this._nameError || this._apiAccess || this._tokens.length === 0) return undefined;
    if (this._trustBundles.length > 0 || this._podCertificates.length > 0) return undefined;
    if (limitsOf(this) !== undefined) return undefined;
    // (strings quoted as JSON: no two contents share a key)
    let key = `${JSON.stringify(this.name)},${this.defaultMode}`;
    for (let i = 0; i < this._tokens.length; i++) {
      const t = this._tokens[i];
      if (typeof t.path !== 'string' || (t.audience !== undefined && typeof t.audience !== 'string')) return undefined;
      if (t.expiration !== undefined && !wholeSeconds(t.expiration).whole) return undefined;
      const st = sources[i].serviceAccountToken;
      key += `;${JSON.stringify(st.path)},${st.audience === undefined ? '-' : JSON.stringify(st.audience)},${st.expirationSeconds}`;
    }
    return key;
  }

  private checkContent(sources: any[], tokens: ServiceAccountTokenProjection[] = this._tokens): Finding[] {
    const out: Finding[] = [];
    if (this._nameError) out.push(this._nameError);
    const vol = { name: this.name, projected: { defaultMode: this.defaultMode, sources } };
    const limits = limitsOf(this);
    const opts = limits ? { style: CONSTRUCT_STYLE, limits } : { style: CONSTRUCT_STYLE };
    // a volume without tokens is checked as the lint checks it: its certificate sources alone
    const all = tokens.length === 0 && sources.length > 0 ? checkCertificateVolume(vol, '', opts) : checkProjectedVolume(vol, '', opts);
    out.push(...all.filter(f => !(this._nameError && f.ruleId === R.VOLUME_NAME.id)));
    tokens.forEach((t, i) => {
      if (t.expiration && !wholeSeconds(t.expiration).whole) {
        out.push(finding(R.LIFETIME_NOT_WHOLE, `/projected/sources/${i}/serviceAccountToken/expirationSeconds`, 'expiration',
          `of token '${t.path}' in volume '${this.name}' must be a whole number of seconds`,
          `${Math.round(durationMs(t.expiration)) / 1000} seconds`));
      }
    });
    return out;
  }
}

/** The certificate sources of a volume that has none. */
const NONE: readonly never[] = Object.freeze([]);

/** Findings of volumes of tokens alone, by content (see `contentFindings`): pure data, bounded. */
const CONTENT_FINDINGS = new Map<string, Finding[]>();

/** The rules of Kubernetes' own validation of clusterTrustBundle and podCertificate sources: thrown at construction. */
const SOURCE_RULES: ReadonlySet<string> = new Set([
  R.TRUST_BUNDLE_SELECTOR.id, R.TRUST_BUNDLE_LABELS.id, R.SIGNER_NAME.id, R.TRUST_BUNDLE_NAME.id, R.SOURCE_PATH.id,
  R.POD_CERTIFICATE_KEY_TYPE.id, R.POD_CERTIFICATE_LIFETIME.id, R.POD_CERTIFICATE_NO_FILE.id, R.TRUST_BUNDLE_MATCHES_NOTHING.id,
]);

/** True when a token's path or audience is resolved later (a Lazy, an App resolver's token). */
function hasDeferred(t: ServiceAccountTokenProjection): boolean {
  return isDeferred(t.path) || isDeferred(t.audience);
}

/** The `serviceAccountToken` source of a token, as cdk8s renders it. */
function sourceOf(t: ServiceAccountTokenProjection): any {
  // keys in cdk8s's (sorted) order; built by assignment, since an object
  // spread followed by more keys is ~100x slower in V8, and this runs per volume
  const source: any = {};
  if (t.audience !== undefined) source.audience = t.audience;
  source.expirationSeconds = t.expiration ? wholeSeconds(t.expiration).seconds : DEFAULT_EXPIRATION_SECONDS;
  source.path = t.path;
  return { serviceAccountToken: source };
}

/** The rule subject of a token volume: its own checks; an acknowledgement of them is written on the workloads that use it. */
class VolumeSubject implements Subject {
  constructor(public readonly construct: ProjectedTokenVolume) {}

  public findings(): Finding[] {
    return this.construct._findings();
  }

  public acknowledged(ruleId: string, key: string, value: () => string | undefined): void {
    this.construct._acknowledged(ruleId, key, value);
  }
}

function describeObj(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  const path = (x as any)?.node?.path;
  return `${(x as any)?.constructor?.name ?? typeof x}${path !== undefined ? ` at '${path}'` : ''}`;
}
