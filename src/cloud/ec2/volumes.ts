// Volume lifecycle: create or copy (idempotent by name, never leaking a volume that failed),
// delete, modify (waiting until EC2 applies the change), and the driver's own paginated listing.
import {
  CopyVolumesCommand, CreateVolumeCommand, DeleteVolumeCommand, DescribeVolumesCommand, ModifyVolumeCommand,
  type CopyVolumesCommandInput, type CreateVolumeCommandInput, type ModifyVolumeCommandInput, type Volume,
  type VolumeModification, type VolumeType as Ec2VolumeType,
} from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import { TAG_DRIVER_MANAGED } from '../../tags.js';
import { CloudError, isCloudError } from '../errors.js';
import type { Disk, DiskOptions, ModifyDiskOptions, Page } from '../types.js';
import type { Ec2Caller } from './caller.js';
import type { ClientTokens } from './client-tokens.js';
import { recordToTags, toDisk } from './convert.js';
import { isVolumeId } from './ids.js';
import type { Ec2Lookups } from './lookups.js';
import { pageOf } from './pagination.js';
import { pollUntil, type WaitPolicy } from './poll.js';

const LIST_PAGE_SIZE = 500;

const volumeNotFound = (volumeId: string): CloudError =>
  new CloudError('VolumeNotFound', `volume ${volumeId} does not exist in this region`);

/**
 * The SDK's VolumeType lists the types EBS had when the SDK was built; EC2 takes any name
 * and answers for itself, so a type added since reaches it unchanged.
 */
const ec2VolumeType = (type: string): Ec2VolumeType => type as Ec2VolumeType;

const tagSpecifications = (options: DiskOptions) => {
  const tags = recordToTags(options.tags);
  return tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'volume' as const, Tags: tags }] } : {};
};

function createVolumeInput(options: DiskOptions, token: string): CreateVolumeCommandInput {
  return {
    ClientToken: token,
    AvailabilityZone: options.availabilityZone,
    Size: options.capacityGiB,
    VolumeType: ec2VolumeType(options.volumeType),
    // A KMS key only makes sense on an encrypted volume.
    Encrypted: options.encrypted || options.kmsKeyId !== undefined,
    MultiAttachEnabled: options.multiAttach,
    ...(options.iops !== undefined ? { Iops: options.iops } : {}),
    ...(options.throughput !== undefined ? { Throughput: options.throughput } : {}),
    ...(options.kmsKeyId !== undefined ? { KmsKeyId: options.kmsKeyId } : {}),
    ...(options.snapshotId !== undefined ? { SnapshotId: options.snapshotId } : {}),
    ...(options.outpostArn !== undefined ? { OutpostArn: options.outpostArn } : {}),
    ...(options.volumeInitializationRate !== undefined ? { VolumeInitializationRate: options.volumeInitializationRate } : {}),
    ...tagSpecifications(options),
  };
}

/**
 * CopyVolumes makes the copy in the source's zone (and Outpost), so no placement is sent.
 * A copy of an encrypted volume is always encrypted; the key is the one asked for, which the
 * controller sets to the source's when the StorageClass names none.
 */
function copyVolumesInput(options: DiskOptions, sourceVolumeId: string, token: string): CopyVolumesCommandInput {
  return {
    SourceVolumeId: sourceVolumeId,
    ClientToken: token,
    Size: options.capacityGiB,
    VolumeType: ec2VolumeType(options.volumeType),
    MultiAttachEnabled: options.multiAttach,
    ...(options.encrypted || options.kmsKeyId !== undefined ? { Encrypted: true } : {}),
    ...(options.iops !== undefined ? { Iops: options.iops } : {}),
    ...(options.throughput !== undefined ? { Throughput: options.throughput } : {}),
    ...(options.kmsKeyId !== undefined ? { KmsKeyId: options.kmsKeyId } : {}),
    ...tagSpecifications(options),
  };
}

const describeDisk = (disk: Disk | undefined): string => (disk ? `state ${disk.state}` : 'not visible yet');

/** A new volume is usually available this long after CreateVolume (ebs-facts.md: ~1.5 s median). */
const EXPECTED_CREATE_MS = 1_250;

/** Modification states in which the new size/performance is in effect. */
const APPLIED = new Set(['optimizing', 'completed']);

const isGone = (disk: Disk | undefined): boolean => disk === undefined || disk.state === 'deleting' || disk.state === 'deleted';

/**
 * An answer about a volume made this long ago is EC2 replaying what an earlier call with the
 * same token made (a fresh volume's CreateTime is the moment of the call).
 */
const REPLAY_AGE_MS = 10 * 60_000;

