// A small Kubernetes API client over node:https: JSON GET/LIST, PATCH, and WATCH as an async
// stream of events. Only what the node plugin and its pre-stop hook need (connection.ts says
// why this is not @kubernetes/client-node). Objects come back as `unknown`; objects.ts
// narrows them.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { VERSION } from '../version.js';
import type { KubeConnection } from './connection.js';

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly status: number,
    /** The Status object's reason (NotFound, Conflict, Invalid, Forbidden, Expired...), if any. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: unknown;
}

export interface WatchOptions {
  /** Query parameters besides watch=1 (fieldSelector, resourceVersion...). */
  readonly query?: Readonly<Record<string, string>>;
  /** The server ends the watch after this long (default 300 s); callers watch again. */
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal;
}

/** What code outside this file needs of a client: tests hand in their own where they must. */
export interface KubeApi {
  get(path: string, query?: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<unknown>;
  patch(path: string, body: unknown, contentType: PatchType, signal?: AbortSignal): Promise<unknown>;
  watch(path: string, options?: WatchOptions): AsyncGenerator<WatchEvent>;
}

export type PatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function statusOf(body: string): { reason: string; message: string } {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; message?: unknown };
    return {
      reason: typeof parsed.reason === 'string' ? parsed.reason : '',
      message: typeof parsed.message === 'string' ? parsed.message : body.slice(0, 300),
    };
  } catch {
    return { reason: '', message: body.slice(0, 300) };
  }
}

function withQuery(path: string, query: Readonly<Record<string, string>> | undefined): string {
  const params = new URLSearchParams(query ?? {}).toString();
  return params === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${params}`;
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class KubeClient implements KubeApi {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly secure: boolean;

  constructor(private readonly connection: KubeConnection, private readonly timeoutMs = 10_000) {
    this.secure = connection.server.protocol === 'https:';
    this.agent = this.secure
      ? new HttpsAgent({
        keepAlive: true,
        ...(connection.ca ? { ca: connection.ca } : {}),
        ...(connection.clientCert ? { cert: connection.clientCert } : {}),
        ...(connection.clientKey ? { key: connection.clientKey } : {}),
        ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
        rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
      })
      : new HttpAgent({ keepAlive: true });
  }

  get description(): string {
    return `${this.connection.server.origin} (${this.connection.description})`;
  }

  /** Closes idle keep-alive connections (a short-lived process would otherwise linger). */
  close(): void {
    this.agent.destroy();
  }

  async get(path: string, query?: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<unknown> {
    return this.json('GET', withQuery(path, query), undefined, undefined, signal);
  }

  async patch(path: string, body: unknown, contentType: PatchType, signal?: AbortSignal): Promise<unknown> {
    return this.json('PATCH', path, JSON.stringify(body), contentType, signal);
  }

  async *watch(path: string, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const timeoutSeconds = options.timeoutSeconds ?? 300;
    const full = withQuery(path, { ...options.query, watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) });
    // The server sends bookmarks about once a minute; silence well past the watch's own end
    // means a dead connection.
    const res = await this.open('GET', full, undefined, undefined, options.signal, (timeoutSeconds + 30) * 1000);
    if (res.statusCode !== 200) {
      const { reason, message } = statusOf(await readBody(res));
      throw new KubeApiError(res.statusCode ?? 0, reason, `WATCH ${path}: HTTP ${res.statusCode ?? '?'}${reason ? ` ${reason}` : ''}: ${message}`);
    }
    let pending = '';
    try {
      for await (const chunk of res) {
        pending += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line === '') continue;
          const event = JSON.parse(line) as { type?: unknown; object?: unknown };
          const type = typeof event.type === 'string' && WATCH_TYPES.has(event.type) ? event.type : undefined;
          if (type === undefined) throw new Error(`WATCH ${path}: an event of unknown type ${JSON.stringify(event.type)}`);
          if (type === 'ERROR') {
            const status = (event.object ?? {}) as { code?: unknown; reason?: unknown; message?: unknown };
            throw new KubeApiError(Number(status.code ?? 0), typeof status.reason === 'string' ? status.reason : '',
              `WATCH ${path}: ${typeof status.message === 'string' ? status.message : 'error event'}`);
          }
          yield { type: type as WatchEvent['type'], object: event.object };
        }
      }
    } finally {
      res.destroy();
    }
  }

  private async json(method: string, path: string, body: string | undefined, contentType: string | undefined, signal?: AbortSignal): Promise<unknown> {
    const res = await this.open(method, path, body, contentType, signal, this.timeoutMs);
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const { reason, message } = statusOf(text);
      throw new KubeApiError(status, reason, `${method} ${path}: HTTP ${status}${reason ? ` ${reason}` : ''}: ${message}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new KubeApiError(status, '', `${method} ${path}: the answer is not JSON`);
    }
  }

  private async open(method: string, path: string, body: string | undefined, contentType: string | undefined,
    signal: AbortSignal | undefined, idleMs: number): Promise<IncomingMessage> {
    const token = this.connection.token ? await this.connection.token() : undefined;
    const { server } = this.connection;
    const prefix = server.pathname.replace(/\/$/, '');
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = (this.secure ? httpsRequest : httpRequest)({
        protocol: server.protocol,
        hostname: server.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: server.port || (this.secure ? 443 : 80),
        path: `${prefix}${path}`,
        method,
        agent: this.agent,
        ...(signal ? { signal } : {}),
        headers: {
          Accept: 'application/json',
          'User-Agent': `ebs-csi-driver/${VERSION}`,
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
      }, resolve);
      req.setTimeout(idleMs, () => req.destroy(new Error(`${method} ${path}: no answer from ${server.origin} within ${idleMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
