// The wait schedule (poll.ts): when a waiter looks at EC2, and that looks of waits started at
// different moments land on the same instants so one coalesced Describe answers them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookOffsets, pollUntil, type WaitPolicy } from '../../../src/cloud/ec2/poll.js';

const POLICY: WaitPolicy = { initialDelayMs: 250, maxDelayMs: 4000, factor: 1.5, timeoutMs: 60_000, gridMs: 250, steadyMs: 2000 };
const first = (gen: Generator<number>, n: number): number[] => Array.from({ length: n }, () => gen.next().value as number);

describe('wait schedule', () => {
  it('with an expected duration: an early look, then nothing until the expected time, then every grid step, then backoff', () => {
    assert.deepEqual(first(lookOffsets(POLICY, 1250), 10), [250, 1250, 1500, 1750, 2000, 2375, 2937.5, 3781.25, 5046.875, 6945.3125]);
  });

  it('without one: the early look, then exponential backoff up to the maximum delay', () => {
    assert.deepEqual(first(lookOffsets(POLICY), 5), [250, 625, 1187.5, 2031.25, 3296.875]);
    assert.deepEqual(first(lookOffsets({ ...POLICY, gridMs: 0 }, 1250), 3), [250, 625, 1187.5], 'no grid: the expected time is not used');
  });

  it('looks land on multiples of the grid, so waits started apart probe together', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const policy: WaitPolicy = { ...POLICY, initialDelayMs: 20, gridMs: 40 };
    const seen: number[][] = [[], []];
    const wait = (i: number): Promise<number> => pollUntil({
      what: 'x', describe: String, expectedMs: 60,
      probe: () => { seen[i]?.push(Date.now()); return Promise.resolve(seen[i]?.length ?? 0); },
      isDone: (looks) => looks >= 3,
    }, policy);
    const done: Promise<number>[] = [wait(0)];
    for (let ms = 0; ms < 400; ms++) {
      if (ms === 13) done.push(wait(1));
      t.mock.timers.tick(1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(done);
    assert.deepEqual(seen[0], [1_000_040, 1_000_080, 1_000_120]);
    assert.deepEqual(seen[1], [1_000_040, 1_000_080, 1_000_120], 'the later wait looks at the same instants');
  });

  it('times out naming what it waited for and the last observation', async () => {
    await assert.rejects(pollUntil({
      what: 'volume vol-1 to become available', describe: (s: string) => `state ${s}`, probe: () => Promise.resolve('creating'), isDone: () => false,
    }, { initialDelayMs: 2, maxDelayMs: 5, factor: 2, timeoutMs: 30 }), /timed out .* waiting for volume vol-1 to become available; last seen: state creating/);
  });
});
