// Coalesced lookups: concurrent questions of one kind ("volume vol-1?", "volume vol-2?")
// become one filtered Describe call, paginated. Filters (not VolumeIds=…) keep one unknown
// id from failing the whole batch; ids that cannot be EC2 ids never reach EC2.
import {
  DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, DescribeVolumesModificationsCommand,
  type Filter, type VolumeModification,
} from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import { TAG_SNAPSHOT_NAME, TAG_VOLUME_NAME } from '../../tags.js';
import type { Disk, Instance, Snapshot, VolumeInitialization } from '../types.js';
import type { Ec2Caller } from './caller.js';
import { Coalescer, type CoalescerOptions } from './coalescer.js';
import { latestModification, toDisk, toInstance, toSnapshot } from './convert.js';
import { isInstanceId, isSnapshotId, isVolumeId } from './ids.js';
import { InitializationLookup } from './initialization.js';
import { allPages } from './pagination.js';

// The largest page EC2 serves for filtered DescribeVolumes / DescribeVolumesModifications.
const PAGE_SIZE = 500;

/** Instances in these states are gone for the driver's purposes. */
const GONE_INSTANCE_STATES = new Set(['terminated', 'shutting-down']);
/** A name lookup must not find a volume that is on its way out. */
const GONE_VOLUME_STATES = new Set(['deleting', 'deleted']);

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

export class Ec2Lookups {
  private readonly volumesById: Coalescer<Disk>;
  private readonly volumesByName: Coalescer<Disk>;
  private readonly instancesById: Coalescer<Instance>;
  private readonly snapshotsById: Coalescer<Snapshot>;
  private readonly snapshotsByName: Coalescer<Snapshot>;
  private readonly modificationsByVolume: Coalescer<VolumeModification>;
  private readonly initializationsByVolume: Coalescer<VolumeInitialization>;

  constructor(
    private readonly ec2: Ec2Caller,
    private readonly log: Logger,
    options: CoalescerOptions,
  ) {
    this.volumesById = new Coalescer(async (ids) => {
      const disks = await this.describeVolumes([{ Name: 'volume-id', Values: [...ids] }], `${ids.length} volume(s) by id`);
      return new Map(disks.map((d) => [d.volumeId, d]));
    }, options);
    this.volumesByName = new Coalescer(async (names) => {
      const disks = await this.describeVolumes([{ Name: `tag:${TAG_VOLUME_NAME}`, Values: [...names] }], `${names.length} volume(s) by name`);
      const live = groupBy(disks.filter((d) => !GONE_VOLUME_STATES.has(d.state)), (d) => d.tags[TAG_VOLUME_NAME]);
      return new Map([...live].map(([name, found]) => [name, this.pickOne('volume', name, found, (d) => d.volumeId)]));
    }, options);
    this.instancesById = new Coalescer(async (ids) => {
      const instances = await this.describeInstances([{ Name: 'instance-id', Values: [...ids] }], `${ids.length} instance(s)`);
      return new Map(instances.filter((i) => !GONE_INSTANCE_STATES.has(i.state)).map((i) => [i.instanceId, i]));
    }, options);
    this.snapshotsById = new Coalescer(async (ids) => {
      const snaps = await this.describeSnapshots([{ Name: 'snapshot-id', Values: [...ids] }], false, `${ids.length} snapshot(s) by id`);
      return new Map(snaps.map((s) => [s.snapshotId, s]));
    }, options);
    this.snapshotsByName = new Coalescer(async (names) => {
      // Only our own snapshots: a public snapshot of another account may carry the same tag.
      const snaps = await this.describeSnapshots([{ Name: `tag:${TAG_SNAPSHOT_NAME}`, Values: [...names] }], true, `${names.length} snapshot(s) by name`);
      const byName = groupBy(snaps, (s) => s.tags[TAG_SNAPSHOT_NAME]);
      return new Map([...byName].map(([name, found]) => [name, this.pickOne('snapshot', name, found, (s) => s.snapshotId)]));
    }, options);
    this.modificationsByVolume = new Coalescer(async (ids) => {
      const mods = await allPages(async (NextToken) => {
        const out = await this.ec2.send(
          new DescribeVolumesModificationsCommand({ Filters: [{ Name: 'volume-id', Values: [...ids] }], MaxResults: PAGE_SIZE, NextToken }),
          { subject: `modifications of ${ids.length} volume(s)` });
        return { items: out.VolumesModifications ?? [], nextToken: out.NextToken };
      });
      const byVolume = groupBy(mods, (m) => m.VolumeId);
      const latest = new Map<string, VolumeModification>();
      for (const [id, list] of byVolume) {
        const mod = latestModification(list);
        if (mod) latest.set(id, mod);
      }
      return latest;
    }, options);
    const initializations = new InitializationLookup(ec2, async (ids) => {
      const disks = await Promise.all(ids.map((id) => this.disk(id)));
      return disks.filter((d): d is Disk => d !== undefined).map((d) => d.volumeId);
    }, log);
    this.initializationsByVolume = new Coalescer((ids) => initializations.fetch(ids), options);
  }

