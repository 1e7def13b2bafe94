import { R } from './catalogue';
import { checkClusterTrustBundle, checkExtendedApiToken, checkPodCertificate } from './check-sources';
import { clip, Finding, finding, NO_FINDINGS, ptr, show } from './finding';
import {
  API_ACCESS_VOLUME_PREFIX, API_SERVER_AUDIENCES, API_TOKEN_DIR, API_TOKEN_DIR_PATTERN, cleanPath, CONTAINER_GROUPS, DAY_SECONDS,
  DEFAULT_EXPIRATION_SECONDS, DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL_PATTERN, isApiAccessShape, isApiAccessVolume, isDns1123Label,
  ITEM_SOURCE_KINDS, MAX_EXPIRATION_SECONDS, MAX_FILE_MODE, MAX_PATH_BYTES, MAX_PATH_SEGMENT_BYTES, MIN_EXPIRATION_SECONDS,
  SOURCE_FILE_FIELDS, SOURCE_KINDS,
} from './kubernetes';
import { checkAgainstLimits, issuedLifetime, TokenLimits } from './token-limits';

const API_TOKEN_DIR_RE = new RegExp(API_TOKEN_DIR_PATTERN);

/** Where a check runs: the names it uses for props in messages. */
export interface CheckStyle {
  /** 'construct' names props as the construct does ('expiration'), 'manifest' as the YAML does. */
  readonly construct: boolean;
}

export const MANIFEST_STYLE: CheckStyle = { construct: false };
export const CONSTRUCT_STYLE: CheckStyle = { construct: true };

/**
 * Checks a token lifetime in whole seconds. `where` locates it in the message.
 * With the cluster's `limits`, BT104 judges the lifetime the cluster issues
 * (min(requested, maximum)); BT280 is checkAgainstLimits.
 */
export function checkLifetimeSeconds(seconds: number, path: string, prop: string, limits?: TokenLimits): Finding[] {
  const out: Finding[] = [];
  if (seconds < MIN_EXPIRATION_SECONDS) {
    out.push(finding(R.LIFETIME_TOO_SHORT, path, prop, `may not be shorter than 10 minutes (${MIN_EXPIRATION_SECONDS} seconds)`, `${seconds} seconds`));
  } else if (seconds > MAX_EXPIRATION_SECONDS) {
    out.push(finding(R.LIFETIME_TOO_LONG, path, prop, `may not be longer than 2^32 (${MAX_EXPIRATION_SECONDS}) seconds`, `${seconds} seconds`));
  } else {
    const issued = limits === undefined ? seconds : issuedLifetime(seconds, undefined, limits).issuedSeconds;
    if (issued > DAY_SECONDS) {
      out.push(finding(R.LIFETIME_OVER_24H, path, prop,
        issued === seconds ? `is longer than 24 hours (${DAY_SECONDS} seconds)`
          : `is longer than 24 hours (${DAY_SECONDS} seconds), also as the cluster shortens it (to ${issued} seconds)`,
        `${seconds} seconds`));
    }
  }
  return out;
}

/** Checks a token path. */
export function checkTokenPath(value: unknown, path: string, prop: string): Finding[] {
  if (typeof value !== 'string' || value === '') {
    return [finding(R.PATH_EMPTY, path, prop, 'must be a non-empty relative path', show(value))];
  }
  const out: Finding[] = [];
  if (value.startsWith('/')) {
    out.push(finding(R.PATH_ABSOLUTE, path, prop,
      'must be a relative path (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount)', show(value)));
  }
  const segments = value.split('/');
  if (segments.includes('..')) {
    out.push(finding(R.PATH_DOTDOT, path, prop,
      "must not contain a '..' segment (the API server refuses it from Kubernetes 1.30; 1.27 to 1.29 accept it and the kubelet fails the mount)", show(value)));
  } else if (value.startsWith('..')) {
    out.push(finding(R.PATH_STARTS_DOTDOT, path, prop, "must not start with '..'", show(value)));
  }
  const unwritable = unwritablePath(value);
  if (unwritable !== undefined) out.push(finding(R.PATH_UNWRITABLE, path, prop, `${unwritable}, so the kubelet cannot write the token file`, show(value)));
  return out;
}

