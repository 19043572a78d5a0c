// ControllerExpandVolume against a stubbed cloud: sizes, bounds, idempotency, IOPS that
// follow the size for iopsPerGB volumes, and modification states moto does not have.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { TAG_ALLOW_AUTO_IOPS_INCREASE, TAG_IOPS_PER_GB, TAG_LEGACY_IOPS_PER_GB } from '../../../src/tags.js';
import { resizeHandlers } from '../../../src/csi/controller/resize.js';
import type { ControllerExpandVolumeRequest__Output } from '../../../src/generated/csi/v1/ControllerExpandVolumeRequest.js';
import { callContext, expectFailure } from './expect.js';
import { mutatingCalls, snapshotModifyCloud, type SnapshotModifyCloud } from './snapshot-modify-cloud.js';

const GiB = 1024 ** 3;
const ctx = callContext();
let cloud: SnapshotModifyCloud;
let handlers: ReturnType<typeof resizeHandlers>;

const expand = (volumeId: string, requiredGiB: number, extra: Partial<ControllerExpandVolumeRequest__Output> = {}): ReturnType<typeof handlers.ControllerExpandVolume> =>
  handlers.ControllerExpandVolume({
    volumeId, capacityRange: { requiredBytes: requiredGiB * GiB, limitBytes: 0 }, secrets: {}, volumeCapability: null, ...extra,
  }, ctx);
const modifyCalls = (): unknown[][] => cloud.calls.filter((c) => c[0] === 'modifyDisk');

beforeEach(() => {
  cloud = snapshotModifyCloud();
  handlers = resizeHandlers({ cloud, driverName: 'ebs.csi.aws.com', extraTags: {} }, {
    coalesceWindowMs: 5, wait: { pollMs: 1, maxPollMs: 2, timeoutMs: 200 },
  });
});

describe('ControllerExpandVolume', () => {
  it('modifies to the new whole-GiB size and asks for node expansion of filesystem volumes', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    const res = await handlers.ControllerExpandVolume({
      volumeId: disk.volumeId, capacityRange: { requiredBytes: 15 * GiB + 1, limitBytes: 0 }, secrets: {}, volumeCapability: null,
    }, ctx);
    assert.deepEqual(res, { capacityBytes: 16 * GiB, nodeExpansionRequired: true });
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { capacityGiB: 16 }]]);
  });

  it('needs no node expansion for block volumes', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    const res = await expand(disk.volumeId, 20, { volumeCapability: { accessType: 'block', block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } } });
    assert.equal(res.nodeExpansionRequired, false);
  });

  it('is idempotent: a repeat at the reached size makes no call', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    await expand(disk.volumeId, 20);
    const again = await expand(disk.volumeId, 20);
    assert.equal(again.capacityBytes, 20 * GiB);
    assert.equal(modifyCalls().length, 1);
  });

  it('refuses to shrink and to exceed the type maximum with OUT_OF_RANGE', async () => {
    const disk = cloud.addDisk({ capacityGiB: 50 });
    await expectFailure(() => expand(disk.volumeId, 40), status.OUT_OF_RANGE, /50 GiB/, /cannot shrink/);
    await expectFailure(() => expand(disk.volumeId, 70_000), status.OUT_OF_RANGE, /gp3/, /65536/);
    const gp2 = cloud.addDisk({ capacityGiB: 50, volumeType: 'gp2' });
    await expectFailure(() => expand(gp2.volumeId, 16_385), status.OUT_OF_RANGE, /gp2/, /16384/);
    await expectFailure(() => handlers.ControllerExpandVolume({
      volumeId: disk.volumeId, capacityRange: { requiredBytes: 60 * GiB + 1, limitBytes: 60 * GiB + 100 }, secrets: {}, volumeCapability: null,
    }, ctx), status.OUT_OF_RANGE, /whole GiB/);
    assert.deepEqual(modifyCalls(), []);
  });

  it('refuses missing or negative sizes with INVALID_ARGUMENT naming the field', async () => {
    const disk = cloud.addDisk();
    await expectFailure(() => expand('', 10), status.INVALID_ARGUMENT, /volume_id/);
    await expectFailure(() => expand(disk.volumeId, 10, { capacityRange: null }), status.INVALID_ARGUMENT, /capacity_range is required/);
    await expectFailure(() => expand(disk.volumeId, -1), status.INVALID_ARGUMENT, /capacity_range.required_bytes/, /negative/);
    await expectFailure(() => expand(disk.volumeId, 10, { capacityRange: { requiredBytes: 0, limitBytes: -5 } }), status.INVALID_ARGUMENT, /capacity_range.limit_bytes/);
    await expectFailure(() => expand(disk.volumeId, 0), status.INVALID_ARGUMENT, /required_bytes is required/);
  });

  it('answers NOT_FOUND for unknown volumes', async () => {
    await expectFailure(() => expand('vol-0123456789abcdef0', 10), status.NOT_FOUND, /vol-0123456789abcdef0/);
    await expectFailure(() => expand('fake-vol-id', 10), status.NOT_FOUND, /fake-vol-id/);
  });

  it('scales the IOPS of an iopsPerGB volume only when its tags allow it, as the reference does', async () => {
    const allowed = { [TAG_IOPS_PER_GB]: '10', [TAG_ALLOW_AUTO_IOPS_INCREASE]: 'true' };
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'io1', iops: 1000, tags: allowed });
    await expand(disk.volumeId, 250);
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { capacityGiB: 250, iops: 2500 }]]);
    const capped = cloud.addDisk({ capacityGiB: 100, volumeType: 'io1', iops: 5000, tags: { ...allowed, [TAG_IOPS_PER_GB]: '50' } });
    await expand(capped.volumeId, 2000);
    assert.deepEqual(modifyCalls()[1], ['modifyDisk', capped.volumeId, { capacityGiB: 2000, iops: 64_000 }], 'capped at the io1 maximum');

    // Without the allowance (absent or "false") the IOPS stay: after a migration, the bill does too.
    const withoutAllowance: Record<string, string>[] = [{ [TAG_IOPS_PER_GB]: '10' }, { [TAG_IOPS_PER_GB]: '10', [TAG_ALLOW_AUTO_IOPS_INCREASE]: 'false' }];
    for (const tags of withoutAllowance) {
      const kept = cloud.addDisk({ capacityGiB: 100, volumeType: 'io1', iops: 1000, tags });
      await expand(kept.volumeId, 300);
      assert.deepEqual(modifyCalls().at(-1), ['modifyDisk', kept.volumeId, { capacityGiB: 300 }]);
    }
  });

  it('keeps scaling volumes tagged by this driver\'s first releases (ebs.csi.aws.com/iops-per-gb), as they were promised', async () => {
    const legacy = cloud.addDisk({ capacityGiB: 100, volumeType: 'io1', iops: 1000, tags: { [TAG_LEGACY_IOPS_PER_GB]: '10' } });
    await expand(legacy.volumeId, 150);
    assert.deepEqual(modifyCalls(), [['modifyDisk', legacy.volumeId, { capacityGiB: 150, iops: 1500 }]]);
  });

  it('leaves fixed IOPS alone when growing', async () => {
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'io2', iops: 4000 });
    await expand(disk.volumeId, 200);
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { capacityGiB: 200 }]]);
  });
});

