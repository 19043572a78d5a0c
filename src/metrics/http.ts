// Serves /metrics (Prometheus text format) and /healthz on the --http-endpoint address.
import { createServer, type Server } from 'node:http';
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

export async function serveMetrics(endpoint: string, metrics: Metrics): Promise<Server> {
  const { host, port } = parseHttpEndpoint(endpoint);
  const server = createServer((req, res) => {
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
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
