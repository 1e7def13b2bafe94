import { R } from './catalogue';
import { Finding, finding, ptr, show } from './finding';

/** Minimum token lifetime the API server accepts (10 minutes). */
export const MIN_EXPIRATION_SECONDS = 600;
/** Maximum token lifetime the API server accepts (2^32). */
export const MAX_EXPIRATION_SECONDS = 4294967296;
/** Lifetime the API server defaults to when expirationSeconds is omitted. */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** The kubelet refreshes every token after at most 24 hours. */
export const DAY_SECONDS = 86400;
/** The lifetime of the platform's own `kube-api-access-*` token. */
export const API_ACCESS_EXPIRATION_SECONDS = 3607;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when `name` is a DNS-1123 label (at most 63 characters). */
export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

/**
 * When the kubelet refreshes a token of lifetime `seconds`:
 * `min(L - floor(L * 20 / 100), 86400)` (k8s token_manager.go, whole seconds).
 */
export function refreshAfterSeconds(seconds: number): number {
  return Math.min(seconds - Math.floor((seconds * 20) / 100), DAY_SECONDS);
}

/** Where a check runs: the names it uses for props in messages. */
export interface CheckStyle {
  /** 'construct' names props as the construct does ('expiration'), 'manifest' as the YAML does. */
  readonly construct: boolean;
}

export const MANIFEST_STYLE: CheckStyle = { construct: false };
export const CONSTRUCT_STYLE: CheckStyle = { construct: true };

/** Checks a token lifetime in whole seconds. `where` locates it in the message. */
export function checkLifetimeSeconds(seconds: number, path: string, prop: string): Finding[] {
  const out: Finding[] = [];
  if (seconds < MIN_EXPIRATION_SECONDS) {
    out.push(finding(R.LIFETIME_TOO_SHORT, path, prop, 'may not be shorter than 10 minutes (600 seconds)', `${seconds} seconds`));
  } else if (seconds > MAX_EXPIRATION_SECONDS) {
    out.push(finding(R.LIFETIME_TOO_LONG, path, prop, 'may not be longer than 2^32 (4294967296) seconds', `${seconds} seconds`));
  } else if (seconds > DAY_SECONDS) {
    out.push(finding(R.LIFETIME_OVER_24H, path, prop, 'is longer than 24 hours (86400 seconds)', `${seconds} seconds`));
  }
  return out;
}

/** Checks a token (or any projected item) path. */
export function checkTokenPath(value: unknown, path: string, prop: string): Finding[] {
  if (typeof value !== 'string' || value === '') {
    return [finding(R.PATH_EMPTY, path, prop, 'must be a non-empty relative path', show(value))];
  }
  const out: Finding[] = [];
  if (value.startsWith('/')) {
    out.push(finding(R.PATH_ABSOLUTE, path, prop, 'must be a relative path', show(value)));
  }
  const segments = value.split('/');
  if (segments.includes('..')) {
    out.push(finding(R.PATH_DOTDOT, path, prop, "must not contain a '..' segment", show(value)));
  } else if (value.startsWith('..')) {
    out.push(finding(R.PATH_STARTS_DOTDOT, path, prop, "must not start with '..'", show(value)));
  }
  return out;
}

/** Checks a volume name. */
export function checkVolumeName(name: unknown, path: string, prop: string): Finding[] {
  if (typeof name === 'string' && isDns1123Label(name)) return [];
  const why = typeof name === 'string' && name.length > 63
    ? `must be a DNS-1123 label of at most 63 characters (it has ${name.length})`
    : 'must be a DNS-1123 label ([a-z0-9]([-a-z0-9]*[a-z0-9])?)';
  return [finding(R.VOLUME_NAME, path, prop, why, show(name))];
}

/** Checks an audience. `exempt` is true for the platform's own API-access token. */
export function checkAudience(audience: unknown, path: string, prop: string, where: string, exempt: boolean): Finding[] {
  if (audience === undefined || audience === null || audience === '') {
    if (exempt) return [];
    return [finding(R.NO_AUDIENCE, path, prop, `of ${where} is not set, so the token is valid for the Kubernetes API server's own audiences`, show(audience))];
  }
  if (typeof audience === 'string' && /[,\s]/.test(audience)) {
    return [finding(R.AUDIENCE_LIST, path, prop, `of ${where} is one audience taken literally`, show(audience))];
  }
  return [];
}

/** Checks a projected volume's defaultMode range. */
export function checkDefaultMode(mode: unknown, path: string, prop: string): Finding[] {
  if (mode === undefined || mode === null) return [];
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    const got = typeof mode === 'number' && Number.isInteger(mode) ? `${mode} (0${mode.toString(8)})` : show(mode);
    return [finding(R.DEFAULT_MODE_RANGE, path, prop, 'must be a number between 0 and 0777 (octal), both inclusive', got)];
  }
  return [];
}

