// A loopback HTTP proxy in front of EC2 (the local data plane's proxy over moto, which
// behaves as EC2 does for client tokens and attached volumes) that fails a share of the
// calls the ways real EC2 and its network do: RequestLimitExceeded (503), InternalError (500), a
// connection reset before the request arrives, a stall before it is forwarded, and — for
// calls that change something — the response dropped after the emulator acted. Faults are
// drawn from a seeded generator. It also records every volume the emulator created through
// it (with its CSIVolumeName tag), so a test can count leaked and duplicated volumes
// independently of the driver.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type FaultKind = 'throttled' | 'internal-error' | 'connection-reset' | 'stall' | 'response-dropped';
export const FAULT_KINDS: readonly FaultKind[] = ['throttled', 'internal-error', 'connection-reset', 'stall', 'response-dropped'];

export interface FaultProxyOptions {
  readonly upstream: string;
  /** Share of calls that get a fault (0.2 = 20 %). */
  readonly rate: number;
  /** How long a stall holds the call before forwarding it. */
  readonly stallMs: number;
  readonly seed: number;
}

interface UpstreamAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface FaultStats {
  readonly calls: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Stops (false) or resumes (true) injecting faults. */
  setFaulting(on: boolean): void;
  stats(): FaultStats;
  /** volume id → CSIVolumeName (or '' when untagged) of every volume the emulator created through the proxy. */
  createdVolumes(): ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

const MUTATING = /^(Create|Delete|Attach|Detach|Modify|Copy)/;

/** mulberry32: small, seedable, good enough to spread faults. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const errorAnswer = (status: number, code: string): UpstreamAnswer => ({
  status,
  contentType: 'text/xml',
  body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>${code}</Code><Message>${code} injected by the fault proxy</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`),
});

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The CSIVolumeName tag of a CreateVolume request (TagSpecification.N.Tag.M.Key/Value). */
function csiVolumeName(form: URLSearchParams): string {
  for (const [key, value] of form) {
    if (value === 'CSIVolumeName' && /^TagSpecification\.\d+\.Tag\.\d+\.Key$/.test(key)) {
      return form.get(key.replace(/Key$/, 'Value')) ?? '';
    }
  }
  return '';
}

export async function startEc2FaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = generator(options.seed);
  const faults: Record<FaultKind, number> = { 'throttled': 0, 'internal-error': 0, 'connection-reset': 0, 'stall': 0, 'response-dropped': 0 };
  const created = new Map<string, string>();
  let calls = 0;
  let faulting = true;

  const forward = async (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const upstream = await fetch(`${options.upstream}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: req.method === 'GET' ? undefined : body });
    return { status: upstream.status, contentType: upstream.headers.get('content-type') ?? 'text/xml', body: Buffer.from(await upstream.arrayBuffer()) };
  };

  const pickFault = (action: string): FaultKind | undefined => {
    if (!faulting || random() >= options.rate) return undefined;
    const kinds = MUTATING.test(action) ? FAULT_KINDS : FAULT_KINDS.filter((k) => k !== 'response-dropped');
    return kinds[Math.floor(random() * kinds.length)];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await bodyOf(req);
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action') ?? 'Other';
    calls++;
    const fault = pickFault(action);
    if (fault) faults[fault]++;
    if (fault === 'throttled' || fault === 'internal-error') {
      const answer = fault === 'throttled' ? errorAnswer(503, 'RequestLimitExceeded') : errorAnswer(500, 'InternalError');
      res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
      return;
    }
    if (fault === 'connection-reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'stall') {
      await new Promise((r) => setTimeout(r, options.stallMs));
      // A caller that died meanwhile (a SIGKILLed controller) took its request with it;
      // "EC2 acted, the caller never heard" is what response-dropped is for.
      if (req.socket.destroyed) return;
    }
    const answer = await forward(req, body);
    if (action === 'CreateVolume' && answer.status < 300) {
      const volumeId = /<volumeId>(vol-[0-9a-f]+)<\/volumeId>/.exec(answer.body.toString('utf8'))?.[1];
      if (volumeId) created.set(volumeId, csiVolumeName(form));
    }
    // The emulator acted; the caller never hears of it.
    if (fault === 'response-dropped') {
      req.socket.destroy();
      return;
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy error: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFaulting: (on) => { faulting = on; },
    stats: () => ({ calls, faults: { ...faults } }),
    createdVolumes: () => new Map(created),
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
