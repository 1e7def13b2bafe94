import { R } from './catalogue';
import { Finding, finding, show } from './finding';
import { GoUrl, parseGoUrl } from './go-url';

/** The issuer OpenShift documents as its default. */
export const PLATFORM_DEFAULT_ISSUER = 'https://kubernetes.default.svc';

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
  if (typeof value !== 'string' || value.trim() === '') {
    return [finding(R.ISSUER_EMPTY, path, prop, 'must not be empty', show(value))];
  }
  if (value.includes(':')) {
    const r = parseGoUrl(value);
    if (!r.ok) {
      return [finding(R.ISSUER_INVALID_URL, path, prop, `contains ':' but is not a valid URL (${r.error})`, show(value))];
    }
    const url = r.url;
    if (url.scheme === 'https') {
      if (url.rawQuery !== '' || url.forceQuery || url.hasFragment) {
        return [finding(R.ISSUER_QUERY_FRAGMENT, path, prop, 'must not have a query or a fragment', show(value))];
      }
      return [];
    }
  }
  return [finding(R.ISSUER_NOT_HTTPS, path, prop, 'is not an https URL, so no external verifier can fetch its keys', show(value))];
}
