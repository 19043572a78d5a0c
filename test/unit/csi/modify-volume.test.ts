// ControllerModifyVolume against a stubbed cloud, and its merge with ControllerExpandVolume
// into a single ModifyVolume call (EC2 refuses a second modification for hours).
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CloudError } from '../../../src/cloud/errors.js';
import { TAG_ALLOW_AUTO_IOPS_INCREASE, TAG_IOPS_PER_GB, TAG_LEGACY_IOPS_PER_GB } from '../../../src/tags.js';
import { resizeHandlers } from '../../../src/csi/controller/resize.js';
import { callContext, expectFailure } from './expect.js';
import { mutatingCalls, snapshotModifyCloud, type SnapshotModifyCloud } from './snapshot-modify-cloud.js';

const GiB = 1024 ** 3;
const ctx = callContext();
let cloud: SnapshotModifyCloud;
let handlers: ReturnType<typeof resizeHandlers>;

const modify = (volumeId: string, mutableParameters: Record<string, string>): ReturnType<typeof handlers.ControllerModifyVolume> =>
  handlers.ControllerModifyVolume({ volumeId, mutableParameters, secrets: {} }, ctx);
const expand = (volumeId: string, requiredGiB: number): ReturnType<typeof handlers.ControllerExpandVolume> =>
  handlers.ControllerExpandVolume({ volumeId, capacityRange: { requiredBytes: requiredGiB * GiB, limitBytes: 0 }, secrets: {}, volumeCapability: null }, ctx);
const modifyCalls = (): unknown[][] => cloud.calls.filter((c) => c[0] === 'modifyDisk');

function withWindow(ms: number): void {
  handlers = resizeHandlers({ cloud, driverName: 'ebs.csi.aws.com', extraTags: {} }, { coalesceWindowMs: ms, wait: { pollMs: 1, maxPollMs: 2, timeoutMs: 200 } });
}

beforeEach(() => {
  cloud = snapshotModifyCloud();
  withWindow(5);
});

