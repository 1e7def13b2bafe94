// A faithful port of the parts of Go's net/url.Parse that decide whether a
// string is accepted. The OpenShift kube-apiserver operator validates an
// issuer that contains ':' with it, and Node's WHATWG URL is stricter in
// places (and laxer in others), so where they differ we follow Go.
//
// Which Go: the one OpenShift 4.14's operator is built with (1.20). Go
// 1.24.8 / 1.25.2 and later also reject text between brackets in the host
// that is not an IPv6 address (CVE-2025-47912); this port does not, and the
// issuer check (check-issuer.ts) reports such hosts on its own.
// Go works on bytes, this port on UTF-16 code units: for ASCII input they are
// the same; for non-ASCII input the accept/reject result is the same and only
// the quoted text of an escape error may differ.

/** The parts of a URL the issuer rules need. */
export interface GoUrl {
  readonly scheme: string;
  readonly opaque: string;
  readonly host: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly forceQuery: boolean;
  readonly fragment: string;
  /** true when '#' was present. */
  readonly hasFragment: boolean;
}

/** Result of parsing: a URL, or Go's error text. */
export type GoUrlResult = { ok: true; url: GoUrl } | { ok: false; error: string };

const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);

type Mode = 'path' | 'host' | 'zone' | 'userpass' | 'fragment';

function shouldEscapeHost(c: string): boolean {
  if (/^[A-Za-z0-9]$/.test(c)) return false;
  if ('-_.~'.includes(c)) return false;
  // encodeHost keeps sub-delims and the characters of IPv6 literals and zones.
  if ("!$&'()*+,;=:[]<>\"".includes(c)) return false;
  return true;
}

/** Go's `unescape` in validation only: the error it would return, or undefined. */
function unescape(s: string, mode: Mode): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
        return `invalid URL escape ${JSON.stringify(s.slice(i, Math.min(i + 3, s.length)))}`;
      }
      const escape = s.slice(i, i + 3);
      // In a host, %-encoding is only for non-ASCII bytes (and %25, RFC 6874).
      if (mode === 'host' && parseInt(s[i + 1], 16) < 8 && escape !== '%25') {
        return `invalid URL escape ${JSON.stringify(escape)}`;
      }
      // In an IPv6 zone, an escape may only stand for a byte that could be
      // written as it is in a host, or for a space.
      if (mode === 'zone') {
        const v = parseInt(s.slice(i + 1, i + 3), 16);
        if (escape !== '%25' && v !== 0x20 && (v >= 0x80 || shouldEscapeHost(String.fromCharCode(v)))) {
          return `invalid URL escape ${JSON.stringify(escape)}`;
        }
      }
      i += 2;
    } else if ((mode === 'host' || mode === 'zone') && c.charCodeAt(0) < 0x80 && shouldEscapeHost(c)) {
      return `invalid character ${JSON.stringify(c)} in host name`;
    }
  }
  return undefined;
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function parseHost(host: string): { host: string } | { error: string } {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${JSON.stringify(colonPort)} after host` };
    // RFC 6874: '%25' starts the zone identifier, which has its own escaping rules.
    const zone = host.slice(0, i).indexOf('%25');
    if (zone >= 0) {
      const err = unescape(host.slice(0, zone), 'host')
        ?? unescape(host.slice(zone, i), 'zone')
        ?? unescape(host.slice(i), 'host');
      return err ? { error: err } : { host };
    }
  } else {
    const i = host.lastIndexOf(':');
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) return { error: `invalid port ${JSON.stringify(colonPort)} after host` };
    }
  }
  const err = unescape(host, 'host');
  if (err) return { error: err };
  return { host };
}

function validUserinfo(s: string): boolean {
  for (const c of s) {
    if (/^[A-Za-z0-9]$/.test(c)) continue;
    if ("-._:~!$&'()*+,;=%@".includes(c)) continue;
    return false;
  }
  return true;
}

function getScheme(raw: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (/^[A-Za-z]$/.test(c)) continue;
    if (/^[0-9+.-]$/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' };
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

/** Parses like Go's `url.Parse` and reports Go's error where it would fail. */
export function parseGoUrl(rawUrl: string): GoUrlResult {
  const hashAt = rawUrl.indexOf('#');
  const u = hashAt >= 0 ? rawUrl.slice(0, hashAt) : rawUrl;
  const frag = hashAt >= 0 ? rawUrl.slice(hashAt + 1) : '';
  const fail = (error: string): GoUrlResult => ({ ok: false, error: `parse ${JSON.stringify(u)}: ${error}` });

  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(u)) return fail('net/url: invalid control character in URL');
  if (u === '*') {
    // Go returns early from parse() here, but Parse still checks the fragment.
    return finish({ scheme: '', opaque: '', host: '', path: '*', rawQuery: '', forceQuery: false });
  }
  const sch = getScheme(u);
  if ('error' in sch) return fail(sch.error);
  const scheme = sch.scheme.toLowerCase();
  let rest = sch.rest;
  let rawQuery = '';
  let forceQuery = false;
  if (rest.endsWith('?') && rest.split('?').length - 1 === 1) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  let host = '';
  if (!rest.startsWith('/')) {
    if (scheme !== '') {
      return finish({ scheme, opaque: rest, host: '', path: '', rawQuery, forceQuery });
    }
    const segment = rest.split('/')[0];
    if (segment.includes(':')) return fail('first path segment in URL cannot contain colon');
  }
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const at = authority.lastIndexOf('@');
    const h = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if ('error' in h) return fail(h.error);
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!validUserinfo(userinfo)) return fail('net/url: invalid userinfo');
      const e = unescape(userinfo, 'userpass');
      if (e) return fail(e);
    }
    host = h.host;
  }
  const pathErr = unescape(rest, 'path');
  if (pathErr) return fail(pathErr);
  return finish({ scheme, opaque: '', host, path: rest, rawQuery, forceQuery });

  function finish(p: { scheme: string; opaque: string; host: string; path: string; rawQuery: string; forceQuery: boolean }): GoUrlResult {
    if (hashAt >= 0) {
      const e = unescape(frag, 'fragment');
      if (e) return { ok: false, error: `parse ${JSON.stringify(rawUrl)}: ${e}` };
    }
    return { ok: true, url: { ...p, fragment: frag, hasFragment: hashAt >= 0 } };
  }
}
