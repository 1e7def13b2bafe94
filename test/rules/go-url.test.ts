import * as fc from 'fast-check';
import { checkIssuerValue } from '../../src/rules';
import { parseGoUrl } from '../../src/rules/go-url';

// The OpenShift kube-apiserver operator validates an issuer containing ':' with
// Go's net/url.Parse (facts section 4). These tests hold the port to Go:
// a table of results Go 1.20 gives, and a model-based property test against a
// reference written independently, from the grammar Go applies to each part.

const ok = (raw: string) => expect(parseGoUrl(raw)).toMatchObject({ ok: true });
const err = (raw: string) => {
  const r = parseGoUrl(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to fail, but it parsed`);
  return r.error;
};

describe('parseGoUrl: results Go gives', () => {
  test.each([
    ['https://a b', 'parse "https://a b": invalid character " " in host name'],
    ['https://x:abc', 'parse "https://x:abc": invalid port ":abc" after host'],
    ['1a:b', 'parse "1a:b": first path segment in URL cannot contain colon'],
    [':foo', 'parse ":foo": missing protocol scheme'],
    ['https://x/%zz', 'parse "https://x/%zz": invalid URL escape "%zz"'],
    ['https://x/%4', 'parse "https://x/%4": invalid URL escape "%4"'],
    ['https://[::1', 'parse "https://[::1": missing \']\' in host'],
    ['https://[::1]x/', 'parse "https://[::1]x/": invalid port "x" after host'],
    ['https://%41/', 'parse "https://%41/": invalid URL escape "%41"'],
    ['https://ex{ample/', 'parse "https://ex{ample/": invalid character "{" in host name'],
    ['https://user name@x/', 'parse "https://user name@x/": net/url: invalid userinfo'],
    ['https://us%zzer@x/', 'parse "https://us%zzer@x/": invalid URL escape "%zz"'],
    ['https://x\n/', 'parse "https://x\\n/": net/url: invalid control character in URL'],
    ['https://x/#%zz', 'parse "https://x/#%zz": invalid URL escape "%zz"'],
    ['https://[fe80::1%41]/', 'parse "https://[fe80::1%41]/": invalid URL escape "%41"'],
    ['https://[fe80::1%25%C3]/', 'parse "https://[fe80::1%25%C3]/": invalid URL escape "%C3"'],
    ['//a b', 'parse "//a b": invalid character " " in host name'],
  ])('%j fails with %j', (raw, message) => {
    expect(err(raw)).toBe(message);
  });

  test.each([
    'https://[::1]:443/',
    'https://kubernetes.default.svc',
    'https://x/a b', // the path is not checked for characters
    'https://x/?%zz', // nor is the query
    'https://x:80:90', // Go checks only the text after the last ':' as the port
    'https://x:', // an empty port is a valid optional port
    'https://', // an empty host
    'https://[fe80::1%25en0]/', // an IPv6 zone (RFC 6874)
    'https://[fe80::1%25%41]/', // a zone may escape any byte a host may hold
    'https://x%C3%A9/', // a host may %-encode non-ASCII bytes
    'https://ex<ample/', // < > " are let through in hosts
    'https://u:p@x/',
    'https:opaque%zz', // an opaque URL is not unescaped
    'mailto:a@b',
    '///a b', // three slashes: a path, not an authority
    '*',
    'https://x/#a\tb', // the fragment is cut off before the control check
    'HTTPS://X/',
    'kubernetes.default.svc',
  ])('%j parses', raw => ok(raw));

  test('lowercases the scheme and keeps the host and path', () => {
    const r = parseGoUrl('HTTPS://Issuer.Example.com:8443/a?b#c');
    expect(r).toEqual({
      ok: true,
      url: { scheme: 'https', opaque: '', host: 'Issuer.Example.com:8443', path: '/a', rawQuery: 'b', forceQuery: false, fragment: 'c', hasFragment: true },
    });
  });

  test('a lone trailing ? is a forced empty query', () => {
    expect(parseGoUrl('https://x/?')).toMatchObject({ ok: true, url: { rawQuery: '', forceQuery: true } });
    expect(parseGoUrl('https://x/??')).toMatchObject({ ok: true, url: { rawQuery: '?', forceQuery: false } });
  });
});

// ---------------------------------------------------------------------------
// The reference: a URL is built from parts, and the expected result is decided
// from the parts, in the order Go checks them: control characters (before '#'),
// the scheme, the host (port, then each character or escape), the userinfo
// (characters, then escapes), the path's escapes, the fragment's escapes.

type Mode = 'host' | 'zone' | 'userinfo' | 'path' | 'fragment';

const HEX = /^[0-9a-fA-F]$/;
const isCtl = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;
/** Characters RFC 3986 and Go let through unescaped in a host. */
const HOST_OK = (c: string) => /^[A-Za-z0-9]$/.test(c) || "-._~!$&'()*+,;=:[]<>\"".includes(c) || c.charCodeAt(0) >= 0x80;
const USERINFO_OK = (c: string) => /^[A-Za-z0-9]$/.test(c) || "-._:~!$&'()*+,;=%@".includes(c);

/** The error one token gives in a mode, if any. A token is one character or one '%' escape. */
function tokenError(tok: string, mode: Mode): string | undefined {
  if (tok.startsWith('%')) {
    if (tok.length !== 3 || !HEX.test(tok[1]) || !HEX.test(tok[2])) return `invalid URL escape ${JSON.stringify(tok)}`;
    const byte = parseInt(tok.slice(1), 16);
    if (mode === 'host' && byte < 0x80 && tok !== '%25') return `invalid URL escape ${JSON.stringify(tok)}`;
    if (mode === 'zone' && tok !== '%25' && byte !== 0x20 && !(byte < 0x80 && HOST_OK(String.fromCharCode(byte)))) {
      return `invalid URL escape ${JSON.stringify(tok)}`;
    }
    return undefined;
  }
  if ((mode === 'host' || mode === 'zone') && !HOST_OK(tok)) return `invalid character ${JSON.stringify(tok)} in host name`;
  return undefined;
}

const firstError = (toks: string[], mode: Mode) => toks.map(t => tokenError(t, mode)).find(e => e !== undefined);

interface Parts {
  scheme: string;
  userinfo: string[] | null;
  host: { kind: 'name'; toks: string[] } | { kind: 'ip'; toks: string[]; zone: string[] | null } | { kind: 'open'; toks: string[] };
  port: string | null;
  path: string[];
  query: string[] | null;
  fragment: string[] | null;
}

function build(p: Parts): string {
  let host: string;
  if (p.host.kind === 'name') host = p.host.toks.join('');
  else if (p.host.kind === 'open') host = '[' + p.host.toks.join('');
  else host = '[' + p.host.toks.join('') + (p.host.zone ? '%25' + p.host.zone.join('') : '') + ']';
  return p.scheme + '://' + (p.userinfo ? p.userinfo.join('') + '@' : '') + host + (p.port !== null ? ':' + p.port : '')
    + p.path.join('') + (p.query ? '?' + p.query.join('') : '') + (p.fragment ? '#' + p.fragment.join('') : '');
}

/** What Go's url.Parse gives for a URL built from these parts. */
function reference(p: Parts): { ok: true } | { ok: false; error: string } {
  const raw = build(p);
  const hashAt = raw.indexOf('#');
  const beforeHash = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
  const fail = (e: string, whole = false) => ({ ok: false as const, error: `parse ${JSON.stringify(whole ? raw : beforeHash)}: ${e}` });
  if ([...beforeHash].some(isCtl)) return fail('net/url: invalid control character in URL');
  // the host: its port first, then its characters and escapes
  if (p.host.kind === 'open') return fail("missing ']' in host");
  if (p.port !== null && !/^[0-9]*$/.test(p.port)) return fail(`invalid port ${JSON.stringify(':' + p.port)} after host`);
  const hostError = p.host.kind === 'name'
    ? firstError(p.host.toks, 'host')
    : firstError(p.host.toks, 'host') ?? (p.host.zone ? firstError(p.host.zone, 'zone') : undefined);
  if (hostError) return fail(hostError);
  if (p.userinfo) {
    if (!p.userinfo.every(t => [...t].every(USERINFO_OK))) return fail('net/url: invalid userinfo');
    const e = firstError(p.userinfo, 'userinfo');
    if (e) return fail(e);
  }
  const pathError = firstError(p.path, 'path');
  if (pathError) return fail(pathError);
  if (p.fragment) {
    const e = firstError(p.fragment, 'fragment');
    if (e) return fail(e, true);
  }
  return { ok: true };
}

const tok = (...xs: string[]) => fc.constantFrom(...xs);
const hostTok = tok('a', 'Z', '0', '-', '.', '_', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', '<', '>', '"', 'é',
  ' ', '{', '}', '|', '\\', '^', '`', '%41', '%25', '%C3', '%e9', '%80', '%7F', '%zz', '%4g', '\n');
const ipTok = tok('f', 'e', '8', '0', ':', '.', '1', 'g', ' ', '%C3', '%41');
const zoneTok = tok('e', 'n', '0', '.', '%41', '%20', '%25', '%C3', '%7B', '{', ' ');
const userTok = tok('u', 'S', '9', '-', '.', '_', ':', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', '@',
  '%41', '%zz', ' ', '<', '[', '"', '^');
const pathTok = tok('/', 'a', ':', '@', ' ', 'é', '%41', '%C3', '%zz', '%g1', '\x01', '[', '"');
const queryTok = tok('a', '=', '&', '%zz', ' ', '?', '/', '\n');
const fragTok = tok('a', '#', '%41', '%zz', ' ', '\t', '?', '/');

const partsArb: fc.Arbitrary<Parts> = fc.record({
  scheme: tok('https', 'http', 'HTTPS', 'a+b.c-d'),
  userinfo: fc.option(fc.array(userTok, { maxLength: 5 }), { nil: null }),
  host: fc.oneof(
    fc.record({ kind: fc.constant('name' as const), toks: fc.array(hostTok, { maxLength: 6 }) }),
    fc.record({ kind: fc.constant('ip' as const), toks: fc.array(ipTok, { maxLength: 6 }), zone: fc.option(fc.array(zoneTok, { maxLength: 4 }), { nil: null }) }),
    fc.record({ kind: fc.constant('open' as const), toks: fc.array(ipTok, { maxLength: 4 }) }),
  ),
  port: fc.option(tok('', '443', '8443', '8a', 'x', '-1'), { nil: null }),
  path: fc.oneof(fc.constant([] as string[]), fc.array(pathTok, { maxLength: 6 }).map(t => ['/', ...t])),
  query: fc.option(fc.array(queryTok, { maxLength: 4 }), { nil: null }),
  fragment: fc.option(fc.array(fragTok, { maxLength: 4 }), { nil: null }),
});

describe('parseGoUrl: property tests against the reference', () => {
  test('URLs with an authority: the same result and the same error as the reference', () => {
    fc.assert(fc.property(partsArb, parts => {
      const raw = build(parts);
      const want = reference(parts);
      const got = parseGoUrl(raw);
      if (want.ok) {
        expect(got.ok).toBe(true);
      } else {
        expect(got).toEqual({ ok: false, error: want.error });
      }
    }), { numRuns: 3000 });
  });

  const plain = fc.stringOf(fc.constantFrom('a', 'b', '0', '/', '.', '-', '_', '~', ' ', '?', 'é', '[', ']', '@', '!'), { maxLength: 12 });

  test("without ':', '%', '#' or control characters, and not starting with '//', every string parses (a relative path)", () => {
    fc.assert(fc.property(plain.filter(s => !s.startsWith('//')), s => {
      expect(parseGoUrl(s).ok).toBe(true);
    }));
  });

  test("a valid scheme followed by ':' and no '/' is an opaque URL, whatever follows", () => {
    const scheme = fc.tuple(fc.constantFrom('a', 'H', 'z'), fc.stringOf(fc.constantFrom('a', '1', '+', '.', '-'), { maxLength: 4 })).map(([a, b]) => a + b);
    const rest = fc.stringOf(fc.constantFrom('a', '%', 'z', ':', ' ', '@', '/', '{'), { maxLength: 8 }).filter(s => !s.startsWith('/'));
    fc.assert(fc.property(scheme, rest, (sch, r) => {
      const got = parseGoUrl(`${sch}:${r}`);
      expect(got).toMatchObject({ ok: true, url: { scheme: sch.toLowerCase(), host: '' } });
    }));
  });

  test("a leading ':' is a missing scheme", () => {
    fc.assert(fc.property(plain, s => {
      expect(parseGoUrl(':' + s)).toEqual({ ok: false, error: `parse ${JSON.stringify(':' + s.split('#')[0])}: missing protocol scheme` });
    }));
  });

  test("no scheme (first character a digit, '+', '.' or '-') and a ':' in the first segment is refused", () => {
    const first = fc.constantFrom('1', '+', '.', '-');
    const seg = fc.stringOf(fc.constantFrom('a', '1', '.', '-', '_'), { maxLength: 5 });
    const after = fc.stringOf(fc.constantFrom('a', '/', ':', '1'), { maxLength: 6 });
    fc.assert(fc.property(first, seg, after, (f, s, a) => {
      const raw = `${f}${s}:${a}`;
      expect(parseGoUrl(raw)).toEqual({ ok: false, error: `parse ${JSON.stringify(raw)}: first path segment in URL cannot contain colon` });
    }));
  });

  test('never throws, and accepts nothing with a control character before the fragment', () => {
    fc.assert(fc.property(fc.fullUnicodeString({ maxLength: 30 }), s => {
      const r = parseGoUrl(s);
      const beforeHash = s.split('#')[0];
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x1f\x7f]/.test(beforeHash)) expect(r.ok).toBe(false);
    }), { numRuns: 2000 });
  });
});

// Cases where the port once differed from Go.

describe('parseGoUrl: fixed differences', () => {
  test("checks the fragment of '*' as Go's Parse does (parse returns early, Parse still unescapes the fragment)", () => {
    expect(parseGoUrl('*').ok).toBe(true);
    expect(parseGoUrl('*#ok').ok).toBe(true);
    const r = parseGoUrl('*#%zz');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toContain('invalid URL escape "%zz"');
  });

  test("fails when an issuer '*#%:' holds a bad escape in its fragment (BT162, not BT164)", () => {
    const f = checkIssuerValue('*#%:', '/spec/serviceAccountIssuer', 'serviceAccountIssuer');
    expect(f.map(x => x.ruleId)).toEqual(['BT162']);
    expect(f[0].message).toContain("contains ':' but is not a valid URL");
  });
});
