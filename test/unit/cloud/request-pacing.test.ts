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
});
