// A small REST client for the test API server: one kubectl call costs about a
// second of process start and discovery, one HTTPS request a few milliseconds,
// and the ground-truth suites send hundreds of objects. Reads the admin client
// certificate from the kubeconfig that start.sh writes.
import * as fs from 'fs';
import * as https from 'https';
import * as YAML from 'yaml';

/** The answer of the API server to one request. */
export interface RestResponse {
  readonly status: number;
  /** The parsed JSON body (a Status object when refused). */
  readonly body: any;
  /** The texts of the `Warning` headers (what kubectl prints as `Warning: ...`). */
  readonly warnings: string[];
}

/** Where an object of a kind lives in the API. */
export interface ResourceInfo {
  readonly resource: string;
  readonly namespaced: boolean;
}

export class RestClient {
  private readonly server: URL;
  private readonly agent: https.Agent;
  private readonly discovered = new Map<string, Map<string, ResourceInfo> | undefined>();

  constructor(kubeconfig: string) {
    const kc = YAML.parse(fs.readFileSync(kubeconfig, 'utf8'));
    const cluster = kc.clusters[0].cluster;
    const user = kc.users[0].user;
    const data = (inline: string | undefined, file: string | undefined) =>
      inline ? Buffer.from(inline, 'base64') : fs.readFileSync(file!);
    this.server = new URL(cluster.server);
    this.agent = new https.Agent({
      ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: data(user['client-certificate-data'], user['client-certificate']),
      key: data(user['client-key-data'], user['client-key']),
      keepAlive: true,
      maxSockets: 4,
    });
  }

  /** Sends one request; never throws on an HTTP error status. */
  request(method: string, path: string, body?: unknown): Promise<RestResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: this.server.hostname,
        port: this.server.port,
        method,
        path,
        agent: this.agent,
        headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
        timeout: 60_000,
      }, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text (e.g. /metrics)
          }
          const raw = res.headers.warning;
          const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
          resolve({ status: res.statusCode ?? 0, body: parsed, warnings: list.flatMap(parseWarnings) });
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Kind to resource, from the API server's discovery (cached per group version). */
  async resourceOf(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (!this.discovered.has(apiVersion)) {
      const r = await this.request('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      this.discovered.set(apiVersion, r.status === 200
        ? new Map((r.body.resources as any[]).filter(x => !x.name.includes('/')).map(x => [x.kind, { resource: x.name, namespaced: x.namespaced }]))
        : undefined);
    }
    return this.discovered.get(apiVersion)?.get(kind);
  }

  /** Forgets what discovery said (after installing a CRD). */
  forgetDiscovery(): void {
    this.discovered.clear();
  }

  /** The collection path of an object's kind, in `namespace` when namespaced. */
  async collectionPath(obj: any, namespace: string): Promise<string | undefined> {
    const info = await this.resourceOf(String(obj.apiVersion), String(obj.kind));
    if (!info) return undefined;
    const base = String(obj.apiVersion).includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    return info.namespaced ? `${base}/namespaces/${namespace}/${info.resource}` : `${base}/${info.resource}`;
  }

  /** Creates an object (server-side dry run unless `dryRun` is false). */
  async create(obj: any, namespace: string, dryRun = true): Promise<RestResponse> {
    const p = await this.collectionPath(obj, namespace);
    if (!p) return { status: 404, body: { message: `the API server serves no ${obj.apiVersion} ${obj.kind}` }, warnings: [] };
    return this.request('POST', `${p}${dryRun ? '?dryRun=All' : ''}`, obj);
  }

  /** Replaces an existing object (server-side dry run unless `dryRun` is false). */
  async replace(obj: any, namespace: string, dryRun = true): Promise<RestResponse> {
    const p = await this.collectionPath(obj, namespace);
    if (!p) return { status: 404, body: { message: `the API server serves no ${obj.apiVersion} ${obj.kind}` }, warnings: [] };
    return this.request('PUT', `${p}/${obj.metadata.name}${dryRun ? '?dryRun=All' : ''}`, obj);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The texts of one `Warning` header (`299 - "text", 299 - "text"`, RFC 7234). */
export function parseWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
  for (const m of header.matchAll(re)) out.push(m[1].replace(/\\(.)/g, '$1'));
  return out;
}

/** The message of a refusal: the Status message with its causes. */
export function refusal(r: RestResponse): string {
  if (r.status >= 200 && r.status < 300) return '';
  const b = r.body;
  if (typeof b !== 'object' || b === null) return String(b);
  const causes = (b.details?.causes ?? []).map((c: any) => `${c.field ?? ''}: ${c.message ?? ''}`);
  return [b.message ?? '', ...causes].join('\n');
}