describe('ControllerModifyVolume', () => {
  it('changes type, IOPS and throughput in one ModifyVolume', async () => {
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'gp2' });
    assert.deepEqual(await modify(disk.volumeId, { type: 'gp3', iops: '6000', throughput: '500' }), {});
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { volumeType: 'gp3', iops: 6000, throughput: 500 }]]);
    await modify(disk.volumeId, { type: 'gp3', iops: '6000', throughput: '500' });
    assert.equal(modifyCalls().length, 1, 'a repeat finds the volume as asked and makes no call');
  });

  it('changes tags with CreateTags/DeleteTags only', async () => {
    const disk = cloud.addDisk({ tags: { CSIVolumeName: 'pvc-1', old: 'x' } });
    await modify(disk.volumeId, { tagSpecification_1: 'team=web', tagDeletion_1: 'old' });
    assert.deepEqual(mutatingCalls(cloud), ['createTags', 'deleteTags']);
    assert.deepEqual(cloud.disks.get(disk.volumeId)?.tags, { CSIVolumeName: 'pvc-1', team: 'web' });
    assert.equal(cloud.calls.some((c) => c[0] === 'getVolumeModification'), false);
  });

  it('sets IOPS from iopsPerGB and records the ratio for later expansions', async () => {
    const disk = cloud.addDisk({ capacityGiB: 200, volumeType: 'io2', iops: 1000 });
    await modify(disk.volumeId, { iopsPerGB: '20' });
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { iops: 4000 }]]);
    assert.equal(cloud.disks.get(disk.volumeId)?.tags[TAG_IOPS_PER_GB], '20');
    await modify(disk.volumeId, { iops: '5000' });
    assert.equal(cloud.disks.get(disk.volumeId)?.tags[TAG_IOPS_PER_GB], undefined, 'fixed IOPS drop the ratio');
  });

  it('records allowAutoIOPSIncreaseOnModify under the reference\'s tag, so later expansions keep the ratio', async () => {
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'io2', iops: 1000, tags: { [TAG_LEGACY_IOPS_PER_GB]: '5' } });
    await modify(disk.volumeId, { iopsPerGB: '10', allowAutoIOPSIncreaseOnModify: 'true' });
    const tags = cloud.disks.get(disk.volumeId)?.tags ?? {};
    assert.deepEqual([tags[TAG_IOPS_PER_GB], tags[TAG_ALLOW_AUTO_IOPS_INCREASE], tags[TAG_LEGACY_IOPS_PER_GB]], ['10', 'true', undefined],
      'the ratio moves to the reference\'s tag name');
    await expand(disk.volumeId, 150);
    assert.deepEqual(modifyCalls().at(-1), ['modifyDisk', disk.volumeId, { capacityGiB: 150, iops: 1500 }]);
    // A class that only switches the allowance off changes tags, not the volume.
    const before = modifyCalls().length;
    await modify(disk.volumeId, { allowAutoIOPSIncreaseOnModify: 'false' });
    assert.equal(cloud.disks.get(disk.volumeId)?.tags[TAG_ALLOW_AUTO_IOPS_INCREASE], 'false');
    assert.equal(modifyCalls().length, before);
  });

  it('takes the reference\'s older key volumeType for type; type wins when both are given', async () => {
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'gp2' });
    await modify(disk.volumeId, { volumeType: 'gp3' });
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { volumeType: 'gp3' }]]);
    const other = cloud.addDisk({ capacityGiB: 100, volumeType: 'gp2' });
    await modify(other.volumeId, { volumeType: 'io1', type: 'gp3' });
    assert.deepEqual(modifyCalls().at(-1), ['modifyDisk', other.volumeId, { volumeType: 'gp3' }]);
  });

  it('passes a type the driver does not know to EC2, and EC2\'s refusal back with its message', async () => {
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'gp3' });
    await modify(disk.volumeId, { type: 'gp9', iops: '123456' });
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { volumeType: 'gp9', iops: 123456 }]]);
    const refused = cloud.addDisk({ capacityGiB: 100, volumeType: 'gp3' });
    cloud.failures.modifyDisk = new CloudError('InvalidParameter', 'EC2 ModifyVolume failed: EC2 said: Value (gp8) for parameter volumeType is invalid', 'InvalidParameterValue');
    await expectFailure(() => modify(refused.volumeId, { type: 'gp8' }), status.INVALID_ARGUMENT, /Value \(gp8\) for parameter volumeType is invalid/);
  });

  it('refuses iopsPerGB below the type minimum unless auto increase is allowed', async () => {
    const disk = cloud.addDisk({ capacityGiB: 4, volumeType: 'io1', iops: 100 });
    await expectFailure(() => modify(disk.volumeId, { iopsPerGB: '10' }), status.INVALID_ARGUMENT, /iopsPerGB 10/, /allowAutoIOPSIncreaseOnModify/);
    await modify(disk.volumeId, { iopsPerGB: '10', allowAutoIOPSIncreaseOnModify: 'true', type: 'io2' });
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { volumeType: 'io2' }]], 'raised to the minimum, which the volume already has');
  });

  it('refuses changes the volume\'s size or type cannot take, naming the field', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10, volumeType: 'gp3' });
    await expectFailure(() => modify(disk.volumeId, { type: 'st1' }), status.INVALID_ARGUMENT, /st1/, /125/, /10 GiB/);
    await expectFailure(() => modify(disk.volumeId, { type: 'gp2', iops: '4000' }), status.INVALID_ARGUMENT, /iops/, /gp2/);
    await expectFailure(() => modify(disk.volumeId, { type: 'io1', throughput: '200' }), status.INVALID_ARGUMENT, /throughput/, /gp3/);
    await expectFailure(() => modify(disk.volumeId, { iops: '90000' }), status.INVALID_ARGUMENT, /iops 90000/, /3000/);
    await expectFailure(() => modify(disk.volumeId, { throughput: '1000' }), status.INVALID_ARGUMENT, /throughput 1000/, /4000 IOPS/);
    await expectFailure(() => modify(disk.volumeId, { bogus: '1' }), status.INVALID_ARGUMENT, /bogus/);
    await expectFailure(() => modify('', { type: 'gp3' }), status.INVALID_ARGUMENT, /volume_id/);
    await expectFailure(() => modify('vol-0123456789abcdef0', { type: 'gp3' }), status.NOT_FOUND);
    assert.deepEqual(mutatingCalls(cloud), []);
  });

  it('passes EC2\'s refusal of a too-early second modification on as RESOURCE_EXHAUSTED', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    cloud.failures.modifyDisk = new CloudError('ModificationRateExceeded', 'volume was modified in the last 6 hours', 'VolumeModificationRateExceeded');
    await expectFailure(() => modify(disk.volumeId, { iops: '4000' }), status.RESOURCE_EXHAUSTED, /6 hours/);
  });
});