/** Why the kubelet cannot write a non-empty relative path, or undefined. */
function unwritablePath(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character';
  if (!value.startsWith('/') && cleanPath(value) === '') return "names the volume's own directory ('.')";
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes (it has ${bytes})`;
  if (bytes > MAX_PATH_SEGMENT_BYTES) {
    for (const seg of value.split('/')) {
      const n = Buffer.byteLength(seg, 'utf8');
      if (n > MAX_PATH_SEGMENT_BYTES) return `has a segment longer than ${MAX_PATH_SEGMENT_BYTES} bytes (one has ${n})`;
    }
  }
  return undefined;
}

/** Checks a volume name. */
export function checkVolumeName(name: unknown, path: string, prop: string): Finding[] {
  if (typeof name === 'string' && isDns1123Label(name)) return [];
  const why = typeof name === 'string' && name.length > DNS1123_LABEL_MAX_LENGTH
    ? `must be a DNS-1123 label of at most ${DNS1123_LABEL_MAX_LENGTH} characters (it has ${name.length})`
    : `must be a DNS-1123 label (${DNS1123_LABEL_PATTERN.slice(1, -1)})`;
  return [finding(R.VOLUME_NAME, path, prop, why, show(name))];
}

/** Checks an audience. `exempt` is true for the platform's own API-access token. */
export function checkAudience(audience: unknown, path: string, prop: string, where: string, exempt: boolean): Finding[] {
  if (audience === undefined || audience === null || audience === '') {
    if (exempt) return NO_FINDINGS;
    return [finding(R.NO_AUDIENCE, path, prop, `of ${where} is not set, so the token is valid for the Kubernetes API server's own audiences`, show(audience))];
  }
  if (typeof audience === 'string' && /[,\s]/.test(audience)) {
    return [finding(R.AUDIENCE_LIST, path, prop, `of ${where} is one audience taken literally`, show(audience))];
  }
  return NO_FINDINGS;
}

/** Checks a projected volume's defaultMode range. */
export function checkDefaultMode(mode: unknown, path: string, prop: string): Finding[] {
  if (mode === undefined || mode === null) return [];
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > MAX_FILE_MODE) {
    const got = typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 ? `${mode} (0${mode.toString(8)})` : show(mode);
    return [finding(R.DEFAULT_MODE_RANGE, path, prop, 'must be a number between 0 and 0777 (octal), both inclusive', got)];
  }
  return [];
}

/** True when a volume is projected and holds at least one serviceAccountToken source. */
export function isTokenVolume(volume: any): boolean {
  const sources = volume?.projected?.sources;
  return Array.isArray(sources) && sources.some((s: any) => s && typeof s === 'object' && s.serviceAccountToken);
}

export interface VolumeCheckOptions {
  readonly style: CheckStyle;
  /** Strict mode (lint --strict, a strict construct): also the rules only strict mode runs (BT271). */
  readonly strict?: boolean;
  /** The cluster's token limits, when declared (BT280, and BT104 on the lifetime the cluster issues). */
  readonly limits?: TokenLimits;
}

/**
 * Checks what belongs to one projected volume alone: its name, defaultMode and sources.
 * `path` is the JSON pointer of the volume.
 */
