// A Disk as the CSI messages describe it: the Volume, who it is published to, and its condition.
import type { Disk } from '../../cloud/types.js';
import type { Volume } from '../../generated/csi/v1/Volume.js';
import type { VolumeCondition } from '../../generated/csi/v1/VolumeCondition.js';
import { GiB } from '../params/capacity.js';
import { accessibleTopology } from '../params/topology.js';

function contentSourceOf(disk: Disk): Volume['contentSource'] {
  if (disk.snapshotId) return { snapshot: { snapshotId: disk.snapshotId } };
  if (disk.sourceVolumeId) return { volume: { volumeId: disk.sourceVolumeId } };
  return null;
}

export function toCsiVolume(disk: Disk, volumeContext: Readonly<Record<string, string>> = {}): Volume {
  return {
    volumeId: disk.volumeId,
    capacityBytes: disk.capacityGiB * GiB,
    volumeContext: { ...volumeContext },
    accessibleTopology: accessibleTopology(disk),
    contentSource: contentSourceOf(disk),
  };
}

/** Nodes the volume is attached to ("busy" is EC2's word for attached and in use). */
export function publishedNodeIds(disk: Disk): string[] {
  return disk.attachments.filter((a) => a.state === 'attached' || a.state === 'busy').map((a) => a.instanceId);
}

export function volumeCondition(disk: Disk): VolumeCondition {
  if (disk.state === 'error') return { abnormal: true, message: `EC2 reports volume ${disk.volumeId} in state "error"` };
  return { abnormal: false, message: `volume is ${disk.state}` };
}