describe('ControllerExpandVolume and modifications under way', () => {
  it('waits for a modification still "modifying", then makes its own', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    cloud.modificationStates = [
      { volumeId: disk.volumeId, state: 'modifying', targetVolumeType: 'gp3', targetIops: 4000 },
      { volumeId: disk.volumeId, state: 'modifying', targetVolumeType: 'gp3', targetIops: 4000 },
      { volumeId: disk.volumeId, state: 'optimizing', targetVolumeType: 'gp3', targetIops: 4000 },
    ];
    await expand(disk.volumeId, 30);
    assert.equal(cloud.calls.filter((c) => c[0] === 'getVolumeModification').length, 3);
    assert.deepEqual(mutatingCalls(cloud), ['modifyDisk']);
    const order = cloud.calls.map((c) => c[0]).filter((m) => m === 'getVolumeModification' || m === 'modifyDisk');
    assert.equal(order.at(-1), 'modifyDisk', 'the new modification comes after the wait');
  });

  it('makes no call when an earlier modification already reached the size', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    cloud.modificationStates = [
      { volumeId: disk.volumeId, state: 'modifying', targetSizeGiB: 30 },
      { volumeId: disk.volumeId, state: 'optimizing', targetSizeGiB: 30 },
    ];
    // The earlier modification lands while we wait.
    cloud.onModificationLookup = (m) => { if (m?.state === 'optimizing') cloud.disks.set(disk.volumeId, { ...disk, capacityGiB: 30 }); };
    const res = await expand(disk.volumeId, 30);
    assert.equal(res.capacityBytes, 30 * GiB);
    assert.deepEqual(mutatingCalls(cloud), []);
  });

  it('gives up with UNAVAILABLE when a modification stays "modifying"', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    cloud.modificationStates = [{ volumeId: disk.volumeId, state: 'modifying', targetSizeGiB: 12, targetVolumeType: 'io2' }];
    await expectFailure(() => expand(disk.volumeId, 20), status.UNAVAILABLE, /still being modified/, /12 GiB, io2/);
    assert.deepEqual(mutatingCalls(cloud), []);
  });

  it('proceeds after a failed earlier modification', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    cloud.modificationStates = [{ volumeId: disk.volumeId, state: 'failed', statusMessage: 'boom' }];
    await expand(disk.volumeId, 20);
    assert.deepEqual(mutatingCalls(cloud), ['modifyDisk']);
  });
});