export function checkProjectedVolume(volume: any, path: string, opts: VolumeCheckOptions): Finding[] {
  const out: Finding[] = [];
  const add = (found: readonly Finding[]) => {
    for (let i = 0; i < found.length; i++) out.push(found[i]);
  };
  const c = opts.style.construct;
  const vname = typeof volume?.name === 'string' ? clip(volume.name) : '?';
  add(checkVolumeName(volume?.name, path + '/name', 'name'));
  const projected = volume?.projected ?? {};
  add(checkDefaultMode(projected.defaultMode, path + '/projected/defaultMode', 'defaultMode'));
  const sources: any[] = Array.isArray(projected.sources) ? projected.sources : [];
  if (sources.length === 0) {
    out.push(finding(R.EMPTY_SOURCES, path + '/projected/sources', 'sources', `of volume '${vname}' has no sources`, show(projected.sources)));
  }
  const exempt = isApiAccessVolume(volume);
  let apiShape: boolean | undefined = exempt ? true : undefined;
  if (!exempt && typeof volume?.name === 'string' && volume.name.startsWith(API_ACCESS_VOLUME_PREFIX)) {
    out.push(finding(R.VOLUME_NAME_API_ACCESS, path + '/name', 'name',
      `of a token volume starts with '${API_ACCESS_VOLUME_PREFIX}', so the ServiceAccount admission plugin takes it for the platform's API token volume and mounts it at ${API_TOKEN_DIR} in every container`,
      show(volume.name)));
  }
  const items: PathItem[] = [];
  for (let j = 0; j < sources.length; j++) {
    const source = sources[j];
    const at = `${path}/projected/sources/${j}`;
    const kinds = source && typeof source === 'object' ? SOURCE_KINDS.filter(k => source[k] !== undefined && source[k] !== null) : [];
    if (kinds.length === 0) {
      out.push(finding(R.EMPTY_SOURCES, at, `sources[${j}]`, `of volume '${vname}' is empty`, show(source)));
      continue;
    }
    if (kinds.length > 1) {
      out.push(finding(R.SOURCE_MULTIPLE_KINDS, at, `sources[${j}]`, `of volume '${vname}' may not specify more than 1 volume type per source`, kinds.join(' and ')));
    }
    const token = source.serviceAccountToken;
    if (token && typeof token === 'object') {
      const tp = `${at}/serviceAccountToken`;
      const where = `token '${typeof token.path === 'string' ? clip(token.path) : j}' in volume '${vname}'`;
      add(checkTokenPath(token.path, tp + '/path', 'path'));
      const exp = token.expirationSeconds;
      const expProp = c ? 'expiration' : 'expirationSeconds';
      if (exp === undefined || exp === null) {
        // defaulted to 3600 by the API server: valid (longer than a maximum under 1 hour, an external signer's)
        if (opts.limits && !exempt) add(checkAgainstLimits(DEFAULT_EXPIRATION_SECONDS, tp, expProp, `of ${where} (the default, 3600 seconds)`, opts.limits));
      } else if (typeof exp !== 'number' || !Number.isInteger(exp)) {
        out.push(finding(R.LIFETIME_NOT_INTEGER, tp + '/expirationSeconds', expProp, `of ${where} must be a whole number of seconds`, show(exp)));
      } else {
        for (const f of checkLifetimeSeconds(exp, tp + '/expirationSeconds', expProp, opts.limits)) out.push(withWhere(f, expProp, where));
        // the platform's API-access volume is the API server's own: BT280 would report every pod of a cluster with a 1-hour maximum
        if (opts.limits && !exempt && exp >= MIN_EXPIRATION_SECONDS && exp <= MAX_EXPIRATION_SECONDS) {
          add(checkAgainstLimits(exp, tp + '/expirationSeconds', expProp, `of ${where}`, opts.limits));
        }
      }
      add(checkAudience(token.audience, tp + '/audience', 'audience', where, apiShape ??= isApiAccessShape(volume)));
    }
    add(checkCertificateSources(source, at, vname, c));
    for (const [kind, fields, label] of SOURCE_FILE_FIELDS) {
      const src = source[kind];
      if (!src || typeof src !== 'object') continue;
      for (const field of fields) {
        if (typeof src[field] === 'string' && src[field] !== '') items.push({ file: src[field], label, at: `${at}/${kind}/${field}` });
      }
    }
    for (const kind of ITEM_SOURCE_KINDS) {
      const list = source[kind]?.items;
      if (!Array.isArray(list)) continue;
      const name = source[kind]?.name;
      const label = name ? `${kind} '${clip(String(name))}'` : kind;
      for (let k = 0; k < list.length; k++) {
        const item = list[k];
        if (typeof item?.path === 'string' && item.path !== '') items.push({ file: item.path, label, at: `${at}/${kind}/items/${k}/path` });
      }
    }
  }
  add(overlaps(items, vname));
  // BT271: only where the cluster extends 3607-second tokens (the default; not with --no-extend-token-expiration)
  if (opts.strict && opts.limits?.extendExpiration !== false) add(checkExtendedApiToken(volume, path));
  return out;
}

