// A loopback HTTP proxy in front of the EC2 emulator. It counts every EC2 call by action
// (an independent count, not the driver's own metrics) and can inject faults real EC2
// shows but moto does not: latency and RequestLimitExceeded throttling.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Fault {
  /** Delay before forwarding, in ms. */
  readonly delayMs?: number;
  /** Answer this many calls with RequestLimitExceeded before letting calls through. */
  throttleNext?: number;
}

export interface Ec2Proxy {
  readonly endpoint: string;
  /** Calls seen so far, by EC2 action name. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Sets (or clears, with undefined) the fault for an action. */
  setFault(action: string, fault: Fault | undefined): void;
  stop(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const THROTTLED = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>`;

export async function startEc2Proxy(target: string): Promise<Ec2Proxy> {
  let counts: Record<string, number> = {};
  const faults = new Map<string, Fault>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? 'Other';
      counts[action] = (counts[action] ?? 0) + 1;
      const fault = faults.get(action);
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault?.throttleNext && fault.throttleNext > 0) {
        fault.throttleNext -= 1;
        res.writeHead(503, { 'content-type': 'text/xml' }).end(THROTTLED);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const upstream = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: req.method === 'GET' ? undefined : body });
      const payload = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/xml' }).end(payload);
    })().catch((err: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy error: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    resetCounts: () => { counts = {}; },
    setFault: (action, fault) => { if (fault) faults.set(action, fault); else faults.delete(action); },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
