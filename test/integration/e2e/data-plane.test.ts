// The data plane on its own, driven with plain EC2 calls through its proxy (no driver):
// attach gives a block device under the udev names, real-EC2 refusals the emulator lacks
// (device name in use, no free attachment slot), resize, snapshot bytes, delete, and the
// clean-up a later start does after a crash.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, open, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AttachVolumeCommand, CreateSnapshotCommand, CreateVolumeCommand, DeleteVolumeCommand, DescribeAvailabilityZonesCommand,
  DetachVolumeCommand, EC2Client, ModifyVolumeCommand,
} from '@aws-sdk/client-ec2';
import { byIdLinkPath } from '../../../local/dataplane/device-links.js';
import { LocalHypervisor } from '../../../local/dataplane/hypervisor.js';
import { startDataPlane, type DataPlane } from '../../../local/dataplane/index.js';
import { attachLoop } from '../../../local/dataplane/loop-devices.js';
import { createLogger } from '../../../src/logger.js';
import { runCommand } from '../../../src/node/exec.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';
import { IS_ROOT, NOT_ROOT_REASON, loopDevicesUnder } from './local-stack.js';

const GIB = 1024 ** 3;
const quiet = createLogger('json', 'error');

async function readAt(device: string, offset: number, length: number): Promise<Buffer> {
  const file = await open(device, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await file.close();
  }
}

async function writeAt(device: string, offset: number, data: Buffer): Promise<void> {
  const file = await open(device, 'r+');
  try {
    await file.write(data, 0, data.length, offset);
    await file.sync();
  } finally {
    await file.close();
  }
}

describe('local data plane', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let moto: Emulator;
  let instanceId: string;
  let stateDir: string;
  let dataPlane: DataPlane;
  let ec2: EC2Client;
  const zone = `${REGION}a`;

  const createVolume = async (sizeGiB: number, snapshotId?: string): Promise<string> => {
    const out = await ec2.send(new CreateVolumeCommand({ Size: sizeGiB, AvailabilityZone: zone, VolumeType: 'gp3', ...(snapshotId ? { SnapshotId: snapshotId } : {}) }));
    assert.ok(out.VolumeId);
    return out.VolumeId;
  };
  const attach = (volumeId: string, device: string) => ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device }));
  const detach = (volumeId: string) => ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
  const loopOf = (volumeId: string): string => {
    const record = dataPlane.hypervisor.record(volumeId);
    assert.ok(record, `${volumeId} has no device`);
    return record.loopDevice;
  };

  before(async () => {
    moto = await startMoto();
    instanceId = await moto.runInstance(zone);
    stateDir = await mkdtemp(join(tmpdir(), 'ebs-dataplane-'));
    // 4 slots: the root volume and the network interface take two, two remain for data volumes.
    dataPlane = await startDataPlane({ upstream: moto.endpoint, instanceId, stateDir, attachmentSlots: 4, reconcileIntervalMs: 0, log: quiet });
    ec2 = new EC2Client({ endpoint: dataPlane.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });

  after(async () => {
    ec2?.destroy();
    await dataPlane?.stop();
    await moto?.stop();
    if (stateDir) {
      assert.deepEqual(await loopDevicesUnder(stateDir), []);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  test('the region shows only the node\'s zone', async () => {
    const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones?.map((z) => z.ZoneName);
    assert.deepEqual(zones, [zone]);
  });

  test('an attached volume is a block device of its size under the by-id and requested names', async () => {
    const volumeId = await createVolume(2);
    await attach(volumeId, '/dev/xvdbq');
    const loop = loopOf(volumeId);
    const link = byIdLinkPath('/dev', volumeId);
    assert.equal(await readlink(link), `../../${loop.replace('/dev/', '')}`);
    assert.ok((await stat(link)).isBlockDevice());
    assert.ok((await stat('/dev/xvdbq')).isBlockDevice());
    const { stdout } = await runCommand('blockdev', ['--getsize64', link]);
    assert.equal(Number(stdout.trim()), 2 * GIB);

    await detach(volumeId);
    assert.equal(await lstat(link).then(() => true, () => false), false);
    assert.equal(await lstat('/dev/xvdbq').then(() => true, () => false), false);
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  });

  test('a device name in use and a full instance are refused as EC2 refuses them', async () => {
    const first = await createVolume(1);
    const second = await createVolume(1);
    const third = await createVolume(1);
    await attach(first, '/dev/xvdbr');
    await assert.rejects(attach(second, '/dev/xvdbr'), (err: Error) => err.name === 'InvalidParameterValue' && /already in use/.test(err.message));
    await attach(second, '/dev/xvdbs');
    await assert.rejects(attach(third, '/dev/xvdbt'), (err: Error) => err.name === 'AttachmentLimitExceeded');
    for (const id of [first, second]) await detach(id);
    for (const id of [first, second, third]) await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
  });

  test('bytes survive detach, a snapshot copies them, a resize grows the attached device, delete removes the file', async () => {
    const volumeId = await createVolume(1);
    await attach(volumeId, '/dev/xvdbu');
    const pattern = randomBytes(4096);
    await writeAt(loopOf(volumeId), 512 * 1024 * 1024, pattern);
    await detach(volumeId);
    await attach(volumeId, '/dev/xvdbu');
    assert.deepEqual(await readAt(loopOf(volumeId), 512 * 1024 * 1024, 4096), pattern, 'data must survive detach/attach');

    const snapshotId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }))).SnapshotId;
    assert.ok(snapshotId);
    await writeAt(loopOf(volumeId), 512 * 1024 * 1024, Buffer.alloc(4096));

    await ec2.send(new ModifyVolumeCommand({ VolumeId: volumeId, Size: 3 }));
    const { stdout } = await runCommand('blockdev', ['--getsize64', loopOf(volumeId)]);
    assert.equal(Number(stdout.trim()), 3 * GIB, 'an attached volume grows in place');

    const restored = await createVolume(2, snapshotId);
    await attach(restored, '/dev/xvdbv');
    assert.deepEqual(await readAt(loopOf(restored), 512 * 1024 * 1024, 4096), pattern, 'the restore holds the snapshot\'s bytes');

    for (const id of [volumeId, restored]) {
      if (dataPlane.hypervisor.record(id)) await detach(id);
      await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
      assert.equal(await stat(dataPlane.hypervisor.store.volumeFile(id)).then(() => true, () => false), false, 'delete removes the file');
    }
  });

  test('a later start removes the loop devices and links a killed data plane left', async () => {
    const crashDir = await mkdtemp(join(tmpdir(), 'ebs-dataplane-crash-'));
    try {
      // What a data plane killed mid-attach leaves: a loop over a volume file and a by-id link, no clean-up.
      const before = new LocalHypervisor({ stateDir: crashDir, log: quiet });
      await before.init();
      const file = await before.store.ensureVolume('vol-0123456789abcdef0', GIB);
      const loop = await attachLoop(file);
      await before.attach('vol-0123456789abcdef1', '/dev/xvdbw', 1);
      assert.equal((await loopDevicesUnder(crashDir)).length, 2);

      const after = new LocalHypervisor({ stateDir: crashDir, log: quiet });
      await after.init();
      await after.removeAllDevices();
      assert.deepEqual(await loopDevicesUnder(crashDir), [], `${loop} and the recorded loop must be gone`);
      assert.equal(await lstat(byIdLinkPath('/dev', 'vol-0123456789abcdef1')).then(() => true, () => false), false);
      assert.equal(await lstat('/dev/xvdbw').then(() => true, () => false), false);
    } finally {
      await rm(crashDir, { recursive: true, force: true });
    }
  });
});