/** The clusterTrustBundle and podCertificate checks of one source (src/rules/check-sources.ts). */
function checkCertificateSources(source: any, at: string, vname: string, construct: boolean): Finding[] {
  const ctb = source.clusterTrustBundle;
  const pc = source.podCertificate;
  if (!(ctb && typeof ctb === 'object') && !(pc && typeof pc === 'object')) return NO_FINDINGS;
  const out: Finding[] = [];
  if (ctb && typeof ctb === 'object') out.push(...checkClusterTrustBundle(ctb, `${at}/clusterTrustBundle`, vname));
  if (pc && typeof pc === 'object') out.push(...checkPodCertificate(pc, `${at}/podCertificate`, vname, construct));
  return out;
}

/** True when a projected volume holds a clusterTrustBundle or podCertificate source. */
export function hasCertificateSources(volume: any): boolean {
  const sources = volume?.projected?.sources;
  return Array.isArray(sources) && sources.some((s: any) => s && typeof s === 'object'
    && ((s.clusterTrustBundle && typeof s.clusterTrustBundle === 'object') || (s.podCertificate && typeof s.podCertificate === 'object')));
}

/**
 * The checks of a projected volume without tokens that holds clusterTrustBundle
 * or podCertificate sources: those sources' own rules only (the other rules
 * are about token volumes, and the policy sees token volumes only).
 */
export function checkCertificateVolume(volume: any, path: string, opts: VolumeCheckOptions): Finding[] {
  const sources: any[] = Array.isArray(volume?.projected?.sources) ? volume.projected.sources : [];
  const vname = typeof volume?.name === 'string' ? clip(volume.name) : '?';
  const out: Finding[] = [];
  sources.forEach((s, j) => {
    if (s && typeof s === 'object') out.push(...checkCertificateSources(s, `${path}/projected/sources/${j}`, vname, opts.style.construct));
  });
  return out;
}

/** A file a projected source writes. */
interface PathItem {
  readonly file: string;
  readonly label: string;
  /** JSON pointer of the field that names it. */
  readonly at: string;
}

/**
 * BT114: the files of one volume that are the same file, or nested under
 * another, once cleaned as the kubelet cleans them. Each file is reported at
 * most once, on the later of the two in the volume, naming the earlier.
 * Sorting the cleaned paths followed by '/' puts every path right after the
 * paths it is nested under, so one walk with a stack of ancestors finds
 * every overlap: O(n log n) comparisons, never a comparison of every pair.
 */
function overlaps(items: readonly PathItem[], vname: string): Finding[] {
  if (items.length < 2) return NO_FINDINGS;
  const keyed: Array<{ key: string; index: number }> = [];
  for (let i = 0; i < items.length; i++) {
    // Every path counts, also one over MAX_PATH_BYTES (BT115): the API server
    // reports the overlap of such paths too ("overlapping paths"), and so does
    // the admission policy.
    const clean = cleanPath(items[i].file);
    if (clean !== '') keyed.push({ key: clean + '/', index: i });
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index));
  const other = new Map<number, number>();
  const note = (a: number, b: number) => {
    const later = Math.max(a, b);
    const earlier = Math.min(a, b);
    const known = other.get(later);
    if (known === undefined || earlier < known) other.set(later, earlier);
  };
  const stack: Array<{ key: string; index: number }> = [];
  for (const k of keyed) {
    while (stack.length > 0 && !k.key.startsWith(stack[stack.length - 1].key)) stack.pop();
    if (stack.length > 0) {
      // nested under (or the same as) every path on the stack: the earliest one of them is named
      const top = stack[stack.length - 1];
      note(top.index, k.index);
      if (stack.length > 1) note(stack[0].index, k.index);
    }
    stack.push(k);
  }
  if (other.size === 0) return NO_FINDINGS;
  const out: Finding[] = [];
  for (const b of [...other.keys()].sort((x, y) => x - y)) {
    const a = other.get(b)!;
    out.push(finding(R.PATH_OVERLAP, items[b].at, 'path',
      `of ${items[b].label} in volume '${vname}' overlaps '${clip(items[a].file)}' of ${items[a].label}`, show(items[b].file)));
  }
  return out;
}

