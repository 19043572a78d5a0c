import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { chooseSizeGiB, GiB, gibRange, sizeSatisfies } from '../../../src/csi/params/capacity.js';
import { VOLUME_TYPE_LIMITS } from '../../../src/csi/params/volumeTypes.js';
import { expectFailure } from './expect.js';

const gp3 = { ...VOLUME_TYPE_LIMITS.gp3, what: 'type gp3' };
const st1 = { ...VOLUME_TYPE_LIMITS.st1, what: 'type st1' };
const io1 = { ...VOLUME_TYPE_LIMITS.io1, what: 'type io1' };
const standard = { ...VOLUME_TYPE_LIMITS.standard, what: 'type standard' };
const MiB = 1024 ** 2;

describe('capacity', () => {
  it('rounds required bytes up to whole GiB', () => {
    assert.equal(chooseSizeGiB({ requiredBytes: 1 }, gp3), 1);
    assert.equal(chooseSizeGiB({ requiredBytes: GiB }, gp3), 1);
    assert.equal(chooseSizeGiB({ requiredBytes: GiB + 1 }, gp3), 2);
    assert.equal(chooseSizeGiB({ requiredBytes: 10 * GiB - MiB }, gp3), 10);
    assert.equal(chooseSizeGiB({ requiredBytes: String(5 * GiB) }, gp3), 5);
  });

  it('uses 100 GiB when no size is required, raised to the type minimum and kept under the limit', () => {
    assert.equal(chooseSizeGiB(null, gp3), 100);
    assert.equal(chooseSizeGiB({ requiredBytes: 0, limitBytes: 0 }, gp3), 100);
    assert.equal(chooseSizeGiB(undefined, st1), 125);
    assert.equal(chooseSizeGiB({ limitBytes: 20 * GiB }, gp3), 20);
    assert.equal(chooseSizeGiB({ limitBytes: 20 * GiB + MiB }, gp3), 20);
  });

  it('is OUT_OF_RANGE when no whole GiB fits the range', async () => {
    await expectFailure(() => chooseSizeGiB({ requiredBytes: GiB + 1, limitBytes: GiB + 2 }, gp3), status.OUT_OF_RANGE,
      /no whole GiB size lies in the requested capacity range \(2–1 GiB/);
  });

  it('is OUT_OF_RANGE when required exceeds the limit, naming both', async () => {
    await expectFailure(() => chooseSizeGiB({ requiredBytes: 10 * GiB, limitBytes: 5 * GiB }, gp3), status.OUT_OF_RANGE,
      /capacity_range\.required_bytes \(10737418240\) is larger than capacity_range\.limit_bytes \(5368709120\)/);
  });

  it('is OUT_OF_RANGE outside the type\'s bounds, naming them', async () => {
    await expectFailure(() => chooseSizeGiB({ requiredBytes: 65_537 * GiB }, gp3), status.OUT_OF_RANGE, /65537 GiB is outside what type gp3 allows \(1–65536 GiB\)/);
    await expectFailure(() => chooseSizeGiB({ requiredBytes: 10 * GiB }, st1), status.OUT_OF_RANGE, /type st1 allows \(125–16384 GiB\)/);
    await expectFailure(() => chooseSizeGiB({ requiredBytes: GiB }, io1), status.OUT_OF_RANGE, /type io1 allows \(4–16384 GiB\)/);
    await expectFailure(() => chooseSizeGiB({ requiredBytes: 2000 * GiB }, standard), status.OUT_OF_RANGE, /1–1024 GiB/);
    await expectFailure(() => chooseSizeGiB({ limitBytes: 100 * GiB }, st1), status.OUT_OF_RANGE, /100 GiB is outside what type st1 allows/);
    // The limit below one GiB leaves nothing.
    await expectFailure(() => chooseSizeGiB({ limitBytes: MiB }, gp3), status.OUT_OF_RANGE);
  });

  it('is INVALID_ARGUMENT for negative values, naming the field', async () => {
    await expectFailure(() => chooseSizeGiB({ requiredBytes: -1 }, gp3), status.INVALID_ARGUMENT, /capacity_range\.required_bytes must not be negative; got -1/);
    await expectFailure(() => chooseSizeGiB({ limitBytes: -5 }, gp3), status.INVALID_ARGUMENT, /capacity_range\.limit_bytes must not be negative/);
  });

  it('restores are at least the snapshot\'s size, and a smaller request is OUT_OF_RANGE', async () => {
    const snapshot = (sizeGiB: number) => ({ sizeGiB, what: 'the source snapshot snap-1' });
    assert.equal(chooseSizeGiB(null, gp3, snapshot(200)), 200);
    assert.equal(chooseSizeGiB(null, gp3, snapshot(50)), 100);
    assert.equal(chooseSizeGiB({ limitBytes: 300 * GiB }, gp3, snapshot(200)), 200);
    assert.equal(chooseSizeGiB({ requiredBytes: 300 * GiB }, gp3, snapshot(200)), 300);
    await expectFailure(() => chooseSizeGiB({ requiredBytes: 10 * GiB }, gp3, snapshot(20)), status.OUT_OF_RANGE, /smaller than the source snapshot snap-1 \(20 GiB\)/);
    await expectFailure(() => chooseSizeGiB({ limitBytes: 10 * GiB }, gp3, snapshot(20)), status.OUT_OF_RANGE, /smaller than the source snapshot/);
  });

  it('copies are at least the source volume\'s size, named in the refusal', async () => {
    const volume = { sizeGiB: 8, what: 'the source volume vol-1' };
    assert.equal(chooseSizeGiB({ requiredBytes: 8 * GiB }, gp3, volume), 8);
    assert.equal(chooseSizeGiB({ requiredBytes: 8 * GiB - 1 }, gp3, volume), 8, 'rounded up to whole GiB first');
    assert.equal(chooseSizeGiB({ requiredBytes: 9 * GiB }, gp3, volume), 9);
    await expectFailure(() => chooseSizeGiB({ requiredBytes: 4 * GiB }, gp3, volume), status.OUT_OF_RANGE, /smaller than the source volume vol-1 \(8 GiB\)/);
  });

  it('tells whether an existing size satisfies a range', () => {
    assert.deepEqual(gibRange({ requiredBytes: GiB + 1, limitBytes: 3 * GiB }), { minGiB: 2, maxGiB: 3 });
    assert.equal(sizeSatisfies({ requiredBytes: 2 * GiB, limitBytes: 4 * GiB }, 3), true);
    assert.equal(sizeSatisfies({ requiredBytes: 2 * GiB }, 1), false);
    assert.equal(sizeSatisfies({ limitBytes: 2 * GiB }, 3), false);
    assert.equal(sizeSatisfies(null, 12345), true);
  });
});
