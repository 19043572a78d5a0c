// Starts the local IMDSv2 endpoint for one emulator instance. The driver's node service
// finds it through AWS_EC2_METADATA_SERVICE_ENDPOINT, as the AWS SDK does on any machine.
import { DescribeAvailabilityZonesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { assertLoopback } from '../dataplane/loopback.js';
import { buildMetadataTree, type InstanceMetadataFacts } from './metadata-tree.js';
import { serveMetadata } from './server.js';

export interface ImdsOptions {
  /** The EC2 emulator to read the instance from (loopback). */
  readonly emulator: string;
  readonly instanceId: string;
  readonly region?: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export interface RunningImds {
  /** Give this to the node as AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  readonly endpoint: string;
  /** What the service tells now (as read at start, or at the last refresh). */
  readonly facts: InstanceMetadataFacts;
  /**
   * Reads the instance from the emulator again and serves that from now on, as the real
   * service shows an interface attached after boot.
   */
  refresh(): Promise<InstanceMetadataFacts>;
  stop(): Promise<void>;
}

/** Reads what the metadata service must tell about the instance from the emulator. */
export async function describeForMetadata(emulator: string, instanceId: string, region: string): Promise<InstanceMetadataFacts> {
  const ec2 = new EC2Client({ endpoint: emulator, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const reservation = out.Reservations?.find((r) => r.Instances?.some((i) => i.InstanceId === instanceId));
    const instance = reservation?.Instances?.find((i) => i.InstanceId === instanceId);
    if (!instance) throw new Error(`the emulator at ${emulator} knows no instance ${instanceId}`);
    const zone = instance.Placement?.AvailabilityZone ?? `${region}a`;
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: [zone] })).catch(() => undefined);
    const rootDeviceName = instance.RootDeviceName ?? '/dev/xvda';
    return {
      instanceId,
      instanceType: instance.InstanceType ?? 'm5.large',
      imageId: instance.ImageId ?? '',
      availabilityZone: zone,
      ...(zones?.AvailabilityZones?.[0]?.ZoneId ? { availabilityZoneId: zones.AvailabilityZones[0].ZoneId } : {}),
      region,
      accountId: reservation?.OwnerId ?? '000000000000',
      architecture: instance.Architecture ?? 'x86_64',
      privateIp: instance.PrivateIpAddress ?? '',
      privateDnsName: instance.PrivateDnsName ?? '',
      launchTime: instance.LaunchTime ?? new Date(),
      rootDeviceName,
      extraDeviceNames: (instance.BlockDeviceMappings ?? [])
        .map((m) => m.DeviceName ?? '').filter((name) => name !== '' && name !== rootDeviceName),
      networkInterfaces: (instance.NetworkInterfaces ?? []).map((n) => ({
        mac: n.MacAddress ?? '',
        interfaceId: n.NetworkInterfaceId ?? '',
        deviceIndex: n.Attachment?.DeviceIndex ?? 0,
        privateIp: n.PrivateIpAddress ?? '',
        subnetId: n.SubnetId ?? '',
        vpcId: n.VpcId ?? '',
        ownerId: n.OwnerId ?? '',
        securityGroupIds: (n.Groups ?? []).map((g) => g.GroupId ?? '').filter((g) => g !== ''),
      })).filter((n) => n.mac !== ''),
    };
  } finally {
    ec2.destroy();
  }
}

export async function startImds(options: ImdsOptions): Promise<RunningImds> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host, 'the metadata service address');
  assertLoopback(new URL(options.emulator).hostname, 'the emulator endpoint');
  const region = options.region ?? 'us-east-1';
  let facts = await describeForMetadata(options.emulator, options.instanceId, region);
  let tree = buildMetadataTree(facts);
  const server = await serveMetadata(() => tree, host, options.port ?? 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://${host}:${port}`,
    get facts() { return facts; },
    refresh: async () => {
      facts = await describeForMetadata(options.emulator, options.instanceId, region);
      tree = buildMetadataTree(facts);
      return facts;
    },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
