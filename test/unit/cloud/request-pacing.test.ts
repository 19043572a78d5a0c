// The driver's own copy of EC2's request buckets (request-pacing.ts): a burst within a bucket
// goes at once, the rest waits its turn at the refill rate, and each action has its own bucket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EC2_DEFAULT_REQUEST_LIMITS, limitClassOf, RequestPacer } from '../../../src/cloud/ec2/request-pacing.js';

describe('request pacing', () => {
  it('classes actions as EC2 does', () => {
    assert.equal(limitClassOf('DescribeVolumes'), 'describe');
    assert.equal(limitClassOf('CreateVolume'), 'resourceChanging');
    assert.equal(limitClassOf('DeleteSnapshot'), 'resourceChanging');
    assert.equal(limitClassOf('CreateTags'), 'tags');
    assert.equal(limitClassOf('AttachVolume'), 'mutating');
  });

  it('lets a bucketful through at once, then one call per refill interval, in order', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const pacer = new RequestPacer(EC2_DEFAULT_REQUEST_LIMITS);
    const went: number[] = [];
    const calls = Array.from({ length: 48 }, (_, i) => pacer.take('AttachVolume').then(() => { went.push(i); }));
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(went.length, 45, "EC2's mutating bucket holds 50; the driver leaves 10% of it for calls that arrive bunched");
    assert.equal(pacer.waiting, 3);
    const detach = pacer.take('DetachVolume').then(() => 'detach');
    assert.equal(await detach, 'detach', 'another action has its own bucket');
    for (const [ms, expected] of [[199, 45], [1, 46], [200, 47], [200, 48]] as const) {
      t.mock.timers.tick(ms);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(went.length, expected, `after ${ms} more ms at 5 tokens per second`);
    }
    await Promise.all(calls);
    assert.deepEqual(went, Array.from({ length: 48 }, (_, i) => i), 'first come, first served');
    assert.equal(pacer.waiting, 0);
  });

  it('refills while idle, up to the capacity', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const pacer = new RequestPacer({ ...EC2_DEFAULT_REQUEST_LIMITS, mutating: { capacity: 2, refillPerSecond: 1 } }, Date.now, 0);
    await pacer.take('AttachVolume');
    await pacer.take('AttachVolume');
    t.mock.timers.tick(10_000);
    let went = 0;
    const three = [pacer.take('AttachVolume'), pacer.take('AttachVolume'), pacer.take('AttachVolume')].map((p) => p.then(() => { went++; }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(went, 2, 'ten idle seconds refill two tokens, not ten');
    t.mock.timers.tick(1000);
    await Promise.all(three);
    assert.equal(went, 3);
  });

  describe('a caller that goes while queued', () => {
    const tight = { ...EC2_DEFAULT_REQUEST_LIMITS, mutating: { capacity: 1, refillPerSecond: 1 } };
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    class Gone extends Error {}
    const onAbandoned = (): Error => new Gone('gone');

    it('leaves at once with its error, and takes no token from the calls behind it', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const pacer = new RequestPacer(tight, Date.now, 0);
      await pacer.take('AttachVolume');
      const leaving = new AbortController();
      const went: string[] = [];
      const first = pacer.take('AttachVolume', { signal: leaving.signal, onAbandoned }).then(() => { went.push('first'); });
      const second = pacer.take('AttachVolume').then(() => { went.push('second'); });
      assert.equal(pacer.waiting, 2);
      leaving.abort();
      await assert.rejects(first, Gone);
      assert.equal(pacer.waiting, 1, 'the caller that went is no longer counted as waiting');
      t.mock.timers.tick(1000);
      await second;
      assert.deepEqual(went, ['second'], 'the next token went to the call still waiting');
      const third = pacer.take('AttachVolume').then(() => { went.push('third'); });
      t.mock.timers.tick(999);
      await settle();
      assert.deepEqual(went, ['second'], 'the call that left spent no token: the third waits a whole refill');
      t.mock.timers.tick(1);
      await third;
    });

    it('is refused without queueing when its caller has already gone', async () => {
      const pacer = new RequestPacer(tight, Date.now, 0);
      await pacer.take('AttachVolume');
      const gone = new AbortController();
      gone.abort();
      await assert.rejects(pacer.take('AttachVolume', { signal: gone.signal, onAbandoned }), Gone);
      assert.equal(pacer.waiting, 0);
    });

    it("keeps its place for the retry of the same request, ahead of calls that came after it", async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const pacer = new RequestPacer(tight, Date.now, 0);
      await pacer.take('AttachVolume');
      const went: string[] = [];
      const attempt = new AbortController();
      const first = pacer.take('AttachVolume', { signal: attempt.signal, onAbandoned, key: 'vol-a' });
      const later = pacer.take('AttachVolume', { key: 'vol-b' }).then(() => { went.push('vol-b'); });
      attempt.abort();
      await assert.rejects(first, Gone);
      const retry = pacer.take('AttachVolume', { key: 'vol-a' }).then(() => { went.push('vol-a retry'); });
      assert.equal(pacer.waiting, 2);
      t.mock.timers.tick(1000);
      await retry;
      assert.deepEqual(went, ['vol-a retry'], 'the retry went first, in the place its first attempt held');
      t.mock.timers.tick(1000);
      await later;
      assert.deepEqual(went, ['vol-a retry', 'vol-b']);
    });

    it('is skipped at the head when no retry came, and a retry after that queues at the back', async (t) => {
      t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
      const pacer = new RequestPacer(tight, Date.now, 0);
      await pacer.take('AttachVolume');
      const attempt = new AbortController();
      const first = pacer.take('AttachVolume', { signal: attempt.signal, onAbandoned, key: 'vol-a' });
      attempt.abort();
      await assert.rejects(first, Gone);
      const went: string[] = [];
      const other = pacer.take('AttachVolume', { key: 'vol-b' }).then(() => { went.push('vol-b'); });
      t.mock.timers.tick(1000);
      await other;
      const lateRetry = pacer.take('AttachVolume', { key: 'vol-a' }).then(() => { went.push('vol-a retry'); });
      t.mock.timers.tick(999);
      await settle();
      assert.deepEqual(went, ['vol-b'], 'the late retry found no place to take over and waits for the next token');
      t.mock.timers.tick(1);
      await lateRetry;
      assert.equal(pacer.waiting, 0);
    });
  });
});
