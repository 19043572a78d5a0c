import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Volume } from '@aws-sdk/client-ec2';
import { DEVICE_NAMES } from '../../../src/cloud/ec2/device-names.js';
import { isCloudError } from '../../../src/cloud/errors.js';
import { awsError, fastTuning, instance, makeCloud, newVolumeId, StubEc2, volume } from './stub-ec2.js';

const NODE = 'i-0123456789abcdef0';
const OTHER_NODE = 'i-0fedcba9876543210';

/** A stub whose DescribeVolumes answers with `current()`, and that knows NODE with `devices` mapped. */
function stubWith(current: () => Volume, devices: readonly string[] = ['/dev/xvda']): StubEc2 {
  return new StubEc2()
    .on('DescribeVolumes', () => ({ Volumes: [current()] }))
    .on('DescribeInstances', (input) => ({
      Reservations: [{ Instances: (input.Filters?.[0]?.Values ?? []).filter((id) => id === NODE).map((id) => instance(id, devices)) }],
    }))
    .on('DescribeInstanceTypes', () => ({ InstanceTypes: [{ InstanceType: 'm5.large', EbsInfo: { MaximumEbsCards: 1 } }] }));
}

describe('attachDisk', () => {
  it('waits from attaching to attached and returns the device', async () => {
    const id = newVolumeId();
    let attached = false;
    let looks = 0;
    const stub = stubWith(() => {
      looks++;
      if (!attached) return volume({ VolumeId: id });
      return volume({ VolumeId: id, State: 'in-use', Attachments: [{ InstanceId: NODE, Device: '/dev/xvdaa', State: looks < 4 ? 'attaching' : 'attached' }] });
    }).on('AttachVolume', (input) => {
      attached = true;
      return { VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attaching' };
    });
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdaa');
    assert.deepEqual(stub.inputsOf('AttachVolume'), [{ VolumeId: id, InstanceId: NODE, Device: '/dev/xvdaa' }]);
    assert.equal(stub.count('DescribeVolumes'), 4, 'one lookup before, three polls after');
  });

  it('skips the wait when AttachVolume already answers attached', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({ VolumeId: id }), ['/dev/xvda', '/dev/xvdaa'])
      .on('AttachVolume', (input) => ({ VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attached' }));
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdab', 'xvdaa is mapped already');
    assert.equal(stub.count('DescribeVolumes'), 1);
  });

  it('takes the volume the caller has just described instead of describing it again', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({ VolumeId: id }), ['/dev/xvda', '/dev/xvdaa'])
      .on('AttachVolume', (input) => ({ VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attached' }));
    const { cloud } = makeCloud(stub);
    const seen = await cloud.getDisk(id);
    assert.ok(seen);
    const before = stub.count('DescribeVolumes');
    assert.equal(await cloud.attachDisk(id, NODE, seen), '/dev/xvdab');
    assert.equal(stub.count('DescribeVolumes'), before, 'no second DescribeVolumes for the attach');
  });

  it('answers a busy attachment on this instance as attached, with no AttachVolume', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({ VolumeId: id, State: 'in-use', Attachments: [{ InstanceId: NODE, Device: '/dev/xvdac', State: 'busy' }] }));
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdac');
    assert.equal(stub.count('AttachVolume'), 0);
  });

  it('times out when the attachment sticks in attaching', async () => {
    const id = newVolumeId();
    let attached = false;
    const stub = stubWith(() => (attached
      ? volume({ VolumeId: id, Attachments: [{ InstanceId: NODE, Device: '/dev/xvdaa', State: 'attaching' }] })
      : volume({ VolumeId: id })))
      .on('AttachVolume', (input) => {
        attached = true;
        return { VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attaching' };
      });
    const { cloud } = makeCloud(stub, fastTuning(60));
    await assert.rejects(cloud.attachDisk(id, NODE), (err: unknown) =>
      isCloudError(err, 'Timeout') && err.message.includes(id) && err.message.includes(NODE) && /attaching/.test(err.message));
  });

  it('returns the existing device without calling AttachVolume when already attached there', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({ VolumeId: id, State: 'in-use', Attachments: [{ InstanceId: NODE, Device: '/dev/xvdbc', State: 'attached' }] }));
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdbc');
    assert.equal(stub.count('AttachVolume'), 0);
  });

  it('refuses a volume attached to another node, naming that node', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({ VolumeId: id, State: 'in-use', Attachments: [{ InstanceId: OTHER_NODE, Device: '/dev/xvdaa', State: 'attached' }] }));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.attachDisk(id, NODE), (err: unknown) => isCloudError(err, 'AttachedElsewhere') && err.message.includes(OTHER_NODE));
    assert.equal(stub.count('AttachVolume'), 0);
  });

  it('attaches a multi-attach volume to a second node', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({
      VolumeId: id, VolumeType: 'io2', MultiAttachEnabled: true, State: 'in-use',
      Attachments: [{ InstanceId: OTHER_NODE, Device: '/dev/xvdaa', State: 'attached' }],
    })).on('AttachVolume', (input) => ({ VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attached' }));
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdaa');
  });

  it('names unknown volumes and nodes', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('DescribeVolumes', () => ({ Volumes: [] }))
      .on('DescribeInstances', () => ({ Reservations: [] }));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.attachDisk(id, NODE), (err: unknown) => isCloudError(err, 'VolumeNotFound') && err.message.includes(id));
    const known = stubWith(() => volume({ VolumeId: id }));
    await assert.rejects(makeCloud(known).cloud.attachDisk(id, OTHER_NODE),
      (err: unknown) => isCloudError(err, 'InstanceNotFound') && err.message.includes(OTHER_NODE));
  });

  it('retries with another device name when EC2 says the name is in use, trying that name last', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('DescribeVolumes', (input) => ({ Volumes: (input.Filters?.[0]?.Values ?? []).map((VolumeId) => volume({ VolumeId })) }))
      .on('DescribeInstances', () => ({ Reservations: [{ Instances: [instance(NODE)] }] }))
      .on('AttachVolume', (input) => {
      if (input.Device === '/dev/xvdaa') throw awsError('InvalidParameterValue', `Invalid value '/dev/xvdaa' for unixDevice. Attachment point /dev/xvdaa is already in use`);
      return { VolumeId: input.VolumeId, InstanceId: NODE, Device: input.Device, State: 'attached' };
    });
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdab');
    assert.deepEqual(stub.inputsOf('AttachVolume').map((i) => i.Device), ['/dev/xvdaa', '/dev/xvdab']);
    // The next attach to that node does not start with the refused name (nor the one just assigned).
    assert.equal(await cloud.attachDisk(newVolumeId(), NODE), '/dev/xvdac');
    assert.equal(stub.count('AttachVolume'), 3);
  });

  it('gives concurrent attaches to one node different names', async () => {
    const ids = Array.from({ length: 5 }, newVolumeId);
    const stub = new StubEc2()
      .on('DescribeVolumes', (input) => ({ Volumes: (input.Filters?.[0]?.Values ?? []).map((VolumeId) => volume({ VolumeId })) }))
      .on('DescribeInstances', () => ({ Reservations: [{ Instances: [instance(NODE, ['/dev/xvda', '/dev/xvdab'])] }] }))
      .on('AttachVolume', async (input) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { VolumeId: input.VolumeId, InstanceId: NODE, Device: input.Device, State: 'attached' };
      });
    const { cloud } = makeCloud(stub);
    const devices = await Promise.all(ids.map((id) => cloud.attachDisk(id, NODE)));
    assert.deepEqual(devices, ['/dev/xvdaa', '/dev/xvdac', '/dev/xvdad', '/dev/xvdae', '/dev/xvdaf']);
    assert.equal(stub.count('DescribeInstances'), 1);
    assert.equal(stub.count('DescribeVolumes'), 1);
  });

  it('maps AttachmentLimitExceeded, and reports a node without free names the same way', async () => {
    const id = newVolumeId();
    const stub = stubWith(() => volume({ VolumeId: id }))
      .on('AttachVolume', () => { throw awsError('AttachmentLimitExceeded', 'You have reached the limit of attached volumes'); });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.attachDisk(id, NODE), { kind: 'AttachmentLimitExceeded' });

    const full = stubWith(() => volume({ VolumeId: id }), DEVICE_NAMES);
    await assert.rejects(makeCloud(full).cloud.attachDisk(id, NODE), (err: unknown) =>
      isCloudError(err, 'AttachmentLimitExceeded') && err.message.includes(NODE));
    assert.equal(full.count('AttachVolume'), 0);
  });

  it('reports when the volume went to another node between lookup and attach', async () => {
    const id = newVolumeId();
    let raced = false;
    const stub = stubWith(() => (raced
      ? volume({ VolumeId: id, State: 'in-use', Attachments: [{ InstanceId: OTHER_NODE, Device: '/dev/xvdaa', State: 'attached' }] })
      : volume({ VolumeId: id })))
      .on('AttachVolume', () => {
        raced = true;
        throw awsError('VolumeInUse', `vol ${id} is already attached to an instance`);
      });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.attachDisk(id, NODE), (err: unknown) => isCloudError(err, 'AttachedElsewhere') && err.message.includes(OTHER_NODE));
  });
});

