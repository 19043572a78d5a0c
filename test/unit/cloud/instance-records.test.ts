// An attach looks an instance up at most once per record age (recent-instances.ts): what a
// remembered record can miss, and how each miss is caught.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceStateName } from '@aws-sdk/client-ec2';
import { isCloudError } from '../../../src/cloud/errors.js';
import { awsError, fastTuning, instance, makeCloud, newVolumeId, StubEc2, volume } from './stub-ec2.js';

const NODE = 'i-0123456789abcdef0';
const RECORD_AGE_MS = 300;

/** A node whose mapped names and state the test changes, as someone else would on EC2. */
function nodeStub(node: { devices: string[]; state: InstanceStateName }): StubEc2 {
  return new StubEc2()
    .on('DescribeVolumes', (input) => ({ Volumes: (input.Filters?.[0]?.Values ?? []).map((VolumeId) => volume({ VolumeId })) }))
    .on('DescribeInstances', () => ({
      Reservations: [{ Instances: [{ ...instance(NODE, node.devices), State: { Name: node.state } }] }],
    }))
    .on('DescribeInstanceTypes', () => ({ InstanceTypes: [{ InstanceType: 'm5.large', EbsInfo: { MaximumEbsCards: 1 } }] }))
    .on('AttachVolume', (input) => {
      if (node.state !== 'running') throw awsError('IncorrectInstanceState', `The instance '${NODE}' is not in the 'running' state.`);
      const device = input.Device ?? '';
      if (node.devices.includes(device)) throw awsError('InvalidParameterValue', `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`);
      node.devices.push(device);
      return { VolumeId: input.VolumeId, InstanceId: NODE, Device: device, State: 'attached' };
    });
}

describe('instance records of attaches', () => {
  const tuning = { ...fastTuning(), instanceRecordMaxAgeMs: RECORD_AGE_MS };

  it('describes a node once for the attaches within the record age, and again after it', async () => {
    const stub = nodeStub({ devices: ['/dev/xvda'], state: 'running' });
    const { cloud } = makeCloud(stub, tuning);
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdaa');
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdab', 'the name just assigned is skipped though the record predates it');
    assert.equal(stub.count('DescribeInstances'), 1);
    await sleep(RECORD_AGE_MS + 20);
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdac');
    assert.equal(stub.count('DescribeInstances'), 2, 'an expired record is looked up again');
  });

  it('refreshes the record when EC2 refuses a name someone else mapped since, and keeps the fresh one', async () => {
    const node: { devices: string[]; state: InstanceStateName } = { devices: ['/dev/xvda'], state: 'running' };
    const stub = nodeStub(node);
    const { cloud } = makeCloud(stub, tuning);
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdaa');
    node.devices.push('/dev/xvdab', '/dev/xvdac');
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdad', 'xvdab refused, then xvdac skipped as the fresh record maps it');
    assert.deepEqual(stub.inputsOf('AttachVolume').map((i) => i.Device), ['/dev/xvdaa', '/dev/xvdab', '/dev/xvdad']);
    assert.equal(stub.count('DescribeInstances'), 2);
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdae');
    assert.equal(stub.count('DescribeInstances'), 2, 'the refreshed record serves the next attach');
  });

  it('answers InstanceNotFound for a node terminated since its record, and forgets the record', async () => {
    const node: { devices: string[]; state: InstanceStateName } = { devices: ['/dev/xvda'], state: 'running' };
    const stub = nodeStub(node);
    const { cloud } = makeCloud(stub, tuning);
    await cloud.attachDisk(newVolumeId(), NODE);
    node.state = 'terminated';
    await assert.rejects(cloud.attachDisk(newVolumeId(), NODE), (err: unknown) => isCloudError(err, 'InstanceNotFound') && err.message.includes(NODE));
    assert.equal(stub.count('DescribeInstances'), 2, 'looked up again to tell a gone node from a busy one');
    await assert.rejects(cloud.attachDisk(newVolumeId(), NODE), { kind: 'InstanceNotFound' });
    assert.equal(stub.count('DescribeInstances'), 3, 'a node EC2 does not know is not remembered');
    assert.equal(stub.count('AttachVolume'), 2);
  });

  it('keeps IncorrectState when the node is still there', async () => {
    const node: { devices: string[]; state: InstanceStateName } = { devices: ['/dev/xvda'], state: 'running' };
    const stub = nodeStub(node);
    const { cloud } = makeCloud(stub, tuning);
    await cloud.attachDisk(newVolumeId(), NODE);
    node.state = 'stopping';
    await assert.rejects(cloud.attachDisk(newVolumeId(), NODE), { kind: 'IncorrectState' });
    node.state = 'running';
    await cloud.attachDisk(newVolumeId(), NODE);
    assert.equal(stub.count('DescribeInstances'), 3, 'the failed attach forgot the record: the next one looked again');
  });
});
