// Domain types of the cloud seam. Nothing here mentions the AWS SDK: src/csi speaks only
// these, and src/cloud/ec2 translates them to and from EC2 calls.

export const VOLUME_TYPES = ['gp2', 'gp3', 'io1', 'io2', 'sc1', 'st1', 'standard'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];

export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
export type AttachmentState = 'attaching' | 'attached' | 'detaching' | 'detached' | 'busy';

export interface Attachment {
  readonly instanceId: string;
  readonly device: string;
  readonly state: AttachmentState;
  /** When the attach began, as EC2 reports it. */
  readonly attachTime?: Date;
  /** The EBS card the volume is attached through, on instances with more than one. */
  readonly ebsCardIndex?: number;
}

export interface Disk {
  readonly volumeId: string;
  readonly capacityGiB: number;
  readonly availabilityZone: string;
  readonly outpostArn?: string;
  readonly state: VolumeState;
  readonly volumeType: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly snapshotId?: string;
  /** The volume this one is a copy of (EC2 CopyVolumes). */
  readonly sourceVolumeId?: string;
  readonly multiAttachEnabled: boolean;
  readonly attachments: readonly Attachment[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface DiskOptions {
  /** The CO's volume name; becomes the CSIVolumeName tag and the idempotency token. */
  readonly name: string;
  readonly capacityGiB: number;
  /** One of VOLUME_TYPES, or a type EC2 added since, which EC2 alone judges. */
  readonly volumeType: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly availabilityZone: string;
  readonly outpostArn?: string;
  readonly snapshotId?: string;
  /**
   * Copy this volume (EC2 CopyVolumes) instead of creating a blank or restored one. The copy
   * lands in the source's zone, which availabilityZone must then name; it is encrypted when
   * encrypted is set or the source is (kmsKeyId picks the key).
   */
  readonly sourceVolumeId?: string;
  readonly multiAttach: boolean;
  readonly volumeInitializationRate?: number;
  /** Every tag to write at creation, the driver's own included. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface Instance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly state: string;
  /** Device names in use on the instance (block-device mappings, root included). */
  readonly deviceNames: readonly string[];
  /** The EBS card of each mapped volume that reports one (instances with more than one card). */
  readonly ebsCardIndexes: readonly number[];
}

export interface Zone {
  readonly name: string;
  readonly zoneId: string;
}

export interface Snapshot {
  readonly snapshotId: string;
  readonly sourceVolumeId: string;
  readonly sizeGiB: number;
  readonly state: 'pending' | 'completed' | 'error' | 'recoverable' | 'recovering';
  readonly creationTime: Date;
  readonly tags: Readonly<Record<string, string>>;
}

export interface SnapshotOptions {
  readonly name: string;
  readonly sourceVolumeId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly outpostArn?: string;
}

export type SnapshotLockMode = 'governance' | 'compliance';

/** EC2 LockSnapshot settings: exactly one of durationDays and expirationDate is set. */
export interface SnapshotLock {
  readonly mode: SnapshotLockMode;
  readonly durationDays?: number;
  readonly expirationDate?: Date;
  /** Compliance mode only: hours during which the lock may still be lifted. */
  readonly coolOffHours?: number;
}

export type ModificationState = 'modifying' | 'optimizing' | 'completed' | 'failed';

/** A volume's modification as EC2 DescribeVolumesModifications reports it. */
export interface VolumeModification {
  readonly volumeId: string;
  readonly state: ModificationState;
  readonly targetSizeGiB?: number;
  readonly targetVolumeType?: string;
  readonly targetIops?: number;
  readonly targetThroughput?: number;
  readonly statusMessage?: string;
}

/**
 * How far a volume restored from a snapshot is in fetching the snapshot's blocks
 * (DescribeVolumeStatus). Until it is done, the first read of each block is slow.
 */
export interface VolumeInitialization {
  readonly initialized: boolean;
  /** 0–100, when EC2 reports it. */
  readonly progressPercent?: number;
  /** Only reported for volumes created with a provisioned initialization rate. */
  readonly secondsLeft?: number;
}

export interface ModifyDiskOptions {
  readonly capacityGiB?: number;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

/** The EC2 operations the driver needs, in domain terms. Every method is safe to retry. */
export interface Cloud {
  /**
   * Creates a volume, or copies options.sourceVolumeId, idempotently by options.name, and
   * waits until it is available.
   */
  createDisk(options: DiskOptions): Promise<Disk>;
  /** Deletes a volume; resolves false when it did not exist. */
  deleteDisk(volumeId: string): Promise<boolean>;
  /** Looks a volume up by id; undefined when EC2 does not know it. Coalesced. */
  getDisk(volumeId: string): Promise<Disk | undefined>;
  /** Looks a volume up by its CSIVolumeName tag; undefined when there is none. Coalesced. */
  getDiskByName(name: string): Promise<Disk | undefined>;
  /** Volumes created by this driver (tag ebs.csi.aws.com/cluster=true), paginated. */
  listDisks(maxResults: number, nextToken?: string): Promise<Page<Disk>>;

  /**
   * Attaches and waits until attached; returns the device name. Idempotent per (volume, instance).
   * `seen`: the volume as the caller has just described it, which spares a second lookup.
   */
  attachDisk(volumeId: string, instanceId: string, seen?: Disk): Promise<string>;
  /** Detaches and waits until detached; resolves when it was not attached. */
  detachDisk(volumeId: string, instanceId: string): Promise<void>;
  /** Looks an instance up by id; undefined when EC2 does not know it. Coalesced. */
  getInstance(instanceId: string): Promise<Instance | undefined>;

  availabilityZones(): Promise<readonly Zone[]>;
  /** EC2 actions the credentials may not call (via DryRun); empty when all are granted. */
  missingPermissions(): Promise<readonly string[]>;

  createSnapshot(options: SnapshotOptions): Promise<Snapshot>;
  deleteSnapshot(snapshotId: string): Promise<boolean>;
  getSnapshot(snapshotId: string): Promise<Snapshot | undefined>;
  getSnapshotByName(name: string): Promise<Snapshot | undefined>;
  listSnapshots(filter: { sourceVolumeId?: string }, maxResults: number, nextToken?: string): Promise<Page<Snapshot>>;

  /**
   * EnableFastSnapshotRestores in each zone. Resolves once EC2 accepted every zone (enabling,
   * optimizing or enabled; an already enabled zone counts); otherwise rejects with a
   * CloudError naming the zones EC2 refused and its reason.
   */
  enableFastSnapshotRestores(snapshotId: string, zones: readonly string[]): Promise<void>;
  /** LockSnapshot with the given mode and duration or expiration date. */
  lockSnapshot(snapshotId: string, lock: SnapshotLock): Promise<void>;

  /** Modifies size/type/performance and waits until the change is optimizing or completed. */
  modifyDisk(volumeId: string, options: ModifyDiskOptions): Promise<Disk>;
  /** The volume's most recent modification; undefined when it was never modified. Coalesced. */
  getVolumeModification(volumeId: string): Promise<VolumeModification | undefined>;
  /**
   * Whether a volume restored from a snapshot finished initializing; undefined when EC2 does
   * not know the volume. An endpoint that does not report initialization (an emulator)
   * counts as initialized. Coalesced.
   */
  getVolumeInitialization(volumeId: string): Promise<VolumeInitialization | undefined>;
  createTags(resourceId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  deleteTags(resourceId: string, keys: readonly string[]): Promise<void>;
}
