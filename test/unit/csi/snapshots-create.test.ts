// CreateSnapshot against a stubbed cloud: the behaviour moto cannot show (pending
// snapshots, fast snapshot restore and lock calls, their failure clean-up, a crash between
// creation and follow-up) plus the decisions made before any EC2 call.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CloudError } from '../../../src/cloud/errors.js';
import { snapshotHandlers } from '../../../src/csi/controller/snapshots.js';
import { TAG_FOLLOW_UP_PENDING } from '../../../src/csi/controller/snapshots-followup.js';
import { callContext, expectFailure } from './expect.js';
import { mutatingCalls, snapshotModifyCloud, type SnapshotModifyCloud } from './snapshot-modify-cloud.js';

const ctx = callContext();
let cloud: SnapshotModifyCloud;
let handlers: ReturnType<typeof snapshotHandlers>;
let volumeId: string;

const create = (name: string, parameters: Record<string, string> = {}, source = volumeId): ReturnType<typeof handlers.CreateSnapshot> =>
  handlers.CreateSnapshot({ name, sourceVolumeId: source, parameters, secrets: {} }, ctx);

beforeEach(() => {
  cloud = snapshotModifyCloud();
  handlers = snapshotHandlers({ cloud, driverName: 'ebs.csi.aws.com', clusterId: 'prod', extraTags: { costCenter: '42' } });
  volumeId = cloud.addDisk({ capacityGiB: 20 }).volumeId;
});

describe('CreateSnapshot', () => {
  it('answers ready_to_use false while pending, true once completed, without a second snapshot', async () => {
    const first = await create('snap-a', { tagSpecification_1: 'team=db' });
    const snap = first.snapshot;
    assert.ok(snap);
    assert.equal(snap.readyToUse, false);
    assert.equal(snap.sourceVolumeId, volumeId);
    assert.equal(snap.sizeBytes, 20 * 1024 ** 3);
    const created = cloud.snapshots.get(String(snap.snapshotId));
    assert.ok(created);
    assert.deepEqual(created.tags, {
      costCenter: '42', team: 'db', CSIVolumeSnapshotName: 'snap-a', 'ebs.csi.aws.com/cluster': 'true',
      'kubernetes.io/cluster/prod': 'owned', Name: 'prod-dynamic-snap-a', 'ebs.csi.aws.com/cluster-name': 'prod',
    });

    const again = await create('snap-a', { tagSpecification_1: 'team=db' });
    assert.equal(again.snapshot?.snapshotId, snap.snapshotId);
    assert.equal(again.snapshot?.readyToUse, false);

    cloud.snapshots.set(created.snapshotId, { ...created, state: 'completed' });
    const ready = await create('snap-a', { tagSpecification_1: 'team=db' });
    assert.equal(ready.snapshot?.readyToUse, true);
    assert.deepEqual(mutatingCalls(cloud), ['createSnapshot']);
  });

  it('reports the creation time as a protobuf timestamp', async () => {
    const existing = cloud.addSnapshot({ sourceVolumeId: volumeId, tags: { CSIVolumeSnapshotName: 'old' } });
    const res = await create('old');
    assert.deepEqual(res.snapshot?.creationTime, { seconds: Math.floor(existing.creationTime.getTime() / 1000), nanos: 678_000_000 });
  });

  it('refuses the same name for another source volume with ALREADY_EXISTS', async () => {
    await create('snap-b');
    const other = cloud.addDisk().volumeId;
    await expectFailure(() => create('snap-b', {}, other), status.ALREADY_EXISTS, /snap-b/, new RegExp(volumeId), new RegExp(other));
  });

  it('requires name and source_volume_id', async () => {
    await expectFailure(() => create(''), status.INVALID_ARGUMENT, /name is required/);
    await expectFailure(() => create('x', {}, ''), status.INVALID_ARGUMENT, /source_volume_id is required/);
    await expectFailure(() => create('n'.repeat(129)), status.INVALID_ARGUMENT, /name/, /128/);
  });

  it('answers NOT_FOUND for an unknown or impossible source volume', async () => {
    await expectFailure(() => create('s1', {}, 'fake-vol-id'), status.NOT_FOUND, /fake-vol-id/);
    await expectFailure(() => create('s2', {}, 'vol-0123456789abcdef0'), status.NOT_FOUND, /vol-0123456789abcdef0/);
    assert.deepEqual(mutatingCalls(cloud), ['createSnapshot']);
  });

  it('maps SnapshotLimitExceeded to RESOURCE_EXHAUSTED', async () => {
    cloud.failures.createSnapshot = new CloudError('SnapshotLimitExceeded', 'the account has too many snapshots', 'SnapshotLimitExceeded');
    await expectFailure(() => create('s'), status.RESOURCE_EXHAUSTED, /too many snapshots/);
  });

  it('refuses bad class parameters before any EC2 call', async () => {
    await expectFailure(() => create('s', { lockMode: 'governance', lockDuration: '40000' }), status.INVALID_ARGUMENT, /lockDuration/);
    await expectFailure(() => create('s', { fastSnapshotRestoreAvailabilityZones: 'us-east-1a,mars-1z' }), status.INVALID_ARGUMENT,
      /fastSnapshotRestoreAvailabilityZones/, /mars-1z/, /us-east-1b/);
    assert.deepEqual(mutatingCalls(cloud), []);
  });
});

