// The data plane sits as an HTTP proxy between the driver and the EC2 emulator.
//
// Why a proxy rather than polling DescribeVolumes: the proxy sees AttachVolume,
// CreateSnapshot, ModifyVolume... as they happen and gives them their effect before the
// caller hears "done", exactly like EC2 where the device exists once the attachment is
// "attached" and a snapshot captures the bytes of the moment it was taken. Polling would
// let a snapshot miss writes or copy later ones, and make every attach wait for the next
// poll. A slow reconcile loop (see index.ts) still catches changes made without the proxy.
// The proxy also makes the emulator answer as EC2 does where it would not: it remembers
// ClientTokens (client-token-memory.ts) and serves CopyVolumes (copy-volumes.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../src/logger.js';
import type { ClientTokenMemory, RecordedAnswer } from './client-token-memory.js';
import type { VolumeCopier } from './copy-volumes.js';
import { ec2ErrorBody, parseEc2Request, type Ec2Request } from './ec2-query.js';
import { ACTIONS_WITH_EFFECTS, type Ec2Effects } from './ec2-effects.js';
import type { EmulatorClient } from './emulator-client.js';
import type { SerialQueue } from './serial-queue.js';
import { limitZonesInRequest } from './single-zone.js';
import { textAt, withTextAt } from './volume-xml.js';

export interface ProxyOptions {
  /** The emulator, e.g. http://127.0.0.1:4566. */
  readonly upstream: string;
  readonly effects: Ec2Effects;
  readonly tokens: ClientTokenMemory;
  readonly copier: VolumeCopier;
  readonly emulator: EmulatorClient;
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

/** Where and how a request goes on to the emulator: its URL, method and headers. */
interface Upstream {
  readonly base: string;
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

function upstreamOf(base: string, req: IncomingMessage): Upstream {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !DROPPED_HEADERS.has(name)) headers[name] = value;
  }
  return { base, url: req.url ?? '/', method: req.method ?? 'POST', headers };
}

async function forward(upstream: Upstream, body: Buffer): Promise<Answer> {
  const { method } = upstream;
  const res = await fetch(`${upstream.base}${upstream.url}`, {
    method, headers: upstream.headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? 'text/xml', body: Buffer.from(await res.arrayBuffer()) };
}

function xmlAnswer(status: number, code: string, message: string): Answer {
  return { status, contentType: 'text/xml', body: Buffer.from(ec2ErrorBody(code, message)) };
}

/** Where a volume-making answer names its volume and that volume's state. */
const VOLUME_PATHS: Readonly<Record<string, { readonly id: string; readonly state: string }>> = {
  CreateVolume: { id: 'CreateVolumeResponse/volumeId', state: 'CreateVolumeResponse/status' },
  CopyVolumes: { id: 'CopyVolumesResponse/volumeSet/item/volumeId', state: 'CopyVolumesResponse/volumeSet/item/status' },
};

/** EC2 answers a repeated token with the first answer, updated with the volume's current state ("deleted" once it is gone). */
async function replay(options: ProxyOptions, action: string, volumeId: string, recorded: RecordedAnswer): Promise<Answer> {
  const paths = VOLUME_PATHS[action];
  const state = (await options.emulator.volume(volumeId))?.state ?? 'deleted';
  const body = paths ? withTextAt(recorded.body, paths.state, state) : recorded.body;
  return { status: recorded.status, contentType: recorded.contentType, body: Buffer.from(body) };
}

/** The emulator's answer to the request, CopyVolumes included (made there as a CreateVolume). */
async function emulatorAnswer(options: ProxyOptions, request: Ec2Request, upstream: Upstream, body: Buffer): Promise<Answer> {
  if (request.action !== 'CopyVolumes') return forward(upstream, body);
  const plan = await options.copier.plan(request);
  if ('refusal' in plan) return xmlAnswer(plan.refusal.httpStatus, plan.refusal.code, plan.refusal.message);
  const created = await forward(upstream, plan.createVolumeBody);
  if (created.status !== 200) return created;
  return { status: 200, contentType: created.contentType, body: Buffer.from(await options.copier.answer(created.body.toString('utf8'), plan.source)) };
}

/** A call that changes something: one at a time, with EC2's token rules, refusals and the effect on this host. */
async function mutate(options: ProxyOptions, request: Ec2Request, upstream: Upstream, body: Buffer): Promise<Answer> {
  const { action, params } = request;
  const verdict = options.tokens.verdict(action, params);
  if (verdict.kind === 'mismatch') {
    return xmlAnswer(400, 'IdempotentParameterMismatch',
      `The client token ${verdict.token} was already used for ${action} with different parameters; use another client token.`);
  }
  if (verdict.kind === 'replay') return replay(options, action, verdict.volumeId, verdict.answer);
  const refusal = await options.effects.check(request);
  if (refusal) {
    options.log.info({ action, code: refusal.code }, refusal.message);
    return xmlAnswer(refusal.httpStatus, refusal.code, refusal.message);
  }
  const answer = await emulatorAnswer(options, request, upstream, body);
  if (answer.status !== 200) return answer;
  const xml = answer.body.toString('utf8');
  const made = VOLUME_PATHS[action] ? textAt(xml, VOLUME_PATHS[action].id) : undefined;
  try {
    await options.effects.apply(request, xml);
    if (action === 'DeleteVolume') await options.copier.forget(params.get('VolumeId') ?? '');
  } catch (err) {
    // The emulator took the call but the host could not follow: say so rather than pretend,
    // and take back a volume made for it, so the caller's retry does not leave one behind.
    const message = `the local data plane could not carry out ${action}: ${err instanceof Error ? err.message : String(err)}`;
    options.log.error({ action }, message);
    if (made) {
      await options.emulator.deleteVolume(made).catch(() => undefined);
      await options.copier.forget(made);
    }
    return xmlAnswer(500, 'InternalError', message);
  }
  if (made) await options.tokens.remember(action, params, made, { status: answer.status, contentType: answer.contentType, body: xml });
  return answer;
}

async function handle(options: ProxyOptions, req: IncomingMessage): Promise<Answer> {
  const received = await readBody(req);
  const request = parseEc2Request(req.url ?? '/', received);
  const body = limitZonesInRequest(request.action, received, options.onlyZone);
  const upstream = upstreamOf(options.upstream, req);
  if (ACTIONS_WITH_EFFECTS.has(request.action)) return options.queue.run(() => mutate(options, request, upstream, body));
  const answer = await forward(upstream, body);
  if (request.action !== 'DescribeVolumes' || answer.status !== 200) return answer;
  return { ...answer, body: Buffer.from(options.copier.describeVolumes(answer.body.toString('utf8'))) };
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
