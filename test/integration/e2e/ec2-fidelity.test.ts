// What the data plane adds so that the emulator answers as EC2 does, driven with plain EC2
// calls through its proxy (no driver): CopyVolumes (a copy in the source's zone holding the
// source's bytes, SourceVolumeId in DescribeVolumes, EC2's refusals), ClientToken
// idempotency for CreateVolume and CopyVolumes that survives a restart of the data plane,
// and EC2's refusal to attach a volume that is attached already.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AttachVolumeCommand, CopyVolumesCommand, CreateVolumeCommand, DeleteVolumeCommand, DescribeVolumesCommand, DetachVolumeCommand,
  EC2Client, type CreateVolumeCommandInput,
} from '@aws-sdk/client-ec2';
import { startDataPlane, type DataPlane } from '../../../local/dataplane/index.js';
import { createLogger } from '../../../src/logger.js';
import { runCommand } from '../../../src/node/exec.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';
import { IS_ROOT, NOT_ROOT_REASON, loopDevicesUnder } from './local-stack.js';

const GIB = 1024 ** 3;
const quiet = createLogger('json', 'error');
const zone = `${REGION}a`;

async function writeAt(device: string, offset: number, data: Buffer): Promise<void> {
  const file = await open(device, 'r+');
  try {
    await file.write(data, 0, data.length, offset);
    await file.sync();
  } finally {
    await file.close();
  }
}

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

const errorName = (name: string, message?: RegExp) => (err: Error): boolean => err.name === name && (message === undefined || message.test(err.message));

