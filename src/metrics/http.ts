// Serves /metrics (Prometheus text format) and /healthz on the --http-endpoint address, over
// HTTPS when --metrics-cert-file and --metrics-key-file are given (as in the reference).
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Metrics } from './registry.js';

export function parseHttpEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(endpoint);
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new Error(`--http-endpoint must be [host]:port, e.g. 0.0.0.0:3301 or :3301; got "${endpoint}"`);
  }
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port };
}

export interface MetricsTls {
  readonly certFile: string;
  readonly keyFile: string;
}

export async function serveMetrics(endpoint: string, metrics: Metrics, tls?: MetricsTls): Promise<Server> {
  const { host, port } = parseHttpEndpoint(endpoint);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/metrics') {
      metrics.registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      }, (err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
    }
  };
  let server: Server;
  if (tls) {
    const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]).catch((err: unknown) => {
      throw new Error(`cannot read the metrics certificate or key: ${err instanceof Error ? err.message : String(err)}`);
    });
    server = createHttpsServer({ cert, key }, handle);
  } else {
    server = createServer(handle);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
