// The shared in-memory FakeCloud, extended with what snapshot and modification handlers
// use: snapshots whose state the test moves along, modifyDisk that applies the change,
// tags, fast snapshot restore, snapshot lock and modification lookups, with failures a
// test can inject. It records every call in the shared `calls` list.
import { CloudError } from '../../../src/cloud/errors.js';
import type { Disk, ModifyDiskOptions, Page, Snapshot, VolumeModification } from '../../../src/cloud/types.js';
import { diskFrom, fakeCloud, type FakeCloud } from './fakeCloud.js';

export interface SnapshotModifyCloud extends FakeCloud {
  /** Answers of getVolumeModification, consumed in order; the last one repeats. */
  modificationStates: (VolumeModification | undefined)[];
  /** Set to make the next calls of that method reject with it. */
  failures: Partial<Record<'createSnapshot' | 'enableFastSnapshotRestores' | 'lockSnapshot' | 'deleteSnapshot' | 'modifyDisk', Error>>;
  /** Called with each answer of getVolumeModification (to make EC2 "finish" something). */
  onModificationLookup?: (answer: VolumeModification | undefined) => void;
  /** When true, listSnapshots ignores maxResults and returns everything (like moto). */
  ignoreMaxResults: boolean;
  addDisk(overrides?: Partial<Disk>): Disk;
  addSnapshot(overrides?: Partial<Snapshot>): Snapshot;
}

let counter = 0;
const snapId = (): string => `snap-${(0x20000000 + ++counter).toString(16).padStart(17, '0')}`;

export function snapshotModifyCloud(): SnapshotModifyCloud {
  const base = fakeCloud();
  const { calls, snapshots, disks } = base;
  const record = (method: string, ...args: unknown[]): void => { calls.push([method, ...args]); };
  const failWith = (method: keyof SnapshotModifyCloud['failures']): Promise<never> | undefined => {
    const err = cloud.failures[method];
    return err ? Promise.reject(err) : undefined;
  };
  const setTags = (id: string, change: (tags: Record<string, string>) => void): void => {
    const disk = disks.get(id);
    if (disk) { const tags = { ...disk.tags }; change(tags); disks.set(id, { ...disk, tags }); return; }
    const snap = snapshots.get(id);
    if (snap) { const tags = { ...snap.tags }; change(tags); snapshots.set(id, { ...snap, tags }); }
  };

  const cloud: SnapshotModifyCloud = {
    ...base,
    modificationStates: [],
    failures: {},
    ignoreMaxResults: false,
    addDisk(overrides = {}) {
      const disk = diskFrom({
        name: 'pvc-x', capacityGiB: 10, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1a', multiAttach: false, tags: {},
      }, overrides);
      disks.set(disk.volumeId, disk);
      return disk;
    },
    addSnapshot(overrides = {}) {
      const snap: Snapshot = {
        snapshotId: snapId(), sourceVolumeId: 'vol-0000000000000000a', sizeGiB: 10, state: 'completed',
        creationTime: new Date('2030-01-02T03:04:05.678Z'), tags: {}, ...overrides,
      };
      snapshots.set(snap.snapshotId, snap);
      return snap;
    },
    createSnapshot(options) {
      record('createSnapshot', options);
      const failure = failWith('createSnapshot');
      if (failure) return failure;
      if (!disks.has(options.sourceVolumeId)) {
        return Promise.reject(new CloudError('VolumeNotFound', `volume ${options.sourceVolumeId} does not exist`, 'InvalidVolume.NotFound'));
      }
      const snap = cloud.addSnapshot({
        sourceVolumeId: options.sourceVolumeId, sizeGiB: disks.get(options.sourceVolumeId)?.capacityGiB ?? 1,
        state: 'pending', creationTime: new Date(), tags: options.tags,
      });
      return Promise.resolve(snap);
    },
    deleteSnapshot(snapshotId) {
      record('deleteSnapshot', snapshotId);
      const failure = failWith('deleteSnapshot');
      if (failure) return failure;
      return Promise.resolve(snapshots.delete(snapshotId));
    },
    getSnapshotByName(name) {
      record('getSnapshotByName', name);
      return Promise.resolve([...snapshots.values()].find((s) => s.tags.CSIVolumeSnapshotName === name));
    },
    listSnapshots(filter, maxResults, nextToken): Promise<Page<Snapshot>> {
      record('listSnapshots', filter, maxResults, nextToken);
      if (nextToken !== undefined && !/^c\d+$/.test(nextToken)) {
        return Promise.reject(new CloudError('InvalidPaginationToken', `token ${nextToken} is not valid`));
      }
      const all = [...snapshots.values()].filter((s) => !filter.sourceVolumeId || s.sourceVolumeId === filter.sourceVolumeId);
      if (cloud.ignoreMaxResults) return Promise.resolve({ items: all });
      const start = nextToken ? Number(nextToken.slice(1)) : 0;
      const end = start + Math.max(maxResults, 5); // EC2's smallest page is 5
      return Promise.resolve({ items: all.slice(start, end), ...(end < all.length ? { nextToken: `c${end}` } : {}) });
    },
    modifyDisk(volumeId, options: ModifyDiskOptions) {
      record('modifyDisk', volumeId, options);
      const failure = failWith('modifyDisk');
      if (failure) return failure;
      const disk = disks.get(volumeId);
      if (!disk) return Promise.reject(new CloudError('VolumeNotFound', `volume ${volumeId} does not exist`));
      const next: Disk = {
        ...disk,
        capacityGiB: options.capacityGiB ?? disk.capacityGiB,
        volumeType: options.volumeType ?? disk.volumeType,
        ...(options.iops !== undefined ? { iops: options.iops } : {}),
        ...(options.throughput !== undefined ? { throughput: options.throughput } : {}),
      };
      disks.set(volumeId, next);
      return Promise.resolve(next);
    },
    createTags(resourceId, tags) {
      record('createTags', resourceId, tags);
      setTags(resourceId, (t) => Object.assign(t, tags));
      return Promise.resolve();
    },
    deleteTags(resourceId, keys) {
      record('deleteTags', resourceId, keys);
      setTags(resourceId, (t) => { for (const k of keys) delete t[k]; });
      return Promise.resolve();
    },
    enableFastSnapshotRestores(snapshotId, zones) {
      record('enableFastSnapshotRestores', snapshotId, zones);
      return failWith('enableFastSnapshotRestores') ?? Promise.resolve();
    },
    lockSnapshot(snapshotId, lock) {
      record('lockSnapshot', snapshotId, lock);
      return failWith('lockSnapshot') ?? Promise.resolve();
    },
    getVolumeModification(volumeId) {
      record('getVolumeModification', volumeId);
      const states = cloud.modificationStates;
      const answer = states.length > 1 ? states.shift() : states[0];
      cloud.onModificationLookup?.(answer);
      return Promise.resolve(answer);
    },
  };
  return cloud;
}

/** The names of the recorded calls, in order, leaving out plain lookups. */
export function mutatingCalls(cloud: FakeCloud): string[] {
  const lookups = new Set(['getDisk', 'getSnapshot', 'getSnapshotByName', 'availabilityZones', 'getVolumeModification', 'listSnapshots']);
  return cloud.calls.map((c) => String(c[0])).filter((m) => !lookups.has(m));
}
