import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { DiskOptions } from '../../../src/cloud/types.js';
import { volumeHandlers } from '../../../src/csi/controller/volumes.js';
import { GiB } from '../../../src/csi/params/capacity.js';
import type { CreateVolumeRequest__Output } from '../../../src/generated/csi/v1/CreateVolumeRequest.js';
import { callContext, expectFailure } from './expect.js';
import { diskFrom, fakeCloud, type FakeCloud } from './fakeCloud.js';

const ZONE = 'topology.kubernetes.io/zone';
const mountCap = { accessType: 'mount' as const, mount: { fsType: '', mountFlags: [], volumeMountGroup: '' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
const blockCap = (mode: 'SINGLE_NODE_WRITER' | 'MULTI_NODE_MULTI_WRITER' = 'SINGLE_NODE_WRITER') => ({ accessType: 'block' as const, block: {}, accessMode: { mode } });

function request(overrides: Partial<CreateVolumeRequest__Output> = {}): CreateVolumeRequest__Output {
  return {
    name: 'pvc-0001', capacityRange: { requiredBytes: 10 * GiB, limitBytes: 0 }, volumeCapabilities: [mountCap],
    parameters: {}, secrets: {}, volumeContentSource: null,
    accessibilityRequirements: { requisite: [{ segments: { [ZONE]: 'us-east-1b' } }], preferred: [] },
    mutableParameters: {}, ...overrides,
  };
}

describe('CreateVolume', () => {
  let cloud: FakeCloud;
  let create: (req: CreateVolumeRequest__Output) => ReturnType<ReturnType<typeof volumeHandlers>['CreateVolume']>;
  const lastOptions = (): DiskOptions => cloud.callsTo('createDisk').at(-1)?.[1] as DiskOptions;

  beforeEach(() => {
    cloud = fakeCloud();
    const handlers = volumeHandlers({ cloud, driverName: 'ebs.csi.aws.com', clusterId: 'prod', extraTags: { env: 'test' } });
    create = (req) => handlers.CreateVolume(req, callContext());
  });

  it('creates the volume the request describes and answers it', async () => {
    const res = await create(request({
      parameters: {
        type: 'io2', iopsPerGB: '100', encrypted: 'true', 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'apps',
        'csi.storage.k8s.io/pv/name': 'pvc-0001', tagSpecification_1: 'owner={{ .PVCNamespace }}', blockSize: '4096',
      },
    }));
    const options = lastOptions();
    assert.deepEqual({ ...options, tags: undefined }, {
      name: 'pvc-0001', capacityGiB: 10, volumeType: 'io2', iops: 1000, encrypted: true, availabilityZone: 'us-east-1b', multiAttach: false, tags: undefined,
    });
    assert.deepEqual(options.tags, {
      CSIVolumeName: 'pvc-0001', 'ebs.csi.aws.com/cluster': 'true', 'kubernetes.io/cluster/prod': 'owned', KubernetesCluster: 'prod',
      Name: 'prod-dynamic-pvc-0001',
      'ebs.csi.aws.com/cluster-name': 'prod', 'kubernetes.io/created-for/pvc/name': 'data', 'kubernetes.io/created-for/pvc/namespace': 'apps',
      'kubernetes.io/created-for/pv/name': 'pvc-0001', 'ebs.csi.aws.com/IOPSPerGb': '100', env: 'test', owner: 'apps',
    });
    const volume = res.volume;
    assert.ok(volume);
    assert.match(String(volume.volumeId), /^vol-[0-9a-f]{17}$/);
    assert.equal(volume.capacityBytes, 10 * GiB);
    assert.deepEqual(volume.volumeContext, { 'csi.storage.k8s.io/fstype': 'ext4', blocksize: '4096' });
    assert.deepEqual(volume.accessibleTopology, [{ segments: { [ZONE]: 'us-east-1b', 'topology.ebs.csi.aws.com/zone': 'us-east-1b' } }]);
    assert.equal(volume.contentSource, null);
  });

  it('answers a repeat with the existing volume without creating another', async () => {
    const first = await create(request());
    const again = await create(request());
    assert.equal(again.volume?.volumeId, first.volume?.volumeId);
    assert.equal(cloud.callsTo('createDisk').length, 1);
    assert.equal(cloud.disks.size, 1);
  });

  it('is ALREADY_EXISTS when the name is taken by a volume that differs, naming each difference', async () => {
    await create(request({ parameters: { type: 'gp3' } }));
    await expectFailure(() => create(request({ parameters: { type: 'io1', iops: '200' } })), status.ALREADY_EXISTS,
      /volume name "pvc-0001" is taken by vol-/, /type is gp3, requested io1/, /iops is 3000, requested 200/);
    await expectFailure(() => create(request({ capacityRange: { requiredBytes: 20 * GiB, limitBytes: 0 } })), status.ALREADY_EXISTS,
      /size is 10 GiB, requested 20–∞ GiB/);
    await expectFailure(() => create(request({ parameters: { encrypted: 'true' } })), status.ALREADY_EXISTS, /encrypted is false, requested true/);
    await expectFailure(() => create(request({ accessibilityRequirements: { requisite: [{ segments: { [ZONE]: 'us-east-1c' } }], preferred: [] } })),
      status.ALREADY_EXISTS, /zone is us-east-1b, requested one of us-east-1c/);
    await expectFailure(() => create(request({ parameters: { throughput: '500' } })), status.ALREADY_EXISTS, /throughput is 125 MiB\/s, requested 500/);
    assert.equal(cloud.callsTo('createDisk').length, 1);
  });

  it('accepts a repeat whose range the existing size satisfies', async () => {
    await create(request({ capacityRange: { requiredBytes: 10 * GiB, limitBytes: 0 } }));
    const again = await create(request({ capacityRange: { requiredBytes: 5 * GiB, limitBytes: 10 * GiB } }));
    assert.equal(again.volume?.capacityBytes, 10 * GiB);
    assert.equal(cloud.callsTo('createDisk').length, 1);
  });

  it('accepts an existing volume encrypted by the account default when encryption was not asked for', async () => {
    const first = await create(request());
    const id = String(first.volume?.volumeId);
    const disk = cloud.disks.get(id);
    assert.ok(disk);
    cloud.disks.set(id, { ...disk, encrypted: true });
    assert.equal((await create(request())).volume?.volumeId, id);
  });

  it('compares iopsPerGB with the existing volume\'s own size on a repeat', async () => {
    const parameters = { type: 'io1', iopsPerGB: '20' };
    await create(request({ parameters, capacityRange: { requiredBytes: 10 * GiB, limitBytes: 0 } }));
    assert.equal(lastOptions().iops, 200);
    const again = await create(request({ parameters, capacityRange: { requiredBytes: 8 * GiB, limitBytes: 10 * GiB } }));
    assert.equal(again.volume?.capacityBytes, 10 * GiB);
    assert.equal(cloud.callsTo('createDisk').length, 1);
  });

  it('waits for a volume an earlier call left in "creating"', async () => {
    const options = { name: 'pvc-0001', capacityGiB: 10, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1b', multiAttach: false, tags: { CSIVolumeName: 'pvc-0001' } } as const;
    const creating = diskFrom(options, { state: 'creating' });
    cloud.disks.set(creating.volumeId, creating);
    setTimeout(() => cloud.disks.set(creating.volumeId, { ...creating, state: 'available' }), 200);
    const res = await create(request());
    assert.equal(res.volume?.volumeId, creating.volumeId);
    assert.ok(cloud.callsTo('getDisk').length >= 1);
    assert.equal(cloud.callsTo('createDisk').length, 0);
  });

  it('creates anew when the only volume with the name is being deleted', async () => {
    const options = { name: 'pvc-0001', capacityGiB: 10, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1b', multiAttach: false, tags: { CSIVolumeName: 'pvc-0001' } } as const;
    const old = diskFrom(options, { state: 'deleting' });
    cloud.disks.set(old.volumeId, old);
    await create(request());
    assert.equal(cloud.callsTo('createDisk').length, 1);
  });

  it('refuses a missing or over-long name', async () => {
    await expectFailure(() => create(request({ name: '' })), status.INVALID_ARGUMENT, /^name is required$/);
    await expectFailure(() => create(request({ name: 'x'.repeat(129) })), status.INVALID_ARGUMENT, /name is 129 bytes long; CSI allows at most 128/);
    await expectFailure(() => create(request({ name: 'é'.repeat(65) })), status.INVALID_ARGUMENT, /130 bytes/);
    assert.equal(cloud.calls.length, 0, 'no cloud call for a bad request');
  });

  it('refuses missing or unsupported capabilities', async () => {
    await expectFailure(() => create(request({ volumeCapabilities: [] })), status.INVALID_ARGUMENT, /^volume_capabilities is required$/);
    await expectFailure(() => create(request({ volumeCapabilities: [{ ...mountCap, accessMode: { mode: 'MULTI_NODE_READER_ONLY' } }] })),
      status.INVALID_ARGUMENT, /access mode MULTI_NODE_READER_ONLY is not supported/);
  });

  it('enables Multi-Attach for io2 block MULTI_NODE_MULTI_WRITER and refuses it for other types', async () => {
    await create(request({ volumeCapabilities: [blockCap('MULTI_NODE_MULTI_WRITER')], parameters: { type: 'io2', iops: '1000' } }));
    assert.equal(lastOptions().multiAttach, true);
    await expectFailure(() => create(request({ name: 'pvc-2', volumeCapabilities: [blockCap('MULTI_NODE_MULTI_WRITER')], parameters: { type: 'gp3' } })),
      status.INVALID_ARGUMENT, /MULTI_NODE_MULTI_WRITER needs EBS Multi-Attach, which only type io2 offers; parameters\.type is gp3/);
  });

  it('refuses format options for block volumes and checks them against the filesystem', async () => {
    await expectFailure(() => create(request({ volumeCapabilities: [blockCap()], parameters: { inodeSize: '256' } })), status.INVALID_ARGUMENT,
      /parameters inodeSize format a filesystem, but a volume_capability asks for a raw block volume/);
    await expectFailure(() => create(request({ parameters: { 'csi.storage.k8s.io/fstype': 'xfs', bytesPerInode: '4096' } })), status.INVALID_ARGUMENT,
      /parameters\.bytesPerInode does not apply to filesystem xfs/);
    const xfsCap = { ...mountCap, mount: { ...mountCap.mount, fsType: 'xfs' } };
    await expectFailure(() => create(request({ volumeCapabilities: [xfsCap], parameters: { ext4BigAlloc: 'true' } })), status.INVALID_ARGUMENT,
      /parameters\.ext4BigAlloc does not apply to filesystem xfs/);
    await expectFailure(() => create(request({ volumeCapabilities: [xfsCap], parameters: { 'csi.storage.k8s.io/fstype': 'ext4' } })), status.INVALID_ARGUMENT,
      /name different filesystems \(ext4, xfs\)/);
  });

  it('puts no filesystem in the context of a block volume', async () => {
    const res = await create(request({ volumeCapabilities: [blockCap()] }));
    assert.deepEqual(res.volume?.volumeContext, {});
  });

  it('refuses bad parameters before asking EC2 anything', async () => {
    await expectFailure(() => create(request({ parameters: { iops: '3000', iopsPerGB: '10' } })), status.INVALID_ARGUMENT, /exclude each other/);
    await expectFailure(() => create(request({ parameters: { colour: 'blue' } })), status.INVALID_ARGUMENT, /unknown parameter "colour"/);
    await expectFailure(() => create(request({ parameters: { tagSpecification_1: 'CSIVolumeName=mine' } })), status.INVALID_ARGUMENT, /reserved for the driver/);
    await expectFailure(() => create(request({ capacityRange: { requiredBytes: 70_000 * GiB, limitBytes: 0 } })), status.OUT_OF_RANGE, /1–65536 GiB/);
    assert.equal(cloud.calls.length, 0);
  });

  it('chooses a zone from the region when the request has no topology', async () => {
    await create(request({ accessibilityRequirements: null }));
    assert.match(lastOptions().availabilityZone, /^us-east-1[abc]$/);
    assert.equal(cloud.callsTo('availabilityZones').length, 1);
  });

  it('restores from a snapshot: at least its size, with its id and the initialization rate', async () => {
    cloud.snapshots.set('snap-0123456789abcdef0', {
      snapshotId: 'snap-0123456789abcdef0', sourceVolumeId: 'vol-0123456789abcdef0', sizeGiB: 50, state: 'completed', creationTime: new Date(), tags: {},
    });
    const res = await create(request({
      capacityRange: null, parameters: { volumeInitializationRate: '150' },
      volumeContentSource: { type: 'snapshot', snapshot: { snapshotId: 'snap-0123456789abcdef0' } },
    }));
    const options = lastOptions();
    assert.equal(options.snapshotId, 'snap-0123456789abcdef0');
    assert.equal(options.capacityGiB, 100);
    assert.equal(options.volumeInitializationRate, 150);
    assert.deepEqual(res.volume?.contentSource, { snapshot: { snapshotId: 'snap-0123456789abcdef0' } });
  });

  it('gives a fresh volume no initialization rate (EC2 takes one only with a snapshot)', async () => {
    await create(request({ parameters: { volumeInitializationRate: '150' } }));
    assert.equal(lastOptions().volumeInitializationRate, undefined);
  });

  it('is NOT_FOUND for a snapshot or a source volume that does not exist', async () => {
    await expectFailure(() => create(request({ volumeContentSource: { type: 'snapshot', snapshot: { snapshotId: 'snap-00000000000000000' } } })),
      status.NOT_FOUND, /source snapshot snap-00000000000000000 does not exist/);
    await expectFailure(() => create(request({ volumeContentSource: { type: 'snapshot', snapshot: { snapshotId: 'fake-snapshot' } } })),
      status.NOT_FOUND, /fake-snapshot/);
    await expectFailure(() => create(request({ volumeContentSource: { type: 'volume', volume: { volumeId: 'vol-0123456789abcdef0' } } })),
      status.NOT_FOUND, /source volume vol-0123456789abcdef0 does not exist/);
    await expectFailure(() => create(request({ volumeContentSource: { type: 'volume', volume: { volumeId: 'fake-volume-id' } } })),
      status.NOT_FOUND, /source volume fake-volume-id does not exist/);
    await expectFailure(() => create(request({ volumeContentSource: { type: 'volume', volume: { volumeId: '' } } })),
      status.INVALID_ARGUMENT, /volume_content_source\.volume\.volume_id is required/);
    assert.equal(cloud.callsTo('createDisk').length, 0);
  });

  it('is ALREADY_EXISTS when a repeat names a different source snapshot', async () => {
    await create(request());
    cloud.snapshots.set('snap-0123456789abcdef0', {
      snapshotId: 'snap-0123456789abcdef0', sourceVolumeId: 'vol-0123456789abcdef0', sizeGiB: 5, state: 'completed', creationTime: new Date(), tags: {},
    });
    await expectFailure(() => create(request({ volumeContentSource: { type: 'snapshot', snapshot: { snapshotId: 'snap-0123456789abcdef0' } } })),
      status.ALREADY_EXISTS, /source snapshot is none, requested snap-0123456789abcdef0/);
  });

  describe('cloning a volume', () => {
    const clone = (volumeId: string, overrides: Partial<CreateVolumeRequest__Output> = {}) => request({
      name: 'pvc-clone', volumeContentSource: { type: 'volume', volume: { volumeId } }, ...overrides,
    });
    const sourceOptions = (overrides: Partial<DiskOptions> = {}): DiskOptions => ({
      name: 'pvc-source', capacityGiB: 8, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1b', multiAttach: false,
      tags: { CSIVolumeName: 'pvc-source' }, ...overrides,
    });
    const addSource = (overrides: Partial<DiskOptions> = {}, disk: Partial<Parameters<typeof diskFrom>[1]> = {}) => {
      const source = diskFrom(sourceOptions(overrides), disk);
      cloud.disks.set(source.volumeId, source);
      return source;
    };

    it('copies the source in its zone, at least its size, with the StorageClass\'s type, performance and tags', async () => {
      const source = addSource({ capacityGiB: 20 });
      const res = await create(clone(source.volumeId, {
        capacityRange: { requiredBytes: 20 * GiB, limitBytes: 0 }, accessibilityRequirements: null,
        parameters: { type: 'io2', iops: '4000', 'csi.storage.k8s.io/pvc/name': 'copy' },
      }));
      const options = lastOptions();
      assert.equal(options.sourceVolumeId, source.volumeId);
      assert.equal(options.availabilityZone, 'us-east-1b', 'the source\'s zone, whatever the region offers');
      assert.equal(options.capacityGiB, 20);
      assert.equal(options.volumeType, 'io2');
      assert.equal(options.iops, 4000);
      assert.equal(options.snapshotId, undefined);
      assert.equal(options.tags.CSIVolumeName, 'pvc-clone');
      assert.equal(options.tags['kubernetes.io/created-for/pvc/name'], 'copy');
      assert.equal(options.tags['ebs.csi.aws.com/cluster'], 'true');
      assert.deepEqual(res.volume?.contentSource, { volume: { volumeId: source.volumeId } });
      assert.deepEqual(res.volume?.accessibleTopology, [{ segments: { [ZONE]: 'us-east-1b', 'topology.ebs.csi.aws.com/zone': 'us-east-1b' } }]);
      assert.equal(cloud.callsTo('availabilityZones').length, 0, 'the source fixes the zone: no zone lookup');
    });

    it('is OUT_OF_RANGE, naming the source, when the capacity range is smaller than the source', async () => {
      const source = addSource({ capacityGiB: 20 });
      await expectFailure(() => create(clone(source.volumeId)), status.OUT_OF_RANGE,
        new RegExp(`smaller than the source volume ${source.volumeId} \\(20 GiB\\)`));
      assert.equal(cloud.callsTo('createDisk').length, 0);
    });

    it('is RESOURCE_EXHAUSTED, naming both zones, when the topology excludes the source\'s zone', async () => {
      const source = addSource();
      await expectFailure(() => create(clone(source.volumeId, {
        accessibilityRequirements: { requisite: [{ segments: { [ZONE]: 'us-east-1c' } }], preferred: [{ segments: { [ZONE]: 'us-east-1c' } }] },
      })), status.RESOURCE_EXHAUSTED, /us-east-1b/, /us-east-1c/);
      assert.equal(cloud.callsTo('createDisk').length, 0);
    });

    it('keeps an encrypted source\'s encryption and key unless the StorageClass names another key', async () => {
      const key = 'arn:aws:kms:us-east-1:111122223333:key/source-key';
      const source = addSource({ encrypted: true, kmsKeyId: key });
      await create(clone(source.volumeId));
      assert.equal(lastOptions().encrypted, true);
      assert.equal(lastOptions().kmsKeyId, key);
      await create(clone(source.volumeId, { name: 'pvc-clone-2', parameters: { kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/other' } }));
      assert.equal(lastOptions().kmsKeyId, 'arn:aws:kms:us-east-1:111122223333:key/other');
      const plain = addSource({ name: 'pvc-plain', tags: { CSIVolumeName: 'pvc-plain' } });
      await create(clone(plain.volumeId, { name: 'pvc-clone-3' }));
      assert.equal(lastOptions().encrypted, false);
      assert.equal(lastOptions().kmsKeyId, undefined);
      await create(clone(plain.volumeId, { name: 'pvc-clone-4', parameters: { encrypted: 'true' } }));
      assert.equal(lastOptions().encrypted, true, 'a StorageClass may encrypt the copy of a plain volume');
    });

    it('answers a repeat with the copy it made, and ALREADY_EXISTS when the name was used for another source', async () => {
      const source = addSource();
      const first = await create(clone(source.volumeId));
      const again = await create(clone(source.volumeId));
      assert.equal(again.volume?.volumeId, first.volume?.volumeId);
      assert.equal(cloud.callsTo('createDisk').length, 1);
      const other = addSource({ name: 'pvc-other', tags: { CSIVolumeName: 'pvc-other' } });
      await expectFailure(() => create(clone(other.volumeId)), status.ALREADY_EXISTS,
        new RegExp(`source volume is ${source.volumeId}, requested ${other.volumeId}`));
      await expectFailure(() => create(request({ name: 'pvc-clone' })), status.ALREADY_EXISTS, /source volume is vol-\w+, requested none/);
    });

    it('waits for a source still being created (UNAVAILABLE) and refuses one in error (FAILED_PRECONDITION)', async () => {
      const creating = addSource({}, { state: 'creating' });
      await expectFailure(() => create(clone(creating.volumeId)), status.UNAVAILABLE, new RegExp(`source volume ${creating.volumeId} is still being created`));
      const broken = addSource({ name: 'pvc-broken', tags: { CSIVolumeName: 'pvc-broken' } }, { state: 'error' });
      await expectFailure(() => create(clone(broken.volumeId)), status.FAILED_PRECONDITION, /state "error"/);
      const deleting = addSource({ name: 'pvc-gone', tags: { CSIVolumeName: 'pvc-gone' } }, { state: 'deleting' });
      await expectFailure(() => create(clone(deleting.volumeId)), status.NOT_FOUND, /does not exist/);
      assert.equal(cloud.callsTo('createDisk').length, 0);
    });
  });
});
