// A small in-memory Cloud for handler tests of validation paths and decisions (which
// error, which cloud call with which options). It does not imitate EC2's timing or
// errors beyond the few kinds the handlers branch on; the moto integration tests do that.
import { CloudError } from '../../../src/cloud/errors.js';
import type {
  Cloud, Disk, DiskOptions, Instance, Page, Snapshot, VolumeInitialization, Zone,
} from '../../../src/cloud/types.js';

export const ZONES: readonly Zone[] = [
  { name: 'us-east-1a', zoneId: 'use1-az6' },
  { name: 'us-east-1b', zoneId: 'use1-az1' },
  { name: 'us-east-1c', zoneId: 'use1-az2' },
];

export interface FakeCloud extends Cloud {
  readonly disks: Map<string, Disk>;
  readonly instances: Map<string, Instance>;
  readonly snapshots: Map<string, Snapshot>;
  /** What getVolumeInitialization answers for a known volume; initialized when absent. */
  readonly initializations: Map<string, VolumeInitialization>;
  /** Every call, as [method, ...arguments]. */
  readonly calls: unknown[][];
  callsTo(method: keyof Cloud): unknown[][];
}

let counter = 0;
const hexId = (prefix: string): string => `${prefix}-${(0x10000000 + ++counter).toString(16).padStart(17, '0')}`;

export function diskFrom(options: DiskOptions, overrides: Partial<Disk> = {}): Disk {
  return {
    volumeId: hexId('vol'),
    capacityGiB: options.capacityGiB,
    availabilityZone: options.availabilityZone,
    ...(options.outpostArn ? { outpostArn: options.outpostArn } : {}),
    state: 'available',
    volumeType: options.volumeType,
    iops: options.iops ?? (options.volumeType === 'gp3' ? 3000 : undefined),
    throughput: options.throughput ?? (options.volumeType === 'gp3' ? 125 : undefined),
    encrypted: options.encrypted,
    ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
    ...(options.snapshotId ? { snapshotId: options.snapshotId } : {}),
    ...(options.sourceVolumeId ? { sourceVolumeId: options.sourceVolumeId } : {}),
    multiAttachEnabled: options.multiAttach,
    attachments: [],
    tags: options.tags,
    ...overrides,
  };
}

export function instance(zone = 'us-east-1a', overrides: Partial<Instance> = {}): Instance {
  return { instanceId: hexId('i'), instanceType: 'm5.large', availabilityZone: zone, state: 'running', deviceNames: ['/dev/sda1'], ebsCardIndexes: [], ...overrides };
}

const unused = (method: string) => (): Promise<never> => Promise.reject(new Error(`FakeCloud.${method} is not used by these tests`));

export function fakeCloud(): FakeCloud {
  const disks = new Map<string, Disk>();
  const instances = new Map<string, Instance>();
  const snapshots = new Map<string, Snapshot>();
  const initializations = new Map<string, VolumeInitialization>();
  const calls: unknown[][] = [];
  const record = (method: string, ...args: unknown[]): void => { calls.push([method, ...args]); };
  const put = (disk: Disk): Disk => { disks.set(disk.volumeId, disk); return disk; };
  return {
    disks, instances, snapshots, initializations, calls,
    callsTo: (method) => calls.filter((c) => c[0] === method),
    createDisk(options) {
      record('createDisk', options);
      return Promise.resolve(put(diskFrom(options)));
    },
    deleteDisk(volumeId) {
      record('deleteDisk', volumeId);
      const disk = disks.get(volumeId);
      if (!disk) return Promise.resolve(false);
      if (disk.attachments.length > 0) return Promise.reject(new CloudError('VolumeInUse', `volume ${volumeId} is in use`, 'VolumeInUse'));
      disks.delete(volumeId);
      return Promise.resolve(true);
    },
    getDisk(volumeId) {
      record('getDisk', volumeId);
      return Promise.resolve(disks.get(volumeId));
    },
    getDiskByName(name) {
      record('getDiskByName', name);
      return Promise.resolve([...disks.values()].find((d) => d.tags.CSIVolumeName === name));
    },
    listDisks(maxResults, nextToken): Promise<Page<Disk>> {
      record('listDisks', maxResults, nextToken);
      if (nextToken !== undefined && !/^\d+$/.test(nextToken)) {
        return Promise.reject(new CloudError('InvalidPaginationToken', `starting token ${nextToken} is not valid`));
      }
      const all = [...disks.values()];
      const start = Number(nextToken ?? 0);
      const end = maxResults > 0 ? start + maxResults : all.length;
      return Promise.resolve({ items: all.slice(start, end), ...(end < all.length ? { nextToken: String(end) } : {}) });
    },
    attachDisk(volumeId, instanceId) {
      record('attachDisk', volumeId, instanceId);
      const disk = disks.get(volumeId);
      if (!disk) return Promise.reject(new CloudError('VolumeNotFound', `volume ${volumeId} does not exist`));
      const device = `/dev/xvda${String.fromCharCode(97 + disk.attachments.length)}`;
      put({ ...disk, state: 'in-use', attachments: [...disk.attachments, { instanceId, device, state: 'attached' }] });
      return Promise.resolve(device);
    },
    detachDisk(volumeId, instanceId) {
      record('detachDisk', volumeId, instanceId);
      const disk = disks.get(volumeId);
      if (!disk) return Promise.reject(new CloudError('VolumeNotFound', `volume ${volumeId} does not exist`));
      const attachments = disk.attachments.filter((a) => a.instanceId !== instanceId);
      put({ ...disk, attachments, state: attachments.length > 0 ? 'in-use' : 'available' });
      return Promise.resolve();
    },
    getInstance(instanceId) {
      record('getInstance', instanceId);
      return Promise.resolve(instances.get(instanceId));
    },
    availabilityZones() {
      record('availabilityZones');
      return Promise.resolve(ZONES);
    },
    missingPermissions: () => Promise.resolve([]),
    getSnapshot(snapshotId) {
      record('getSnapshot', snapshotId);
      return Promise.resolve(snapshots.get(snapshotId));
    },
    createSnapshot: unused('createSnapshot'),
    deleteSnapshot: unused('deleteSnapshot'),
    getSnapshotByName: unused('getSnapshotByName'),
    listSnapshots: unused('listSnapshots'),
    modifyDisk: unused('modifyDisk'),
    getVolumeModification: unused('getVolumeModification'),
    getVolumeInitialization(volumeId) {
      record('getVolumeInitialization', volumeId);
      if (!disks.has(volumeId)) return Promise.resolve(undefined);
      return Promise.resolve(initializations.get(volumeId) ?? { initialized: true });
    },
    enableFastSnapshotRestores: unused('enableFastSnapshotRestores'),
    lockSnapshot: unused('lockSnapshot'),
    createTags: unused('createTags'),
    deleteTags: unused('deleteTags'),
  };
}