function withWhere(f: Finding, prop: string, where: string): Finding {
  return { ...f, message: f.message.replace(`'${prop}' `, `'${prop}' of ${where} `) };
}

export interface PodSpecCheckOptions {
  readonly style: CheckStyle;
  /**
   * The pod spec runs as written (a bare Pod, or the template of a workload such as a Deployment;
   * not a PodTemplate object): the default-account rule (BT151) applies.
   */
  readonly bare: boolean;
  /**
   * Volumes whose own checks (name, mode, sources) are done by their construct;
   * only the checks that need the pod run for them here.
   */
  readonly managedVolumes?: ReadonlySet<string>;
  /** Strict mode (lint --strict): also the rules only strict mode runs (BT271). */
  readonly strict?: boolean;
  /** The cluster's token limits, when declared. */
  readonly limits?: TokenLimits;
}

const NO_ITEMS: any[] = [];

/**
 * Checks a pod spec; paths in the findings are relative to `specPath`.
 * It runs on every workload of every synth, so it builds no strings and few
 * objects unless it finds something.
 */
export function checkPodSpec(spec: any, specPath: string, opts: PodSpecCheckOptions): Finding[] {
  const out: Finding[] = [];
  if (!spec || typeof spec !== 'object') return out;
  const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : NO_ITEMS;
  /** token volume name -> index of its first volume, whether it is the platform's API-access volume, and whether a container mounts it */
  const tokenIndex = new Map<string, { i: number; apiAccess: boolean; mounted: boolean }>();
  const seen = new Map<string, number>();
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    const isToken = isTokenVolume(v);
    const name = v?.name;
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined && (isToken || isTokenVolume(volumes[first]))) {
        out.push(finding(R.VOLUME_NAME_DUPLICATE, `${specPath}/volumes/${i}/name`, 'name', `of volume ${i} is already used by volume ${first} of the pod`, show(name)));
      }
      if (first === undefined) seen.set(name, i);
    }
    if (!isToken) {
      if (!opts.managedVolumes?.has(name) && hasCertificateSources(v)) {
        const found = checkCertificateVolume(v, `${specPath}/volumes/${i}`, { style: opts.style });
        for (let k = 0; k < found.length; k++) out.push(found[k]);
      }
      continue;
    }
    if (typeof name === 'string') {
      // a name is the platform's API-access volume only if every token volume of that name is (as the policy sees it)
      const entry = tokenIndex.get(name);
      if (!entry) tokenIndex.set(name, { i, apiAccess: isApiAccessVolume(v), mounted: false });
      else if (entry.apiAccess && !isApiAccessVolume(v)) entry.apiAccess = false;
    }
    if (!opts.managedVolumes?.has(name)) {
      const found = checkProjectedVolume(v, `${specPath}/volumes/${i}`, { style: opts.style, strict: opts.strict, limits: opts.limits });
      for (let k = 0; k < found.length; k++) out.push(found[k]);
    }
    const mode = v.projected?.defaultMode;
    if (typeof mode === 'number' && mode >= 0 && mode <= MAX_FILE_MODE && !othersCanRead(mode) && !podOwnsFiles(spec)) {
      out.push(finding(R.DEFAULT_MODE_RESTRICTIVE, `${specPath}/volumes/${i}/projected/defaultMode`, 'defaultMode',
        `of volume '${clip(String(name))}' keeps the token unreadable for a non-root application (${anyRunAsUser(spec)
          ? 'the pod sets no securityContext.fsGroup, and its containers do not all run as one runAsUser: a container\'s own runAsUser overrides the pod\'s'
          : 'the pod sets neither securityContext.fsGroup nor runAsUser'})`,
        `0${mode.toString(8)}`));
    }
  }

  // (made for the first container with two mounts or more: with one, no path repeats)
  let paths: Map<string, number> | undefined;
  const windows = isWindowsPod(spec);
  for (const group of CONTAINER_GROUPS) {
    const list: any[] = Array.isArray(spec[group]) ? spec[group] : NO_ITEMS;
    for (let ci = 0; ci < list.length; ci++) {
      const container = list[ci];
      const mounts: any[] = Array.isArray(container?.volumeMounts) ? container.volumeMounts : NO_ITEMS;
      if (mounts.length === 0) continue;
      const cname = typeof container?.name === 'string' ? clip(container.name) : String(ci);
      const mp = (mi: number) => `${specPath}/${group}/${ci}/volumeMounts/${mi}`;
      paths?.clear();
      for (let mi = 0; mi < mounts.length; mi++) {
        const m = mounts[mi];
        const vname = m?.name;
        if (typeof vname === 'string' && !seen.has(vname)) {
          out.push(finding(R.MOUNT_UNKNOWN_VOLUME, mp(mi) + '/name', 'name', `of a volume mount in container '${cname}' names no volume of the pod`, show(vname)));
        }
        const token = tokenIndex.get(vname);
        const isToken = token !== undefined;
        if (token) token.mounted = true;
        const mountPath = m?.mountPath;
        if (isToken) {
          if (typeof mountPath !== 'string' || mountPath === '') {
            out.push(finding(R.MOUNT_PATH, mp(mi) + '/mountPath', 'mountPath',
              `of token volume '${clip(String(vname))}' in container '${cname}' must not be empty (the API server refuses it)`, show(mountPath)));
          } else if (!isAbsoluteMountPath(mountPath, windows)) {
            out.push(finding(R.MOUNT_PATH_RELATIVE, mp(mi) + '/mountPath', 'mountPath',
              `of token volume '${clip(String(vname))}' in container '${cname}' is not absolute on ${windows ? 'Windows' : 'Linux'}, so the kubelet mounts it at '${windows ? 'C:\\' : '/'}${clip(mountPath)}', not under the working directory`,
              show(mountPath)));
          } else if (!windows && API_TOKEN_DIR_RE.test(mountPath)) {
            const foreign = foreignAudience(volumes, vname);
            if (foreign !== undefined) {
              out.push(finding(R.API_TOKEN_REPLACED, mp(mi) + '/mountPath', 'mountPath',
                `of token volume '${clip(String(vname))}' in container '${cname}' is the API token directory, and the volume's token '${clip(foreign.path)}' has the audience '${clip(foreign.audience)}': in-cluster clients present it to the API server, which refuses it`,
                show(mountPath)));
            }
          }
        }
        if (typeof mountPath === 'string' && mountPath !== '') {
          const key = mountPath.length > 1 && mountPath.endsWith('/') ? mountPath.replace(/\/+$/, '') : mountPath;
          const first = mounts.length > 1 ? (paths ??= new Map()).get(key) : undefined;
          if (first !== undefined) {
            out.push(finding(R.MOUNT_PATH_DUPLICATE, mp(mi) + '/mountPath', 'mountPath',
              `of volume '${clip(String(vname))}' in container '${cname}' is already used by the mount of volume '${clip(String(mounts[first]?.name))}'; it must be unique`, show(mountPath)));
          } else if (mounts.length > 1) {
            paths!.set(key, mi);
          }
        }
        if (isToken && ((m.subPath !== undefined && m.subPath !== '') || (m.subPathExpr !== undefined && m.subPathExpr !== ''))) {
          const field = m.subPath !== undefined && m.subPath !== '' ? 'subPath' : 'subPathExpr';
          out.push(finding(R.MOUNT_SUBPATH, `${mp(mi)}/${field}`, field,
            `of token volume '${clip(String(vname))}' in container '${cname}' stops the kubelet from updating the rotated token`, show(m[field])));
        }
      }
    }
  }
  let own: string | undefined;
  for (const [name, { i, apiAccess, mounted }] of tokenIndex) {
    if (apiAccess) continue;
    own ??= name;
    if (!mounted) {
      out.push(finding(R.MOUNT_NOWHERE, `${specPath}/volumes/${i}`, 'volumeMounts', `of no container mount token volume '${clip(name)}'`, 'no mount'));
    }
  }
  if (opts.bare && !spec.serviceAccountName && !spec.serviceAccount && own !== undefined) {
    out.push(finding(R.POD_DEFAULT_SERVICE_ACCOUNT, `${specPath}`, 'serviceAccountName',
      `is not set on a pod that projects a token (volume '${clip(own)}'), so the token identifies the namespace's 'default' account, which every pod of the namespace without an account of its own runs as`, 'nothing'));
  }
  return out;
}