describe('merging expand and modify', () => {
  it('merges an expand and a modify arriving together into one ModifyVolume', async () => {
    withWindow(30);
    const disk = cloud.addDisk({ capacityGiB: 10, volumeType: 'gp3' });
    const [expanded, modified] = await Promise.all([
      expand(disk.volumeId, 50),
      modify(disk.volumeId, { type: 'io2', iops: '5000', tagSpecification_1: 'tier=gold' }),
    ]);
    assert.equal(expanded.capacityBytes, 50 * GiB);
    assert.deepEqual(modified, {});
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { capacityGiB: 50, volumeType: 'io2', iops: 5000 }]]);
    assert.deepEqual(mutatingCalls(cloud), ['modifyDisk', 'createTags']);
  });

  it('merges the expanded size into iopsPerGB', async () => {
    withWindow(30);
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'io1', iops: 500 });
    await Promise.all([modify(disk.volumeId, { iopsPerGB: '10' }), expand(disk.volumeId, 300)]);
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { capacityGiB: 300, iops: 3000 }]]);
  });

  it('refuses a conflicting change while another is pending, with ABORTED', async () => {
    withWindow(30);
    const disk = cloud.addDisk({ capacityGiB: 100, volumeType: 'gp3' });
    const first = modify(disk.volumeId, { type: 'io2' });
    await expectFailure(() => modify(disk.volumeId, { type: 'io1' }), status.ABORTED, /volumeType io2 vs io1/);
    await first;
    assert.deepEqual(modifyCalls(), [['modifyDisk', disk.volumeId, { volumeType: 'io2' }]]);
  });

  it('joins a repeat to the change being applied instead of making a second call', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const original = cloud.modifyDisk.bind(cloud);
    cloud.modifyDisk = async (id, options) => { await gate; return original(id, options); };
    const first = expand(disk.volumeId, 20);
    await new Promise((r) => setTimeout(r, 20)); // the window has passed: the change is being applied
    const repeat = expand(disk.volumeId, 20);
    release();
    assert.deepEqual(await Promise.all([first, repeat]), [
      { capacityBytes: 20 * GiB, nodeExpansionRequired: true }, { capacityBytes: 20 * GiB, nodeExpansionRequired: true },
    ]);
    assert.equal(modifyCalls().length, 1);
  });

  it('applies a different change only after the one under way has finished', async () => {
    const disk = cloud.addDisk({ capacityGiB: 10 });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const events: string[] = [];
    const original = cloud.modifyDisk.bind(cloud);
    cloud.modifyDisk = async (id, options) => {
      events.push(`start ${JSON.stringify(options)}`);
      if (options.capacityGiB === 20) await gate;
      const out = await original(id, options);
      events.push(`end ${JSON.stringify(options)}`);
      return out;
    };
    const first = expand(disk.volumeId, 20);
    await new Promise((r) => setTimeout(r, 20));
    const second = modify(disk.volumeId, { iops: '4000' });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, ['start {"capacityGiB":20}'], 'the second waits for the first');
    release();
    await Promise.all([first, second]);
    assert.deepEqual(events, ['start {"capacityGiB":20}', 'end {"capacityGiB":20}', 'start {"iops":4000}', 'end {"iops":4000}']);
  });
});
