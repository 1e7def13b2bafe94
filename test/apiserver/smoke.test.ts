// The harness itself: the server starts, refuses what Kubernetes refuses and
// issues tokens with the audience and lifetime asked for.
import { describeWithApiServer } from './server';

const pod = (expirationSeconds: number) => JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'smoke', namespace: 'default' },
  spec: {
    containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
    volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds } }] } }],
  },
});

describeWithApiServer('real API server harness', (server) => {
  test('accepts a valid token volume on server-side dry run', () => {
    const r = server().kubectl(['apply', '--dry-run=server', '-f', '-'], pod(3600));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('pod/smoke created (server dry run)');
  });

  test('refuses a lifetime under 10 minutes with its own message', () => {
    const r = server().kubectl(['apply', '--dry-run=server', '-f', '-'], pod(300));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('may not specify a duration less than 10 minutes');
  });
});