/** True when the mode lets others (not owner, not group) read the file. */
function othersCanRead(mode: number): boolean {
  return Math.floor(mode / 4) % 2 === 1;
}

/**
 * True when the kubelet gives the pod's projected files to a user or group
 * other than root: the pod sets fsGroup, or every container (init, regular
 * and ephemeral) has the same effective runAsUser - its own, else the pod's
 * (k8s pkg/volume/util FsUserFrom, securitycontext.DetermineEffectiveRunAsUser).
 */
export function podOwnsFiles(spec: any): boolean {
  const sc = spec?.securityContext;
  if (sc?.fsGroup !== undefined && sc?.fsGroup !== null) return true;
  return effectiveRunAsUser(spec) !== undefined;
}

/** The one effective runAsUser of every container of the pod, or undefined when one has none or two differ. */
export function effectiveRunAsUser(spec: any): number | undefined {
  const podUser = spec?.securityContext?.runAsUser;
  let user: number | undefined;
  let seen = 0;
  for (const group of CONTAINER_GROUPS) {
    const list: any[] = Array.isArray(spec?.[group]) ? spec[group] : NO_ITEMS;
    for (const c of list) {
      if (!c || typeof c !== 'object') continue;
      const own = c.securityContext?.runAsUser;
      const u = own !== undefined && own !== null ? own : podUser;
      if (typeof u !== 'number') return undefined;
      if (seen > 0 && u !== user) return undefined;
      user = u;
      seen++;
    }
  }
  return seen > 0 ? user : undefined;
}

