// SDK shapes → domain types. Everything optional in the SDK gets a definite value here, so
// the rest of the driver never sees an EC2 type.
import type {
  Instance as SdkInstance, Snapshot as SdkSnapshot, Tag, Volume as SdkVolume, VolumeModification as SdkVolumeModification,
  VolumeStatusItem,
} from '@aws-sdk/client-ec2';
import type {
  Attachment, AttachmentState, Disk, Instance, ModificationState, Snapshot, VolumeInitialization, VolumeModification, VolumeState,
} from '../types.js';

const VOLUME_STATES: readonly VolumeState[] = ['creating', 'available', 'in-use', 'deleting', 'deleted', 'error'];
const ATTACHMENT_STATES: readonly AttachmentState[] = ['attaching', 'attached', 'detaching', 'detached', 'busy'];
const SNAPSHOT_STATES: readonly Snapshot['state'][] = ['pending', 'completed', 'error', 'recoverable', 'recovering'];
const MODIFICATION_STATES: readonly ModificationState[] = ['modifying', 'optimizing', 'completed', 'failed'];

const oneOf = <T extends string>(allowed: readonly T[], value: string | undefined, fallback: T): T =>
  allowed.find((s) => s === value) ?? fallback;

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

export function tagsToRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

export const recordToTags = (tags: Readonly<Record<string, string>>): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function toDisk(volume: SdkVolume): Disk {
  const attachments: Attachment[] = (volume.Attachments ?? [])
    .filter((a) => a.InstanceId !== undefined)
    .map((a) => ({
      instanceId: a.InstanceId ?? '', device: a.Device ?? '', state: oneOf(ATTACHMENT_STATES, a.State, 'attached'),
      ...(a.AttachTime !== undefined ? { attachTime: a.AttachTime } : {}),
      ...(a.EbsCardIndex !== undefined ? { ebsCardIndex: a.EbsCardIndex } : {}),
    }));
  return {
    volumeId: volume.VolumeId ?? '',
    capacityGiB: volume.Size ?? 0,
    availabilityZone: volume.AvailabilityZone ?? '',
    ...(nonEmpty(volume.OutpostArn) ? { outpostArn: volume.OutpostArn } : {}),
    state: oneOf(VOLUME_STATES, volume.State, 'error'),
    volumeType: volume.VolumeType ?? 'standard',
    ...(volume.Iops !== undefined ? { iops: volume.Iops } : {}),
    ...(volume.Throughput !== undefined ? { throughput: volume.Throughput } : {}),
    encrypted: volume.Encrypted ?? false,
    ...(nonEmpty(volume.KmsKeyId) ? { kmsKeyId: volume.KmsKeyId } : {}),
    ...(nonEmpty(volume.SnapshotId) ? { snapshotId: volume.SnapshotId } : {}),
    ...(nonEmpty(volume.SourceVolumeId) ? { sourceVolumeId: volume.SourceVolumeId } : {}),
    multiAttachEnabled: volume.MultiAttachEnabled ?? false,
    attachments,
    tags: tagsToRecord(volume.Tags),
  };
}

export function toInstance(instance: SdkInstance): Instance {
  return {
    instanceId: instance.InstanceId ?? '',
    instanceType: instance.InstanceType ?? '',
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    state: instance.State?.Name ?? 'unknown',
    deviceNames: (instance.BlockDeviceMappings ?? []).map((m) => m.DeviceName).filter((d): d is string => d !== undefined && d !== ''),
    ebsCardIndexes: (instance.BlockDeviceMappings ?? []).map((m) => m.Ebs?.EbsCardIndex).filter((c): c is number => c !== undefined),
  };
}

export function toSnapshot(snapshot: SdkSnapshot): Snapshot {
  return {
    snapshotId: snapshot.SnapshotId ?? '',
    sourceVolumeId: snapshot.VolumeId ?? '',
    sizeGiB: snapshot.VolumeSize ?? 0,
    state: oneOf(SNAPSHOT_STATES, snapshot.State, 'error'),
    creationTime: snapshot.StartTime ?? new Date(0),
    tags: tagsToRecord(snapshot.Tags),
  };
}

/** The latest of a volume's modifications (EC2 may return its history). */
export function latestModification(mods: readonly SdkVolumeModification[]): SdkVolumeModification | undefined {
  let latest: SdkVolumeModification | undefined;
  for (const mod of mods) {
    if (!latest || (mod.StartTime?.getTime() ?? 0) >= (latest.StartTime?.getTime() ?? 0)) latest = mod;
  }
  return latest;
}

export function toVolumeModification(mod: SdkVolumeModification): VolumeModification {
  return {
    volumeId: mod.VolumeId ?? '',
    // A state EC2 does not document is read as finished: waiting on it could only time out,
    // and a modification truly still running makes ModifyVolume fail, which is handled there.
    state: oneOf(MODIFICATION_STATES, mod.ModificationState, 'completed'),
    ...(mod.TargetSize !== undefined ? { targetSizeGiB: mod.TargetSize } : {}),
    ...(nonEmpty(mod.TargetVolumeType) ? { targetVolumeType: mod.TargetVolumeType } : {}),
    ...(mod.TargetIops !== undefined ? { targetIops: mod.TargetIops } : {}),
    ...(mod.TargetThroughput !== undefined ? { targetThroughput: mod.TargetThroughput } : {}),
    ...(nonEmpty(mod.StatusMessage) ? { statusMessage: mod.StatusMessage } : {}),
  };
}

/**
 * Initialization as DescribeVolumeStatus reports it: the "initialization-state" detail, or
 * the progress of InitializationStatusDetails. A volume with neither (not restored from a
 * snapshot, or not reported yet) counts as initialized: nothing would ever end the wait.
 */
export function toVolumeInitialization(item: VolumeStatusItem): VolumeInitialization {
  const detail = item.VolumeStatus?.Details?.find((d) => d.Name === 'initialization-state');
  const progress = item.InitializationStatusDetails?.Progress;
  const secondsLeft = item.InitializationStatusDetails?.EstimatedTimeToCompleteInSeconds;
  const initializing = detail?.Status === 'initializing' || (detail === undefined && progress !== undefined && progress < 100);
  return {
    initialized: !initializing,
    ...(progress !== undefined ? { progressPercent: progress } : {}),
    ...(secondsLeft !== undefined && initializing ? { secondsLeft } : {}),
  };
}
