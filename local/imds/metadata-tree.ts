// The instance metadata an EC2 instance sees, built from the emulator's description of the
// instance. Leaves are stored by path under /latest/; a directory answers with the list of
// its children, sub-directories marked with a trailing "/", as the real service does.

export interface NetworkInterfaceFacts {
  readonly mac: string;
  readonly interfaceId: string;
  readonly deviceIndex: number;
  readonly privateIp: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly ownerId: string;
  readonly securityGroupIds: readonly string[];
}

export interface InstanceMetadataFacts {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly imageId: string;
  readonly availabilityZone: string;
  readonly availabilityZoneId?: string;
  readonly region: string;
  readonly accountId: string;
  readonly architecture: string;
  readonly privateIp: string;
  readonly privateDnsName: string;
  readonly launchTime: Date;
  readonly rootDeviceName: string;
  /** Device names of the block-device mappings from launch, root excluded. */
  readonly extraDeviceNames: readonly string[];
  readonly networkInterfaces: readonly NetworkInterfaceFacts[];
  readonly outpostArn?: string;
}

export type MetadataTree = ReadonlyMap<string, string>;

const withoutDev = (name: string): string => name.replace(/^\/dev\//, '');

export function buildMetadataTree(facts: InstanceMetadataFacts): MetadataTree {
  const leaves = new Map<string, string>();
  const md = (path: string, value: string): void => { leaves.set(`meta-data/${path}`, value); };
  md('ami-id', facts.imageId);
  md('ami-launch-index', '0');
  md('hostname', facts.privateDnsName);
  md('local-hostname', facts.privateDnsName);
  md('local-ipv4', facts.privateIp);
  md('instance-id', facts.instanceId);
  md('instance-type', facts.instanceType);
  md('instance-action', 'none');
  md('placement/availability-zone', facts.availabilityZone);
  if (facts.availabilityZoneId) md('placement/availability-zone-id', facts.availabilityZoneId);
  md('placement/region', facts.region);
  md('services/domain', 'amazonaws.com');
  md('services/partition', 'aws');
  if (facts.outpostArn) md('outpost-arn', facts.outpostArn);

  // Launch-time mappings only, like the real service: later attachments never show here.
  md('block-device-mapping/ami', facts.rootDeviceName);
  md('block-device-mapping/root', facts.rootDeviceName);
  facts.extraDeviceNames.forEach((name, i) => md(`block-device-mapping/ebs${i + 1}`, withoutDev(name)));

  const primary = [...facts.networkInterfaces].sort((a, b) => a.deviceIndex - b.deviceIndex)[0];
  if (primary) md('mac', primary.mac);
  for (const nic of facts.networkInterfaces) {
    const base = `network/interfaces/macs/${nic.mac}`;
    md(`${base}/device-number`, String(nic.deviceIndex));
    md(`${base}/interface-id`, nic.interfaceId);
    md(`${base}/local-ipv4s`, nic.privateIp);
    md(`${base}/mac`, nic.mac);
    md(`${base}/owner-id`, nic.ownerId);
    md(`${base}/security-group-ids`, nic.securityGroupIds.join('\n'));
    md(`${base}/subnet-id`, nic.subnetId);
    md(`${base}/vpc-id`, nic.vpcId);
  }

  leaves.set('dynamic/instance-identity/document', JSON.stringify({
    accountId: facts.accountId,
    architecture: facts.architecture,
    availabilityZone: facts.availabilityZone,
    billingProducts: null,
    devpayProductCodes: null,
    marketplaceProductCodes: null,
    imageId: facts.imageId,
    instanceId: facts.instanceId,
    instanceType: facts.instanceType,
    kernelId: null,
    pendingTime: facts.launchTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    privateIp: facts.privateIp,
    ramdiskId: null,
    region: facts.region,
    version: '2017-09-30',
  }, null, 2));
  return leaves;
}

export type Lookup = { kind: 'leaf'; value: string } | { kind: 'directory'; entries: string[] } | { kind: 'missing' };

/** Finds `path` (relative to /latest/, slashes already tidied) as a leaf or a directory. */
export function lookup(tree: MetadataTree, path: string): Lookup {
  const key = path.replace(/\/+$/, '');
  const leaf = tree.get(key);
  if (leaf !== undefined) return { kind: 'leaf', value: leaf };
  const prefix = key === '' ? '' : `${key}/`;
  const entries = new Set<string>();
  for (const full of tree.keys()) {
    if (!full.startsWith(prefix)) continue;
    const rest = full.slice(prefix.length);
    const slash = rest.indexOf('/');
    entries.add(slash < 0 ? rest : `${rest.slice(0, slash)}/`);
  }
  return entries.size > 0 ? { kind: 'directory', entries: [...entries].sort() } : { kind: 'missing' };
}
