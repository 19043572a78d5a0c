import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { resolvePerformance } from '../../../src/csi/params/performance.js';
import { parseStorageClass } from '../../../src/csi/params/storageClass.js';
import { expectFailure } from './expect.js';

const perf = (parameters: Record<string, string>, sizeGiB: number) => resolvePerformance(parseStorageClass(parameters), sizeGiB);

describe('IOPS and throughput for a size', () => {
  it('leaves IOPS to EC2 when none are asked for', () => {
    assert.deepEqual(perf({}, 100), {});
    assert.deepEqual(perf({ type: 'gp2' }, 100), {});
  });

  it('multiplies iopsPerGB by the size', () => {
    assert.deepEqual(perf({ type: 'io1', iopsPerGB: '10' }, 100), { iops: 1000 });
    assert.deepEqual(perf({ type: 'gp3', iopsPerGB: '50' }, 100), { iops: 5000 });
  });

  it('refuses iopsPerGB × size below the type minimum, unless allowAutoIOPSPerGBIncrease', async () => {
    await expectFailure(() => perf({ type: 'gp3', iopsPerGB: '10' }, 100), status.INVALID_ARGUMENT,
      /parameters\.iopsPerGB 10 × 100 GiB gives 1000 IOPS, below the minimum of type gp3 \(3000\)/, /allowAutoIOPSPerGBIncrease/);
    assert.deepEqual(perf({ type: 'gp3', iopsPerGB: '10', allowAutoIOPSPerGBIncrease: 'true' }, 100), { iops: 3000 });
    assert.deepEqual(perf({ type: 'io1', iopsPerGB: '2', allowAutoIOPSPerGBIncrease: 'true' }, 10), { iops: 100 });
  });

  it('raises explicit iops below the minimum only with allowAutoIOPSPerGBIncrease', () => {
    assert.deepEqual(perf({ type: 'gp3', iops: '1000', allowAutoIOPSPerGBIncrease: 'true' }, 100), { iops: 3000 });
  });

  it('caps IOPS at the type maximum', () => {
    assert.deepEqual(perf({ type: 'io1', iopsPerGB: '50' }, 16_000), { iops: 64_000 });
    assert.deepEqual(perf({ type: 'gp3', iopsPerGB: '500' }, 1000), { iops: 80_000 });
    assert.deepEqual(perf({ type: 'io2', iopsPerGB: '1000' }, 1000), { iops: 256_000 });
  });

  it('caps IOPS at what the size allows, never below the baseline', () => {
    assert.deepEqual(perf({ type: 'io1', iops: '5000' }, 10), { iops: 500 });
    assert.deepEqual(perf({ type: 'io2', iops: '50000' }, 10), { iops: 10_000 });
    assert.deepEqual(perf({ type: 'gp3', iops: '16000' }, 10), { iops: 5000 });
    assert.deepEqual(perf({ type: 'gp3', iops: '16000' }, 1), { iops: 3000 });
  });

  it('checks gp3 throughput against 0.25 MiB/s per IOPS', async () => {
    assert.deepEqual(perf({ type: 'gp3', throughput: '750' }, 100), { throughput: 750 });
    assert.deepEqual(perf({ type: 'gp3', iops: '8000', throughput: '2000' }, 100), { iops: 8000, throughput: 2000 });
    await expectFailure(() => perf({ type: 'gp3', throughput: '1000' }, 100), status.INVALID_ARGUMENT,
      /parameters\.throughput 1000 MiB\/s needs at least 4000 IOPS on type gp3/, /gets 3000/);
    // A size cap on IOPS lowers the throughput allowed too.
    await expectFailure(() => perf({ type: 'gp3', iops: '16000', throughput: '2000' }, 10), status.INVALID_ARGUMENT, /gets 5000/);
  });
});