/** True when the pod or any of its containers sets a runAsUser. */
function anyRunAsUser(spec: any): boolean {
  if (typeof spec?.securityContext?.runAsUser === 'number') return true;
  return CONTAINER_GROUPS.some(g => Array.isArray(spec?.[g]) && spec[g].some((c: any) => typeof c?.securityContext?.runAsUser === 'number'));
}

/** True for a pod that runs on Windows nodes (spec.os.name: windows). */
export function isWindowsPod(spec: any): boolean {
  return spec?.os?.name === 'windows';
}

/**
 * A mount path the kubelet takes as absolute on a Windows pod: a drive letter
 * and a separator (C:\\x, C:/x), or a rooted path (\\x, /x, which it puts on C:),
 * or a UNC path (\\\\server\\share). RE2 and JavaScript alike.
 */
export const WINDOWS_ABSOLUTE_MOUNT_PATH = '^([A-Za-z]:)?[\\\\/]';
const WINDOWS_ABSOLUTE_RE = new RegExp(WINDOWS_ABSOLUTE_MOUNT_PATH);

/**
 * True when the kubelet takes a (non-empty) mount path as it is: on Linux an
 * absolute path, on Windows also a drive letter path; any other path it makes
 * absolute from the container's root (k8s volumeutil.MakeAbsolutePath).
 */
export function isAbsoluteMountPath(mountPath: string, windows: boolean): boolean {
  return windows ? WINDOWS_ABSOLUTE_RE.test(mountPath) : mountPath.startsWith('/');
}


/** The first token of the volume(s) named `name` whose audience is not the API server's, if any. */
function foreignAudience(volumes: readonly any[], name: unknown): { path: string; audience: string } | undefined {
  for (const v of volumes) {
    if (v?.name !== name || !isTokenVolume(v)) continue;
    for (const s of v.projected.sources) {
      const t = s?.serviceAccountToken;
      if (!t || typeof t !== 'object') continue;
      const a = t.audience;
      if (typeof a === 'string' && a !== '' && !API_SERVER_AUDIENCES.includes(a)) {
        return { path: typeof t.path === 'string' ? t.path : '?', audience: a };
      }
    }
  }
  return undefined;
}

export { ptr };
