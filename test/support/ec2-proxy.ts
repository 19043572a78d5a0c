// A loopback HTTP proxy in front of the EC2 emulator. It counts every EC2 call by action
// (an independent count, not the driver's own metrics) and can inject faults real EC2
// shows but moto does not: latency, throttling, missing permissions, and answers lost after
// EC2 acted (the connection drops once the call went through). For the benchmark it can also
// play EC2's pace (ec2-timing.ts) and enforce EC2's request-rate buckets (ec2-buckets.ts).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { RequestBuckets } from './ec2-buckets.js';
import type { Ec2Timing } from './ec2-timing.js';
import { SerialQueue } from '../../local/dataplane/serial-queue.js';
import { childText, editList } from './ec2-xml.js';

export interface Fault {
  /** Delay before forwarding, in ms. */
  readonly delayMs?: number;
  /**
   * Delay after EC2 has answered, before the answer reaches the caller, in ms: the change is
   * made but the caller does not know yet. A crash in this window is what idempotency must survive.
   */
  readonly holdResponseMs?: number;
  /** Answer with this EC2 error code (e.g. RequestLimitExceeded, UnauthorizedOperation) instead of forwarding. */
  readonly errorCode?: string;
  /** Forward the call, then drop the connection instead of answering (EC2 acted; the caller never hears). */
  readonly dropAnswer?: boolean;
  /** How many calls get the error (or lose their answer); all of them when unset. */
  remaining?: number;
}

const httpStatusOf = (code: string): number =>
  code === 'RequestLimitExceeded' ? 503 : code === 'UnauthorizedOperation' ? 403 : 400;

const errorBody = (code: string, message = `${code} injected by the test proxy`): string => `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>`;

export interface Ec2ProxyOptions {
  /** EC2's pace: call round trips and state changes that take time. */
  readonly timing?: Ec2Timing;
  /** EC2's request-rate limits; a call over them is answered RequestLimitExceeded. */
  readonly buckets?: RequestBuckets;
  /**
   * Removes a deleted volume's or snapshot's tags from the emulator, as EC2 does. moto keeps
   * them, and its tag-filtered and unfiltered listings slow down with every tag ever written
   * (3–4 s per DescribeVolumes after ~20,000 leaked tags): a long benchmark would otherwise
   * measure moto's growing tag table more and more.
   */
  readonly dropTagsOfDeleted?: boolean;
  /**
   * Sends the emulator one call at a time, in arrival order. moto serves every request on its own
   * thread under one interpreter lock, so this costs it little throughput; it spares it the thread
   * races that make it answer a listing with an HTML 500 while another thread creates or deletes
   * (seen at N = 300 and 1000 in npm run bench). The time a call waits in this queue is not counted
   * as emulator time.
   */
  readonly oneAtATime?: boolean;
}

/** What the proxy itself asks the emulator (moto takes any signature; the region is in the credential scope). */
async function emulatorCall(target: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${target}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=proxy',
    },
    body: new URLSearchParams({ Version: '2016-11-15', ...params }).toString(),
  });
  return res.text();
}

async function dropTags(target: string, resourceId: string): Promise<void> {
  const tags = await emulatorCall(target, { Action: 'DescribeTags', 'Filter.1.Name': 'resource-id', 'Filter.1.Value.1': resourceId });
  const keys: string[] = [];
  editList(tags, 'tagSet', (item) => { keys.push(childText(item, 'key') ?? ''); return [item]; });
  if (keys.length === 0) return;
  const params: Record<string, string> = { Action: 'DeleteTags', 'ResourceId.1': resourceId };
  keys.forEach((key, i) => { params[`Tag.${i + 1}.Key`] = key; });
  await emulatorCall(target, params);
}

export interface EmulatorTime {
  calls: number;
  totalMs: number;
  maxMs: number;
}

