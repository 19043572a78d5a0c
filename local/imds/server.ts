// A local instance metadata service that insists on IMDSv2, like an instance launched with
// HttpTokens=required: PUT /latest/api/token gives a session token for a TTL of
// 1-21600 s; every GET must carry it in X-aws-ec2-metadata-token or gets 401.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { lookup, type MetadataTree } from './metadata-tree.js';

const MAX_TTL_SECONDS = 21_600;

export class TokenStore {
  readonly #expiry = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(ttlSeconds: number): string {
    this.#prune();
    const token = randomBytes(32).toString('base64url');
    this.#expiry.set(token, this.now() + ttlSeconds * 1000);
    return token;
  }

  valid(token: string | undefined): boolean {
    if (!token) return false;
    const until = this.#expiry.get(token);
    return until !== undefined && until > this.now();
  }

  #prune(): void {
    const now = this.now();
    for (const [token, until] of this.#expiry) if (until <= now) this.#expiry.delete(token);
  }
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function handleMetadataRequest(tree: MetadataTree, tokens: TokenStore, req: IncomingMessage, res: ServerResponse): void {
  // The SDK joins its endpoint's "/" with "/latest/...", so tidy doubled slashes first.
  // (before URL parsing, which would read "//latest/..." as a host name).
  const path = ((req.url ?? '/').split('?')[0] ?? '/').replace(/\/{2,}/g, '/');
  if (path === '/latest/api/token') {
    if (req.method !== 'PUT') { reply(res, 405, 'Method Not Allowed', { allow: 'PUT' }); return; }
    // Like the real service: a token request that went through a proxy is refused.
    if (header(req, 'x-forwarded-for')) { reply(res, 403, 'Forbidden'); return; }
    const ttl = Number(header(req, 'x-aws-ec2-metadata-token-ttl-seconds'));
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) { reply(res, 400, 'Bad Request'); return; }
    reply(res, 200, tokens.issue(ttl), { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') { reply(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' }); return; }
  if (!tokens.valid(header(req, 'x-aws-ec2-metadata-token'))) { reply(res, 401, 'Unauthorized'); return; }
  if (!path.startsWith('/latest/') && path !== '/latest') { reply(res, 404, 'Not Found'); return; }
  const found = lookup(tree, path.slice('/latest/'.length));
  if (found.kind === 'missing') { reply(res, 404, 'Not Found'); return; }
  const body = found.kind === 'leaf' ? found.value : found.entries.join('\n');
  const type: Record<string, string> = path.endsWith('/instance-identity/document') ? { 'content-type': 'application/json' } : {};
  reply(res, 200, body, type);
}

/** Serves the tree `current` answers at each request (an instance's metadata changes, e.g. a new interface). */
export async function serveMetadata(current: () => MetadataTree, host: string, port: number): Promise<Server> {
  const tokens = new TokenStore();
  const server = createServer((req, res) => handleMetadataRequest(current(), tokens, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
