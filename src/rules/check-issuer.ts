import { R } from './catalogue';
import { Finding, finding, show } from './finding';
import { GoUrl, parseGoUrl } from './go-url';

/** The issuer OpenShift documents as its default. */
export const PLATFORM_DEFAULT_ISSUER = 'https://kubernetes.default.svc';

/** The issuer the cluster uses for a configured value: an empty one is the platform default. */
export function effectiveIssuer(value: string): string {
  return value === '' ? PLATFORM_DEFAULT_ISSUER : value;
}

/** Parses an issuer as the kube-apiserver operator does; undefined when it has no ':' or fails. */
export function parseIssuer(value: string): GoUrl | undefined {
  if (!value.includes(':')) return undefined;
  const r = parseGoUrl(value);
  return r.ok ? r.url : undefined;
}

/**
 * Checks a service account issuer value as the OpenShift kube-apiserver
 * operator and external verifiers would. `path` and `prop` locate it.
 */
export function checkIssuerValue(value: unknown, path: string, prop: string): Finding[] {
  // empty (or absent) is OpenShift's default: the kube-apiserver operator reads it as PLATFORM_DEFAULT_ISSUER
  if (value === '' || value === undefined || value === null) return [];
  if (typeof value !== 'string') {
    return [finding(R.ISSUER_EMPTY, path, prop, 'must be a string (empty for the platform default)', show(value))];
  }
  if (value.trim() === '') {
    return [finding(R.ISSUER_EMPTY, path, prop, "must not be white space only (an empty string is the platform default, 'https://kubernetes.default.svc')", show(value))];
  }
  if (value.includes(':')) {
    const r = parseGoUrl(value);
    if (!r.ok) {
      return [finding(R.ISSUER_INVALID_URL, path, prop, `contains ':' but is not a valid URL (${r.error})`, show(value))];
    }
    const url = r.url;
    const bracketed = bracketedHost(url.host);
    if (bracketed !== undefined && parseIPv6(bracketed) === undefined) {
      return [finding(R.ISSUER_INVALID_URL, path, prop,
        `has a host in brackets that is not an IPv6 address ('${bracketed}'); Go 1.24.8, 1.25.2 and later refuse it`, show(value))];
    }
    if (url.scheme === 'https') {
      if (url.rawQuery !== '' || url.forceQuery || url.hasFragment) {
        return [finding(R.ISSUER_QUERY_FRAGMENT, path, prop, 'must not have a query or a fragment', show(value))];
      }
      if (url.host === '') {
        return [finding(R.ISSUER_NOT_HTTPS, path, prop, 'is an https URL without a host, so no external verifier can fetch its keys', show(value))];
      }
      return [];
    }
  }
  return [finding(R.ISSUER_NOT_HTTPS, path, prop, 'is not an https URL, so no external verifier can fetch its keys', show(value))];
}

// --- host names -------------------------------------------------------------

/** The text between the brackets of an IP-literal host (`[fe80::1%25en0]:443` -> `fe80::1`), if bracketed. */
function bracketedHost(host: string): string | undefined {
  if (!host.startsWith('[')) return undefined;
  const end = host.lastIndexOf(']');
  if (end < 0) return undefined;
  const inner = host.slice(1, end);
  const zone = inner.indexOf('%25');
  return zone >= 0 ? inner.slice(0, zone) : inner;
}

/** Decodes %XX escapes (UTF-8); leaves the text as it is when it does not decode. */
function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The host name of a parsed URL, as a verifier would resolve it: without
 * userinfo, port, brackets or IPv6 zone, %-decoded, lower case, without a
 * trailing dot. Undefined when the URL has no host.
 */
export function urlHostname(url: GoUrl): string | undefined {
  if (url.host === '') return undefined;
  let name: string;
  const bracketed = bracketedHost(url.host);
  if (bracketed !== undefined) {
    name = bracketed;
  } else {
    const colon = url.host.lastIndexOf(':');
    name = colon >= 0 && /^:[0-9]*$/.test(url.host.slice(colon)) ? url.host.slice(0, colon) : url.host;
  }
  name = percentDecode(name).toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name === '' ? undefined : name;
}

