// NodeGetInfo and NodeGetCapabilities: static answers computed once at start-up.
import type { NodeGetCapabilitiesResponse } from '../../generated/csi/v1/NodeGetCapabilitiesResponse.js';
import type { NodeGetInfoResponse } from '../../generated/csi/v1/NodeGetInfoResponse.js';
import type { NodeIdentity } from '../../metadata/types.js';
import { OS_KEY, placeSegments } from '../../topology.js';

export function topologySegments(identity: NodeIdentity, os: string = process.platform === 'win32' ? 'windows' : 'linux'): Record<string, string> {
  return { ...placeSegments(identity.availabilityZone, identity.outpostArn), [OS_KEY]: os };
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
