// Volumes the reference driver created, handled by this one: the driver binary against moto,
// behind the recording proxy, so the IOPS checked are the ones ModifyVolume asked EC2 for.
// The reference writes ebs.csi.aws.com/IOPSPerGb for a StorageClass iopsPerGB, and
// ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify for allowAutoIOPSIncreaseOnModify; an
// expansion scales the IOPS only when the second says "true".
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CreateVolumeCommand, DescribeVolumesCommand, type Tag } from '@aws-sdk/client-ec2';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';

const GiB = 1024 ** 3;

void describe('volumes created by the reference driver', () => {
  let moto: Emulator;
  let proxy: Ec2Proxy;
  let driver: DriverProcess;
  let made = 0;

  /** An io1 volume as the reference leaves it: 100 GiB, 10 IOPS per GiB, its tags. */
  async function referenceVolume(tags: Record<string, string>): Promise<string> {
    const out = await moto.ec2.send(new CreateVolumeCommand({
      AvailabilityZone: `${REGION}a`, Size: 100, VolumeType: 'io1', Iops: 1000,
      TagSpecifications: [{ ResourceType: 'volume', Tags: [
        { Key: 'CSIVolumeName', Value: unique(`pvc-reference-${++made}`) }, { Key: 'ebs.csi.aws.com/cluster', Value: 'true' },
        ...Object.entries(tags).map(([Key, Value]): Tag => ({ Key, Value })),
      ] }],
    }));
    assert.ok(out.VolumeId);
    return out.VolumeId;
  }

  async function expandTo(volumeId: string, gib: number): Promise<URLSearchParams> {
    proxy.resetCounts();
    const res = await driver.controller.ControllerExpandVolume({ volumeId, capacityRange: { requiredBytes: gib * GiB } });
    assert.equal(res.capacityBytes, gib * GiB);
    // The start-up permission check's DryRun calls change nothing and are not counted.
    const [request, ...more] = proxy.requests('ModifyVolume').filter((r) => r.get('DryRun') !== 'true');
    assert.ok(request, 'one ModifyVolume reached EC2');
    assert.equal(more.length, 0, `ModifyVolume calls: ${[request, ...more].map((r) => r.toString()).join(" | ")}\n${driver.output().slice(-3000)}`);
    return request;
  }

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

  void it('asks EC2 for ratio × new size when the volume allows IOPS to grow with it', async () => {
    const volumeId = await referenceVolume({ 'ebs.csi.aws.com/IOPSPerGb': '10', 'ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify': 'true' });
    const request = await expandTo(volumeId, 200);
    assert.equal(request.get('VolumeId'), volumeId);
    assert.equal(request.get('Size'), '200');
    assert.equal(request.get('Iops'), '2000');
  });

  void it('keeps the IOPS (asks for none) when the ratio tag has no allowance, as the reference does', async () => {
    const withoutAllowance: Record<string, string>[] = [{ 'ebs.csi.aws.com/IOPSPerGb': '10' }, { 'ebs.csi.aws.com/IOPSPerGb': '10', 'ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify': 'false' }];
    for (const tags of withoutAllowance) {
      const volumeId = await referenceVolume(tags);
      const request = await expandTo(volumeId, 150);
      assert.equal(request.get('Size'), '150');
      assert.equal(request.get('Iops'), null, `no IOPS asked for with tags ${JSON.stringify(tags)}`);
    }
  });

  void it('caps the scaled IOPS at what the type allows for the size', async () => {
    const volumeId = await referenceVolume({ 'ebs.csi.aws.com/IOPSPerGb': '60', 'ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify': 'true' });
    // 60 × 1100 = 66,000 IOPS: io1 stops at 64,000 (and at 50 per GiB: 55,000 for 1,100 GiB).
    assert.equal((await expandTo(volumeId, 1100)).get('Iops'), '55000');
  });

  void it('writes the reference\'s tag names on a volume it creates with iopsPerGB', async () => {
    const res = await driver.controller.CreateVolume({
      name: unique('pvc-migration'), capacityRange: { requiredBytes: 10 * GiB },
      volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
      parameters: { type: 'io1', iopsPerGB: '20', allowAutoIOPSIncreaseOnModify: 'true' },
    });
    const volumeId = res.volume?.volumeId;
    assert.ok(volumeId);
    const [volume] = (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes ?? [];
    const tags: Record<string, string | undefined> = Object.fromEntries((volume?.Tags ?? []).map((t) => [t.Key ?? '', t.Value]));
    assert.equal(tags['ebs.csi.aws.com/IOPSPerGb'], '20');
    assert.equal(tags['ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify'], 'true');
    assert.equal(tags['ebs.csi.aws.com/iops-per-gb'], undefined);
    assert.equal((await expandTo(volumeId, 30)).get('Iops'), '600', 'and scales it on expansion');
  });
});