/** Parses a dotted-quad IPv4 address into its four octets (no leading zeros, as Go's net.ParseIP since 1.17). */
export function parseIPv4(s: string): number[] | undefined {
  const octet = '(0|[1-9]\\d{0,2})';
  const m = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`).exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every(o => o <= 255) ? octets : undefined;
}

/** Parses an IPv6 address (with `::` and an optional trailing IPv4 part) into its eight 16-bit groups. */
export function parseIPv6(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (allowV4 && i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  if (halves.length === 1) {
    const all = groups(halves[0], true);
    return all && all.length === 8 ? all : undefined;
  }
  const head = groups(halves[0], false);
  const tail = groups(halves[1], true);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
}

function privateIPv4(o: number[]): string | undefined {
  const [a, b] = o;
  if (a === 10) return 'a private address (10.0.0.0/8)';
  if (a === 172 && b >= 16 && b <= 31) return 'a private address (172.16.0.0/12)';
  if (a === 192 && b === 168) return 'a private address (192.168.0.0/16)';
  if (a === 127) return 'a loopback address (127.0.0.0/8)';
  if (a === 169 && b === 254) return 'a link-local address (169.254.0.0/16)';
  if (a === 100 && b >= 64 && b <= 127) return 'a shared (carrier-grade NAT) address (100.64.0.0/10)';
  if (a === 0) return "a 'this network' address (0.0.0.0/8)";
  return undefined;
}

/**
 * Why a host name cannot be reached from outside the cluster (a cloud IAM
 * fetching `<issuer>/.well-known/openid-configuration`), or undefined when
 * it may be public. Expects the output of `urlHostname`.
 */
export function clusterInternalReason(hostname: string): string | undefined {
  const v4 = parseIPv4(hostname);
  if (v4) return privateIPv4(v4);
  if (hostname.includes(':')) {
    const g = parseIPv6(hostname);
    if (!g) return undefined;
    if (g.every(x => x === 0)) return 'the unspecified IPv6 address (::)';
    if (g.slice(0, 7).every(x => x === 0) && g[7] === 1) return 'the IPv6 loopback address (::1)';
    if (Math.floor(g[0] / 0x200) === 0xfc00 / 0x200) return 'a unique local IPv6 address (fc00::/7)';
    if (Math.floor(g[0] / 0x40) === 0xfe80 / 0x40) return 'a link-local IPv6 address (fe80::/10)';
    if (g.slice(0, 5).every(x => x === 0) && g[5] === 0xffff) {
      return privateIPv4([Math.floor(g[6] / 256), g[6] % 256, Math.floor(g[7] / 256), g[7] % 256]);
    }
    return undefined;
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return 'localhost';
  if (hostname.endsWith('.cluster.local')) return 'a cluster DNS name (*.cluster.local)';
  if (hostname.endsWith('.svc')) return 'a cluster service name (*.svc)';
  if (hostname.endsWith('.local')) return 'a local-only name (*.local)';
  if (hostname.endsWith('.internal')) return 'a private-use name (*.internal)';
  if (!hostname.includes('.')) return 'a single-label name that public DNS does not resolve';
  return undefined;
}

// --- audiences that a cloud verifies -----------------------------------------

/**
 * The cloud service that verifies tokens of this audience by fetching the
 * issuer's discovery document, or undefined for any other audience.
 */
export function cloudAudienceConsumer(audience: string): string | undefined {
  const a = audience.trim();
  if (a === 'sts.amazonaws.com') return 'AWS IAM (web identity federation)';
  if (a.toLowerCase().startsWith('api://azureadtokenexchange')) return 'Azure AD workload identity federation';
  if (a === 'sts.googleapis.com') return 'Google Cloud workload identity federation';
  if (a.startsWith('//iam.googleapis.com/') || a.startsWith('https://iam.googleapis.com/')) {
    return 'Google Cloud workload identity federation';
  }
  if (a === 'openshift') return 'OpenShift short-term cloud credentials';
  return undefined;
}

/** A token audience seen in the app, and where. */
export interface AudienceUse {
  readonly audience: string;
  /** Where it is set, e.g. a construct path. */
  readonly where: string;
}

/** Something in the app that needs a cloud to fetch the issuer's discovery document. */
export interface PublicIssuerNeed {
  /** Who needs it, e.g. 'AWS IAM (web identity federation)'. */
  readonly consumer: string;
  /** Where, e.g. a construct path. */
  readonly where: string;
}

const stripSlashes = (s: string) => s.replace(/\/+$/, '');

/**
 * Compares the issuer with the token audiences of the same app: an audience
 * equal to the issuer is also the API server's own audience (warning); one
 * that differs only by trailing slashes matches neither (error).
 */
export function checkIssuerAudiences(issuer: string, audiences: readonly AudienceUse[], path: string, prop: string): Finding[] {
  const out: Finding[] = [];
  if (typeof issuer !== 'string') return out;
  issuer = effectiveIssuer(issuer);
  if (issuer.trim() === '') return out;
  const seen = new Set<string>();
  for (const a of audiences) {
    if (seen.has(a.audience)) continue;
    seen.add(a.audience);
    if (a.audience === issuer) {
      out.push(finding(R.ISSUER_AUDIENCE_EQUALS, path, prop,
        `equals the audience of a token at '${a.where}', and the issuer is also the API server's own audience, so that token is accepted by the Kubernetes API`,
        show(issuer)));
    } else if (stripSlashes(a.audience) === stripSlashes(issuer)) {
      out.push(finding(R.ISSUER_AUDIENCE_SLASH, path, prop,
        `differs only by a trailing slash from the audience '${a.audience}' of a token at '${a.where}'; audiences and issuers are compared as exact strings`,
        show(issuer)));
    }
  }
  return out;
}

/**
 * Warns when consumers in the app need a cloud to fetch the issuer's
 * discovery document but the issuer's host is cluster-internal (https or not).
 */
export function checkIssuerPublic(issuer: string, needs: readonly PublicIssuerNeed[], path: string, prop: string): Finding[] {
  if (needs.length === 0 || typeof issuer !== 'string') return [];
  const url = parseIssuer(effectiveIssuer(issuer));
  if (!url) return [];
  const host = urlHostname(url);
  if (host === undefined) return [];
  const reason = clusterInternalReason(host);
  if (!reason) return [];
  const who = needs.slice(0, 3).map(n => `${n.consumer} at '${n.where}'`).join(', ')
    + (needs.length > 3 ? ` and ${needs.length - 3} more` : '');
  return [finding(R.ISSUER_NOT_PUBLIC, path, prop,
    `has the cluster-internal host '${host}' (${reason}), but ${who} ${needs.length === 1 ? 'needs' : 'need'} a cloud to fetch '<issuer>/.well-known/openid-configuration' from it`,
    show(issuer))];
}
