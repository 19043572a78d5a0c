// Topology segment keys (and the segments of a zone or Outpost), kept identical to the reference driver's so that PVs, StorageClasses
// and node labels carry over unchanged. Nodes report them; CreateVolume reads and answers them.

export const ZONE_KEY = 'topology.kubernetes.io/zone';
/** Still reported by nodes and accepted, for PVs created by older drivers. */
export const LEGACY_ZONE_KEY = 'topology.ebs.csi.aws.com/zone';
/** Provisioning only: a zone id (e.g. use1-az1), the same physical zone in every account. */
export const ZONE_ID_KEY = 'topology.k8s.aws/zone-id';
export const OS_KEY = 'kubernetes.io/os';
export const OUTPOST_ID_KEY = 'topology.ebs.csi.aws.com/outpost-id';
export const OUTPOST_REGION_KEY = 'topology.ebs.csi.aws.com/region';
export const OUTPOST_PARTITION_KEY = 'topology.ebs.csi.aws.com/partition';
export const OUTPOST_ACCOUNT_KEY = 'topology.ebs.csi.aws.com/account-id';

/** arn:<partition>:outposts:<region>:<account>:outpost/<op-id> → its parts. */
export function parseOutpostArn(arn: string): { partition: string; region: string; account: string; outpostId: string } | undefined {
  const m = /^arn:([\w-]+):outposts:([\w-]+):(\d{12}):outpost\/(op-[0-9a-f]+)$/.exec(arn);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  return { partition: m[1], region: m[2], account: m[3], outpostId: m[4] };
}

/** The segments of a place: its zone under both zone keys, plus its Outpost's parts when it has one. */
export function placeSegments(zone: string, outpostArn?: string): Record<string, string> {
  const segments: Record<string, string> = { [ZONE_KEY]: zone, [LEGACY_ZONE_KEY]: zone };
  const outpost = outpostArn ? parseOutpostArn(outpostArn) : undefined;
  if (outpost) {
    segments[OUTPOST_ID_KEY] = outpost.outpostId;
    segments[OUTPOST_REGION_KEY] = outpost.region;
    segments[OUTPOST_PARTITION_KEY] = outpost.partition;
    segments[OUTPOST_ACCOUNT_KEY] = outpost.account;
  }
  return segments;
}
