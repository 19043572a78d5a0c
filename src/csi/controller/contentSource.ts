// What CreateVolume's volume_content_source means for the new volume. This is the one
// place restores and copies hook into volume creation: everything a source implies (the
// snapshot to restore or the volume to copy, a minimum size, a zone the volume must be in,
// encryption it inherits) comes back as a ResolvedSource.
import type { Cloud, Disk } from '../../cloud/types.js';
import { CsiError, invalidArgument, notFound } from '../../errors.js';
import type { VolumeContentSource__Output } from '../../generated/csi/v1/VolumeContentSource.js';
import type { SourceSize } from '../params/capacity.js';
import { looksLikeSnapshotId, looksLikeVolumeId } from './validate.js';

export interface ResolvedSource {
  /** EC2 snapshot to restore from (DiskOptions.snapshotId). */
  readonly snapshotId?: string;
  /** EC2 volume to copy (DiskOptions.sourceVolumeId), as just described. */
  readonly volume?: Disk;
  /** The new volume must be at least this large. */
  readonly minSize?: SourceSize;
  /** The new volume must be in this zone (a source that is zonal). */
  readonly zone?: string;
}

async function resolveSnapshot(cloud: Cloud, snapshotId: string): Promise<ResolvedSource> {
  if (snapshotId === '') throw invalidArgument('volume_content_source.snapshot.snapshot_id is required');
  const snapshot = looksLikeSnapshotId(snapshotId) ? await cloud.getSnapshot(snapshotId) : undefined;
  if (!snapshot) throw notFound(`source snapshot ${snapshotId} does not exist`);
  // EBS snapshots are regional: a restore may go to any zone, so no zone is implied.
  return { snapshotId, minSize: { sizeGiB: snapshot.sizeGiB, what: `the source snapshot ${snapshotId}` } };
}

/** EC2 copies a volume within its zone, from any state in which it holds data. */
async function resolveVolume(cloud: Cloud, volumeId: string): Promise<ResolvedSource> {
  if (volumeId === '') throw invalidArgument('volume_content_source.volume.volume_id is required');
  const volume = looksLikeVolumeId(volumeId) ? await cloud.getDisk(volumeId) : undefined;
  if (!volume || volume.state === 'deleting' || volume.state === 'deleted') throw notFound(`source volume ${volumeId} does not exist`);
  if (volume.state === 'creating') {
    throw new CsiError('UNAVAILABLE', `source volume ${volumeId} is still being created; it can be copied once it is available (retried)`);
  }
  if (volume.state === 'error') {
    throw new CsiError('FAILED_PRECONDITION', `source volume ${volumeId} is in state "error" and holds no data EC2 can copy`);
  }
  return { volume, minSize: { sizeGiB: volume.capacityGiB, what: `the source volume ${volumeId}` }, zone: volume.availabilityZone };
}

export function resolveContentSource(cloud: Cloud, source: VolumeContentSource__Output | null | undefined): Promise<ResolvedSource> {
  if (!source) return Promise.resolve({});
  if (source.type === 'volume' || (source.type === undefined && source.volume)) return resolveVolume(cloud, source.volume?.volumeId ?? '');
  if (source.type === 'snapshot' || source.snapshot) return resolveSnapshot(cloud, source.snapshot?.snapshotId ?? '');
  return Promise.resolve({});
}
