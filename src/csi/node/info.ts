// NodeGetInfo and NodeGetCapabilities: static answers computed once at start-up.
import type { NodeGetCapabilitiesResponse } from '../../generated/csi/v1/NodeGetCapabilitiesResponse.js';
import type { NodeGetInfoResponse } from '../../generated/csi/v1/NodeGetInfoResponse.js';
import type { NodeIdentity } from '../../metadata/types.js';

export const ZONE_KEY = 'topology.kubernetes.io/zone';
export const LEGACY_ZONE_KEY = 'topology.ebs.csi.aws.com/zone';
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

export function topologySegments(identity: NodeIdentity, os: string = process.platform === 'win32' ? 'windows' : 'linux'): Record<string, string> {
  const segments: Record<string, string> = {
    [ZONE_KEY]: identity.availabilityZone,
    [LEGACY_ZONE_KEY]: identity.availabilityZone,
    [OS_KEY]: os,
  };
  const outpost = identity.outpostArn ? parseOutpostArn(identity.outpostArn) : undefined;
  if (outpost) {
    segments[OUTPOST_ID_KEY] = outpost.outpostId;
    segments[OUTPOST_REGION_KEY] = outpost.region;
    segments[OUTPOST_PARTITION_KEY] = outpost.partition;
    segments[OUTPOST_ACCOUNT_KEY] = outpost.account;
  }
  return segments;
}

export function nodeInfo(identity: NodeIdentity, maxVolumesPerNode: number): NodeGetInfoResponse {
  return {
    nodeId: identity.instanceId,
    maxVolumesPerNode,
    accessibleTopology: { segments: topologySegments(identity) },
  };
}

export const NODE_CAPABILITIES: NodeGetCapabilitiesResponse = {
  capabilities: (['STAGE_UNSTAGE_VOLUME', 'EXPAND_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION'] as const)
    .map((type) => ({ rpc: { type } })),
};