export interface Ec2Proxy {
  readonly endpoint: string;
  /** Calls seen so far, by EC2 action name (DryRun calls as `<Action>:DryRun`), throttled ones included. */
  counts(): Record<string, number>;
  /** The query parameters of each call of an action seen so far (what the driver asked EC2 for). */
  requests(action: string): URLSearchParams[];
  /** Calls answered RequestLimitExceeded by the request buckets, by action. */
  throttled(): Record<string, number>;
  /** How long the emulator took to answer, by action (a slow emulator shows here, not in the driver). */
  emulatorTime(): Record<string, EmulatorTime>;
  /** Forgets the counts of calls, throttled calls and emulator time, and the requests seen. */
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

export async function startEc2Proxy(target: string, options: Ec2ProxyOptions = {}): Promise<Ec2Proxy> {
  const { timing, buckets, dropTagsOfDeleted } = options;
  const emulatorQueue = options.oneAtATime ? new SerialQueue() : undefined;
  const toEmulator = <T>(call: () => Promise<T>): Promise<T> => (emulatorQueue ? emulatorQueue.run(call) : call());
  let counts: Record<string, number> = {};
  let seen: URLSearchParams[] = [];
  let throttled: Record<string, number> = {};
  let emulatorMs: Record<string, EmulatorTime> = {};
  const faults = new Map<string, Fault>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action') ?? 'Other';
      // A DryRun changes nothing: count it apart, so "one ModifyVolume" means one real change.
      const counted = form.get('DryRun') === 'true' ? `${action}:DryRun` : action;
      counts[counted] = (counts[counted] ?? 0) + 1;
      seen.push(form);
      if (buckets && !buckets.take(action, form)) {
        throttled[action] = (throttled[action] ?? 0) + 1;
        res.writeHead(httpStatusOf('RequestLimitExceeded'), { 'content-type': 'text/xml' }).end(errorBody('RequestLimitExceeded'));
        return;
      }
      const fault = faults.get(action);
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (timing) {
        await new Promise((r) => setTimeout(r, timing.callDelayMs(action)));
        const refusal = timing.refusal(action, form);
        if (refusal) {
          res.writeHead(refusal.httpStatus, { 'content-type': 'text/xml' }).end(errorBody(refusal.code, refusal.message));
          return;
        }
      }
      const active = fault !== undefined && (fault.remaining === undefined || fault.remaining > 0);
      if (active && fault.remaining !== undefined && (fault.errorCode || fault.dropAnswer)) fault.remaining -= 1;
      if (active && fault.errorCode) {
        res.writeHead(httpStatusOf(fault.errorCode), { 'content-type': 'text/xml' }).end(errorBody(fault.errorCode));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      let sent = performance.now();
      const [upstream, answer] = await toEmulator(async () => {
        sent = performance.now();
        const r = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: req.method === 'GET' ? undefined : body });
        return [r, Buffer.from(await r.arrayBuffer())] as const;
      });
      let payload = answer;
      // DryRun answers are errors (DryRunOperation) and change nothing: only real successes move the clock.
      if (timing && upstream.status === 200) payload = Buffer.from(timing.answer(action, form, payload.toString('utf8')));
      const deleted = upstream.status === 200 && form.get('DryRun') !== 'true'
        ? (action === 'DeleteVolume' ? form.get('VolumeId') : action === 'DeleteSnapshot' ? form.get('SnapshotId') : null) : null;
      // After the answer is on its way, and not counted: this is the emulator catching up with EC2.
      if (dropTagsOfDeleted && deleted) setImmediate(() => { toEmulator(() => dropTags(target, deleted)).catch(() => undefined); });
      const took = performance.now() - sent;
      const spent = (emulatorMs[action] ??= { calls: 0, totalMs: 0, maxMs: 0 });
      spent.calls += 1;
      spent.totalMs += took;
      spent.maxMs = Math.max(spent.maxMs, took);
      if (fault?.holdResponseMs) await new Promise((r) => setTimeout(r, fault.holdResponseMs));
      if (active && fault.dropAnswer) {
        req.socket.destroy();
        return;
      }
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
    requests: (action) => seen.filter((f) => f.get('Action') === action),
    throttled: () => ({ ...throttled }),
    emulatorTime: () => structuredClone(emulatorMs),
    resetCounts: () => { counts = {}; throttled = {}; emulatorMs = {}; seen = []; },
    setFault: (action, fault) => { if (fault) faults.set(action, fault); else faults.delete(action); },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