describe('CreateSnapshot follow-up calls', () => {
  const fsrAndLock = { fastSnapshotRestoreAvailabilityZones: 'us-east-1a,us-east-1b', lockMode: 'compliance', lockDuration: '7', lockCoolOffPeriod: '24' };

  it('enables fast restore, then locks, then removes the pending marker', async () => {
    const res = await create('s', fsrAndLock);
    const id = String(res.snapshot?.snapshotId);
    assert.deepEqual(mutatingCalls(cloud), ['createSnapshot', 'enableFastSnapshotRestores', 'lockSnapshot', 'deleteTags']);
    const created = cloud.calls.find((c) => c[0] === 'createSnapshot')?.[1] as { tags: Record<string, string> };
    assert.equal(created.tags[TAG_FOLLOW_UP_PENDING], 'true');
    assert.deepEqual(cloud.calls.find((c) => c[0] === 'enableFastSnapshotRestores'), ['enableFastSnapshotRestores', id, ['us-east-1a', 'us-east-1b']]);
    assert.deepEqual(cloud.calls.find((c) => c[0] === 'lockSnapshot'), ['lockSnapshot', id, { mode: 'compliance', durationDays: 7, coolOffHours: 24 }]);
    assert.equal(cloud.snapshots.get(id)?.tags[TAG_FOLLOW_UP_PENDING], undefined);
  });

  it('writes no marker when no follow-up is asked for', async () => {
    await create('plain');
    const created = cloud.calls.find((c) => c[0] === 'createSnapshot')?.[1] as { tags: Record<string, string> };
    assert.equal(created.tags[TAG_FOLLOW_UP_PENDING], undefined);
  });

  it('deletes the snapshot when fast restore fails, and says why', async () => {
    cloud.failures.enableFastSnapshotRestores = new CloudError('Unauthorized', 'not allowed to call EnableFastSnapshotRestores', 'UnauthorizedOperation');
    const message = await expectFailure(() => create('s', fsrAndLock), status.PERMISSION_DENIED,
      /fast snapshot restore in us-east-1a, us-east-1b failed/, /not allowed to call EnableFastSnapshotRestores/, /was deleted/);
    assert.match(message, /snap-[0-9a-f]+/);
    assert.deepEqual(mutatingCalls(cloud), ['createSnapshot', 'enableFastSnapshotRestores', 'deleteSnapshot']);
    assert.equal(cloud.snapshots.size, 0);
  });

  it('deletes the snapshot when the lock fails, and says why', async () => {
    cloud.failures.lockSnapshot = new CloudError('InvalidParameter', 'lock duration too long for this account', 'InvalidParameterValue');
    await expectFailure(() => create('s', { lockMode: 'governance', lockDuration: '30' }), status.INVALID_ARGUMENT,
      /locking it in governance mode failed/, /lock duration too long/, /was deleted/);
    assert.deepEqual(mutatingCalls(cloud), ['createSnapshot', 'lockSnapshot', 'deleteSnapshot']);
    assert.equal(cloud.snapshots.size, 0);
  });

  it('says so when the clean-up fails too, and a retry finishes the follow-ups', async () => {
    cloud.failures.lockSnapshot = new CloudError('Throttled', 'slow down', 'RequestLimitExceeded');
    cloud.failures.deleteSnapshot = new CloudError('Throttled', 'slow down again', 'RequestLimitExceeded');
    await expectFailure(() => create('s', { lockMode: 'governance', lockDuration: '30' }), status.UNAVAILABLE,
      /locking it in governance mode failed/, /deleting the snapshot failed as well/, /slow down again/);
    assert.equal(cloud.snapshots.size, 1);

    cloud.failures = {};
    const res = await create('s', { lockMode: 'governance', lockDuration: '30' });
    assert.equal(cloud.calls.filter((c) => c[0] === 'createSnapshot').length, 1);
    assert.equal(cloud.calls.filter((c) => c[0] === 'lockSnapshot').length, 2);
    assert.equal(cloud.snapshots.get(String(res.snapshot?.snapshotId))?.tags[TAG_FOLLOW_UP_PENDING], undefined);
  });

  it('finishes the follow-ups of a snapshot left with the marker by a crash', async () => {
    const left = cloud.addSnapshot({ sourceVolumeId: volumeId, state: 'pending', tags: { CSIVolumeSnapshotName: 's', [TAG_FOLLOW_UP_PENDING]: 'true' } });
    const res = await create('s', fsrAndLock);
    assert.equal(res.snapshot?.snapshotId, left.snapshotId);
    assert.deepEqual(mutatingCalls(cloud), ['enableFastSnapshotRestores', 'lockSnapshot', 'deleteTags']);
    await create('s', fsrAndLock);
    assert.deepEqual(mutatingCalls(cloud), ['enableFastSnapshotRestores', 'lockSnapshot', 'deleteTags'], 'a later repeat makes no call');
  });

  it('replaces a snapshot that failed in EC2', async () => {
    const failed = cloud.addSnapshot({ sourceVolumeId: volumeId, state: 'error', tags: { CSIVolumeSnapshotName: 's' } });
    await expectFailure(() => create('s'), status.UNAVAILABLE, new RegExp(failed.snapshotId), /state "error"/, /deleted/);
    assert.equal(cloud.snapshots.has(failed.snapshotId), false);
    const res = await create('s');
    assert.notEqual(res.snapshot?.snapshotId, failed.snapshotId);
  });
});
