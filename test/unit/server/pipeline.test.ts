import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { CloudError } from '../../../src/cloud/errors.js';
import { CsiError } from '../../../src/errors.js';
import { NodeError } from '../../../src/node/errors.js';
import { Metrics } from '../../../src/metrics/registry.js';
import { InFlight } from '../../../src/server/inflight.js';
import { idsOf, redact, wrapService, type CallContext } from '../../../src/server/pipeline.js';

interface Req { volumeId: string; secrets?: Record<string, string> }
type Handler = (req: Req, ctx: CallContext) => Promise<object>;

function harness(handler: Handler, level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  const metrics = new Metrics(false);
  const impl = wrapService<{ Op: grpc.handleUnaryCall<Req, object> }>('Test', { Op: handler }, { Op: (r) => [`volume:${r.volumeId}`] }, {
    log: pino({ level }, sink), metrics, inFlight: new InFlight(), secretFieldsByMethod: new Map([['Op', ['secrets']]]),
  });
  const call = (request: Req, deadlineMs?: number): Promise<{ err: Partial<grpc.StatusObject> | null; res?: unknown }> => new Promise((resolve) => {
    const deadline = deadlineMs === undefined ? Infinity : new Date(Date.now() + deadlineMs);
    const fake = Object.assign(new EventEmitter(), { request, getDeadline: () => deadline });
    (impl.Op as grpc.handleUnaryCall<Req, object>)(fake as unknown as grpc.ServerUnaryCall<Req, object>, (err, res) => resolve({ err, res }));
  });
  return { call, lines, metrics };
}

