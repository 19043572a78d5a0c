// The benchmark's EC2 layer against moto's real answers (the unit tests use hand-written XML):
// the AWS SDK, talking through the bench proxy, sees EC2's pace (a volume creating, then
// available; an attachment attaching, then attached; a detaching one that blocks delete), is
// refused with a throttling error past the request bucket, and a deleted volume's tags leave
// the emulator as they leave EC2.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachVolumeCommand, CreateVolumeCommand, DeleteVolumeCommand, DescribeTagsCommand, DescribeVolumesCommand, DetachVolumeCommand, EC2Client,
} from '@aws-sdk/client-ec2';
import { EC2_DEFAULT_BUCKETS, RequestBuckets } from '../../support/ec2-buckets.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { Ec2Timing, type LatencyProfile } from '../../support/ec2-timing.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';

const PACE: LatencyProfile = {
  name: 'test', describeCallMs: [0, 0], mutateCallMs: [0, 0],
  volumeCreateMs: [600, 600], attachMs: [600, 600], detachMs: [600, 600], snapshotMs: [600, 600],
};
const ZONE = `${REGION}a`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bench proxy: EC2 pace, limits and tags over moto', () => {
  let moto: Emulator;
  let proxy: Ec2Proxy;
  let ec2: EC2Client;
  let instanceId: string;

  before(async () => {
    moto = await startMoto();
    instanceId = await moto.runInstance(ZONE);
    proxy = await startEc2Proxy(moto.endpoint, {
      timing: new Ec2Timing(PACE),
      // Mutating calls: a bucket of 2 per action that does not refill in the test's time.
      buckets: new RequestBuckets({ ...EC2_DEFAULT_BUCKETS, mutating: { capacity: 2, refillPerSecond: 0.001 } }),
      dropTagsOfDeleted: true,
    });
    ec2 = new EC2Client({ endpoint: proxy.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  });
  after(async () => {
    ec2.destroy();
    await proxy.stop();
    await moto.stop();
  });

  const state = async (volumeId: string): Promise<{ state?: string; attachments: (string | undefined)[] }> => {
    const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const v = out.Volumes?.[0];
    return { state: v?.State, attachments: (v?.Attachments ?? []).map((a) => a.State) };
  };

  it('plays a volume through creating, attaching and detaching, refusing what EC2 refuses meanwhile', async () => {
    const created = await ec2.send(new CreateVolumeCommand({
      AvailabilityZone: ZONE, Size: 1, VolumeType: 'gp3', TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'CSIVolumeName', Value: 'pace-1' }] }],
    }));
    const volumeId = created.VolumeId ?? '';
    assert.equal(created.State, 'creating');
    assert.deepEqual(await state(volumeId), { state: 'creating', attachments: [] });
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/xvdba' })),
      (err: Error) => err.name === 'IncorrectState');
    await sleep(650);
    assert.deepEqual(await state(volumeId), { state: 'available', attachments: [] });

    const attached = await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/xvdba' }));
    assert.equal(attached.State, 'attaching');
    assert.deepEqual(await state(volumeId), { state: 'in-use', attachments: ['attaching'] });
    await sleep(650);
    assert.deepEqual(await state(volumeId), { state: 'in-use', attachments: ['attached'] });

    const detached = await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
    assert.equal(detached.State, 'detaching');
    assert.deepEqual(await state(volumeId), { state: 'in-use', attachments: ['detaching'] }, 'moto has dropped it; EC2 still shows it');
    await assert.rejects(ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })), (err: Error) => err.name === 'VolumeInUse');
    await sleep(650);
    assert.deepEqual(await state(volumeId), { state: 'available', attachments: [] });

    // AttachVolume's own bucket of 2: the refused attach and the attach took both (DetachVolume has its own).
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/xvdbb' })),
      (err: Error) => err.name === 'RequestLimitExceeded');
    assert.deepEqual(proxy.throttled(), { AttachVolume: 1 });

    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    let tags = 1;
    for (let i = 0; i < 50 && tags > 0; i++) {
      await sleep(20);
      tags = (await moto.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [volumeId] }] }))).Tags?.length ?? 0;
    }
    assert.equal(tags, 0, 'the deleted volume\'s tags are gone from the emulator');
  });
});