describe('detachDisk', () => {
  it('detaches and waits until the attachment is gone', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('DetachVolume', () => ({ VolumeId: id, InstanceId: NODE, Device: '/dev/xvdaa', State: 'detaching' }))
      .on('DescribeVolumes', (_input, nth) => ({
        Volumes: [nth < 3
          ? volume({ VolumeId: id, State: 'in-use', Attachments: [{ InstanceId: NODE, Device: '/dev/xvdaa', State: 'detaching' }] })
          : volume({ VolumeId: id })],
      }));
    const { cloud } = makeCloud(stub);
    await cloud.detachDisk(id, NODE);
    assert.deepEqual(stub.inputsOf('DetachVolume'), [{ VolumeId: id, InstanceId: NODE }]);
    assert.equal(stub.count('DescribeVolumes'), 3);
  });

  it('resolves when the volume is not attached there, or volume or node are unknown', async () => {
    for (const code of ['InvalidAttachment.NotFound', 'InvalidVolume.NotFound', 'InvalidInstanceID.NotFound']) {
      const stub = new StubEc2().on('DetachVolume', () => { throw awsError(code); });
      await makeCloud(stub).cloud.detachDisk(newVolumeId(), NODE);
      assert.equal(stub.count(), 1, code);
    }
  });

  it('treats IncorrectState as detached unless the volume is still attaching there', async () => {
    const id = newVolumeId();
    const available = new StubEc2()
      .on('DetachVolume', () => { throw awsError('IncorrectState', `Volume '${id}' is in the 'available' state.`); })
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id })] }));
    await makeCloud(available).cloud.detachDisk(id, NODE);
    const attaching = new StubEc2()
      .on('DetachVolume', () => { throw awsError('IncorrectState', `Volume '${id}' is in the 'attaching' state.`); })
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id, Attachments: [{ InstanceId: NODE, Device: '/dev/xvdaa', State: 'attaching' }] })] }));
    await assert.rejects(makeCloud(attaching).cloud.detachDisk(id, NODE), { kind: 'IncorrectState' });
  });

  it('times out when the detach sticks', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('DetachVolume', () => ({ VolumeId: id, InstanceId: NODE, Device: '/dev/xvdaa', State: 'detaching' }))
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id, Attachments: [{ InstanceId: NODE, Device: '/dev/xvdaa', State: 'detaching' }] })] }));
    await assert.rejects(makeCloud(stub, fastTuning(50)).cloud.detachDisk(id, NODE), (err: unknown) =>
      isCloudError(err, 'Timeout') && /detaching/.test(err.message));
  });
});
