// ControllerPublishVolume / ControllerUnpublishVolume through the driver's real socket
// against moto, with instances from RunInstances and attachments checked in moto itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { status } from '@grpc/grpc-js';
import { expectStatus } from '../../support/csi-client.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';

const GiB = 1024 ** 3;
const ZONE_KEY = 'topology.kubernetes.io/zone';
const mountCap = { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
const inZone = (zone: string) => ({ requisite: [{ segments: { [ZONE_KEY]: zone } }], preferred: [{ segments: { [ZONE_KEY]: zone } }] });

describe('controller publish against moto', () => {
  let moto: Emulator;
  let driver: DriverProcess;
  let node: string;
  let otherNode: string;

  const attachmentsOf = async (volumeId: string) =>
    ((await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0]?.Attachments ?? [])
      .map((a) => ({ instanceId: a.InstanceId, device: a.Device, state: a.State }));
  const createVolume = async (name: string, zone = 'us-east-1a'): Promise<string> =>
    (await driver.controller.CreateVolume({ name: unique(name), capacityRange: { requiredBytes: GiB }, volumeCapabilities: [mountCap], accessibilityRequirements: inZone(zone) })).volume?.volumeId ?? '';

  before(async () => {
    moto = await startMoto();
    driver = await startDriver({ mode: 'controller', env: moto.env });
    node = await moto.runInstance('us-east-1a');
    otherNode = await moto.runInstance('us-east-1a');
  });
  after(async () => {
    await driver?.stop();
    await moto?.stop();
  });

  it('attaches to the node, answers the device path, and answers a repeat the same way', async () => {
    const volumeId = await createVolume('pvc-publish');
    const req = { volumeId, nodeId: node, volumeCapability: mountCap, readonly: false };
    const first = await driver.controller.ControllerPublishVolume(req);
    const devicePath = first.publishContext.devicePath ?? '';
    assert.match(devicePath, /^\/dev\/(xvd[a-z]{1,2}|sd[b-z])$/);
    assert.deepEqual(await attachmentsOf(volumeId), [{ instanceId: node, device: devicePath, state: 'attached' }]);
    const again = await driver.controller.ControllerPublishVolume(req);
    assert.deepEqual(again.publishContext, { devicePath, volumeSizeGiB: '1' });
    assert.equal((await attachmentsOf(volumeId)).length, 1);

    const listed = await driver.controller.ListVolumes({ maxEntries: 0, startingToken: '' });
    assert.deepEqual(listed.entries.find((e) => e.volume?.volumeId === volumeId)?.status?.publishedNodeIds, [node]);
    assert.deepEqual((await driver.controller.ControllerGetVolume({ volumeId })).status?.publishedNodeIds, [node]);
  });

  it('is FAILED_PRECONDITION naming the node a volume is attached to, for another node', async () => {
    const volumeId = await createVolume('pvc-elsewhere');
    await driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: mountCap });
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, nodeId: otherNode, volumeCapability: mountCap }),
      status.FAILED_PRECONDITION, new RegExp(node));
  });

  it('refuses to delete an attached volume, naming the instance, and deletes it once unpublished', async () => {
    const volumeId = await createVolume('pvc-in-use');
    await driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: mountCap });
    await expectStatus(driver.controller.DeleteVolume({ volumeId }), status.FAILED_PRECONDITION, new RegExp(node));
    await driver.controller.ControllerUnpublishVolume({ volumeId, nodeId: node });
    assert.deepEqual(await attachmentsOf(volumeId), []);
    await driver.controller.ControllerUnpublishVolume({ volumeId, nodeId: node });
    await driver.controller.DeleteVolume({ volumeId });
  });

  it('is NOT_FOUND for an unknown or fake volume or node', async () => {
    const volumeId = await createVolume('pvc-unknowns');
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId: 'vol-00000000000000000', nodeId: node, volumeCapability: mountCap }), status.NOT_FOUND, /vol-00000000000000000/);
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId: 'fake-vol-id', nodeId: node, volumeCapability: mountCap }), status.NOT_FOUND, /fake-vol-id/);
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, nodeId: 'i-00000000000000000', volumeCapability: mountCap }), status.NOT_FOUND, /i-00000000000000000/);
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, nodeId: 'fake-node-id', volumeCapability: mountCap }), status.NOT_FOUND, /fake-node-id/);
  });

  it('unpublishes what is not attached or does not exist without error', async () => {
    const volumeId = await createVolume('pvc-never-attached');
    await driver.controller.ControllerUnpublishVolume({ volumeId, nodeId: node });
    await driver.controller.ControllerUnpublishVolume({ volumeId: 'vol-00000000000000000', nodeId: node });
    await driver.controller.ControllerUnpublishVolume({ volumeId, nodeId: 'i-00000000000000000' });
    await driver.controller.ControllerUnpublishVolume({ volumeId: 'fake-vol-id', nodeId: 'fake-node-id' });
  });

  it('is FAILED_PRECONDITION for a node in another zone', async () => {
    const volumeId = await createVolume('pvc-other-zone', 'us-east-1b');
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: mountCap }), status.FAILED_PRECONDITION, /us-east-1b.*us-east-1a/);
  });

  it('attaches an io2 Multi-Attach block volume to two nodes', async () => {
    const multi = { block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' as const } };
    const res = await driver.controller.CreateVolume({
      name: unique('pvc-multi'), capacityRange: { requiredBytes: 4 * GiB }, volumeCapabilities: [multi],
      parameters: { type: 'io2', iops: '1000' }, accessibilityRequirements: inZone('us-east-1a'),
    });
    const volumeId = res.volume?.volumeId ?? '';
    const ec2 = (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0];
    assert.equal(ec2?.MultiAttachEnabled, true);
    const first = await driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: multi });
    assert.match(first.publishContext.devicePath ?? '', /^\/dev\//);
    const second = await driver.controller.ControllerPublishVolume({ volumeId, nodeId: otherNode, volumeCapability: multi });
    assert.match(second.publishContext.devicePath ?? '', /^\/dev\//);
    // moto keeps one attachment per volume (the latest), so the two attachments cannot be
    // checked there; what matters here is that the second node was not refused.
    assert.ok((await attachmentsOf(volumeId)).some((a) => a.instanceId === otherNode));
  });

  it('refuses missing fields and a capability EBS cannot serve', async () => {
    const volumeId = await createVolume('pvc-bad-publish');
    await expectStatus(driver.controller.ControllerPublishVolume({ nodeId: node, volumeCapability: mountCap }), status.INVALID_ARGUMENT, /volume_id/);
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, volumeCapability: mountCap }), status.INVALID_ARGUMENT, /node_id/);
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, nodeId: node }), status.INVALID_ARGUMENT, /volume_capability/);
    await expectStatus(driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: { block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } } }),
      status.INVALID_ARGUMENT, /Multi-Attach/);
    await expectStatus(driver.controller.ControllerUnpublishVolume({ nodeId: node }), status.INVALID_ARGUMENT, /volume_id/);
    await expectStatus(driver.controller.ControllerUnpublishVolume({ volumeId }), status.INVALID_ARGUMENT, /node_id/);
  });
});
