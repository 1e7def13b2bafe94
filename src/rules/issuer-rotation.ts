// The rules of an issuer change across the app (BT160, BT165), of the issuer
// restart (BT180-BT186) and of the GitOps waves of an issuer change (BT183),
// as pure functions: IssuerRotationRestart and ClusterIssuerConfig call them where a prop is given (single-prop errors
// are thrown there) and at synth (what depends on other props or on the rest
// of the app). Pure: no cdk8s.
import { ISSUER_PER_CLUSTER_FIX, R } from './catalogue';
import { effectiveIssuer } from './check-issuer';
import { Finding, finding, show } from './finding';
import { DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL_PATTERN, isDns1123Label } from './kubernetes';

/** A namespace name, or a pattern with `*` wildcards: a DNS-1123 label in which '*' counts as a letter. */
const PATTERN = new RegExp(DNS1123_LABEL_PATTERN.replace(/a-z0-9/g, 'a-z0-9*'));

/** Matches a namespace against an exclusion pattern as the Job's shell `case` does (`*` = any text). */
export function matchesNamespacePattern(ns: string, pattern: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map(p => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*') + '$');
  return re.test(ns);
}

/** True when an image reference carries a digest, or a tag other than `latest`. */
export function isPinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon > 0 && colon < last.length - 1 && last.slice(colon + 1) !== 'latest';
}

/** The namespaces of a restart. */
export interface RestartNamespaces {
  /** The namespace the Job runs in. */
  readonly namespace: unknown;
  /** The namespaces to restart; undefined: every namespace. */
  readonly namespaces?: readonly unknown[];
  /** The exclusion patterns in force (the default ones when none are given). */
  readonly excludeNamespaces: readonly unknown[];
}

/**
 * BT180 (a namespace or pattern that is not one, an empty `namespaces`) and
 * BT186 (a pattern that excludes every namespace): errors, each about one prop.
 */
export function checkRestartNamespaces(n: RestartNamespaces): Finding[] {
  const out: Finding[] = [];
  const label = (value: unknown, prop: string) => {
    if (typeof value !== 'string' || !isDns1123Label(value)) {
      out.push(finding(R.RESTART_NAMESPACE, '', prop, 'must be a DNS-1123 label (a namespace name)', show(value)));
    }
  };
  label(n.namespace, 'namespace');
  (n.namespaces ?? []).forEach((ns, i) => label(ns, `namespaces[${i}]`));
  n.excludeNamespaces.forEach((pat, i) => {
    if (typeof pat !== 'string' || pat.length > DNS1123_LABEL_MAX_LENGTH || !PATTERN.test(pat)) {
      out.push(finding(R.RESTART_NAMESPACE, '', `excludeNamespaces[${i}]`,
        "must be a namespace name, or a pattern of lowercase letters, digits, '-' and '*'", show(pat)));
    }
  });
  n.excludeNamespaces.forEach((pat, i) => {
    if (typeof pat === 'string' && /^\*+$/.test(pat)) {
      out.push(finding(R.RESTART_EXCLUDES_ALL, '', `excludeNamespaces[${i}]`, 'excludes every namespace, so the Job would restart nothing', show(pat)));
    }
  });
  if (n.namespaces && n.namespaces.length === 0) {
    out.push(finding(R.RESTART_NAMESPACE, '', 'namespaces', 'must name at least one namespace (leave it out to restart every namespace)', '[]'));
  }
  return out;
}

/** BT185 (a warning): a named namespace that is excluded, or is the Job's own. */
export function checkRestartNamespacesExcluded(n: RestartNamespaces): Finding[] {
  const out: Finding[] = [];
  for (const ns of n.namespaces ?? []) {
    if (ns === n.namespace) {
      out.push(finding(R.RESTART_NAMESPACE_EXCLUDED, '', 'namespaces',
        `names '${ns}', the namespace the Job runs in, which it never restarts`, show(n.namespaces)));
    } else if (typeof ns === 'string') {
      const pat = n.excludeNamespaces.find(x => typeof x === 'string' && matchesNamespacePattern(ns, x));
      if (pat !== undefined) {
        out.push(finding(R.RESTART_NAMESPACE_EXCLUDED, '', 'namespaces',
          `names '${ns}', which excludeNamespaces excludes ('${pat}')`, show(n.namespaces)));
      }
    }
  }
  return out;
}

/** The timing of a restart: durations in milliseconds (as given, not rounded). */
export interface RestartTiming {
  readonly pauseBetweenNamespacesMs?: number;
  readonly pollIntervalMs?: number;
  readonly waitTimeoutMs?: number;
  readonly confirmations?: unknown;
}

