import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Coalescer } from '../../../src/cloud/ec2/coalescer.js';
import { awsError, instance, makeCloud, newVolumeId, StubEc2, volume, volumesFrom } from './stub-ec2.js';

describe('Coalescer', () => {
  it('merges keys asked within the window into one fetch and answers each', async () => {
    const fetched: string[][] = [];
    const co = new Coalescer<number>((keys) => {
      fetched.push([...keys]);
      return Promise.resolve(new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length])));
    }, { windowMs: 5, maxBatch: 500 });
    const answers = await Promise.all([co.get('a'), co.get('bb'), co.get('a'), co.get('missing')]);
    assert.deepEqual(answers, [1, 2, 1, undefined]);
    assert.deepEqual(fetched, [['a', 'bb', 'missing']]);
  });

  it('splits a large batch into chunks of maxBatch', async () => {
    const sizes: number[] = [];
    const co = new Coalescer<string>((keys) => {
      sizes.push(keys.length);
      return Promise.resolve(new Map(keys.map((k) => [k, k])));
    }, { windowMs: 1, maxBatch: 500 });
    const keys = Array.from({ length: 1200 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k) => co.get(k)));
    assert.deepEqual(answers, keys);
    assert.deepEqual(sizes, [500, 500, 200]);
  });

  it('never answers a key from a fetch that started before it was asked', async () => {
    let release: () => void = () => undefined;
    let version = 0;
    const starts: number[] = [];
    const co = new Coalescer<number>(async (keys) => {
      const seen = version;
      starts.push(seen);
      if (starts.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      return new Map(keys.map((k) => [k, seen]));
    }, { windowMs: 1, maxBatch: 500 });
    const first = co.get('x');
    await new Promise((resolve) => setTimeout(resolve, 10));
    version = 1; // the world changes while the first fetch is in flight
    const second = co.get('x');
    release();
    assert.equal(await first, 0);
    assert.equal(await second, 1, 'the later question got a fresh answer');
    assert.equal(starts.length, 2);
  });

  it('runs up to maxInFlight fetches at once; more keys wait for one to finish', async () => {
    const releases: (() => void)[] = [];
    const batches: string[][] = [];
    const co = new Coalescer<string>(async (keys) => {
      batches.push([...keys]);
      await new Promise<void>((resolve) => releases.push(resolve));
      return new Map(keys.map((k) => [k, k]));
    }, { windowMs: 1, maxBatch: 500, maxInFlight: 2 });
    const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));
    const a = co.get('a');
    await tick();
    const b = co.get('b');
    await tick();
    const c = co.get('c');
    const d = co.get('d');
    await tick();
    assert.deepEqual(batches, [['a'], ['b']], 'a slow fetch does not hold up the next key, up to the limit');
    releases[0]?.();
    assert.equal(await a, 'a');
    await tick();
    assert.deepEqual(batches, [['a'], ['b'], ['c', 'd']], 'keys that waited go out together once a fetch ends');
    releases[1]?.();
    releases[2]?.();
    assert.deepEqual(await Promise.all([b, c, d]), ['b', 'c', 'd']);
  });

  it('rejects every waiter of a failed batch, and the next batch works', async () => {
    let calls = 0;
    const co = new Coalescer<string>((keys) => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('boom'));
      return Promise.resolve(new Map(keys.map((k) => [k, 'ok'])));
    }, { windowMs: 1, maxBatch: 500 });
    const results = await Promise.allSettled([co.get('a'), co.get('b')]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(await co.get('a'), 'ok');
  });
});

