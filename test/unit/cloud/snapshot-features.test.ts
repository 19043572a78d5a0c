// Fast snapshot restore and snapshot lock in the EC2 adapter, against the stub client:
// moto implements neither EnableFastSnapshotRestores nor LockSnapshot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudError, isCloudError } from '../../../src/cloud/errors.js';
import { awsError, makeCloud, StubEc2 } from './stub-ec2.js';

const SNAP = 'snap-0123456789abcdef0';

/** Awaits a rejection and hands back the CloudError it carried. */
async function cloudErrorOf(promise: Promise<unknown>): Promise<CloudError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CloudError, `expected a CloudError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('enableFastSnapshotRestores', () => {
  it('asks for every zone in one call and resolves when EC2 accepted them all', async () => {
    const stub = new StubEc2().on('EnableFastSnapshotRestores', () => ({
      Successful: [
        { SnapshotId: SNAP, AvailabilityZone: 'us-east-1a', State: 'enabling' },
        { SnapshotId: SNAP, AvailabilityZone: 'us-east-1b', State: 'enabled' }, // enabled before: still fine
      ],
      Unsuccessful: [],
    }));
    const { cloud } = makeCloud(stub);
    await cloud.enableFastSnapshotRestores(SNAP, ['us-east-1a', 'us-east-1b']);
    assert.deepEqual(stub.inputsOf('EnableFastSnapshotRestores'), [{ SourceSnapshotIds: [SNAP], AvailabilityZones: ['us-east-1a', 'us-east-1b'] }]);
  });

  it('rejects naming each refused zone with EC2\'s reason, and classifies by EC2\'s code', async () => {
    const stub = new StubEc2().on('EnableFastSnapshotRestores', () => ({
      Successful: [{ SnapshotId: SNAP, AvailabilityZone: 'us-east-1a', State: 'enabling' }],
      Unsuccessful: [{
        SnapshotId: SNAP,
        FastSnapshotRestoreStateErrors: [
          { AvailabilityZone: 'us-east-1b', Error: { Code: 'InvalidParameterValue', Message: 'The snapshot size exceeds the limit' } },
          { AvailabilityZone: 'us-east-1c', Error: { Code: 'InvalidParameterValue', Message: 'Zone does not support it' } },
        ],
      }],
    }));
    const { cloud } = makeCloud(stub);
    const err = await cloudErrorOf(cloud.enableFastSnapshotRestores(SNAP, ['us-east-1a', 'us-east-1b', 'us-east-1c']));
    assert.equal(err.kind, 'InvalidParameter');
    assert.equal(err.awsCode, 'InvalidParameterValue');
    assert.match(err.message, new RegExp(`snapshot ${SNAP} refused us-east-1b, us-east-1c`));
    assert.match(err.message, /us-east-1b: The snapshot size exceeds the limit \(InvalidParameterValue\)/);
    assert.match(err.message, /us-east-1c: Zone does not support it/);
    assert.doesNotMatch(err.message, /us-east-1a/, 'the accepted zone is not blamed');
  });

  it('counts a zone EC2 left out, or one in another state, as refused', async () => {
    const stub = new StubEc2().on('EnableFastSnapshotRestores', () => ({
      Successful: [{ SnapshotId: SNAP, AvailabilityZone: 'us-east-1a', State: 'disabling' }],
    }));
    const { cloud } = makeCloud(stub);
    const err = await cloudErrorOf(cloud.enableFastSnapshotRestores(SNAP, ['us-east-1a', 'us-east-1b']));
    assert.equal(err.kind, 'Unknown');
    assert.match(err.message, /us-east-1a: fast snapshot restore is "disabling" there/);
    assert.match(err.message, /us-east-1b: EC2 did not report this zone/);
  });

  it('passes a refusal of the whole call on as its kind, naming the permission', async () => {
    const stub = new StubEc2().on('EnableFastSnapshotRestores', () => { throw awsError('UnauthorizedOperation', 'You are not authorized', 403); });
    const { cloud } = makeCloud(stub);
    const err = await cloudErrorOf(cloud.enableFastSnapshotRestores(SNAP, ['us-east-1a']));
    assert.ok(isCloudError(err, 'Unauthorized'));
    assert.match(err.message, /needs ec2:EnableFastSnapshotRestores/);
  });
});

describe('lockSnapshot', () => {
  it('locks in compliance mode for a duration, with the cool-off period', async () => {
    const stub = new StubEc2().on('LockSnapshot', () => ({ SnapshotId: SNAP, LockState: 'compliance-cooloff' }));
    const { cloud } = makeCloud(stub);
    await cloud.lockSnapshot(SNAP, { mode: 'compliance', durationDays: 7, coolOffHours: 24 });
    assert.deepEqual(stub.inputsOf('LockSnapshot'), [{ SnapshotId: SNAP, LockMode: 'compliance', LockDuration: 7, CoolOffPeriod: 24 }]);
  });

  it('locks in governance mode until a date, without duration or cool-off', async () => {
    const stub = new StubEc2().on('LockSnapshot', () => ({ SnapshotId: SNAP, LockState: 'governance' }));
    const { cloud } = makeCloud(stub);
    const until = new Date('2031-05-06T07:08:09Z');
    await cloud.lockSnapshot(SNAP, { mode: 'governance', expirationDate: until });
    assert.deepEqual(stub.inputsOf('LockSnapshot'), [{ SnapshotId: SNAP, LockMode: 'governance', ExpirationDate: until }]);
  });

  it('reports EC2\'s refusal with its kind and the snapshot', async () => {
    const stub = new StubEc2().on('LockSnapshot', () => { throw awsError('InvalidParameterValue', 'LockDuration exceeds the maximum'); });
    const { cloud } = makeCloud(stub);
    const err = await cloudErrorOf(cloud.lockSnapshot(SNAP, { mode: 'governance', durationDays: 40_000 }));
    assert.equal(err.kind, 'InvalidParameter');
    assert.match(err.message, new RegExp(`LockSnapshot of snapshot ${SNAP} \\(governance mode\\) failed`));
    assert.match(err.message, /LockDuration exceeds the maximum/);
  });
});
