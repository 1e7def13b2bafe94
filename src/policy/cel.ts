// Building blocks of the admission policy's CEL. Internal: not part of the jsii API.
//
// Everything here is plain CEL plus the functions Kubernetes ships on every
// version that has ValidatingAdmissionPolicy: the standard macros (has, all,
// exists, filter, map), `matches` (RE2) and the extended strings library
// version 1 (split, join, substring, lastIndexOf, ...). Nothing needs CEL
// optional types, cel.bind, the lists extension or Kubernetes' url() library,
// so the same expressions run on Kubernetes 1.28+ and in the test evaluator
// (@bufbuild/cel with its strings extension).
//
// Kubernetes compiles policy CEL with HomogeneousAggregateLiterals: list and
// map literals must hold one type. The expressions below use only `[]`, `{}`,
// lists of strings, lists of bools and one-element lists (the `[x].map(y, ...)[0]`
// idiom that binds a value to a name without cel.bind).

/** A CEL string literal (single-quoted, escaped). */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** A CEL list literal of strings. */
export function celStringList(items: readonly string[]): string {
  return `[${items.map(celString).join(', ')}]`;
}

/**
 * A CEL raw string literal holding an RE2 pattern. The pattern must not
 * contain a single quote (write `\x27` instead).
 */
export function celRegex(pattern: string): string {
  if (pattern.includes("'")) throw new Error(`internal: regex contains a quote: ${pattern}`);
  return `r'${pattern}'`;
}

/**
 * The characters JavaScript's `\s` and `String.prototype.trim` treat as white
 * space, as an RE2 class body. RE2's own `\s` is only `[\t\n\f\r ]`, so the
 * rules that mirror a JavaScript check spell the set out.
 */
export const JS_WHITESPACE_CLASS = String.raw`\t\n\x0B\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}`;

/**
 * CEL for `x` without its trailing slashes (JavaScript `x.replace(/\/+$/, '')`),
 * with the strings library only: the result ends with the last non-empty
 * segment, found as the last occurrence of that segment followed by '/'.
 * It uses only lastIndexOf and substring for positions, never size(): cel-go
 * counts code points in all three, but @bufbuild/cel counts UTF-16 units in
 * lastIndexOf/substring and code points in size(), and mixing them would
 * break on characters outside the Basic Multilingual Plane.
 * `x` must be a side-effect-free expression (it is repeated).
 */
export function stripTrailingSlashes(x: string): string {
  return `(${x}.endsWith('/') ? [${x}.split('/').filter(pathSeg, pathSeg != '')].map(pathSegs, pathSegs.size() == 0 ? '' : `
    + `${x}.substring(0, ${x}.lastIndexOf(pathSegs[pathSegs.size() - 1] + '/')) + pathSegs[pathSegs.size() - 1])[0] : ${x})`;
}

// --- Go's net/url.Parse, as regular expressions -------------------------------
//
// The OpenShift kube-apiserver operator refuses an issuer that contains ':'
// unless Go's url.Parse accepts it (src/rules/go-url.ts ports that function).
// Kubernetes' CEL `isURL()` is url.ParseRequestURI, which is stricter (it
// rejects relative references and fragments), so the policy spells out what
// url.Parse accepts instead. The test suite checks these expressions against
// the port on generated strings.

const HEX = '[0-9A-Fa-f]';
const ESC = `%${HEX}{2}`;
/** A path, opaque or fragment byte that is not '%': anything but the query and fragment delimiters and control characters. */
const PATH_CHAR = String.raw`(?:[^%?#\x00-\x1f\x7f]|${ESC})`;
const PATH_CHAR_NOT_SLASH = String.raw`(?:[^/%?#\x00-\x1f\x7f]|${ESC})`;
/** Go's validUserinfo, then its unescape. */
const USERINFO_CHAR = String.raw`(?:[A-Za-z0-9\-._:~!$&\x27()*+,;=@]|${ESC})`;
/** What Go's unescape accepts in a host: ASCII sub-delims and more, any non-ASCII, and escapes of non-ASCII bytes or %25. */
const HOST_SET = String.raw`A-Za-z0-9\-_.~!$&\x27()*+,;=<>\x22`;
const HOST_ESC = String.raw`[^\x00-\x7f]|%[89A-Fa-f]${HEX}|%25`;
const HOST_CHAR = String.raw`(?:[${HOST_SET}:\[\]]|${HOST_ESC})`;
const HOST_CHAR_NO_COLON = String.raw`(?:[${HOST_SET}\[\]]|${HOST_ESC})`;
const HOST_FIRST = String.raw`(?:[${HOST_SET}:\]]|${HOST_ESC})`;
const HOST_FIRST_NO_COLON = String.raw`(?:[${HOST_SET}\]]|${HOST_ESC})`;
/** Go's parseHost: `[...]` with an optional port, or a host whose last ':' starts a numeric port. */
const HOST = String.raw`(?:\[${HOST_CHAR}*\](?::[0-9]*)?|(?:${HOST_FIRST_NO_COLON}${HOST_CHAR_NO_COLON}*)?|(?:${HOST_FIRST}${HOST_CHAR}*)?:[0-9]*)`;
/** userinfo ends at the last '@' (the host holds none). */
const AUTHORITY = `(?:${USERINFO_CHAR}*@)?${HOST}`;
const END = '(?:[?#]|$)';
const SCHEME = String.raw`[A-Za-z][A-Za-z0-9+.\-]*`;

/** The URL regular expressions, exported for the tests. */
export const GO_URL = {
  /** a control character before the fragment */
  control: String.raw`^[^#]*[\x00-\x1f\x7f]`,
  /** the fragment holds only valid escapes */
  fragment: `^[^#]*(?:#(?:[^%]|${ESC})*)?$`,
  hasScheme: `^${SCHEME}:`,
  /** after a scheme: opaque, authority and path, or an absolute path */
  withScheme: `^${SCHEME}:(?:$|[^/]|//${AUTHORITY}(?:/${PATH_CHAR}*)?${END}|/(?:${PATH_CHAR_NOT_SLASH}${PATH_CHAR}*)?${END})`,
  /** no scheme: a colon in the first segment is an error */
  firstSegmentColon: '^[^/?#]*:',
  noSchemeAuthority: `^//${AUTHORITY}(?:/${PATH_CHAR}*)?${END}`,
  noSchemePath: `^${PATH_CHAR}*${END}`,
  https: '^[Hh][Tt][Tt][Pp][Ss]:',
};

/** CEL: true when Go's url.Parse accepts the string `x` (a side-effect-free expression). */
export function goUrlParses(x: string): string {
  const m = (re: string) => `${x}.matches(${celRegex(re)})`;
  return `!${m(GO_URL.control)} && ${m(GO_URL.fragment)} && (${m(GO_URL.hasScheme)} ? ${m(GO_URL.withScheme)} : `
    + `(!${m(GO_URL.firstSegmentColon)} && (${x}.startsWith('//') ? ${m(GO_URL.noSchemeAuthority)} : ${m(GO_URL.noSchemePath)})))`;
}
