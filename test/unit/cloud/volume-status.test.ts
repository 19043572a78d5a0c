// The adapter's per-volume status lookups, against the stub client: the latest modification
// (DescribeVolumesModifications) and initialization from a snapshot (DescribeVolumeStatus,
// which moto does not implement). Both coalesce concurrent questions into one call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as sdk from '@aws-sdk/client-ec2';
import { isCloudError } from '../../../src/cloud/errors.js';
import { awsError, makeCloud, newVolumeId, StubEc2, unparsableServerError, volume, volumesFrom } from './stub-ec2.js';

const initializing = (VolumeId: string, progress: number, secondsLeft?: number): sdk.VolumeStatusItem => ({
  VolumeId,
  VolumeStatus: { Status: 'ok', Details: [{ Name: 'io-enabled', Status: 'passed' }, { Name: 'initialization-state', Status: 'initializing' }] },
  InitializationStatusDetails: {
    InitializationType: 'provisioned-rate', Progress: progress,
    ...(secondsLeft !== undefined ? { EstimatedTimeToCompleteInSeconds: secondsLeft } : {}),
  },
});
const completed = (VolumeId: string): sdk.VolumeStatusItem => ({
  VolumeId,
  VolumeStatus: { Status: 'ok', Details: [{ Name: 'initialization-state', Status: 'completed' }] },
  InitializationStatusDetails: { InitializationType: 'default', Progress: 100, EstimatedTimeToCompleteInSeconds: 0 },
});

describe('getVolumeModification', () => {
  it('answers concurrent lookups with one filtered call, each with its volume\'s latest modification', async () => {
    const [a, b, never] = [newVolumeId(), newVolumeId(), newVolumeId()];
    const stub = new StubEc2().on('DescribeVolumesModifications', () => ({
      VolumesModifications: [
        { VolumeId: a, ModificationState: 'completed', TargetSize: 20, StartTime: new Date('2030-01-01T00:00:00Z') },
        { VolumeId: a, ModificationState: 'modifying', TargetSize: 40, TargetVolumeType: 'io2', TargetIops: 4000, StartTime: new Date('2030-01-02T00:00:00Z') },
        { VolumeId: b, ModificationState: 'failed', StatusMessage: 'not enough capacity', StartTime: new Date('2030-01-01T00:00:00Z') },
      ],
    }));
    const { cloud } = makeCloud(stub);
    const [modA, modB, modNever] = await Promise.all([a, b, never].map((id) => cloud.getVolumeModification(id)));
    assert.equal(stub.count('DescribeVolumesModifications'), 1);
    assert.deepEqual(stub.inputsOf('DescribeVolumesModifications')[0]?.Filters, [{ Name: 'volume-id', Values: [a, b, never] }]);
    assert.deepEqual(modA, { volumeId: a, state: 'modifying', targetSizeGiB: 40, targetVolumeType: 'io2', targetIops: 4000 });
    assert.deepEqual(modB, { volumeId: b, state: 'failed', statusMessage: 'not enough capacity' });
    assert.equal(modNever, undefined, 'a volume never modified has no modification');
  });

  it('makes no call for an id that cannot be a volume', async () => {
    const stub = new StubEc2();
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.getVolumeModification('fake-vol-id-1'), undefined);
    assert.equal(stub.count(), 0);
  });
});

describe('getVolumeInitialization', () => {
  it('answers concurrent lookups with one DescribeVolumeStatus and reads progress', async () => {
    const [busy, done, fresh] = [newVolumeId(), newVolumeId(), newVolumeId()];
    const stub = new StubEc2().on('DescribeVolumeStatus', () => ({
      VolumeStatuses: [
        initializing(busy, 42, 600),
        completed(done),
        { VolumeId: fresh, VolumeStatus: { Status: 'ok', Details: [{ Name: 'io-enabled', Status: 'passed' }] } },
      ],
    }));
    const { cloud } = makeCloud(stub);
    const answers = await Promise.all([busy, done, fresh].map((id) => cloud.getVolumeInitialization(id)));
    assert.equal(stub.count('DescribeVolumeStatus'), 1);
    assert.deepEqual(stub.inputsOf('DescribeVolumeStatus')[0]?.VolumeIds, [busy, done, fresh]);
    assert.deepEqual(answers, [
      { initialized: false, progressPercent: 42, secondsLeft: 600 },
      { initialized: true, progressPercent: 100 },
      { initialized: true }, // not restored from a snapshot: nothing to wait for
    ]);
  });

  it('reads a progress below 100 as initializing when the status detail is not there yet', async () => {
    const id = newVolumeId();
    const stub = new StubEc2().on('DescribeVolumeStatus', () => ({
      VolumeStatuses: [{ VolumeId: id, VolumeStatus: { Status: 'ok', Details: [] }, InitializationStatusDetails: { Progress: 7 } }],
    }));
    const { cloud } = makeCloud(stub);
    assert.deepEqual(await cloud.getVolumeInitialization(id), { initialized: false, progressPercent: 7 });
  });

  it('keeps one deleted volume from failing the others of its batch', async () => {
    const [known, gone] = [newVolumeId(), newVolumeId()];
    const stub = new StubEc2()
      .on('DescribeVolumeStatus', (input) => {
        if (input.VolumeIds?.includes(gone)) throw awsError('InvalidVolume.NotFound', `The volume '${gone}' does not exist.`);
        return { VolumeStatuses: [initializing(known, 10)] };
      })
      .on('DescribeVolumes', volumesFrom(() => [volume({ VolumeId: known })]));
    const { cloud } = makeCloud(stub);
    const [forKnown, forGone] = await Promise.all([cloud.getVolumeInitialization(known), cloud.getVolumeInitialization(gone)]);
    assert.deepEqual(forKnown, { initialized: false, progressPercent: 10 });
    assert.equal(forGone, undefined);
    assert.deepEqual(stub.inputsOf('DescribeVolumeStatus').map((i) => i.VolumeIds), [[known, gone], [known]]);
    assert.equal(stub.count('DescribeVolumes'), 1, 'which ids still exist is asked once for the batch');
  });

  it('counts volumes as initialized, at once and without retries, when the endpoint lacks DescribeVolumeStatus', async () => {
    for (const missing of [unparsableServerError(), awsError('InvalidAction', 'The action DescribeVolumeStatus is not valid for this web service.'),
      awsError('UnsupportedOperation', 'not supported'), awsError('InternalFailure', 'API action not yet implemented', 501)]) {
      const id = newVolumeId();
      const stub = new StubEc2().on('DescribeVolumeStatus', () => { throw missing; });
      const { cloud } = makeCloud(stub);
      assert.deepEqual(await cloud.getVolumeInitialization(id), { initialized: true }, missing.message);
      assert.equal(stub.count('DescribeVolumeStatus'), 1, `no retry of an action that is not there: ${missing.message}`);
    }
  });

  it('retries EC2\'s own internal errors and finally fails, rather than guessing "initialized"', async () => {
    const stub = new StubEc2().on('DescribeVolumeStatus', () => { throw awsError('InternalError', 'We encountered an internal error', 500); });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.getVolumeInitialization(newVolumeId()), (err: unknown) => isCloudError(err, 'Unknown') && /internal error/.test(err.message));
    assert.equal(stub.count('DescribeVolumeStatus'), 4, 'the first attempt and three retries of the fast test policy');
  });

  it('makes no call for an id that cannot be a volume', async () => {
    const stub = new StubEc2();
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.getVolumeInitialization('fake-vol-id-1'), undefined);
    assert.equal(stub.count(), 0);
  });
});
