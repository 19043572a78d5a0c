// NodeGetInfo's max_volumes_per_node from the real driver process, for emulator instances of
// several types, with extra network interfaces and launch-time EBS volumes, read the way a node
// reads them: IMDSv2 (the local metadata service in front of moto). The expected figures are
// the instance-type table's (EC2's DescribeInstanceTypes answer) less what the node has attached.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand, DescribeImagesCommand, DetachNetworkInterfaceCommand, DescribeSubnetsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startImds } from '../../../local/imds/index.js';
import { startDriver } from '../../support/driver.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';

interface Case {
  readonly type: string;
  /** Network interfaces besides the primary one. */
  readonly extraInterfaces: number;
  /** EBS volumes in the launch block-device mappings besides the root volume. */
  readonly extraVolumes: number;
  readonly args?: readonly string[];
  readonly want: number;
}

const CASES: readonly Case[] = [
  // Shared 28: EC2 says 27 (the primary interface counted); the root volume leaves 26.
  { type: 'm5.large', extraInterfaces: 0, extraVolumes: 0, want: 26 },
  // Each further interface takes a shared slot, as does each extra launch volume.
  { type: 'm5.large', extraInterfaces: 2, extraVolumes: 1, want: 23 },
  // One NVMe instance-store disk: EC2 says 26.
  { type: 'm5d.large', extraInterfaces: 0, extraVolumes: 0, want: 25 },
  // Four NVMe disks: EC2 says 23.
  { type: 'c5d.24xlarge', extraInterfaces: 1, extraVolumes: 0, want: 21 },
  // Dedicated 32: interfaces do not count.
  { type: 'm7i.large', extraInterfaces: 2, extraVolumes: 0, want: 31 },
  // Xen: 39 whatever EC2 reports.
  { type: 't2.micro', extraInterfaces: 1, extraVolumes: 0, want: 38 },
  // --reserved-volume-attachments replaces the root and launch volume count.
  { type: 'm5.large', extraInterfaces: 1, extraVolumes: 2, args: ['--reserved-volume-attachments=5'], want: 21 },
  // --volume-attach-limit replaces everything.
  { type: 'c7i.48xlarge', extraInterfaces: 3, extraVolumes: 0, args: ['--volume-attach-limit=7'], want: 7 },
];

describe('NodeGetInfo attach limits on emulator instances', () => {
  let moto: Emulator;
  let imageId: string;
  let subnetId: string;

  before(async () => {
    moto = await startMoto();
    imageId = (await moto.ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId ?? '';
    const subnets = await moto.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [`${REGION}a`] }] }));
    subnetId = subnets.Subnets?.[0]?.SubnetId ?? '';
    assert.ok(imageId && subnetId, 'the emulator offers an image and a default subnet');
  });
  after(async () => { await moto?.stop(); });

  async function attachInterface(instanceId: string, deviceIndex: number): Promise<string> {
    const eni = await moto.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    const attached = await moto.ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: instanceId, NetworkInterfaceId: eni.NetworkInterface?.NetworkInterfaceId ?? '', DeviceIndex: deviceIndex }));
    return attached.AttachmentId ?? '';
  }

  async function launch(c: Case): Promise<string> {
    const out = await moto.ec2.send(new RunInstancesCommand({
      ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: c.type as never, SubnetId: subnetId,
      BlockDeviceMappings: Array.from({ length: c.extraVolumes }, (_, i) => ({ DeviceName: `/dev/sd${String.fromCharCode(102 + i)}`, Ebs: { VolumeSize: 1 } })),
    }));
    const instanceId = out.Instances?.[0]?.InstanceId ?? '';
    for (let i = 1; i <= c.extraInterfaces; i++) await attachInterface(instanceId, i);
    return instanceId;
  }

  for (const c of CASES) {
    const label = `${c.type}, ${1 + c.extraInterfaces} interface(s), ${c.extraVolumes} extra launch volume(s)${c.args ? ` ${c.args.join(' ')}` : ''}: ${c.want}`;
    it(label, async () => {
      const instanceId = await launch(c);
      const imds = await startImds({ emulator: moto.endpoint, instanceId });
      try {
        // The local metadata service must show what was attached, or this would test nothing.
        assert.equal(imds.facts.networkInterfaces.length, 1 + c.extraInterfaces, 'interfaces in the metadata');
        assert.equal(imds.facts.extraDeviceNames.length, c.extraVolumes, 'launch volumes in the metadata');
        const env: Record<string, string> = { ...moto.env, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
        delete env.AWS_EC2_METADATA_DISABLED;
        const driver = await startDriver({ mode: 'node', env, args: ['--metadata-sources=imds', ...(c.args ?? [])] });
        try {
          const info = await driver.node.NodeGetInfo({});
          assert.equal(info.nodeId, instanceId);
          assert.equal(Number(info.maxVolumesPerNode), c.want);
        } finally {
          await driver.stop();
        }
      } finally {
        await imds.stop();
      }
    });
  }

  // What kubelet's periodic NodeGetInfo (CSIDriver nodeAllocatableUpdatePeriodSeconds) relies on:
  // the same running plugin answers a new limit once an interface is attached after boot (the
  // VPC CNI does that as pods arrive), and the old one once it is detached again.
  for (const live of [{ type: 'm5.large', before: 26, attached: 24, detached: 25 }, { type: 'm7i.large', before: 31, attached: 31, detached: 31 }]) {
    it(`${live.type}: interfaces attached after start-up count at the next NodeGetInfo (${live.before} → ${live.attached} → ${live.detached})`, async () => {
      const instanceId = await launch({ type: live.type, extraInterfaces: 0, extraVolumes: 0, want: live.before });
      const imds = await startImds({ emulator: moto.endpoint, instanceId });
      try {
        const env: Record<string, string> = { ...moto.env, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
        delete env.AWS_EC2_METADATA_DISABLED;
        const driver = await startDriver({ mode: 'node', env, args: ['--metadata-sources=imds'] });
        try {
          assert.equal(Number((await driver.node.NodeGetInfo({})).maxVolumesPerNode), live.before);
          const first = await attachInterface(instanceId, 1);
          await attachInterface(instanceId, 2);
          assert.equal((await imds.refresh()).networkInterfaces.length, 3, 'the metadata shows the new interfaces');
          assert.equal(Number((await driver.node.NodeGetInfo({})).maxVolumesPerNode), live.attached);
          await moto.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: first }));
          assert.equal((await imds.refresh()).networkInterfaces.length, 2, 'the metadata shows the detached interface gone');
          assert.equal(Number((await driver.node.NodeGetInfo({})).maxVolumesPerNode), live.detached);
          if (live.attached !== live.before) assert.match(driver.output(), /attach limit changed/);
        } finally {
          await driver.stop();
        }
      } finally {
        await imds.stop();
      }
    });
  }
});
