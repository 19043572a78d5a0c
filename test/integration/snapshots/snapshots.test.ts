// Snapshots end to end: the driver binary in controller mode against moto, checked through
// the CSI API and, independently, through EC2 itself. Create (repeat, conflicting repeat),
// list (pagination, filters), get, restore into a new volume (zone, size), delete.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CreateVolumeCommand, DescribeSnapshotsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import type { CreateVolumeRequest } from '../../../src/generated/csi/v1/CreateVolumeRequest.js';
import { expectStatus } from '../../support/csi-client.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';

const GiB = 1024 ** 3;
const ZONE_KEY = 'topology.kubernetes.io/zone';

describe('snapshots against moto', () => {
  let moto: Emulator;
  let driver: DriverProcess;
  let volA: string;
  let volB: string;

  async function ec2Volume(sizeGiB: number, zone = `${REGION}a`): Promise<string> {
    const out = await moto.ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: sizeGiB, VolumeType: 'gp3' }));
    assert.ok(out.VolumeId);
    return out.VolumeId;
  }
  const snapshot = (name: string, sourceVolumeId: string, parameters: Record<string, string> = {}): ReturnType<DriverProcess['controller']['CreateSnapshot']> =>
    driver.controller.CreateSnapshot({ name: unique(name), sourceVolumeId, parameters });
  const snapshotsNamed = async (name: string): Promise<number> =>
    (await moto.ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:CSIVolumeSnapshotName', Values: [unique(name)] }] }))).Snapshots?.length ?? 0;

  before(async () => {
    moto = await startMoto();
    driver = await startDriver({ mode: 'controller', env: moto.env, args: ['--k8s-tag-cluster-id=it'] });
    volA = await ec2Volume(10);
    volB = await ec2Volume(4);
  });
  after(async () => {
    await driver?.stop();
    await moto?.stop();
  });

  it('creates a tagged snapshot, and a repeat returns it without a second one', async () => {
    const params = { tagSpecification_1: 'origin={{ .VolumeSnapshotNamespace }}', 'csi.storage.k8s.io/volumesnapshot/namespace': 'db' };
    const first = await snapshot('nightly', volA, params);
    const snap = first.snapshot;
    assert.ok(snap);
    assert.match(snap.snapshotId, /^snap-[0-9a-f]+$/);
    assert.equal(snap.sourceVolumeId, volA);
    assert.equal(snap.sizeBytes, 10 * GiB);
    assert.ok(snap.creationTime && snap.creationTime.seconds > 0);

    const again = await snapshot('nightly', volA, params);
    assert.equal(again.snapshot?.snapshotId, snap.snapshotId);
    assert.equal(again.snapshot?.readyToUse, true, 'moto completes snapshots at once');
    assert.equal(await snapshotsNamed('nightly'), 1);

    const described = await moto.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.snapshotId] }));
    const tags = Object.fromEntries((described.Snapshots?.[0]?.Tags ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? '']));
    assert.equal(tags.CSIVolumeSnapshotName, unique('nightly'));
    assert.equal(tags['ebs.csi.aws.com/cluster'], 'true');
    assert.equal(tags['kubernetes.io/cluster/it'], 'owned');
    assert.equal(tags.origin, 'db');
  });

  it('refuses the same name for another volume with ALREADY_EXISTS', async () => {
    await snapshot('taken', volA);
    await expectStatus(snapshot('taken', volB), status.ALREADY_EXISTS, new RegExp(volB));
    assert.equal(await snapshotsNamed('taken'), 1);
  });

  it('answers NOT_FOUND for a source volume that does not exist', async () => {
    await expectStatus(snapshot('orphan', 'vol-0123456789abcdef0'), status.NOT_FOUND);
    await expectStatus(snapshot('orphan2', 'fake-vol-id'), status.NOT_FOUND);
  });

  it('refuses bad VolumeSnapshotClass parameters with INVALID_ARGUMENT naming the field', async () => {
    await expectStatus(snapshot('bad1', volA, { color: 'blue' }), status.INVALID_ARGUMENT, /"color"/);
    await expectStatus(snapshot('bad2', volA, { fastSnapshotRestoreAvailabilityZones: `${REGION}a,${REGION}q` }), status.INVALID_ARGUMENT,
      new RegExp(`fastSnapshotRestoreAvailabilityZones: ${REGION}q is not a zone`));
    await expectStatus(snapshot('bad3', volA, { lockMode: 'compliance', lockDuration: '0' }), status.INVALID_ARGUMENT, /lockDuration/);
    await expectStatus(snapshot('bad4', volA, { lockMode: 'governance', lockDuration: '1', lockCoolOffPeriod: '2' }), status.INVALID_ARGUMENT, /lockCoolOffPeriod/);
    for (const name of ['bad1', 'bad2', 'bad3', 'bad4']) assert.equal(await snapshotsNamed(name), 0, `${name} made no snapshot`);
  });

  it('lists snapshots by id, by source volume and all, page by page', async () => {
    const ofB: string[] = [];
    for (let i = 0; i < 3; i++) ofB.push(String((await snapshot(`b-${i}`, volB)).snapshot?.snapshotId));

    const byVolume = await driver.controller.ListSnapshots({ sourceVolumeId: volB });
    assert.deepEqual(byVolume.entries.map((e) => e.snapshot?.snapshotId).sort(), [...ofB].sort());

    const [oneId] = ofB;
    const byId = await driver.controller.ListSnapshots({ snapshotId: oneId });
    assert.deepEqual(byId.entries.map((e) => e.snapshot?.snapshotId), [oneId]);
    assert.deepEqual((await driver.controller.ListSnapshots({ snapshotId: 'snap-0123456789abcdef0' })).entries, []);

    // All snapshots of the region, which on a shared emulator (EC2_ENDPOINT) holds other tests'
    // and earlier runs' too: this test's must be among them, and paging must give the same list.
    const everything = (await driver.controller.ListSnapshots({})).entries.map((e) => String(e.snapshot?.snapshotId));
    assert.ok(everything.length >= 5, `expected at least this file's 5 snapshots, got ${everything.length}`);
    assert.deepEqual(ofB.filter((id) => !everything.includes(id)), [], 'every snapshot this test made is listed');
    // Pages of 2, or about four pages when earlier runs left many: several pages either way.
    const pageSize = Math.max(2, Math.ceil(everything.length / 4));
    const paged: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await driver.controller.ListSnapshots({ maxEntries: pageSize, startingToken: token });
      assert.ok(page.entries.length <= pageSize);
      paged.push(...page.entries.map((e) => String(e.snapshot?.snapshotId)));
      token = page.nextToken;
      pages++;
    } while (token !== '' && pages <= everything.length);
    assert.equal(token, '', 'paging ends');
    assert.deepEqual([...paged].sort(), [...everything].sort());
    assert.ok(pages >= Math.ceil(everything.length / pageSize));

    await expectStatus(driver.controller.ListSnapshots({ startingToken: 'garbage!' }), status.ABORTED);
  });

  it('gets one snapshot, and NOT_FOUND for an unknown one', async () => {
    const id = String((await snapshot('single', volA)).snapshot?.snapshotId);
    const got = await driver.controller.GetSnapshot({ snapshotId: id });
    assert.equal(got.snapshot?.sourceVolumeId, volA);
    await expectStatus(driver.controller.GetSnapshot({ snapshotId: 'snap-0123456789abcdef0' }), status.NOT_FOUND);
  });

  it('restores a snapshot into a new volume in the requested zone and size', async () => {
    const snapId = String((await snapshot('for-restore', volA)).snapshot?.snapshotId);
    const request = (name: string, gib: number, zone: string): CreateVolumeRequest => ({
      name: unique(name),
      capacityRange: { requiredBytes: gib * GiB },
      volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
      accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: zone } }], preferred: [{ segments: { [ZONE_KEY]: zone } }] },
      volumeContentSource: { snapshot: { snapshotId: snapId } },
    });
    const created = await driver.controller.CreateVolume(request('restored', 20, `${REGION}b`));
    const volumeId = String(created.volume?.volumeId);
    assert.equal(created.volume?.capacityBytes, 20 * GiB);
    assert.equal(created.volume?.contentSource?.snapshot?.snapshotId, snapId);
    const [ec2] = (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes ?? [];
    assert.equal(ec2?.AvailabilityZone, `${REGION}b`);
    assert.equal(ec2?.Size, 20);
    assert.equal(ec2?.SnapshotId, snapId);

    await expectStatus(driver.controller.CreateVolume(request('too-small', 5, `${REGION}a`)), status.OUT_OF_RANGE, /10 GiB/);
    await expectStatus(driver.controller.CreateVolume({
      ...request('from-nothing', 20, `${REGION}a`), volumeContentSource: { snapshot: { snapshotId: 'snap-0123456789abcdef0' } },
    }), status.NOT_FOUND);
  });

  it('deletes a snapshot, and deleting it again succeeds', async () => {
    const id = String((await snapshot('doomed', volA)).snapshot?.snapshotId);
    await driver.controller.DeleteSnapshot({ snapshotId: id });
    assert.equal(await snapshotsNamed('doomed'), 0);
    await driver.controller.DeleteSnapshot({ snapshotId: id });
    await driver.controller.DeleteSnapshot({ snapshotId: 'fake-snapshot-id' });
    await expectStatus(driver.controller.GetSnapshot({ snapshotId: id }), status.NOT_FOUND);
  });
});
