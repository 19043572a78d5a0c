import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { Disk } from '../../../src/cloud/types.js';
import { volumeHandlers } from '../../../src/csi/controller/volumes.js';
import { GiB } from '../../../src/csi/params/capacity.js';
import type { VolumeCapability__Output } from '../../../src/generated/csi/v1/VolumeCapability.js';
import { callContext, expectFailure } from './expect.js';
import { diskFrom, fakeCloud, instance, type FakeCloud } from './fakeCloud.js';

const mountCap: VolumeCapability__Output = { accessType: 'mount', mount: { fsType: 'ext4', mountFlags: [], volumeMountGroup: '' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } };
const blockMulti: VolumeCapability__Output = { accessType: 'block', block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } };

function addDisk(cloud: FakeCloud, overrides: Partial<Disk> = {}): Disk {
  const disk = diskFrom({ name: 'n', capacityGiB: 8, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1a', multiAttach: false, tags: {} }, overrides);
  cloud.disks.set(disk.volumeId, disk);
  return disk;
}

describe('volume handlers', () => {
  let cloud: FakeCloud;
  let h: ReturnType<typeof volumeHandlers>;
  const ctx = callContext();

  beforeEach(() => {
    cloud = fakeCloud();
    h = volumeHandlers({ cloud, driverName: 'ebs.csi.aws.com', extraTags: {} });
  });

  describe('DeleteVolume', () => {
    it('deletes the volume', async () => {
      const disk = addDisk(cloud);
      assert.deepEqual(await h.DeleteVolume({ volumeId: disk.volumeId, secrets: {} }, ctx), {});
      assert.equal(cloud.disks.has(disk.volumeId), false);
    });

    it('succeeds for unknown and fake ids, asking EC2 only about real-looking ones', async () => {
      await h.DeleteVolume({ volumeId: 'vol-00000000000000000', secrets: {} }, ctx);
      await h.DeleteVolume({ volumeId: 'fake-vol-id-123', secrets: {} }, ctx);
      assert.deepEqual(cloud.callsTo('deleteDisk'), [['deleteDisk', 'vol-00000000000000000']]);
    });

    it('is FAILED_PRECONDITION naming the instance while attached', async () => {
      const disk = addDisk(cloud, { state: 'in-use', attachments: [{ instanceId: 'i-0123456789abcdef0', device: '/dev/xvdaa', state: 'attached' }] });
      await expectFailure(() => h.DeleteVolume({ volumeId: disk.volumeId, secrets: {} }, ctx), status.FAILED_PRECONDITION,
        new RegExp(`volume ${disk.volumeId} is attached to i-0123456789abcdef0 \\(attached\\)`), /ControllerUnpublishVolume/);
    });

    it('requires volume_id', async () => {
      await expectFailure(() => h.DeleteVolume({ volumeId: '', secrets: {} }, ctx), status.INVALID_ARGUMENT, /^volume_id is required$/);
    });
  });

  describe('ValidateVolumeCapabilities', () => {
    const req = (volumeId: string, caps: VolumeCapability__Output[], parameters: Record<string, string> = {}) => ({
      volumeId, volumeContext: { blocksize: '4096' }, volumeCapabilities: caps, parameters, secrets: {}, mutableParameters: {},
    });

    it('confirms supported capabilities, echoing what it validated', async () => {
      const disk = addDisk(cloud);
      const res = await h.ValidateVolumeCapabilities(req(disk.volumeId, [mountCap], { type: 'gp3' }), ctx);
      assert.deepEqual(res.confirmed, { volumeContext: { blocksize: '4096' }, volumeCapabilities: [mountCap], parameters: { type: 'gp3' } });
    });

    it('does not confirm what the volume cannot do, and says why', async () => {
      const disk = addDisk(cloud);
      const res = await h.ValidateVolumeCapabilities(req(disk.volumeId, [mountCap, blockMulti]), ctx);
      assert.equal(res.confirmed, undefined);
      assert.match(res.message ?? '', /volume_capabilities\[1\]: access mode MULTI_NODE_MULTI_WRITER needs a volume created with Multi-Attach/);
      const multi = addDisk(cloud, { multiAttachEnabled: true, volumeType: 'io2' });
      assert.ok((await h.ValidateVolumeCapabilities(req(multi.volumeId, [blockMulti]), ctx)).confirmed);
      const params = await h.ValidateVolumeCapabilities(req(disk.volumeId, [mountCap], { speed: 'fast' }), ctx);
      assert.equal(params.confirmed, undefined);
      assert.match(params.message ?? '', /unknown parameter "speed"/);
    });

    it('is NOT_FOUND for unknown and fake volumes', async () => {
      await expectFailure(() => h.ValidateVolumeCapabilities(req('vol-00000000000000000', [mountCap]), ctx), status.NOT_FOUND, /volume vol-00000000000000000 does not exist/);
      await expectFailure(() => h.ValidateVolumeCapabilities(req('fake-vol-id', [mountCap]), ctx), status.NOT_FOUND, /fake-vol-id/);
    });

    it('refuses missing fields and malformed capabilities', async () => {
      await expectFailure(() => h.ValidateVolumeCapabilities(req('', [mountCap]), ctx), status.INVALID_ARGUMENT, /^volume_id is required$/);
      await expectFailure(() => h.ValidateVolumeCapabilities(req('vol-00000000000000000', []), ctx), status.INVALID_ARGUMENT, /^volume_capabilities is required$/);
      await expectFailure(() => h.ValidateVolumeCapabilities(req('vol-00000000000000000', [{ ...mountCap, accessMode: null }]), ctx),
        status.INVALID_ARGUMENT, /volume_capabilities\[0\]\.access_mode is missing/);
    });
  });

  describe('ListVolumes and ControllerGetVolume', () => {
    it('list volumes with the nodes they are attached to, page by page', async () => {
      const a = addDisk(cloud, { state: 'in-use', attachments: [{ instanceId: 'i-0123456789abcdef0', device: '/dev/xvdaa', state: 'attached' }] });
      const b = addDisk(cloud, { attachments: [{ instanceId: 'i-0123456789abcdef1', device: '/dev/xvdab', state: 'attaching' }] });
      const first = await h.ListVolumes({ maxEntries: 1, startingToken: '' }, ctx);
      assert.equal(first.entries?.length, 1);
      assert.equal(first.entries?.[0]?.volume?.volumeId, a.volumeId);
      assert.equal(first.entries?.[0]?.volume?.capacityBytes, 8 * GiB);
      assert.deepEqual(first.entries?.[0]?.status?.publishedNodeIds, ['i-0123456789abcdef0']);
      assert.equal(first.nextToken, '1');
      const second = await h.ListVolumes({ maxEntries: 1, startingToken: '1' }, ctx);
      assert.equal(second.entries?.[0]?.volume?.volumeId, b.volumeId);
      assert.deepEqual(second.entries?.[0]?.status?.publishedNodeIds, [], 'an attachment still attaching is not published yet');
      assert.equal(second.nextToken, '');
      assert.deepEqual(cloud.callsTo('listDisks'), [['listDisks', 1, undefined], ['listDisks', 1, '1']]);
    });

    it('list: ABORTED for a bad starting token, INVALID_ARGUMENT for negative max_entries', async () => {
      await expectFailure(() => h.ListVolumes({ maxEntries: 0, startingToken: 'nonsense' }, ctx), status.ABORTED, /nonsense/);
      await expectFailure(() => h.ListVolumes({ maxEntries: -1, startingToken: '' }, ctx), status.INVALID_ARGUMENT, /max_entries must not be negative/);
    });

    it('get a volume with its status and condition, NOT_FOUND when unknown', async () => {
      const node = instance();
      const disk = addDisk(cloud, { state: 'in-use', attachments: [{ instanceId: node.instanceId, device: '/dev/xvdaa', state: 'attached' }] });
      const res = await h.ControllerGetVolume({ volumeId: disk.volumeId }, ctx);
      assert.equal(res.volume?.volumeId, disk.volumeId);
      assert.deepEqual(res.status?.publishedNodeIds, [node.instanceId]);
      assert.equal(res.status?.volumeCondition?.abnormal, false);
      const broken = addDisk(cloud, { state: 'error' });
      assert.equal((await h.ControllerGetVolume({ volumeId: broken.volumeId }, ctx)).status?.volumeCondition?.abnormal, true);
      await expectFailure(() => h.ControllerGetVolume({ volumeId: 'vol-00000000000000000' }, ctx), status.NOT_FOUND, /vol-00000000000000000 does not exist/);
      await expectFailure(() => h.ControllerGetVolume({ volumeId: '' }, ctx), status.INVALID_ARGUMENT, /volume_id is required/);
    });
  });
});
