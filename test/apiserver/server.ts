// A real kube-apiserver (v1.32) for the tests, used the way controller projects
// use envtest: what it accepts, refuses or warns about, and how it runs the
// admission policies (real CEL, real cost limits), is the truth the rules are
// tested against.
//
// The server lives outside the repository, in `../shared/tools/apiserver/`
// (beside the clone). Without it, every suite that needs it is skipped with one
// line saying why; with REQUIRE_APISERVER=1 (set by `.ci/run`) a missing server
// fails the run instead, so CI cannot pass by skipping.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Where the shared tools sit, relative to the repository root. */
export const APISERVER_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'tools', 'apiserver');

/** Why the API server cannot run here, or undefined when it can. */
export function apiServerUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(APISERVER_DIR, 'start.sh'))) {
    return `no ${path.relative(process.cwd(), APISERVER_DIR)}/start.sh beside the clone`;
  }
  const missing = ['etcd', 'kubectl', 'openssl'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
  if (missing.length > 0) {
    return `${missing.join(', ')} not installed (.ci/run installs etcd with apt-get install etcd-server)`;
  }
  return undefined;
}

/** The result of one kubectl call. */
export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running API server. */
export interface ApiServer {
  readonly kubeconfig: string;
  /** Runs kubectl against the server; `input` is sent on stdin. Never throws on a non-zero exit. */
  kubectl(args: string[], input?: string): KubectlResult;
  /** Stops the server and etcd and removes their temp dir. */
  stop(): void;
}

/** Starts a fresh API server (about 6 s). */
export function startApiServer(env: Record<string, string> = {}): ApiServer {
  const out = execFileSync(path.join(APISERVER_DIR, 'start.sh'), {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  const kubeconfig = out.trim().split('\n').pop()!.trim();
  if (!fs.existsSync(kubeconfig)) {
    throw new Error(`start.sh did not print a kubeconfig: ${out}`);
  }
  let stopped = false;
  return {
    kubeconfig,
    kubectl(args: string[], input?: string): KubectlResult {
      const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
        input,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: 120_000,
      });
      return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      spawnSync(path.join(APISERVER_DIR, 'stop.sh'), [kubeconfig], { stdio: 'ignore', timeout: 60_000 });
    },
  };
}

/**
 * `describe` for suites that need the API server: starts one server for the
 * suite (`get()` returns it inside tests) and stops it afterwards. Without the
 * server the suite is skipped with one line; under REQUIRE_APISERVER=1 it fails.
 */
export function describeWithApiServer(name: string, body: (get: () => ApiServer) => void, env: Record<string, string> = {}): void {
  const why = apiServerUnavailable();
  if (why !== undefined) {
    if (process.env.REQUIRE_APISERVER === '1') {
      describe(name, () => {
        test('the real API server is available (REQUIRE_APISERVER=1)', () => {
          throw new Error(`REQUIRE_APISERVER=1 but the real API server cannot run: ${why}`);
        });
      });
      return;
    }
    // eslint-disable-next-line no-console
    console.log(`skipped "${name}": ${why}`);
    describe.skip(name, () => body(() => { throw new Error(why); }));
    return;
  }
  describe(name, () => {
    let server: ApiServer | undefined;
    beforeAll(() => {
      server = startApiServer(env);
    }, 180_000);
    afterAll(() => server?.stop());
    body(() => {
      if (!server) throw new Error('the API server did not start');
      return server;
    });
  });
}