/** The platform's own API-access volume (`kube-api-access-<hash>`), exempt from the audience rule. */
export function isApiAccessVolume(volume: any): boolean {
  return typeof volume?.name === 'string' && volume.name.startsWith('kube-api-access-');
}

/** True when a volume is projected and holds at least one serviceAccountToken source. */
export function isTokenVolume(volume: any): boolean {
  const sources = volume?.projected?.sources;
  return Array.isArray(sources) && sources.some((s: any) => s && typeof s === 'object' && s.serviceAccountToken);
}

const SOURCE_KINDS = ['serviceAccountToken', 'configMap', 'secret', 'downwardAPI', 'clusterTrustBundle'];

export interface VolumeCheckOptions {
  readonly style: CheckStyle;
}

/**
 * Checks what belongs to one projected volume alone: its name, defaultMode and sources.
 * `path` is the JSON pointer of the volume.
 */
export function checkProjectedVolume(volume: any, path: string, opts: VolumeCheckOptions): Finding[] {
  const out: Finding[] = [];
  const c = opts.style.construct;
  const vname = typeof volume?.name === 'string' ? volume.name : '?';
  out.push(...checkVolumeName(volume?.name, path + '/name', 'name'));
  const projected = volume?.projected ?? {};
  out.push(...checkDefaultMode(projected.defaultMode, path + '/projected/defaultMode', 'defaultMode'));
  const sources: any[] = Array.isArray(projected.sources) ? projected.sources : [];
  if (sources.length === 0) {
    out.push(finding(R.EMPTY_SOURCES, path + '/projected/sources', 'sources', `of volume '${vname}' has no sources`, show(projected.sources)));
  }
  const exempt = isApiAccessVolume(volume);
  const items: Array<{ file: string; label: string; at: string }> = [];
  sources.forEach((source, j) => {
    const at = `${path}/projected/sources/${j}`;
    const kinds = source && typeof source === 'object' ? SOURCE_KINDS.filter(k => source[k] !== undefined && source[k] !== null) : [];
    if (kinds.length === 0) {
      out.push(finding(R.EMPTY_SOURCES, at, `sources[${j}]`, `of volume '${vname}' is empty`, show(source)));
      return;
    }
    if (kinds.length > 1) {
      out.push(finding(R.SOURCE_MULTIPLE_KINDS, at, `sources[${j}]`, `of volume '${vname}' may not specify more than 1 volume type per source`, kinds.join(' and ')));
    }
    const token = source.serviceAccountToken;
    if (token && typeof token === 'object') {
      const tp = `${at}/serviceAccountToken`;
      const where = `token '${typeof token.path === 'string' ? token.path : j}' in volume '${vname}'`;
      out.push(...checkTokenPath(token.path, tp + '/path', c ? 'path' : 'path'));
      if (typeof token.path === 'string' && token.path !== '') items.push({ file: token.path, label: 'ServiceAccountToken', at: tp + '/path' });
      const exp = token.expirationSeconds;
      const expProp = c ? 'expiration' : 'expirationSeconds';
      if (exp === undefined || exp === null) {
        // defaulted to 3600 by the API server: valid
      } else if (typeof exp !== 'number' || !Number.isInteger(exp)) {
        out.push(finding(R.LIFETIME_NOT_INTEGER, tp + '/expirationSeconds', expProp, `of ${where} must be a whole number of seconds`, show(exp)));
      } else {
        out.push(...checkLifetimeSeconds(exp, tp + '/expirationSeconds', expProp).map(f => withWhere(f, expProp, where)));
      }
      out.push(...checkAudience(token.audience, tp + '/audience', 'audience', where, exempt));
    }
    for (const kind of ['configMap', 'secret', 'downwardAPI']) {
      const list = source[kind]?.items;
      if (!Array.isArray(list)) continue;
      list.forEach((item: any, k: number) => {
        if (typeof item?.path === 'string' && item.path !== '') {
          const name = source[kind]?.name;
          items.push({ file: item.path, label: name ? `${kind} '${name}'` : kind, at: `${at}/${kind}/items/${k}/path` });
        }
      });
    }
  });
  const norm = (p: string) => p.replace(/\/+$/, '');
  for (let a = 0; a < items.length; a++) {
    for (let b = a + 1; b < items.length; b++) {
      const x = norm(items[a].file);
      const y = norm(items[b].file);
      if (x === y || y.startsWith(x + '/') || x.startsWith(y + '/')) {
        out.push(finding(R.PATH_OVERLAP, items[b].at, 'path',
          `of ${items[b].label} in volume '${vname}' overlaps '${items[a].file}' of ${items[a].label}`, show(items[b].file)));
      }
    }
  }
  return out;
}

function withWhere(f: Finding, prop: string, where: string): Finding {
  return { ...f, message: f.message.replace(`'${prop}' `, `'${prop}' of ${where} `) };
}

export interface PodSpecCheckOptions {
  readonly style: CheckStyle;
  /** The object is a bare Pod (not a pod template): the default-account rule applies. */
  readonly bare: boolean;
  /**
   * Volumes whose own checks (name, mode, sources) are done by their construct;
   * only the checks that need the pod run for them here.
   */
  readonly managedVolumes?: ReadonlySet<string>;
}

