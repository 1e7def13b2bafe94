// Issue 19 §4-5 on the real kube-apiserver 1.32, started with
// --service-account-max-token-expiration=2h: the server shortens what the rules
// say it shortens (BT280, issuedLifetime), and refuses the CSIDriver
// tokenRequests the lint reports as errors (BT282, BT101, BT102).
import { describeWithApiServer } from './server';
import { Linter } from '../../src/lint/lint';
import { issuedLifetime } from '../../src/rules';

const MAX = 7200;

function csiDriver(name: string, spec: any): string {
  return JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name }, spec });
}

function lintErrors(text: string): string[] {
  const l = new Linter({ limits: { maxExpirationSeconds: MAX } });
  l.addSource('x.json', text);
  return l.report().findings.filter(f => f.level === 'error').map(f => f.ruleId).sort();
}

function lifetimeOf(token: string): number {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  return claims.exp - claims.iat;
}

describeWithApiServer('the cluster\'s token limits and CSIDriver token requests on a real API server', (server) => {
  test('a request longer than the maximum is shortened, with the warning, to what issuedLifetime says', () => {
    const r = server().kubectl(['create', 'token', 'default', '--audience', 'vault', '--duration', '48h']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`requested expiration of 172800 seconds shortened to ${MAX} seconds`);
    expect(lifetimeOf(r.stdout.trim())).toBe(issuedLifetime(172800, 'vault', { maxExpirationSeconds: MAX }).issuedSeconds);
  });

  test('a pod asking for more than the maximum is admitted (the shortening happens at the TokenRequest): BT280 is a warning', () => {
    const pod = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'long', namespace: 'default' },
      spec: {
        containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
        volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 172800 } }] } }],
      },
    });
    const r = server().kubectl(['apply', '--dry-run=server', '-f', '-'], pod);
    expect(r.stdout).toContain('pod/long created (server dry run)');
    const l = new Linter({ limits: { maxExpirationSeconds: MAX } });
    l.addSource('x.json', pod);
    expect(l.report().findings.map(f => `${f.ruleId} ${f.level}`)).toEqual(['BT280 warning']);
  });

  test.each([
    ['duplicate audience', csiDriver('dup.example.com', { tokenRequests: [{ audience: 'vault' }, { audience: 'vault' }] }), ['BT282'], 'Duplicate value: "vault"'],
    ['under 10 minutes', csiDriver('short.example.com', { tokenRequests: [{ audience: 'vault', expirationSeconds: 300 }] }), ['BT101'], 'may not specify a duration less than 10 minutes'],
    ['over 2^32 seconds', csiDriver('long.example.com', { tokenRequests: [{ audience: 'vault', expirationSeconds: 4294967297 }] }), ['BT102'], 'may not specify a duration larger than 2^32 seconds'],
  ])('CSIDriver, %s: refused by the server, an error of the lint', (_name, text, errors, phrase) => {
    const r = server().kubectl(['apply', '--dry-run=server', '-f', '-'], text);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(phrase);
    expect(lintErrors(text)).toEqual(errors);
  });

  test('CSIDriver with distinct audiences (one empty) and lifetimes in range: accepted, no error of the lint', () => {
    const text = csiDriver('ok.example.com', { tokenRequests: [{ audience: 'vault', expirationSeconds: 600 }, { audience: '' }] });
    const r = server().kubectl(['apply', '--dry-run=server', '-f', '-'], text);
    expect(r.stdout).toContain('csidriver.storage.k8s.io/ok.example.com created (server dry run)');
    expect(lintErrors(text)).toEqual([]);
  });

  test('serviceAccountTokenInSecrets is unknown to 1.32: kubectl\'s strict field validation refuses it, without validation it is dropped', () => {
    const text = csiDriver('secrets.example.com', { serviceAccountTokenInSecrets: true, tokenRequests: [{ audience: 'vault' }] });
    const strict = server().kubectl(['apply', '--dry-run=server', '-f', '-'], text);
    expect(strict.status).not.toBe(0);
    expect(strict.stderr).toContain('unknown field "spec.serviceAccountTokenInSecrets"');
    const lax = server().kubectl(['apply', '--dry-run=server', '--validate=false', '-f', '-'], text);
    expect(lax.stdout).toContain('created (server dry run)');
  });
}, { EXTRA_APISERVER_ARGS: `--service-account-max-token-expiration=${MAX}s` });