  disk(volumeId: string): Promise<Disk | undefined> {
    return isVolumeId(volumeId) ? this.volumesById.get(volumeId) : Promise.resolve(undefined);
  }

  diskByName(name: string): Promise<Disk | undefined> {
    return name === '' ? Promise.resolve(undefined) : this.volumesByName.get(name);
  }

  instance(instanceId: string): Promise<Instance | undefined> {
    return isInstanceId(instanceId) ? this.instancesById.get(instanceId) : Promise.resolve(undefined);
  }

  snapshot(snapshotId: string): Promise<Snapshot | undefined> {
    return isSnapshotId(snapshotId) ? this.snapshotsById.get(snapshotId) : Promise.resolve(undefined);
  }

  snapshotByName(name: string): Promise<Snapshot | undefined> {
    return name === '' ? Promise.resolve(undefined) : this.snapshotsByName.get(name);
  }

  /** The latest modification of a volume; undefined when it was never modified. */
  modification(volumeId: string): Promise<VolumeModification | undefined> {
    return isVolumeId(volumeId) ? this.modificationsByVolume.get(volumeId) : Promise.resolve(undefined);
  }

  /** Whether a volume finished initializing from its snapshot; undefined when EC2 does not know it. */
  initialization(volumeId: string): Promise<VolumeInitialization | undefined> {
    return isVolumeId(volumeId) ? this.initializationsByVolume.get(volumeId) : Promise.resolve(undefined);
  }

  private describeVolumes(filters: Filter[], subject: string): Promise<Disk[]> {
    return allPages(async (NextToken) => {
      const out = await this.ec2.send(new DescribeVolumesCommand({ Filters: filters, MaxResults: PAGE_SIZE, NextToken }), { subject });
      return { items: (out.Volumes ?? []).map(toDisk), nextToken: out.NextToken };
    });
  }

  private describeInstances(filters: Filter[], subject: string): Promise<Instance[]> {
    return allPages(async (NextToken) => {
      const out = await this.ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: PAGE_SIZE, NextToken }), { subject });
      const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      return { items: instances.map(toInstance), nextToken: out.NextToken };
    });
  }

  private describeSnapshots(filters: Filter[], ownOnly: boolean, subject: string): Promise<Snapshot[]> {
    return allPages(async (NextToken) => {
      const out = await this.ec2.send(new DescribeSnapshotsCommand({
        Filters: filters, MaxResults: PAGE_SIZE, NextToken, ...(ownOnly ? { OwnerIds: ['self'] } : {}),
      }), { subject });
      return { items: (out.Snapshots ?? []).map(toSnapshot), nextToken: out.NextToken };
    });
  }

  /** Two resources with one CO name should not happen; answer with the first and say so. */
  private pickOne<T>(what: string, name: string, found: readonly T[], idOf: (item: T) => string): T {
    const [first] = found;
    if (found.length > 1) this.log.warn({ name, ids: found.map(idOf) }, `several ${what}s carry the same name; using the first`);
    if (first === undefined) throw new Error(`pickOne called without ${what}s for ${name}`);
    return first;
  }
}
