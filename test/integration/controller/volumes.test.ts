// CreateVolume, ListVolumes, ControllerGetVolume and DeleteVolume through the driver's real
// socket against moto, with the results checked in moto itself (DescribeVolumes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeVolumesCommand, type Volume as Ec2Volume } from '@aws-sdk/client-ec2';
import { status } from '@grpc/grpc-js';
import { expectStatus } from '../../support/csi-client.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';

const GiB = 1024 ** 3;
const ZONE_KEY = 'topology.kubernetes.io/zone';
const mountCap = { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
const inZone = (zone: string) => ({ requisite: [{ segments: { [ZONE_KEY]: zone } }], preferred: [{ segments: { [ZONE_KEY]: zone } }] });

describe('controller volumes against moto', () => {
  let moto: Emulator;
  let driver: DriverProcess;

  const describeVolume = async (volumeId: string): Promise<Ec2Volume | undefined> => {
    try {
      return (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0];
    } catch {
      return undefined;
    }
  };
  const tagsOf = (v: Ec2Volume | undefined): Record<string, string> => Object.fromEntries((v?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

  before(async () => {
    moto = await startMoto();
    driver = await startDriver({ mode: 'controller', env: moto.env, args: ['--k8s-tag-cluster-id=itest', '--extra-tags=env=itest'] });
  });
  after(async () => {
    await driver?.stop();
    await moto?.stop();
  });

  const cases: [string, Record<string, string>, number][] = [
    ['gp3', { type: 'gp3', iops: '4000', throughput: '200' }, 10],
    ['gp2', { type: 'gp2' }, 10],
    ['io1', { type: 'io1', iopsPerGB: '10' }, 20],
    ['io2', { type: 'io2', iops: '1000' }, 10],
    ['sc1', { type: 'sc1' }, 125],
    ['st1', { type: 'st1' }, 125],
    ['standard', { type: 'standard' }, 10],
  ];
  for (const [type, parameters, sizeGiB] of cases) {
    it(`creates a ${type} volume with the requested size, zone and tags`, async () => {
      const name = unique(`pvc-${type}-itest`);
      const res = await driver.controller.CreateVolume({
        name, capacityRange: { requiredBytes: sizeGiB * GiB }, volumeCapabilities: [mountCap],
        parameters: { ...parameters, 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'apps', tagSpecification_1: 'owner={{ .PVCNamespace }}' },
        accessibilityRequirements: inZone('us-east-1b'),
      });
      const volume = res.volume;
      assert.ok(volume);
      assert.match(volume.volumeId, /^vol-[0-9a-f]+$/);
      assert.equal(Number(volume.capacityBytes), sizeGiB * GiB);
      assert.deepEqual(volume.accessibleTopology[0]?.segments, { [ZONE_KEY]: 'us-east-1b', 'topology.ebs.csi.aws.com/zone': 'us-east-1b' });
      assert.equal(volume.volumeContext['csi.storage.k8s.io/fstype'], 'ext4');

      const ec2 = await describeVolume(volume.volumeId);
      assert.equal(ec2?.VolumeType, type);
      assert.equal(ec2?.Size, sizeGiB);
      assert.equal(ec2?.AvailabilityZone, 'us-east-1b');
      if (type === 'gp3') assert.equal(ec2?.Iops, 4000);
      if (type === 'io1') assert.equal(ec2?.Iops, 200);
      if (type === 'io2') assert.equal(ec2?.Iops, 1000);
      const tags = tagsOf(ec2);
      assert.equal(tags.CSIVolumeName, name);
      assert.equal(tags['ebs.csi.aws.com/cluster'], 'true');
      assert.equal(tags['kubernetes.io/cluster/itest'], 'owned');
      assert.equal(tags.KubernetesCluster, 'itest');
      assert.equal(tags['ebs.csi.aws.com/cluster-name'], 'itest');
      assert.equal(tags['kubernetes.io/created-for/pvc/name'], 'data');
      assert.equal(tags['kubernetes.io/created-for/pvc/namespace'], 'apps');
      assert.equal(tags.env, 'itest');
      assert.equal(tags.owner, 'apps');
    });
  }

  it('creates an encrypted volume', async () => {
    const res = await driver.controller.CreateVolume({ name: unique('pvc-encrypted'), volumeCapabilities: [mountCap], parameters: { encrypted: 'true' }, capacityRange: { requiredBytes: GiB } });
    assert.equal((await describeVolume(res.volume?.volumeId ?? ''))?.Encrypted, true);
  });

  it('uses 100 GiB when no capacity is asked for', async () => {
    const res = await driver.controller.CreateVolume({ name: unique('pvc-default-size'), volumeCapabilities: [mountCap] });
    assert.equal(Number(res.volume?.capacityBytes), 100 * GiB);
    assert.equal((await describeVolume(res.volume?.volumeId ?? ''))?.Size, 100);
  });

  it('answers an identical repeat with the same volume and creates nothing more', async () => {
    const req = { name: unique('pvc-repeat'), capacityRange: { requiredBytes: 5 * GiB }, volumeCapabilities: [mountCap], accessibilityRequirements: inZone('us-east-1a') };
    const first = await driver.controller.CreateVolume(req);
    const second = await driver.controller.CreateVolume(req);
    assert.equal(second.volume?.volumeId, first.volume?.volumeId);
    const named = await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:CSIVolumeName', Values: [req.name] }] }));
    assert.equal(named.Volumes?.length, 1);
  });

  it('is ALREADY_EXISTS for a repeat asking for a different volume', async () => {
    const req = { name: unique('pvc-conflict'), capacityRange: { requiredBytes: 5 * GiB }, volumeCapabilities: [mountCap], accessibilityRequirements: inZone('us-east-1a') };
    await driver.controller.CreateVolume(req);
    await expectStatus(driver.controller.CreateVolume({ ...req, capacityRange: { requiredBytes: 50 * GiB } }), status.ALREADY_EXISTS, /size is 5 GiB, requested 50/);
    await expectStatus(driver.controller.CreateVolume({ ...req, parameters: { type: 'gp2' } }), status.ALREADY_EXISTS, /type is gp3, requested gp2/);
    await expectStatus(driver.controller.CreateVolume({ ...req, accessibilityRequirements: inZone('us-east-1c') }), status.ALREADY_EXISTS, /zone is us-east-1a/);
  });

  it('lists volumes and gets one, then deletes it; deleting again is OK', async () => {
    const created = await driver.controller.CreateVolume({ name: unique('pvc-listed'), capacityRange: { requiredBytes: 2 * GiB }, volumeCapabilities: [mountCap] });
    const volumeId = created.volume?.volumeId ?? '';
    // Pages of 5, or about four pages on a shared emulator (EC2_ENDPOINT) that earlier runs filled.
    const all = (await driver.controller.ListVolumes({ maxEntries: 0, startingToken: '' })).entries.length;
    const pageSize = Math.max(5, Math.ceil(all / 4));
    const entries: Awaited<ReturnType<DriverProcess['controller']['ListVolumes']>>['entries'] = [];
    let token = '';
    do {
      const page = await driver.controller.ListVolumes({ maxEntries: pageSize, startingToken: token });
      assert.ok(page.entries.length <= pageSize);
      entries.push(...page.entries);
      token = page.nextToken;
    } while (token !== '');
    const ids = entries.map((e) => e.volume?.volumeId ?? '');
    assert.equal(new Set(ids).size, ids.length, 'no volume listed twice');
    // Only this test's volume is looked at: on a shared emulator (EC2_ENDPOINT) other tests' and
    // earlier runs' volumes are listed too, some of them attached.
    const mine = entries.find((e) => e.volume?.volumeId === volumeId);
    assert.ok(mine, `ListVolumes includes ${volumeId}`);
    assert.deepEqual(mine.status?.publishedNodeIds, []);

    const got = await driver.controller.ControllerGetVolume({ volumeId });
    assert.equal(got.volume?.volumeId, volumeId);
    assert.equal(Number(got.volume?.capacityBytes), 2 * GiB);
    assert.equal(got.status?.volumeCondition?.abnormal, false);

    await driver.controller.DeleteVolume({ volumeId });
    const after = await describeVolume(volumeId);
    assert.ok(after === undefined || after.State === 'deleting' || after.State === 'deleted', `volume gone, state ${after?.State}`);
    await driver.controller.DeleteVolume({ volumeId });
    await expectStatus(driver.controller.ControllerGetVolume({ volumeId }), status.NOT_FOUND, new RegExp(volumeId));
  });

  it('is ABORTED for a starting token it never issued', async () => {
    await expectStatus(driver.controller.ListVolumes({ maxEntries: 5, startingToken: 'not-a-token' }), status.ABORTED);
  });

  it('validates capabilities of an existing volume', async () => {
    const created = await driver.controller.CreateVolume({ name: unique('pvc-validate'), capacityRange: { requiredBytes: GiB }, volumeCapabilities: [mountCap] });
    const volumeId = created.volume?.volumeId ?? '';
    const ok = await driver.controller.ValidateVolumeCapabilities({ volumeId, volumeCapabilities: [mountCap] });
    assert.equal(ok.confirmed?.volumeCapabilities.length, 1);
    const multi = await driver.controller.ValidateVolumeCapabilities({ volumeId, volumeCapabilities: [{ block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } }] });
    assert.equal(multi.confirmed, null);
    assert.match(multi.message, /Multi-Attach/);
    await expectStatus(driver.controller.ValidateVolumeCapabilities({ volumeId: 'vol-00000000000000000', volumeCapabilities: [mountCap] }), status.NOT_FOUND);
  });
});
