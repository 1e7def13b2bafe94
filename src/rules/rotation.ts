// When the kubelet refreshes each token of a workload and when it expires,
// read from a plain manifest. Pure: no cdk8s imports (the lint command can
// use it too).
import { DECLARED_CONTAINER_GROUPS, DEFAULT_EXPIRATION_SECONDS, locatePodSpec, refreshAfterSeconds } from './kubernetes';
import { getAt } from './manifest';
import { issuedLifetime, TokenLimits } from './token-limits';

/** The pod-template annotation prefix; the volume name follows it. */
export const ROTATION_ANNOTATION_PREFIX = 'token-rotation.bound-tokens.io/';

/** One token of a workload, with its rotation schedule in whole seconds. */
export interface RotationEntry {
  readonly volume: string;
  readonly path: string;
  readonly audience?: string;
  /**
   * How long the token is valid: the requested lifetime, or with the
   * cluster's limits what the cluster issues (shortened to its maximum; a
   * year for an extended 3607-second API token).
   */
  readonly expirationSeconds: number;
  /** The manifest's expirationSeconds (3600 when omitted). */
  readonly requestedSeconds: number;
  readonly refreshAfterSeconds: number;
  /** Names of the containers (init containers first) that mount the volume. */
  readonly containers: string[];
  /** Absolute paths of the token file in those containers, without duplicates. */
  readonly files: string[];
}

/**
 * Every `serviceAccountToken` source of the object's pod spec, in volume and
 * source order. A token whose lifetime is not a whole number of seconds is
 * left out (the rules report it).
 */
export function tokenRotations(obj: any, limits?: TokenLimits): RotationEntry[] {
  const loc = locatePodSpec(obj);
  if (!loc) return [];
  const spec = getAt(obj, loc.specPath);
  const volumes: any[] = Array.isArray(spec?.volumes) ? spec.volumes : [];
  const out: RotationEntry[] = [];
  for (const v of volumes) {
    const sources: any[] = Array.isArray(v?.projected?.sources) ? v.projected.sources : [];
    const mounts = mountsOf(spec, v?.name);
    for (const s of sources) {
      const t = s?.serviceAccountToken;
      if (!t || typeof t !== 'object' || typeof t.path !== 'string') continue;
      const exp = t.expirationSeconds === undefined || t.expirationSeconds === null ? DEFAULT_EXPIRATION_SECONDS : t.expirationSeconds;
      if (typeof exp !== 'number' || !Number.isInteger(exp) || exp <= 0) continue;
      const files = [...new Set(mounts.map(m => `${m.mountPath.replace(/\/+$/, '')}/${t.path}`))];
      // built by assignment: an object spread followed by more keys is slow in V8, and this runs per workload
      const entry: any = { volume: String(v.name), path: t.path };
      if (typeof t.audience === 'string' && t.audience !== '') entry.audience = t.audience;
      if (limits === undefined) {
        entry.expirationSeconds = exp;
        entry.requestedSeconds = exp;
        entry.refreshAfterSeconds = refreshAfterSeconds(exp);
      } else {
        const issued = issuedLifetime(exp, t.audience, limits);
        entry.expirationSeconds = issued.validSeconds;
        entry.requestedSeconds = exp;
        entry.refreshAfterSeconds = issued.refreshAfterSeconds;
      }
      entry.containers = [...new Set(mounts.map(m => m.container))];
      entry.files = files;
      out.push(entry);
    }
  }
  return out;
}

function mountsOf(spec: any, volume: unknown): Array<{ container: string; mountPath: string }> {
  const out: Array<{ container: string; mountPath: string }> = [];
  for (const group of DECLARED_CONTAINER_GROUPS) {
    const list: any[] = Array.isArray(spec?.[group]) ? spec[group] : [];
    for (const c of list) {
      const mounts: any[] = Array.isArray(c?.volumeMounts) ? c.volumeMounts : [];
      for (const m of mounts) {
        if (m?.name === volume && typeof m.mountPath === 'string' && !m.subPath && !m.subPathExpr) {
          out.push({ container: String(c.name), mountPath: m.mountPath });
        }
      }
    }
  }
  return out;
}

/** A whole number of seconds as a Go-style duration without zero units: 5760 -> `1h36m`, 481 -> `8m1s`. */
export function formatSeconds(total: number): string {
  if (!Number.isFinite(total) || total <= 0) return '0s';
  const s = Math.floor(total);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${sec ? `${sec}s` : ''}`;
}

/**
 * The rotation annotations of an object's pod template: one per token volume,
 * `token-rotation.bound-tokens.io/<volume>: <path>: refresh after 1h36m, expires after 2h`
 * (tokens of one volume joined by `; `). Durations count from the pod's start
 * (and again from each refresh); never timestamps, so they do not change from
 * one synth to the next.
 */
export function rotationAnnotations(obj: any, limits?: TokenLimits): Map<string, string> {
  const byVolume = new Map<string, string[]>();
  for (const e of tokenRotations(obj, limits)) {
    const list = byVolume.get(e.volume) ?? [];
    // the requested lifetime is named only where the cluster's limits change it
    const requested = e.requestedSeconds !== e.expirationSeconds ? ` (requested ${formatSeconds(e.requestedSeconds)})` : '';
    list.push(`${e.path}: refresh after ${formatSeconds(e.refreshAfterSeconds)}, expires after ${formatSeconds(e.expirationSeconds)}${requested}`);
    byVolume.set(e.volume, list);
  }
  const out = new Map<string, string>();
  for (const [volume, parts] of byVolume) out.set(`${ROTATION_ANNOTATION_PREFIX}${volume}`, parts.join('; '));
  return out;
}
