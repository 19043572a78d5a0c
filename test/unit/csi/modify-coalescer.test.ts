// The per-volume coalescer on its own: how changes merge, which ones conflict, and that
// volumes do not wait for each other or stay registered once done.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { mergeChanges, ModifyCoalescer, type ChangeRequest } from '../../../src/csi/controller/modify-coalescer.js';
import { expectFailure } from './expect.js';

describe('mergeChanges', () => {
  it('keeps every field asked for and the larger size', () => {
    assert.deepEqual(mergeChanges('vol-1', { capacityGiB: 20 }, { volumeType: 'io2', iops: 4000, capacityGiB: 15 }),
      { capacityGiB: 20, volumeType: 'io2', iops: 4000 });
    assert.deepEqual(mergeChanges('vol-1', { throughput: 300 }, { throughput: 300 }), { throughput: 300 });
  });

  it('refuses different values for one field, IOPS with a ratio, and a size over a limit', async () => {
    await expectFailure(() => mergeChanges('vol-1', { iops: 3000 }, { iops: 4000 }), status.ABORTED, /vol-1/, /iops 3000 vs 4000/);
    await expectFailure(() => mergeChanges('vol-1', { iops: 3000 }, { iopsPerGB: 10 }), status.ABORTED, /iops vs iopsPerGB/);
    await expectFailure(() => mergeChanges('vol-1', { capacityGiB: 50 }, { capacityGiB: 30, capacityLimitGiB: 40 }), status.ABORTED, /50 GiB vs limit 40 GiB/);
  });
});

describe('ModifyCoalescer', () => {
  it('applies one merged change per volume, volumes independently, and forgets them when done', async () => {
    const applied: [string, ChangeRequest, string][] = [];
    const coalescer = new ModifyCoalescer<string, string>((volumeId, change, context) => {
      applied.push([volumeId, change, context]);
      return Promise.resolve(`done ${volumeId}`);
    }, 10);
    const results = await Promise.all([
      coalescer.submit('vol-a', { capacityGiB: 20 }, 'first'),
      coalescer.submit('vol-b', { iops: 4000 }, 'other volume'),
      coalescer.submit('vol-a', { volumeType: 'gp3' }, 'second'),
    ]);
    assert.deepEqual(results, ['done vol-a', 'done vol-b', 'done vol-a']);
    assert.deepEqual(applied.sort((x, y) => x[0].localeCompare(y[0])), [
      ['vol-a', { capacityGiB: 20, volumeType: 'gp3' }, 'first'],
      ['vol-b', { iops: 4000 }, 'other volume'],
    ]);
    assert.equal(coalescer.pendingVolumes, 0);
  });

  it('hands a failure to every merged request and then accepts new ones', async () => {
    let calls = 0;
    const coalescer = new ModifyCoalescer<number, undefined>(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('EC2 said no')) : Promise.resolve(calls);
    }, 5);
    const outcomes = await Promise.allSettled([coalescer.submit('v', { iops: 1 }, undefined), coalescer.submit('v', { throughput: 2 }, undefined)]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    assert.equal(await coalescer.submit('v', { iops: 1 }, undefined), 2);
    assert.equal(coalescer.pendingVolumes, 0);
  });
});