describe('coalesced lookups of the EC2 cloud', () => {
  it('answers 10 concurrent getDisk with one filtered DescribeVolumes', async () => {
    const ids = Array.from({ length: 10 }, newVolumeId);
    const known = ids.slice(0, 8).map((VolumeId) => volume({ VolumeId }));
    const stub = new StubEc2().on('DescribeVolumes', volumesFrom(() => known));
    const { cloud } = makeCloud(stub);
    const disks = await Promise.all(ids.map((id) => cloud.getDisk(id)));
    assert.equal(stub.count('DescribeVolumes'), 1);
    const [input] = stub.inputsOf('DescribeVolumes');
    assert.deepEqual(input?.Filters, [{ Name: 'volume-id', Values: ids }], 'a filter, so unknown ids do not fail the batch');
    assert.equal(input?.VolumeIds, undefined);
    assert.deepEqual(disks.map((d) => d?.volumeId), [...ids.slice(0, 8), undefined, undefined]);
  });

  it('answers ids that cannot be EC2 ids without any call', async () => {
    const stub = new StubEc2();
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.getDisk('fake-vol-id-123'), undefined);
    assert.equal(await cloud.getDisk('vol-XYZ'), undefined);
    assert.equal(await cloud.getInstance('fake-node-id'), undefined);
    assert.equal(await cloud.getSnapshot('fake-snap'), undefined);
    assert.equal(await cloud.deleteDisk('fake-vol-id-123'), false);
    assert.equal(await cloud.deleteSnapshot('snap-nothex!'), false);
    await cloud.detachDisk('fake-vol-id-123', 'i-0123');
    await assert.rejects(cloud.attachDisk('fake-vol-id-123', 'fake-node'), { kind: 'VolumeNotFound' });
    assert.equal(stub.count(), 0);
  });

  it('follows NextToken across pages of one Describe', async () => {
    const ids = Array.from({ length: 3 }, newVolumeId);
    const stub = new StubEc2().on('DescribeVolumes', (input) => {
      if (input.NextToken === undefined) return { Volumes: [volume({ VolumeId: ids[0] ?? '' })], NextToken: 't1' };
      if (input.NextToken === 't1') return { Volumes: [volume({ VolumeId: ids[1] ?? '' })], NextToken: 't2' };
      return { Volumes: [volume({ VolumeId: ids[2] ?? '' })] };
    });
    const { cloud } = makeCloud(stub);
    const disks = await Promise.all(ids.map((id) => cloud.getDisk(id)));
    assert.deepEqual(disks.map((d) => d?.volumeId), ids);
    assert.equal(stub.count('DescribeVolumes'), 3);
    assert.deepEqual(stub.inputsOf('DescribeVolumes').map((i) => i.NextToken), [undefined, 't1', 't2']);
  });

  it('looks names up by tag, ignoring volumes on their way out', async () => {
    const [live, dying, other] = [newVolumeId(), newVolumeId(), newVolumeId()];
    const table = [
      volume({ VolumeId: dying, State: 'deleting', Tags: [{ Key: 'CSIVolumeName', Value: 'pvc-a' }] }),
      volume({ VolumeId: live, Tags: [{ Key: 'CSIVolumeName', Value: 'pvc-a' }] }),
      volume({ VolumeId: other, Tags: [{ Key: 'CSIVolumeName', Value: 'pvc-b' }] }),
    ];
    const stub = new StubEc2().on('DescribeVolumes', volumesFrom(() => table));
    const { cloud } = makeCloud(stub);
    const [a, b, c] = await Promise.all([cloud.getDiskByName('pvc-a'), cloud.getDiskByName('pvc-b'), cloud.getDiskByName('pvc-c')]);
    assert.equal(a?.volumeId, live);
    assert.equal(b?.volumeId, other);
    assert.equal(c, undefined);
    assert.equal(stub.count('DescribeVolumes'), 1);
    assert.deepEqual(stub.inputsOf('DescribeVolumes')[0]?.Filters, [{ Name: 'tag:CSIVolumeName', Values: ['pvc-a', 'pvc-b', 'pvc-c'] }]);
  });

  it('coalesces instances and snapshots too, and treats terminated instances as gone', async () => {
    const stub = new StubEc2()
      .on('DescribeInstances', () => ({
        Reservations: [{ Instances: [instance('i-0a'), { ...instance('i-0b'), State: { Name: 'terminated' as const, Code: 48 } }] }],
      }))
      .on('DescribeSnapshots', (input) => {
        const ids = input.Filters?.find((f) => f.Name === 'snapshot-id')?.Values ?? [];
        return { Snapshots: ids.filter((id) => id !== 'snap-0dead').map((SnapshotId) => ({ SnapshotId, VolumeId: 'vol-01', State: 'completed', VolumeSize: 3 })) };
      });
    const { cloud } = makeCloud(stub);
    const [a, b, c] = await Promise.all([cloud.getInstance('i-0a'), cloud.getInstance('i-0b'), cloud.getInstance('i-0c')]);
    assert.equal(a?.instanceId, 'i-0a');
    assert.deepEqual(a?.deviceNames, ['/dev/xvda']);
    assert.equal(b, undefined, 'terminated');
    assert.equal(c, undefined, 'unknown');
    const snaps = await Promise.all([cloud.getSnapshot('snap-01'), cloud.getSnapshot('snap-02'), cloud.getSnapshot('snap-0dead')]);
    assert.deepEqual(snaps.map((s) => s?.sizeGiB), [3, 3, undefined]);
    assert.equal(stub.count('DescribeInstances'), 1);
    assert.equal(stub.count('DescribeSnapshots'), 1);
  });

  it('makes 100 concurrent waits cost a handful of Describe calls', async () => {
    const ids = Array.from({ length: 100 }, newVolumeId);
    let describes = 0;
    const stub = new StubEc2()
      .on('CreateVolume', (input) => ({ ...volume({ VolumeId: ids[Number(input.Size)] ?? '' }), State: 'creating' as const }))
      .on('DescribeVolumes', (input) => {
        describes++;
        // Every volume becomes available on the third look.
        const wanted = input.Filters?.[0]?.Values ?? [];
        return { Volumes: wanted.map((VolumeId) => volume({ VolumeId, State: describes >= 3 ? 'available' as const : 'creating' as const })) };
      });
    const { cloud } = makeCloud(stub);
    const disks = await Promise.all(ids.map((_, i) => cloud.createDisk({
      name: `pvc-${i}`, capacityGiB: i, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1a', multiAttach: false, tags: {},
    })));
    assert.ok(disks.every((d) => d.state === 'available'));
    assert.equal(stub.count('CreateVolume'), 100);
    assert.ok(stub.count('DescribeVolumes') <= 6, `${stub.count('DescribeVolumes')} DescribeVolumes for 100 waits`);
  });

  it('fails every lookup of a batch when its Describe fails for good', async () => {
    const stub = new StubEc2().on('DescribeVolumes', () => { throw awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403); });
    const { cloud } = makeCloud(stub);
    const results = await Promise.allSettled([cloud.getDisk('vol-01'), cloud.getDisk('vol-02')]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.match(String(r.status === 'rejected' ? r.reason : ''), /ec2:DescribeVolumes/);
    }
    assert.equal(stub.count('DescribeVolumes'), 1, 'a client error is not retried');
  });
});
