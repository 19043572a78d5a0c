// ControllerExpandVolume and ControllerModifyVolume end to end: the driver binary against
// moto, behind the counting proxy so that "one ModifyVolume call" is checked by an
// independent count of what reached EC2.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CreateVolumeCommand, DescribeVolumesCommand, type Volume, type VolumeType } from '@aws-sdk/client-ec2';
import { expectStatus } from '../../support/csi-client.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';

const GiB = 1024 ** 3;

describe('expand and modify against moto', () => {
  let moto: Emulator;
  let proxy: Ec2Proxy;
  let driver: DriverProcess;

  async function ec2Volume(sizeGiB: number, type: VolumeType = 'gp3', tags: Record<string, string> = {}): Promise<string> {
    const out = await moto.ec2.send(new CreateVolumeCommand({
      AvailabilityZone: `${REGION}a`, Size: sizeGiB, VolumeType: type, ...(type === 'io2' || type === 'io1' ? { Iops: 1000 } : {}),
      ...(Object.keys(tags).length > 0 ? { TagSpecifications: [{ ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] } : {}),
    }));
    assert.ok(out.VolumeId);
    return out.VolumeId;
  }
  async function described(volumeId: string): Promise<Volume> {
    const [volume] = (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes ?? [];
    assert.ok(volume);
    return volume;
  }
  const expand = (volumeId: string, gib: number, limitGiB = 0): ReturnType<DriverProcess['controller']['ControllerExpandVolume']> =>
    driver.controller.ControllerExpandVolume({ volumeId, capacityRange: { requiredBytes: gib * GiB, limitBytes: limitGiB * GiB } });
  const modify = (volumeId: string, mutableParameters: Record<string, string>): ReturnType<DriverProcess['controller']['ControllerModifyVolume']> =>
    driver.controller.ControllerModifyVolume({ volumeId, mutableParameters });

  before(async () => {
    moto = await startMoto();
    proxy = await startEc2Proxy(moto.endpoint);
    driver = await startDriver({ mode: 'controller', env: { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint } });
  });
  after(async () => {
    await driver?.stop();
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(() => proxy.resetCounts());

  it('expands to the new size, and a repeat makes no second ModifyVolume', async () => {
    const volumeId = await ec2Volume(10);
    const res = await expand(volumeId, 25);
    assert.equal(res.capacityBytes, 25 * GiB);
    assert.equal(res.nodeExpansionRequired, true);
    assert.equal((await described(volumeId)).Size, 25);
    const again = await expand(volumeId, 25);
    assert.equal(again.capacityBytes, 25 * GiB);
    assert.equal(proxy.counts().ModifyVolume, 1);
  });

  it('refuses to shrink and to grow beyond the type\'s maximum', async () => {
    const volumeId = await ec2Volume(30);
    await expectStatus(expand(volumeId, 20), status.OUT_OF_RANGE, /cannot shrink/);
    await expectStatus(expand(volumeId, 40, 35), status.OUT_OF_RANGE);
    await expectStatus(expand(volumeId, 65_537), status.OUT_OF_RANGE, /65536/);
    const gp2 = await ec2Volume(30, 'gp2');
    await expectStatus(expand(gp2, 16_385), status.OUT_OF_RANGE, /gp2/);
    await expectStatus(expand('vol-0123456789abcdef0', 40), status.NOT_FOUND);
    assert.equal((await described(volumeId)).Size, 30);
    assert.equal(proxy.counts().ModifyVolume ?? 0, 0);
  });

  it('refuses negative sizes with INVALID_ARGUMENT naming the field', async () => {
    const volumeId = await ec2Volume(10);
    await expectStatus(driver.controller.ControllerExpandVolume({ volumeId, capacityRange: { requiredBytes: -GiB } }),
      status.INVALID_ARGUMENT, /capacity_range.required_bytes/);
  });

  it('modifies type and IOPS, then throughput', async () => {
    const volumeId = await ec2Volume(100, 'gp2');
    await modify(volumeId, { type: 'io2', iops: '5000' });
    let volume = await described(volumeId);
    assert.equal(volume.VolumeType, 'io2');
    assert.equal(volume.Iops, 5000);

    const gp3 = await ec2Volume(100);
    await modify(gp3, { iops: '6000', throughput: '400' });
    volume = await described(gp3);
    assert.equal(volume.Iops, 6000);
    assert.equal(volume.Throughput, 400);
    assert.equal(proxy.counts().ModifyVolume, 2);

    await modify(gp3, { iops: '6000', throughput: '400' });
    assert.equal(proxy.counts().ModifyVolume, 2, 'a repeat finds the volume as asked');
  });

  it('changes tags with CreateTags and DeleteTags only', async () => {
    const volumeId = await ec2Volume(10, 'gp3', { stale: 'yes', keep: 'me' });
    await modify(volumeId, { tagSpecification_1: 'team=storage', tagDeletion_1: 'stale' });
    const tags = Object.fromEntries(((await described(volumeId)).Tags ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? '']));
    assert.deepEqual(tags, { keep: 'me', team: 'storage' });
    assert.equal(proxy.counts().ModifyVolume ?? 0, 0);
    assert.equal(proxy.counts().CreateTags, 1);
    assert.equal(proxy.counts().DeleteTags, 1);
  });

  it('refuses bad mutable parameters with INVALID_ARGUMENT naming the field', async () => {
    const volumeId = await ec2Volume(10);
    await expectStatus(modify(volumeId, { speed: 'fast' }), status.INVALID_ARGUMENT, /"speed"/);
    await expectStatus(modify(volumeId, { iops: '-1' }), status.INVALID_ARGUMENT, /iops/);
    await expectStatus(modify(volumeId, { type: 'st1' }), status.INVALID_ARGUMENT, /st1/);
    await expectStatus(modify(volumeId, { tagDeletion_1: 'CSIVolumeName' }), status.INVALID_ARGUMENT, /tagDeletion_1/);
    assert.equal(proxy.counts().ModifyVolume ?? 0, 0);
  });

  it('merges an expand and a modify sent together into one ModifyVolume', async () => {
    const volumeId = await ec2Volume(10);
    const [expanded] = await Promise.all([expand(volumeId, 40), modify(volumeId, { type: 'io2', iops: '4000' })]);
    assert.equal(expanded.capacityBytes, 40 * GiB);
    const volume = await described(volumeId);
    assert.equal(volume.Size, 40);
    assert.equal(volume.VolumeType, 'io2');
    assert.equal(volume.Iops, 4000);
    assert.equal(proxy.counts().ModifyVolume, 1);
  });
});
