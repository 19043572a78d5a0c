// The Cloud seam implemented on EC2: composes lookups (coalesced Describes), the operation
// groups and the device-name allocator. Every call path ends in Ec2Caller.send.
import { CreateTagsCommand, DeleteTagsCommand, DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics/registry.js';
import type {
  Cloud, Disk, DiskOptions, Instance, ModifyDiskOptions, Page, Snapshot, SnapshotLock, SnapshotOptions, VolumeInitialization,
  VolumeModification, Zone,
} from '../types.js';
import type { Ec2Api } from './api.js';
import { AttachmentOps } from './attachments.js';
import { Ec2Caller } from './caller.js';
import { ClientTokens } from './client-tokens.js';
import { recordToTags, toVolumeModification } from './convert.js';
import { DeviceNameAllocator } from './device-names.js';
import { EbsCardCounts } from './ebs-cards.js';
import { Ec2Lookups } from './lookups.js';
import { findDriverVolume, findMissingPermissions } from './permissions.js';
import { DEFAULT_WAIT_POLICY, type WaitPolicy } from './poll.js';
import { EC2_DEFAULT_REQUEST_LIMITS, RequestPacer, type RequestLimits } from './request-pacing.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { SnapshotFeatures } from './snapshot-features.js';
import { SnapshotOps } from './snapshots.js';
import { VolumeOps } from './volumes.js';

export interface Ec2Tuning {
  /** How long a lookup waits for others to share its Describe call. */
  readonly coalesceWindowMs: number;
  /** Ids or names per Describe call. */
  readonly coalesceMaxBatch: number;
  readonly retry: RetryPolicy;
  readonly wait: WaitPolicy;
  /** How long an attachment may stay "attaching" before it is detached and the attach retried. */
  readonly stuckAttachingMs?: number;
  /** EC2's request buckets to stay within; unset: calls are not paced (unit tests). */
  readonly requestLimits?: RequestLimits;
  /** How long an instance looked up for an attach serves later attaches (recent-instances.ts). */
  readonly instanceRecordMaxAgeMs?: number;
}

export const DEFAULT_TUNING: Ec2Tuning = {
  coalesceWindowMs: 40,
  coalesceMaxBatch: 500,
  retry: DEFAULT_RETRY_POLICY,
  wait: DEFAULT_WAIT_POLICY,
  requestLimits: EC2_DEFAULT_REQUEST_LIMITS,
};

export class Ec2Cloud implements Cloud {
  private readonly ec2: Ec2Caller;
  private readonly lookups: Ec2Lookups;
  private readonly volumes: VolumeOps;
  private readonly attachments: AttachmentOps;
  private readonly snapshots: SnapshotOps;
  private readonly snapshotFeatures: SnapshotFeatures;
  private zones: Promise<readonly Zone[]> | undefined;

  constructor(api: Ec2Api, private readonly metrics: Metrics, private readonly log: Logger, tuning: Ec2Tuning = DEFAULT_TUNING) {
    this.ec2 = new Ec2Caller(api, metrics, log, tuning.retry, tuning.requestLimits ? new RequestPacer(tuning.requestLimits) : undefined);
    this.lookups = new Ec2Lookups(this.ec2, log, { windowMs: tuning.coalesceWindowMs, maxBatch: tuning.coalesceMaxBatch });
    this.volumes = new VolumeOps(this.ec2, this.lookups, new ClientTokens(), tuning.wait, log);
    this.attachments = new AttachmentOps(this.ec2, this.lookups, new DeviceNameAllocator(), new EbsCardCounts(this.ec2, log), tuning.wait, log,
      tuning.stuckAttachingMs, tuning.instanceRecordMaxAgeMs);
    this.snapshots = new SnapshotOps(this.ec2);
    this.snapshotFeatures = new SnapshotFeatures(this.ec2);
  }

  createDisk(options: DiskOptions): Promise<Disk> { return this.volumes.create(options); }
  deleteDisk(volumeId: string): Promise<boolean> { return this.volumes.delete(volumeId); }
  getDisk(volumeId: string): Promise<Disk | undefined> { return this.lookups.disk(volumeId); }
  getDiskByName(name: string): Promise<Disk | undefined> { return this.lookups.diskByName(name); }
  listDisks(maxResults: number, nextToken?: string): Promise<Page<Disk>> { return this.volumes.list(maxResults, nextToken); }
  modifyDisk(volumeId: string, options: ModifyDiskOptions): Promise<Disk> { return this.volumes.modify(volumeId, options); }
  async getVolumeModification(volumeId: string): Promise<VolumeModification | undefined> {
    const latest = await this.lookups.modification(volumeId);
    return latest ? toVolumeModification(latest) : undefined;
  }
  getVolumeInitialization(volumeId: string): Promise<VolumeInitialization | undefined> { return this.lookups.initialization(volumeId); }

  attachDisk(volumeId: string, instanceId: string, seen?: Disk): Promise<string> { return this.attachments.attach(volumeId, instanceId, seen); }
  detachDisk(volumeId: string, instanceId: string): Promise<void> { return this.attachments.detach(volumeId, instanceId); }

  getInstance(instanceId: string): Promise<Instance | undefined> { return this.lookups.instance(instanceId); }

  createSnapshot(options: SnapshotOptions): Promise<Snapshot> { return this.snapshots.create(options); }
  deleteSnapshot(snapshotId: string): Promise<boolean> { return this.snapshots.delete(snapshotId); }
  getSnapshot(snapshotId: string): Promise<Snapshot | undefined> { return this.lookups.snapshot(snapshotId); }
  getSnapshotByName(name: string): Promise<Snapshot | undefined> { return this.lookups.snapshotByName(name); }
  listSnapshots(filter: { sourceVolumeId?: string }, maxResults: number, nextToken?: string): Promise<Page<Snapshot>> {
    return this.snapshots.list(filter, maxResults, nextToken);
  }
  enableFastSnapshotRestores(snapshotId: string, zones: readonly string[]): Promise<void> {
    return this.snapshotFeatures.enableFastSnapshotRestores(snapshotId, zones);
  }
  lockSnapshot(snapshotId: string, lock: SnapshotLock): Promise<void> { return this.snapshotFeatures.lockSnapshot(snapshotId, lock); }

  /** Zones of the region (standard availability zones only), asked once; a failure is not cached. */
  availabilityZones(): Promise<readonly Zone[]> {
    this.zones ??= this.describeZones().catch((err: unknown) => {
      this.zones = undefined;
      throw err;
    });
    return this.zones;
  }

  async missingPermissions(): Promise<readonly string[]> {
    const [zone, driverVolumeId] = await Promise.all([
      this.availabilityZones().then((zones) => zones[0]?.name, () => undefined),
      findDriverVolume(this.ec2),
    ]);
    const missing = await findMissingPermissions(this.ec2, {
      ...(zone !== undefined ? { zone } : {}), ...(driverVolumeId !== undefined ? { driverVolumeId } : {}),
    }, this.log);
    this.metrics.setMissingPermissions(missing);
    return missing;
  }

  async createTags(resourceId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const list = recordToTags(tags);
    if (list.length === 0) return;
    await this.ec2.send(new CreateTagsCommand({ Resources: [resourceId], Tags: list }), { subject: `tags of ${resourceId}` });
  }

  async deleteTags(resourceId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.ec2.send(new DeleteTagsCommand({ Resources: [resourceId], Tags: keys.map((Key) => ({ Key })) }), { subject: `tags of ${resourceId}` });
  }

  private async describeZones(): Promise<readonly Zone[]> {
    const out = await this.ec2.send(new DescribeAvailabilityZonesCommand({}), { subject: 'the region\'s zones' });
    return (out.AvailabilityZones ?? [])
      .filter((z) => z.ZoneName && (z.ZoneType === undefined || z.ZoneType === 'availability-zone') && (z.State === undefined || z.State === 'available'))
      .map((z) => ({ name: z.ZoneName ?? '', zoneId: z.ZoneId ?? '' }));
  }
}