/** The current token of a name can no longer make a volume: its volume is dead, or it was used with other parameters. */
class UsedUpToken extends Error {
  constructor(readonly reason: CloudError) {
    super(reason.message);
  }
}

const deadVolume = (volumeId: string, name: string, state: string): CloudError =>
  new CloudError('Unknown', `EC2 answered for volume name "${name}" with volume ${volumeId}, which is ${state}: an earlier volume of this name that is gone`);

export class VolumeOps {
  constructor(
    private readonly ec2: Ec2Caller,
    private readonly lookups: Ec2Lookups,
    private readonly tokens: ClientTokens,
    private readonly wait: WaitPolicy,
    private readonly log: Logger,
  ) {}

  /**
   * Creates the volume (CopyVolumes when options.sourceVolumeId is set) and waits until it is
   * available. When the name's token turns out used up, one more try goes with a new token.
   */
  async create(options: DiskOptions): Promise<Disk> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.createWithToken(options);
      } catch (err) {
        if (!(err instanceof UsedUpToken)) throw err;
        this.tokens.rotate(options.name);
        if (attempt >= 2) throw err.reason;
        this.log.info({ name: options.name, reason: err.reason.message }, 'the client token of this volume name is used up; trying again with a new one');
      }
    }
  }

  private async createWithToken(options: DiskOptions): Promise<Disk> {
    let answer: Volume;
    try {
      answer = await this.send(options, this.tokens.tokenFor(options.name));
    } catch (err) {
      if (isCloudError(err, 'IdempotentParameterMismatch')) throw new UsedUpToken(err);
      throw err;
    }
    const disk = toDisk(answer);
    if (disk.state === 'available') return disk;
    if (isGone(disk)) throw new UsedUpToken(deadVolume(disk.volumeId, options.name, disk.state));
    if (answer.CreateTime !== undefined && Date.now() - answer.CreateTime.getTime() > REPLAY_AGE_MS) {
      // A replay about a volume deleted long ago may name one EC2 no longer lists at all.
      const now = await this.lookups.disk(disk.volumeId);
      if (isGone(now)) throw new UsedUpToken(deadVolume(disk.volumeId, options.name, now?.state ?? 'no longer listed'));
    }
    return this.waitAvailable(disk.volumeId, options.name);
  }

  private async send(options: DiskOptions, token: string): Promise<Volume> {
    const source = options.sourceVolumeId;
    if (source === undefined) {
      return this.ec2.send(new CreateVolumeCommand(createVolumeInput(options, token)), { subject: `volume named "${options.name}"` });
    }
    const out = await this.ec2.send(new CopyVolumesCommand(copyVolumesInput(options, source, token)),
      { subject: `volume ${source} into a copy named "${options.name}"` });
    const copy = out.Volumes?.[0];
    if (!copy?.VolumeId) throw new CloudError('Unknown', `EC2 CopyVolumes of volume ${source} answered without the copy it made`);
    return copy;
  }

  /** Deletes a volume; false when it did not exist. */
  async delete(volumeId: string): Promise<boolean> {
    if (!isVolumeId(volumeId)) return false;
    try {
      await this.ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }), { subject: `volume ${volumeId}` });
      return true;
    } catch (err) {
      if (isCloudError(err, 'VolumeNotFound')) return false;
      if (isCloudError(err, 'IncorrectState')) {
        // Already being deleted by an earlier call: nothing left to do.
        const disk = await this.lookups.disk(volumeId);
        if (!disk || disk.state === 'deleting' || disk.state === 'deleted') return false;
      }
      throw err;
    }
  }

  async modify(volumeId: string, options: ModifyDiskOptions): Promise<Disk> {
    if (!isVolumeId(volumeId)) throw volumeNotFound(volumeId);
    const input: ModifyVolumeCommandInput = {
      VolumeId: volumeId,
      ...(options.capacityGiB !== undefined ? { Size: options.capacityGiB } : {}),
      ...(options.volumeType !== undefined ? { VolumeType: ec2VolumeType(options.volumeType) } : {}),
      ...(options.iops !== undefined ? { Iops: options.iops } : {}),
      ...(options.throughput !== undefined ? { Throughput: options.throughput } : {}),
    };
    if (Object.keys(input).length === 1) {
      const disk = await this.lookups.disk(volumeId);
      if (!disk) throw volumeNotFound(volumeId);
      return disk;
    }
    let modification = await this.startModification(volumeId, input, options);
    if (!APPLIED.has(modification.ModificationState ?? '')) modification = await this.waitModified(volumeId, modification);
    const disk = await this.lookups.disk(volumeId);
    if (!disk) throw volumeNotFound(volumeId);
    // Describe may lag behind the modification; report the values EC2 is applying.
    return {
      ...disk,
      capacityGiB: modification.TargetSize ?? disk.capacityGiB,
      volumeType: modification.TargetVolumeType ?? disk.volumeType,
      ...(modification.TargetIops !== undefined ? { iops: modification.TargetIops } : {}),
      ...(modification.TargetThroughput !== undefined ? { throughput: modification.TargetThroughput } : {}),
    };
  }

  /** Volumes this driver created (tag ebs.csi.aws.com/cluster=true), at most maxResults (0: all). */
  list(maxResults: number, nextToken?: string): Promise<Page<Disk>> {
    return pageOf(async (NextToken) => {
      const out = await this.ec2.send(new DescribeVolumesCommand({
        Filters: [{ Name: `tag:${TAG_DRIVER_MANAGED}`, Values: ['true'] }], MaxResults: LIST_PAGE_SIZE, NextToken,
      }), { subject: 'the driver\'s volumes' });
      return { items: (out.Volumes ?? []).map(toDisk), nextToken: out.NextToken };
    }, maxResults, nextToken);
  }

  private async waitAvailable(volumeId: string, name: string): Promise<Disk> {
    let failed: Disk | undefined;
    const disk = await pollUntil<Disk | undefined>({
      what: `volume ${volumeId} (name "${name}") to become available`,
      expectedMs: EXPECTED_CREATE_MS,
      probe: () => this.lookups.disk(volumeId),
      isDone: (d) => {
        if (d?.state === 'error' || d?.state === 'deleting' || d?.state === 'deleted') {
          failed = d;
          return true;
        }
        return d?.state === 'available';
      },
      describe: describeDisk,
    }, this.wait);
    if (failed?.state === 'error') {
      // EC2 keeps answering the token with this dead volume: the next try needs another.
      this.tokens.rotate(name);
      throw await this.discardFailed(failed, name);
    }
    if (failed) throw new UsedUpToken(deadVolume(failed.volumeId, name, failed.state));
    if (!disk) throw volumeNotFound(volumeId);
    return disk;
  }

  /** A volume that ended in 'error' is deleted so that it never leaks; the caller gets why. */
  private async discardFailed(disk: Disk, name: string): Promise<CloudError> {
    let cleanup: string;
    try {
      await this.delete(disk.volumeId);
      cleanup = 'it was deleted';
    } catch (err) {
      this.log.error({ volumeId: disk.volumeId, err }, 'could not delete a volume that failed to create');
      cleanup = `deleting it failed too (${err instanceof Error ? err.message : String(err)}); delete it by hand`;
    }
    return new CloudError('Unknown',
      `volume ${disk.volumeId} (name "${name}") ended in state "${disk.state}" instead of "available" ` +
      `(often a KMS key the driver may not use, or no capacity in ${disk.availabilityZone}); ${cleanup}`);
  }

  private async startModification(volumeId: string, input: ModifyVolumeCommandInput, wanted: ModifyDiskOptions): Promise<VolumeModification> {
    try {
      const out = await this.ec2.send(new ModifyVolumeCommand(input), { subject: `volume ${volumeId}` });
      return out.VolumeModification ?? { VolumeId: volumeId, ModificationState: 'modifying' };
    } catch (err) {
      if (!isCloudError(err) || err.awsCode !== 'IncorrectModificationState') throw err;
      // A retry of our own earlier request finds that modification in progress: wait for it.
      const current = await this.lookups.modification(volumeId);
      if (current && current.ModificationState !== 'failed' && modificationMatches(current, wanted)) return current;
      throw err;
    }
  }

  private async waitModified(volumeId: string, started: VolumeModification): Promise<VolumeModification> {
    const done = await pollUntil<VolumeModification | undefined>({
      what: `the modification of volume ${volumeId} to reach "optimizing"`,
      probe: () => this.lookups.modification(volumeId),
      isDone: (mod) => {
        if (mod?.ModificationState === 'failed') {
          throw new CloudError('Unknown',
            `EC2 could not modify volume ${volumeId}: ${mod.StatusMessage ?? 'no reason given'}`);
        }
        return APPLIED.has(mod?.ModificationState ?? '');
      },
      describe: (mod) => (mod ? `state ${mod.ModificationState ?? 'unknown'}, ${mod.Progress ?? 0}%` : 'not visible yet'),
    }, this.wait);
    return done ?? started;
  }
}

function modificationMatches(mod: VolumeModification, wanted: ModifyDiskOptions): boolean {
  return (wanted.capacityGiB === undefined || mod.TargetSize === wanted.capacityGiB)
    && (wanted.volumeType === undefined || mod.TargetVolumeType === wanted.volumeType)
    && (wanted.iops === undefined || mod.TargetIops === wanted.iops)
    && (wanted.throughput === undefined || mod.TargetThroughput === wanted.throughput);
}