describe('EC2 behaviour the data plane adds to the emulator', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let moto: Emulator;
  let instanceId: string;
  let stateDir: string;
  let dataPlane: DataPlane;
  let ec2: EC2Client;

  const connect = async (): Promise<void> => {
    dataPlane = await startDataPlane({ upstream: moto.endpoint, instanceId, stateDir, reconcileIntervalMs: 0, log: quiet });
    ec2 = new EC2Client({ endpoint: dataPlane.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  };
  const disconnect = async (): Promise<void> => {
    ec2?.destroy();
    await dataPlane?.stop();
  };
  /** Volumes the emulator itself holds (asked directly, not through the data plane). */
  const emulatorVolumeIds = async (): Promise<string[]> =>
    ((await moto.ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).map((v) => v.VolumeId ?? '');
  const loopOf = (volumeId: string): string => {
    const record = dataPlane.hypervisor.record(volumeId);
    assert.ok(record, `${volumeId} has no device`);
    return record.loopDevice;
  };

  before(async () => {
    moto = await startMoto();
    instanceId = await moto.runInstance(zone);
    stateDir = await mkdtemp(join(tmpdir(), 'ebs-fidelity-'));
    await connect();
  });

  after(async () => {
    await disconnect();
    await moto?.stop();
    if (stateDir) {
      assert.deepEqual(await loopDevicesUnder(stateDir), []);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  test('CopyVolumes makes a copy in the source\'s zone that holds the source\'s bytes and names its source', async () => {
    const source = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1, VolumeType: 'gp3', Encrypted: true }))).VolumeId ?? '';
    await ec2.send(new AttachVolumeCommand({ VolumeId: source, InstanceId: instanceId, Device: '/dev/xvdca' }));
    const pattern = randomBytes(8192);
    await writeAt(loopOf(source), 300 * 1024 * 1024, pattern);

    const out = await ec2.send(new CopyVolumesCommand({
      SourceVolumeId: source, Size: 2, VolumeType: 'io2', Iops: 1000,
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'CSIVolumeName', Value: 'copy-1' }] }],
    }));
    const copy = out.Volumes?.[0];
    assert.ok(copy?.VolumeId);
    assert.equal(copy.SourceVolumeId, source);
    assert.equal(copy.AvailabilityZone, zone);
    assert.equal(copy.Size, 2);
    assert.equal(copy.VolumeType, 'io2');
    assert.equal(copy.Encrypted, true, 'a copy of an encrypted volume is encrypted');
    assert.deepEqual(copy.Tags, [{ Key: 'CSIVolumeName', Value: 'copy-1' }]);

    const described = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [copy.VolumeId, source] }))).Volumes ?? [];
    assert.equal(described.find((v) => v.VolumeId === copy.VolumeId)?.SourceVolumeId, source, 'DescribeVolumes names the source');
    assert.equal(described.find((v) => v.VolumeId === source)?.SourceVolumeId, undefined);

    await ec2.send(new AttachVolumeCommand({ VolumeId: copy.VolumeId, InstanceId: instanceId, Device: '/dev/xvdcb' }));
    assert.deepEqual(await readAt(loopOf(copy.VolumeId), 300 * 1024 * 1024, 8192), pattern, 'the copy holds the source\'s bytes');
    const { stdout } = await runCommand('blockdev', ['--getsize64', loopOf(copy.VolumeId)]);
    assert.equal(Number(stdout.trim()), 2 * GIB, 'the copy has its own size');
    await writeAt(loopOf(copy.VolumeId), 300 * 1024 * 1024, Buffer.alloc(8192));
    assert.deepEqual(await readAt(loopOf(source), 300 * 1024 * 1024, 8192), pattern, 'writing the copy leaves the source alone');

    for (const id of [copy.VolumeId, source]) {
      await ec2.send(new DetachVolumeCommand({ VolumeId: id, InstanceId: instanceId }));
      await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
    }
  });

  test('CopyVolumes refuses what EC2 refuses: a missing source, a smaller size, and answers DryRun', async () => {
    await assert.rejects(ec2.send(new CopyVolumesCommand({ SourceVolumeId: 'vol-0123456789abcdef0' })), errorName('InvalidVolume.NotFound', /vol-0123456789abcdef0/));
    const source = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 4 }))).VolumeId ?? '';
    await assert.rejects(ec2.send(new CopyVolumesCommand({ SourceVolumeId: source, Size: 2 })), errorName('InvalidParameterValue', /greater than the size of the source/));
    await assert.rejects(ec2.send(new CopyVolumesCommand({ SourceVolumeId: source, DryRun: true })), errorName('DryRunOperation'));
    const before = await emulatorVolumeIds();
    const copy = (await ec2.send(new CopyVolumesCommand({ SourceVolumeId: source }))).Volumes?.[0];
    assert.equal(copy?.Size, 4, 'the source\'s size when none is asked for');
    assert.equal(copy?.VolumeType, 'gp2', 'EC2\'s default type for a copy');
    assert.equal((await emulatorVolumeIds()).length, before.length + 1);
    for (const id of [copy?.VolumeId ?? '', source]) await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
  });

  test('a repeated ClientToken answers the first volume, other parameters are a mismatch, even after the data plane restarts', async () => {
    const input: CreateVolumeCommandInput = { AvailabilityZone: zone, Size: 1, VolumeType: 'gp3', ClientToken: unique('token-create-1') };
    const first = (await ec2.send(new CreateVolumeCommand(input))).VolumeId;
    const again = (await ec2.send(new CreateVolumeCommand(input))).VolumeId;
    assert.equal(again, first);
    await assert.rejects(ec2.send(new CreateVolumeCommand({ ...input, Size: 2 })), errorName('IdempotentParameterMismatch', new RegExp(unique('token-create-1'))));
    const copy = (await ec2.send(new CopyVolumesCommand({ SourceVolumeId: first, ClientToken: unique('token-copy-1') }))).Volumes?.[0]?.VolumeId;
    assert.equal((await ec2.send(new CopyVolumesCommand({ SourceVolumeId: first, ClientToken: unique('token-copy-1') }))).Volumes?.[0]?.VolumeId, copy);
    await assert.rejects(ec2.send(new CopyVolumesCommand({ SourceVolumeId: first, ClientToken: unique('token-copy-1'), Size: 3 })), errorName('IdempotentParameterMismatch'));
    const held = await emulatorVolumeIds();

    // A data plane restarted with the same state directory still remembers, as EC2 would.
    await disconnect();
    await connect();
    assert.equal((await ec2.send(new CreateVolumeCommand(input))).VolumeId, first);
    assert.equal((await ec2.send(new CopyVolumesCommand({ SourceVolumeId: first, ClientToken: unique('token-copy-1') }))).Volumes?.[0]?.SourceVolumeId, first);
    await assert.rejects(ec2.send(new CreateVolumeCommand({ ...input, VolumeType: 'io2', Iops: 100 })), errorName('IdempotentParameterMismatch'));
    assert.deepEqual((await emulatorVolumeIds()).sort(), held.sort(), 'repeats made no volume');

    // Once deleted, the token still answers with that volume, now in state "deleted".
    await ec2.send(new DeleteVolumeCommand({ VolumeId: copy }));
    const replayed = await ec2.send(new CopyVolumesCommand({ SourceVolumeId: first, ClientToken: unique('token-copy-1') }));
    assert.equal(replayed.Volumes?.[0]?.VolumeId, copy);
    assert.equal(replayed.Volumes?.[0]?.State, 'deleted');
    const fresh = await ec2.send(new CreateVolumeCommand({ ...input, ClientToken: unique('token-create-2') }));
    assert.notEqual(fresh.VolumeId, first, 'a new token makes a new volume');
    for (const id of [first, fresh.VolumeId]) await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
  });

  test('attaching a volume that is attached already is VolumeInUse, here or on another instance', async () => {
    const other = await moto.runInstance(zone);
    const volumeId = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1 }))).VolumeId ?? '';
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/xvdcc' }));
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/xvdcc' })),
      errorName('VolumeInUse', /already attached/));
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: other, Device: '/dev/xvdcc' })), errorName('VolumeInUse'));
    await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  });
});