describe('request pipeline', () => {
  it('answers the handler result and logs one info line naming the ids, without the request', async () => {
    const h = harness(() => Promise.resolve({ ok: true }));
    const out = await h.call({ volumeId: 'vol-1', secrets: { password: 'hunter2' } });
    assert.equal(out.err, null);
    assert.deepEqual(out.res, { ok: true });
    assert.equal(h.lines.length, 1);
    assert.equal(h.lines[0]?.code, 'OK');
    assert.equal(h.lines[0]?.volumeId, 'vol-1');
    assert.equal(h.lines[0]?.request, undefined, 'whole requests are for debug logs');
    assert.ok(!JSON.stringify(h.lines[0]).includes('hunter2'), 'the secret value must not reach the log');
  });

  it('at debug, logs the whole request and response, secrets redacted', async () => {
    const h = harness(() => Promise.resolve({ ok: true }), 'debug');
    await h.call({ volumeId: 'vol-1', secrets: { password: 'hunter2' } });
    const text = JSON.stringify(h.lines[0]);
    assert.ok(!text.includes('hunter2'), 'the secret value must not reach the log');
    assert.match(text, /"password":"\[REDACTED\]"/);
    assert.deepEqual(h.lines[0]?.response, { ok: true });
  });

  it('a failure carries its whole request, secrets redacted', async () => {
    const h = harness(() => Promise.reject(new CsiError('NOT_FOUND', 'gone')));
    await h.call({ volumeId: 'vol-1', secrets: { password: 'hunter2' } });
    const text = JSON.stringify(h.lines[0]);
    assert.ok(!text.includes('hunter2'), 'the secret value must not reach the log');
    assert.match(text, /"password":"\[REDACTED\]"/);
    assert.equal(h.lines[0]?.error, 'gone');
  });

  it('maps CsiError, CloudError and NodeError to their gRPC codes and unknown errors to INTERNAL', async () => {
    const cases: [Error, status][] = [
      [new CsiError('INVALID_ARGUMENT', 'volume_id is required'), status.INVALID_ARGUMENT],
      [new CloudError('VolumeNotFound', 'volume vol-1 does not exist'), status.NOT_FOUND],
      [new CloudError('AttachmentLimitExceeded', 'node full'), status.RESOURCE_EXHAUSTED],
      [new CloudError('Throttled', 'slow down'), status.UNAVAILABLE],
      [new NodeError('DeviceNotFound', 'no device for vol-1'), status.NOT_FOUND],
      [new NodeError('Conflict', 'target_path /t already has another volume'), status.ALREADY_EXISTS],
      [new NodeError('DeviceNotBlank', 'the device holds xfs'), status.FAILED_PRECONDITION],
      [new NodeError('CommandTimedOut', 'mkfs ran past 120 s'), status.DEADLINE_EXCEEDED],
      [new TypeError('boom'), status.INTERNAL],
    ];
    for (const [error, code] of cases) {
      const h = harness(() => Promise.reject(error));
      const out = await h.call({ volumeId: 'vol-1' });
      assert.equal(out.err?.code, code, `${error.message} → ${status[code]}`);
      assert.ok(out.err?.details?.includes(error.message));
    }
  });

  it('answers ABORTED to a duplicate call while the first is in flight, then frees the key', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const h = harness(async () => { await gate; return {}; });
    const first = h.call({ volumeId: 'vol-1' });
    const second = await h.call({ volumeId: 'vol-1' });
    assert.equal(second.err?.code, status.ABORTED);
    assert.match(second.err?.details ?? '', /volume:vol-1.*in progress/);
    const other = h.call({ volumeId: 'vol-2' });
    release();
    assert.equal((await first).err, null);
    assert.equal((await other).err, null);
    assert.equal((await h.call({ volumeId: 'vol-1' })).err, null, 'the key is released after completion');
  });

  it('answers DEADLINE_EXCEEDED at the caller\'s deadline and frees the keys of a handler that never settles', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const h = harness((_req, ctx) => {
      calls++;
      signals.push(ctx.signal);
      // The first call hangs for ever, as fs.mkdir under /proc did; later ones answer at once.
      return calls === 1 ? new Promise<object>(() => undefined) : Promise.resolve({});
    });
    const hung = await h.call({ volumeId: 'vol-1' }, 100);
    assert.equal(hung.err?.code, status.DEADLINE_EXCEEDED);
    assert.match(hung.err?.details ?? '', /volume:vol-1.*deadline passed/);
    assert.equal(signals[0]?.aborted, true, 'the handler is told to stop');
    const next = await h.call({ volumeId: 'vol-1' }, 1000);
    assert.equal(next.err, null, `a later call on the volume is served, not held hostage: ${next.err?.details ?? ''}`);
    const failed = h.lines.find((l) => l.code === 'DEADLINE_EXCEEDED');
    assert.ok(failed, 'the abandoned call is logged with its code');
  });

  it('lets an abandoned handler that settles late free only its own keys', async () => {
    let finishFirst!: () => void;
    let secondStarted!: () => void;
    const secondRunning = new Promise<void>((r) => { secondStarted = r; });
    let finishSecond!: () => void;
    let n = 0;
    const h = harness(() => {
      n++;
      if (n === 1) return new Promise<object>((r) => { finishFirst = () => r({}); });
      if (n === 2) { secondStarted(); return new Promise<object>((r) => { finishSecond = () => r({}); }); }
      return Promise.resolve({});
    });
    assert.equal((await h.call({ volumeId: 'vol-1' }, 50)).err?.code, status.DEADLINE_EXCEEDED);
    const second = h.call({ volumeId: 'vol-1' });
    await secondRunning;
    finishFirst();
    await new Promise((r) => setTimeout(r, 20));
    const third = await h.call({ volumeId: 'vol-1' });
    assert.equal(third.err?.code, status.ABORTED, 'the second call still owns the key after the first settled');
    assert.ok(h.lines.some((l) => l.msg === 'abandoned rpc settled after its caller left'), 'the late outcome is logged');
    finishSecond();
    assert.equal((await second).err, null);
  });

  it('counts errors by method and code', async () => {
    const h = harness(() => Promise.reject(new CsiError('NOT_FOUND', 'gone')));
    await h.call({ volumeId: 'vol-9' });
    const metric = await h.metrics.rpcErrors.get();
    assert.deepEqual(metric.values.map((v) => [v.labels, v.value]), [[{ method: 'Op', code: 'NOT_FOUND' }, 1]]);
  });
});

describe('idsOf', () => {
  it('takes the non-empty id fields of the request and the id a create answered with', () => {
    assert.deepEqual(idsOf({ name: 'pvc-1', volumeId: '', parameters: { type: 'gp3' } }, { volume: { volumeId: 'vol-1', capacityBytes: 1 } }),
      { name: 'pvc-1', volumeId: 'vol-1' });
    assert.deepEqual(idsOf({ volumeId: 'vol-1', nodeId: 'i-1', secrets: { k: 'v' } }, {}), { volumeId: 'vol-1', nodeId: 'i-1' });
    assert.deepEqual(idsOf({ sourceVolumeId: 'vol-1', name: 'snap' }, { snapshot: { snapshotId: 'snap-1' } }),
      { name: 'snap', sourceVolumeId: 'vol-1', snapshotId: 'snap-1' });
    assert.deepEqual(idsOf(undefined, undefined), {});
  });
});

describe('redact', () => {
  it('keeps map keys, hides values, leaves other fields and the original alone', () => {
    const req = { name: 'pv-1', secrets: { key: 'v' } };
    assert.deepEqual(redact(req, ['secrets']), { name: 'pv-1', secrets: { key: '[REDACTED]' } });
    assert.deepEqual(req.secrets, { key: 'v' });
    assert.deepEqual(redact(req, []), req);
  });
});