const CONTAINER_GROUPS = ['initContainers', 'containers', 'ephemeralContainers'];
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
  const tokenVolumes = new Set<string>();
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
    if (!isToken) continue;
    if (typeof name === 'string') tokenVolumes.add(name);
    if (!opts.managedVolumes?.has(name)) {
      out.push(...checkProjectedVolume(v, `${specPath}/volumes/${i}`, { style: opts.style }));
    }
    const mode = v.projected?.defaultMode;
    if (typeof mode === 'number' && mode >= 0 && mode <= 0o777 && !othersCanRead(mode) && !podOwnsFiles(spec)) {
      out.push(finding(R.DEFAULT_MODE_RESTRICTIVE, `${specPath}/volumes/${i}/projected/defaultMode`, 'defaultMode',
        `of volume '${name}' keeps the token unreadable for a non-root application (the pod sets neither securityContext.fsGroup nor runAsUser)`,
        `0${mode.toString(8)}`));
    }
  }

  const mounted = new Set<string>();
  const paths = new Map<string, number>();
  for (const group of CONTAINER_GROUPS) {
    const list: any[] = Array.isArray(spec[group]) ? spec[group] : NO_ITEMS;
    for (let ci = 0; ci < list.length; ci++) {
      const container = list[ci];
      const mounts: any[] = Array.isArray(container?.volumeMounts) ? container.volumeMounts : NO_ITEMS;
      if (mounts.length === 0) continue;
      const cname = typeof container?.name === 'string' ? container.name : String(ci);
      const mp = (mi: number) => `${specPath}/${group}/${ci}/volumeMounts/${mi}`;
      paths.clear();
      for (let mi = 0; mi < mounts.length; mi++) {
        const m = mounts[mi];
        const vname = m?.name;
        if (typeof vname === 'string' && !seen.has(vname)) {
          out.push(finding(R.MOUNT_UNKNOWN_VOLUME, mp(mi) + '/name', 'name', `of a volume mount in container '${cname}' names no volume of the pod`, show(vname)));
        }
        const isToken = tokenVolumes.has(vname);
        if (isToken) mounted.add(vname);
        const mountPath = m?.mountPath;
        if (isToken && (typeof mountPath !== 'string' || !mountPath.startsWith('/'))) {
          out.push(finding(R.MOUNT_PATH, mp(mi) + '/mountPath', 'mountPath',
            `of token volume '${vname}' in container '${cname}' must be a non-empty absolute path`, show(mountPath)));
        }
        if (typeof mountPath === 'string' && mountPath !== '') {
          const key = mountPath.length > 1 && mountPath.endsWith('/') ? mountPath.replace(/\/+$/, '') : mountPath;
          const first = paths.get(key);
          if (first !== undefined) {
            out.push(finding(R.MOUNT_PATH_DUPLICATE, mp(mi) + '/mountPath', 'mountPath',
              `of volume '${vname}' in container '${cname}' is already used by the mount of volume '${mounts[first]?.name}'; it must be unique`, show(mountPath)));
          } else {
            paths.set(key, mi);
          }
        }
        if (isToken && ((m.subPath !== undefined && m.subPath !== '') || (m.subPathExpr !== undefined && m.subPathExpr !== ''))) {
          const field = m.subPath !== undefined && m.subPath !== '' ? 'subPath' : 'subPathExpr';
          out.push(finding(R.MOUNT_SUBPATH, `${mp(mi)}/${field}`, field,
            `of token volume '${vname}' in container '${cname}' stops the kubelet from updating the rotated token`, show(m[field])));
        }
      }
    }
  }
  for (const name of tokenVolumes) {
    if (!mounted.has(name) && !isApiAccessVolume({ name })) {
      const i = volumes.findIndex(v => v?.name === name);
      out.push(finding(R.MOUNT_NOWHERE, `${specPath}/volumes/${i}`, 'volumeMounts', `of no container mount token volume '${name}'`, 'no mount'));
    }
  }
  if (opts.bare && !spec.serviceAccountName && !spec.serviceAccount) {
    const own = [...tokenVolumes].filter(n => !isApiAccessVolume({ name: n }));
    if (own.length > 0) {
      out.push(finding(R.POD_DEFAULT_SERVICE_ACCOUNT, `${specPath}`, 'serviceAccountName',
        `is not set on a Pod that projects a token (volume '${own[0]}'), so the token identifies the namespace's 'default' account`, 'nothing'));
    }
  }
  return out;
}

/** True when the mode lets others (not owner, not group) read the file. */
function othersCanRead(mode: number): boolean {
  return Math.floor(mode / 4) % 2 === 1;
}

function podOwnsFiles(spec: any): boolean {
  const sc = spec?.securityContext;
  return sc?.fsGroup !== undefined || sc?.runAsUser !== undefined;
}

export { ptr };
