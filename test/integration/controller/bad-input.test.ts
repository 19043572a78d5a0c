// Bad CreateVolume / DeleteVolume input through the driver's real socket: each gets the
// CSI status the spec asks for and a message naming the field, and no volume is made.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { status } from '@grpc/grpc-js';
import { expectStatus } from '../../support/csi-client.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';

const GiB = 1024 ** 3;
const BAD_NAME = unique('pvc-bad');
const mountCap = { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };

describe('controller bad input against moto', () => {
  let moto: Emulator;
  let driver: DriverProcess;

  before(async () => {
    moto = await startMoto();
    driver = await startDriver({ mode: 'controller', env: moto.env });
  });
  after(async () => {
    await driver?.stop();
    await moto?.stop();
  });

  const create = (overrides: Record<string, unknown>) =>
    driver.controller.CreateVolume({ name: BAD_NAME, capacityRange: { requiredBytes: GiB }, volumeCapabilities: [mountCap], ...overrides });

  it('refuses missing and over-long names and missing capabilities', async () => {
    await expectStatus(create({ name: '' }), status.INVALID_ARGUMENT, /^name is required$/);
    await expectStatus(create({ name: 'n'.repeat(129) }), status.INVALID_ARGUMENT, /name is 129 bytes long; CSI allows at most 128/);
    await expectStatus(create({ volumeCapabilities: [] }), status.INVALID_ARGUMENT, /volume_capabilities is required/);
    await expectStatus(create({ volumeCapabilities: [{ mount: {} }] }), status.INVALID_ARGUMENT, /access_mode/);
    await expectStatus(create({ volumeCapabilities: [{ mount: {}, accessMode: { mode: 'MULTI_NODE_READER_ONLY' } }] }), status.INVALID_ARGUMENT,
      /MULTI_NODE_READER_ONLY is not supported/);
  });

  it('refuses unknown parameters, naming the key and the allowed ones', async () => {
    await expectStatus(create({ parameters: { tyype: 'gp3' } }), status.INVALID_ARGUMENT, /unknown parameter "tyype"/, );
    const err = await expectStatus(create({ parameters: { disk: 'fast' } }), status.INVALID_ARGUMENT);
    assert.match(err.details, /allowed keys \(case-insensitive\): type, iops, iopsPerGB/);
  });

  it('refuses iops with iopsPerGB, and values out of the type\'s range', async () => {
    await expectStatus(create({ parameters: { type: 'io1', iops: '100', iopsPerGB: '10' } }), status.INVALID_ARGUMENT, /iops and parameters\.iopsPerGB exclude each other/);
    await expectStatus(create({ parameters: { type: 'gp3', iops: '100000' } }), status.INVALID_ARGUMENT, /parameters\.iops 100000 .*3000–80000/);
    await expectStatus(create({ parameters: { type: 'gp3', throughput: '5000' } }), status.INVALID_ARGUMENT, /parameters\.throughput/);
    await expectStatus(create({ parameters: { type: 'gp2', iops: '3000' } }), status.INVALID_ARGUMENT, /cannot be set for type gp2/);
    await expectStatus(create({ parameters: { type: 'io2' } }), status.INVALID_ARGUMENT, /type io2 needs parameters\.iops/);
    // A well-formed type name the driver does not know goes to EC2 (which judges it); one that cannot be a type never does.
    await expectStatus(create({ parameters: { type: 'gp 3' } }), status.INVALID_ARGUMENT, /gp2, gp3, io1, io2, sc1, st1, standard/);
    await expectStatus(create({ parameters: { encrypted: 'maybe' } }), status.INVALID_ARGUMENT, /parameters\.encrypted must be "true" or "false"/);
  });

  it('is OUT_OF_RANGE for sizes EBS cannot make and INVALID_ARGUMENT for negative ones', async () => {
    await expectStatus(create({ capacityRange: { requiredBytes: 70_000 * GiB } }), status.OUT_OF_RANGE, /1–65536 GiB/);
    await expectStatus(create({ capacityRange: { requiredBytes: 10 * GiB }, parameters: { type: 'st1' } }), status.OUT_OF_RANGE, /125–16384 GiB/);
    await expectStatus(create({ capacityRange: { requiredBytes: GiB + 1, limitBytes: GiB + 2 } }), status.OUT_OF_RANGE, /no whole GiB/);
    await expectStatus(create({ capacityRange: { requiredBytes: 5 * GiB, limitBytes: 2 * GiB } }), status.OUT_OF_RANGE, /larger than capacity_range\.limit_bytes/);
    await expectStatus(create({ capacityRange: { requiredBytes: -1 } }), status.INVALID_ARGUMENT, /required_bytes must not be negative/);
  });

  it('refuses bad and reserved tags', async () => {
    await expectStatus(create({ parameters: { tagSpecification_1: 'no-equals-sign' } }), status.INVALID_ARGUMENT, /tagSpecification_1: "no-equals-sign" is not of the form key=value/);
    await expectStatus(create({ parameters: { tagSpecification_1: 'CSIVolumeName=mine' } }), status.INVALID_ARGUMENT, /reserved for the driver/);
    await expectStatus(create({ parameters: { tagSpecification_1: 'kubernetes.io/cluster/x=owned' } }), status.INVALID_ARGUMENT, /reserved/);
    await expectStatus(create({ parameters: { tagSpecification_1: 'owner={{ .Namespace }}' } }), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_1: template "\{\{ \.Namespace \}\}" is invalid: can't evaluate field Namespace/);
    await expectStatus(create({ parameters: { tagSpecification_1: 'owner={{ .PVCName | shout }}' } }), status.INVALID_ARGUMENT, /function "shout" not defined/);
  });

  it('refuses format options on block volumes and on filesystems that lack them', async () => {
    await expectStatus(create({ volumeCapabilities: [{ block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } }], parameters: { blockSize: '4096' } }),
      status.INVALID_ARGUMENT, /raw block volume/);
    const xfs = { mount: { fsType: 'xfs' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
    await expectStatus(create({ volumeCapabilities: [xfs], parameters: { ext4BigAlloc: 'true' } }), status.INVALID_ARGUMENT, /does not apply to filesystem xfs/);
    await expectStatus(create({ parameters: { 'csi.storage.k8s.io/fstype': 'xfs' } }), status.INVALID_ARGUMENT, /name different filesystems \(xfs, ext4\)/);
  });

  it('made no volume for any of the bad requests', async () => {
    const named = await moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:CSIVolumeName', Values: [BAD_NAME] }] }));
    assert.equal(named.Volumes?.length ?? 0, 0);
  });

  it('deletes fake and unknown ids without error, and refuses a missing one', async () => {
    await driver.controller.DeleteVolume({ volumeId: 'fake-vol-id-01' });
    await driver.controller.DeleteVolume({ volumeId: 'vol-00000000000000000' });
    await expectStatus(driver.controller.DeleteVolume({ volumeId: '' }), status.INVALID_ARGUMENT, /volume_id is required/);
    await expectStatus(driver.controller.ControllerGetVolume({ volumeId: 'fake-vol-id-01' }), status.NOT_FOUND);
  });
});
