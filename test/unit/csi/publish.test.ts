import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CloudError } from '../../../src/cloud/errors.js';
import type { Disk, Instance } from '../../../src/cloud/types.js';
import { publishHandlers } from '../../../src/csi/controller/publish.js';
import type { ControllerPublishVolumeRequest__Output } from '../../../src/generated/csi/v1/ControllerPublishVolumeRequest.js';
import { callContext, expectFailure } from './expect.js';
import { diskFrom, fakeCloud, instance, type FakeCloud } from './fakeCloud.js';

const mountCap = { accessType: 'mount' as const, mount: { fsType: '', mountFlags: [], volumeMountGroup: '' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
const blockMulti = { accessType: 'block' as const, block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' as const } };

describe('ControllerPublishVolume / ControllerUnpublishVolume', () => {
  let cloud: FakeCloud;
  let h: ReturnType<typeof publishHandlers>;
  let disk: Disk;
  let node: Instance;
  const ctx = callContext();
  const publishReq = (overrides: Partial<ControllerPublishVolumeRequest__Output> = {}): ControllerPublishVolumeRequest__Output => ({
    volumeId: disk.volumeId, nodeId: node.instanceId, volumeCapability: mountCap, readonly: false, secrets: {}, volumeContext: {}, ...overrides,
  });
  const publish = (overrides: Partial<ControllerPublishVolumeRequest__Output> = {}) => h.ControllerPublishVolume(publishReq(overrides), ctx);
  const addNode = (zone = 'us-east-1a'): Instance => {
    const i = instance(zone);
    cloud.instances.set(i.instanceId, i);
    return i;
  };
  const addDisk = (overrides: Partial<Disk> = {}): Disk => {
    const d = diskFrom({ name: 'n', capacityGiB: 8, volumeType: 'io2', iops: 100, encrypted: false, availabilityZone: 'us-east-1a', multiAttach: false, tags: {} }, overrides);
    cloud.disks.set(d.volumeId, d);
    return d;
  };

  beforeEach(() => {
    cloud = fakeCloud();
    h = publishHandlers({ cloud, driverName: 'ebs.csi.aws.com', extraTags: {} });
    node = addNode();
    disk = addDisk();
  });

  it('attaches and answers the device path', async () => {
    const res = await publish();
    assert.deepEqual(res, { publishContext: { devicePath: '/dev/xvdaa', volumeSizeGiB: '8' } });
    assert.deepEqual(cloud.callsTo('attachDisk'), [['attachDisk', disk.volumeId, node.instanceId]]);
  });

  it('answers a repeat with the same device path without attaching again', async () => {
    const first = await publish();
    const again = await publish();
    assert.deepEqual(again, first);
    assert.equal(cloud.callsTo('attachDisk').length, 1);
  });

  it('is FAILED_PRECONDITION naming the other node when attached elsewhere', async () => {
    await publish();
    const other = addNode();
    await expectFailure(() => publish({ nodeId: other.instanceId }), status.FAILED_PRECONDITION,
      new RegExp(`volume ${disk.volumeId} is attached to node ${node.instanceId}`));
    assert.equal(cloud.callsTo('attachDisk').length, 1);
  });

  it('is NOT_FOUND naming an unknown node first, even for a volume attached elsewhere (finding 4)', async () => {
    await publish();
    await expectFailure(() => publish({ nodeId: 'i-0ffffffffffffffff' }), status.NOT_FOUND, /^node i-0ffffffffffffffff does not exist$/);
    assert.equal(cloud.callsTo('attachDisk').length, 1);
  });

  it('attaches a Multi-Attach volume to a second node', async () => {
    disk = addDisk({ multiAttachEnabled: true });
    await publish({ volumeCapability: blockMulti });
    const other = addNode();
    const res = await publish({ nodeId: other.instanceId, volumeCapability: blockMulti });
    assert.deepEqual(res, { publishContext: { devicePath: '/dev/xvdab', volumeSizeGiB: '8' } });
  });

  it('refuses the multi-writer mode on a volume without Multi-Attach', async () => {
    await expectFailure(() => publish({ volumeCapability: blockMulti }), status.INVALID_ARGUMENT, /needs a volume created with Multi-Attach/);
  });

  it('is NOT_FOUND naming an unknown or fake volume, or a fake node, before any attach', async () => {
    await expectFailure(() => publish({ volumeId: 'vol-00000000000000000' }), status.NOT_FOUND, /volume vol-00000000000000000 does not exist/);
    await expectFailure(() => publish({ volumeId: 'fake-vol-id-1' }), status.NOT_FOUND, /volume fake-vol-id-1 does not exist/);
    const before = cloud.calls.length;
    await expectFailure(() => publish({ nodeId: 'fake-node-id' }), status.NOT_FOUND, /node fake-node-id does not exist/);
    assert.equal(cloud.calls.length, before, 'no EC2 call for an id EC2 could not have issued');
    assert.equal(cloud.callsTo('attachDisk').length, 0);
  });

  it('passes attachDisk\'s own verdicts through their kinds (unknown node, wrong zone, node full)', async () => {
    const cases: [CloudError, status][] = [
      [new CloudError('InstanceNotFound', 'instance i-00000000000000000 does not exist in this region'), status.NOT_FOUND],
      [new CloudError('IncorrectState', 'volume is in zone us-east-1a but instance is in us-east-1c'), status.FAILED_PRECONDITION],
      [new CloudError('AttachmentLimitExceeded', 'no free attachment slot'), status.RESOURCE_EXHAUSTED],
    ];
    for (const [error, code] of cases) {
      cloud.attachDisk = () => Promise.reject(error);
      await expectFailure(() => publish(), code, new RegExp(error.message));
    }
  });

  it('refuses missing fields and bad capabilities', async () => {
    await expectFailure(() => publish({ volumeId: '' }), status.INVALID_ARGUMENT, /^volume_id is required$/);
    await expectFailure(() => publish({ nodeId: '' }), status.INVALID_ARGUMENT, /^node_id is required$/);
    await expectFailure(() => publish({ volumeCapability: null }), status.INVALID_ARGUMENT, /^volume_capability is required$/);
    await expectFailure(() => publish({ volumeCapability: { ...mountCap, accessMode: { mode: 'MULTI_NODE_READER_ONLY' } } }), status.INVALID_ARGUMENT,
      /volume_capability: access mode MULTI_NODE_READER_ONLY is not supported/);
  });

  it('attaches a readonly publish read-write, as the reference does (the node mounts it read-only)', async () => {
    const res = await publish({ readonly: true });
    assert.ok(res.publishContext?.devicePath);
    assert.ok(cloud.calls.some((c) => c[0] === 'attachDisk'));
  });

  describe('blockAttachUntilInitialized', () => {
    // The attacher passes the PV's volume_context, where CreateVolume put the StorageClass's choice.
    const waiting = { volumeContext: { blockattachuntilinitialized: 'true' } };
    const restored = (): Disk => addDisk({ snapshotId: 'snap-0123456789abcdef0', tags: {} });

    it('refuses to attach a volume still initializing, saying how far it is, with a retryable code', async () => {
      disk = restored();
      cloud.initializations.set(disk.volumeId, { initialized: false, progressPercent: 42, secondsLeft: 610 });
      await expectFailure(() => publish(waiting), status.UNAVAILABLE,
        new RegExp(`volume ${disk.volumeId} is still initializing from snapshot snap-0123456789abcdef0 \\(42% done, about 11 min left\\)`),
        /blockAttachUntilInitialized/, /retried/);
      assert.equal(cloud.callsTo('attachDisk').length, 0);

      cloud.initializations.set(disk.volumeId, { initialized: true, progressPercent: 100 });
      assert.deepEqual(await publish(waiting), { publishContext: { devicePath: '/dev/xvdaa', volumeSizeGiB: '8' } }, 'attached once initialized');
    });

    it('attaches an initializing volume at once when the StorageClass did not ask to wait', async () => {
      disk = restored();
      cloud.initializations.set(disk.volumeId, { initialized: false, progressPercent: 5 });
      await publish();
      assert.equal(cloud.callsTo('getVolumeInitialization').length, 0, 'no status call for volumes that do not wait');
      assert.equal(cloud.callsTo('attachDisk').length, 1);
    });

    it('asks nothing for a volume not restored from a snapshot', async () => {
      disk = addDisk({ tags: {} });
      await publish(waiting);
      assert.equal(cloud.callsTo('getVolumeInitialization').length, 0);
      assert.equal(cloud.callsTo('attachDisk').length, 1);
    });

    it('answers a repeat for a volume already attached here without asking again', async () => {
      disk = restored();
      await publish(waiting);
      cloud.initializations.set(disk.volumeId, { initialized: false });
      assert.deepEqual(await publish(waiting), { publishContext: { devicePath: '/dev/xvdaa', volumeSizeGiB: '8' } });
      assert.equal(cloud.callsTo('getVolumeInitialization').length, 1, 'only the first publish, which attached, looked');
    });
  });

  it('unpublish detaches, and succeeds for what is not attached or does not exist', async () => {
    await publish();
    const unpublish = (volumeId: string, nodeId: string) => h.ControllerUnpublishVolume({ volumeId, nodeId, secrets: {} }, ctx);
    assert.deepEqual(await unpublish(disk.volumeId, node.instanceId), {});
    assert.equal(cloud.disks.get(disk.volumeId)?.attachments.length, 0);
    await unpublish(disk.volumeId, node.instanceId);
    await unpublish('vol-00000000000000000', node.instanceId);
    await unpublish('fake-vol-id', 'fake-node-id');
    cloud.detachDisk = () => Promise.reject(new CloudError('InstanceNotFound', 'no such instance'));
    await unpublish(disk.volumeId, 'i-00000000000000000');
    await expectFailure(() => unpublish('', node.instanceId), status.INVALID_ARGUMENT, /^volume_id is required$/);
    await expectFailure(() => unpublish(disk.volumeId, ''), status.INVALID_ARGUMENT, /^node_id is required$/);
  });
});
