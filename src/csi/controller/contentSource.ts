// What CreateVolume's volume_content_source means for the new volume. This is the one
// place restores hook into volume creation: everything a source implies (the snapshot to
// restore, a minimum size, a zone the volume must be in) comes back as a ResolvedSource.
import type { Cloud } from '../../cloud/types.js';
import { invalidArgument, notFound } from '../../errors.js';
import type { VolumeContentSource__Output } from '../../generated/csi/v1/VolumeContentSource.js';
import { looksLikeSnapshotId } from './validate.js';

export interface ResolvedSource {
  /** EC2 snapshot to restore from (DiskOptions.snapshotId). */
  readonly snapshotId?: string;
  /** The new volume must be at least this large. */
  readonly minSizeGiB?: number;
  /** The new volume must be in this zone (a source that is zonal). */
  readonly zone?: string;
}

export async function resolveContentSource(cloud: Cloud, source: VolumeContentSource__Output | null | undefined): Promise<ResolvedSource> {
  if (!source) return {};
  if (source.type === 'volume' || (source.type === undefined && source.volume)) {
    throw invalidArgument('volume_content_source.volume: cloning volumes is not offered; restore from a VolumeSnapshot instead');
  }
  if (source.type !== 'snapshot' && !source.snapshot) return {};
  const snapshotId = source.snapshot?.snapshotId ?? '';
  if (snapshotId === '') throw invalidArgument('volume_content_source.snapshot.snapshot_id is required');
  const snapshot = looksLikeSnapshotId(snapshotId) ? await cloud.getSnapshot(snapshotId) : undefined;
  if (!snapshot) throw notFound(`source snapshot ${snapshotId} does not exist`);
  // EBS snapshots are regional: a restore may go to any zone, so no zone is implied.
  return { snapshotId, minSizeGiB: snapshot.sizeGiB };
}
