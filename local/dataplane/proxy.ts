// The data plane sits as an HTTP proxy between the driver and the EC2 emulator.
//
// Why a proxy rather than polling DescribeVolumes: the proxy sees AttachVolume,
// CreateSnapshot, ModifyVolume... as they happen and gives them their effect before the
// caller hears "done", exactly like EC2 where the device exists once the attachment is
// "attached" and a snapshot captures the bytes of the moment it was taken. Polling would
// let a snapshot miss writes or copy later ones, and make every attach wait for the next
// poll. A slow reconcile loop (see index.ts) still catches changes made without the proxy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../src/logger.js';
import { ec2ErrorBody, parseEc2Request } from './ec2-query.js';
import { ACTIONS_WITH_EFFECTS, type Ec2Effects } from './ec2-effects.js';
import type { SerialQueue } from './serial-queue.js';
import { limitZonesInRequest } from './single-zone.js';

export interface ProxyOptions {
  /** The emulator, e.g. http://127.0.0.1:4566. */
  readonly upstream: string;
  readonly effects: Ec2Effects;
  readonly queue: SerialQueue;
  /** When set, the region appears to have only this zone (see single-zone.ts). */
  readonly onlyZone?: string;
  readonly log: Logger;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

// Hop-by-hop headers and those fetch computes itself.
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'expect']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function forward(upstream: string, req: IncomingMessage, body: Buffer): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !DROPPED_HEADERS.has(name)) headers[name] = value;
  }
  const method = req.method ?? 'POST';
  const res = await fetch(`${upstream}${req.url ?? '/'}`, {
    method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? 'text/xml', body: Buffer.from(await res.arrayBuffer()) };
}

function xmlAnswer(status: number, code: string, message: string): Answer {
  return { status, contentType: 'text/xml', body: Buffer.from(ec2ErrorBody(code, message)) };
}

async function handle(options: ProxyOptions, req: IncomingMessage): Promise<Answer> {
  const received = await readBody(req);
  const request = parseEc2Request(req.url ?? '/', received);
  const body = limitZonesInRequest(request.action, received, options.onlyZone);
  if (!ACTIONS_WITH_EFFECTS.has(request.action)) return forward(options.upstream, req, body);
  return options.queue.run(async () => {
    const refusal = await options.effects.check(request);
    if (refusal) {
      options.log.info({ action: request.action, code: refusal.code }, refusal.message);
      return xmlAnswer(refusal.httpStatus, refusal.code, refusal.message);
    }
    const answer = await forward(options.upstream, req, body);
    if (answer.status !== 200) return answer;
    try {
      await options.effects.apply(request, answer.body.toString('utf8'));
    } catch (err) {
      // The emulator took the call but the host could not follow: say so rather than pretend.
      const message = `the local data plane could not carry out ${request.action}: ${err instanceof Error ? err.message : String(err)}`;
      options.log.error({ action: request.action }, message);
      return xmlAnswer(500, 'InternalError', message);
    }
    return answer;
  });
}

/** Serves the proxy on host:port (port 0 picks a free one); resolves the listening server. */
export async function serveProxy(options: ProxyOptions, host: string, port: number): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(options, req).then((answer) => {
      res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.body.length }).end(answer.body);
    }, (err: unknown) => {
      const message = `the local data plane could not reach the EC2 emulator at ${options.upstream}: ${err instanceof Error ? err.message : String(err)}`;
      const answer = xmlAnswer(503, 'ServiceUnavailable', message);
      res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