/** BT181: a duration or count out of range (errors, each about one prop). */
export function checkRestartTiming(t: RestartTiming): Finding[] {
  const out: Finding[] = [];
  const seconds = (raw: number | undefined, prop: string, min: number, max: number, range: string) => {
    if (raw === undefined) return;
    const ms = Math.round(raw);
    const s = Math.round(ms / 1000);
    if (ms % 1000 !== 0 || s < min || s > max) {
      out.push(finding(R.RESTART_DURATION, '', prop, `must be ${range} in whole seconds`, `${ms / 1000} seconds`));
    }
  };
  seconds(t.pauseBetweenNamespacesMs, 'pauseBetweenNamespaces', 0, 3600, 'between 0 and 1 hour');
  seconds(t.pollIntervalMs, 'pollInterval', 1, 3600, 'between 1 second and 1 hour');
  seconds(t.waitTimeoutMs, 'waitTimeout', 60, 86399, 'at least 1 minute and less than 24 hours');
  const c = t.confirmations;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > 100)) {
    out.push(finding(R.RESTART_DURATION, '', 'confirmations', 'must be a whole number between 1 and 100', show(c)));
  }
  return out;
}

/** BT184: the Job's image is not pinned (a warning). */
export function checkRestartImage(image: unknown): Finding[] {
  if (typeof image !== 'string' || isPinnedImage(image)) return [];
  return [finding(R.RESTART_IMAGE_UNPINNED, '/spec/template/spec/containers/0/image', 'image', 'is not pinned to a version tag or digest', show(image))];
}

/** Another issuer construct of the same cluster, for messages. */
export interface ClusterPeer {
  /** Its construct path. */
  readonly path: string;
  /** What it applies to: 'the whole app' or a quoted construct path. */
  readonly appliesTo: string;
}

/**
 * BT182: the restart is one of several of its cluster (`cluster` says which:
 * 'the whole app' or a quoted path), or waits for an issuer that no
 * ClusterIssuerConfig of its cluster sets (`configIssuers`: theirs, as
 * written; none for a standalone restart).
 */
export function checkRestartInCluster(
  issuer: string, cluster: string, otherRestarts: readonly ClusterPeer[], configIssuers: readonly string[],
): Finding[] {
  const out: Finding[] = [];
  if (otherRestarts.length > 0) {
    out.push(finding(R.RESTART_ISSUER_MISMATCH, '', 'IssuerRotationRestart',
      `must appear once per cluster, but ${otherRestarts.length + 1} apply to the same objects (this one to ${cluster})`,
      otherRestarts.map(r => `'${r.path}' (applies to ${r.appliesTo})`).join(', ') + ' besides this one'));
  }
  if (configIssuers.length > 0 && !configIssuers.some(c => effectiveIssuer(c) === effectiveIssuer(issuer))) {
    out.push(finding(R.RESTART_ISSUER_MISMATCH, '', 'serviceAccountIssuer',
      `waits for an issuer that no ClusterIssuerConfig of its cluster (${cluster}) sets (${configIssuers.map(c => `'${c}'`).join(', ')})`,
      show(issuer)));
  }
  return out;
}

/** BT160 (constructs): another ClusterIssuerConfig applies to the same cluster. */
export function checkIssuerPerCluster(cluster: string, otherConfigs: readonly ClusterPeer[]): Finding[] {
  if (otherConfigs.length === 0) return [];
  return [finding(R.ISSUER_MULTIPLE, '', 'ClusterIssuerConfig',
    `must appear once per cluster, but ${otherConfigs.length + 1} apply to the same objects (this one to ${cluster})`,
    otherConfigs.map(o => `'${o.path}' (applies to ${o.appliesTo})`).join(', ') + ' besides this one',
    ISSUER_PER_CLUSTER_FIX)];
}

/** BT165 (a warning): the cluster issuer changes, and no restart of its pods is planned. */
export function checkIssuerChangePlanned(issuer: string, planned: boolean): Finding[] {
  if (planned) return [];
  return [finding(R.ISSUER_CHANGE, '/spec/serviceAccountIssuer', 'serviceAccountIssuer',
    'changes the cluster issuer: tokens of the previous issuer stop being trusted 24 h after the change and their pods must be restarted',
    `'${issuer}'`)];
}

/** BT183: an Argo CD sync wave that is not an integer (an error about one prop). */
export function checkSyncWaveInteger(wave: unknown, prop: string, path = ''): Finding[] {
  if (wave === undefined || (typeof wave === 'number' && Number.isInteger(wave))) return [];
  return [finding(R.GITOPS_SYNC_WAVE, path, prop, 'must be an integer', show(wave))];
}

/** BT183: the restart's wave is not after the wave of the Authentication change. */
export function checkRestartWave(restartWave: number, issuerWave: unknown): Finding[] {
  if (!Number.isInteger(restartWave) || typeof issuerWave !== 'number' || !Number.isInteger(issuerWave) || restartWave > issuerWave) return [];
  return [finding(R.GITOPS_SYNC_WAVE, '', 'gitOps.restartSyncWave',
    `must be greater than the sync wave of the Authentication change (${issuerWave})`, show(restartWave))];
}
