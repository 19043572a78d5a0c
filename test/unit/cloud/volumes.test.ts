import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Volume } from '@aws-sdk/client-ec2';
import { isCloudError } from '../../../src/cloud/errors.js';
import type { DiskOptions } from '../../../src/cloud/types.js';
import { awsError, fastTuning, makeCloud, newVolumeId, StubEc2, volume, volumesFrom } from './stub-ec2.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const options = (overrides: Partial<DiskOptions> = {}): DiskOptions => ({
  name: 'pvc-1234', capacityGiB: 10, volumeType: 'gp3', encrypted: false, availabilityZone: 'us-east-1a', multiAttach: false,
  tags: { CSIVolumeName: 'pvc-1234', 'ebs.csi.aws.com/cluster': 'true' }, ...overrides,
});

describe('createDisk', () => {
  it('sends the idempotency token, tags and only the parameters that are set', async () => {
    const id = newVolumeId();
    const stub = new StubEc2().on('CreateVolume', () => volume({ VolumeId: id, State: 'available' }));
    const { cloud } = makeCloud(stub);
    const disk = await cloud.createDisk(options());
    assert.equal(disk.volumeId, id);
    assert.equal(stub.count(), 1, 'answered "available": no wait, no Describe');
    const [input] = stub.inputsOf('CreateVolume');
    assert.equal(input?.ClientToken, createHash('sha256').update('pvc-1234').digest('hex'));
    assert.equal(input?.ClientToken?.length, 64);
    assert.deepEqual(input?.TagSpecifications, [{
      ResourceType: 'volume', Tags: [{ Key: 'CSIVolumeName', Value: 'pvc-1234' }, { Key: 'ebs.csi.aws.com/cluster', Value: 'true' }],
    }]);
    assert.equal(input?.Size, 10);
    assert.equal(input?.VolumeType, 'gp3');
    assert.equal(input?.AvailabilityZone, 'us-east-1a');
    assert.equal(input?.MultiAttachEnabled, false);
    for (const absent of ['Iops', 'Throughput', 'KmsKeyId', 'SnapshotId', 'OutpostArn', 'VolumeInitializationRate'] as const) {
      assert.ok(input && !(absent in input), `${absent} must not be sent when unset`);
    }
  });

  it('passes performance, encryption, source and placement options through', async () => {
    const stub = new StubEc2().on('CreateVolume', () => volume({ VolumeId: newVolumeId() }));
    const { cloud } = makeCloud(stub);
    await cloud.createDisk(options({
      volumeType: 'io2', iops: 5000, throughput: 500, kmsKeyId: 'arn:aws:kms:us-east-1:1:key/k', snapshotId: 'snap-0123',
      outpostArn: 'arn:aws:outposts:us-east-1:1:outpost/op-1', multiAttach: true, volumeInitializationRate: 300,
    }));
    const [input] = stub.inputsOf('CreateVolume');
    assert.equal(input?.Iops, 5000);
    assert.equal(input?.Throughput, 500);
    assert.equal(input?.Encrypted, true, 'a KMS key implies encryption');
    assert.equal(input?.KmsKeyId, 'arn:aws:kms:us-east-1:1:key/k');
    assert.equal(input?.SnapshotId, 'snap-0123');
    assert.equal(input?.OutpostArn, 'arn:aws:outposts:us-east-1:1:outpost/op-1');
    assert.equal(input?.MultiAttachEnabled, true);
    assert.equal(input?.VolumeInitializationRate, 300);
  });

  it('waits from creating to available through DescribeVolumes', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('CreateVolume', () => volume({ VolumeId: id, State: 'creating' }))
      .on('DescribeVolumes', (_input, nth) => ({ Volumes: [volume({ VolumeId: id, State: nth < 3 ? 'creating' : 'available' })] }));
    const { cloud } = makeCloud(stub);
    const disk = await cloud.createDisk(options());
    assert.equal(disk.state, 'available');
    assert.equal(stub.count('DescribeVolumes'), 3);
  });

  it('deletes a volume that ends in error and says why', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('CreateVolume', () => volume({ VolumeId: id, State: 'creating' }))
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id, State: 'error' })] }))
      .on('DeleteVolume', () => ({}));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.createDisk(options()), (err: unknown) =>
      isCloudError(err) && err.message.includes(id) && err.message.includes('pvc-1234') && /deleted/.test(err.message));
    assert.deepEqual(stub.inputsOf('DeleteVolume'), [{ VolumeId: id }], 'the failed volume must not leak');
  });

  it('times out when the volume stays creating, without deleting it', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('CreateVolume', () => volume({ VolumeId: id, State: 'creating' }))
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id, State: 'creating' })] }));
    const { cloud } = makeCloud(stub, fastTuning(60));
    await assert.rejects(cloud.createDisk(options()), (err: unknown) =>
      isCloudError(err, 'Timeout') && err.message.includes(id) && /state creating/.test(err.message));
    assert.equal(stub.count('DeleteVolume'), 0, 'the CO retries with the same name and finds it');
  });

  it('takes a new token once after IdempotentParameterMismatch, and reports the mismatch when that fails too', async () => {
    const stub = new StubEc2().on('CreateVolume', () => {
      throw awsError('IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that is already deleted or with different parameters.');
    });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.createDisk(options()), (err: unknown) =>
      isCloudError(err, 'IdempotentParameterMismatch') && err.message.includes('pvc-1234'));
    const tokens = stub.inputsOf('CreateVolume').map((i) => i.ClientToken);
    assert.deepEqual(tokens, [sha256('pvc-1234'), sha256('pvc-1234-2')]);
  });

  it('creates with a new token when the old one is tied to other parameters', async () => {
    const id = newVolumeId();
    const stub = new StubEc2().on('CreateVolume', (_input, nth) => {
      if (nth === 1) throw awsError('IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that is already deleted.');
      return volume({ VolumeId: id });
    });
    const { cloud } = makeCloud(stub);
    assert.equal((await cloud.createDisk(options())).volumeId, id);
    assert.equal(stub.inputsOf('CreateVolume')[1]?.ClientToken, sha256('pvc-1234-2'));
    // The rotation sticks: the next create of the name starts from the new token.
    await cloud.createDisk(options());
    assert.equal(stub.inputsOf('CreateVolume')[2]?.ClientToken, sha256('pvc-1234-2'));
  });

  it('rotates the token after an asynchronous failure, so the name is not blocked while EC2 remembers the old one', async () => {
    const failed = newVolumeId();
    const good = newVolumeId();
    const stub = new StubEc2()
      .on('CreateVolume', (input) => volume({ VolumeId: input.ClientToken === sha256('pvc-1234') ? failed : good, State: 'creating' }))
      .on('DescribeVolumes', (input) => {
        const id = input.Filters?.[0]?.Values?.[0];
        return { Volumes: [volume({ VolumeId: id ?? '', State: id === failed ? 'error' : 'available' })] };
      })
      .on('DeleteVolume', () => ({}));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.createDisk(options()), (err: unknown) => isCloudError(err) && err.message.includes(failed));
    const disk = await cloud.createDisk(options());
    assert.equal(disk.volumeId, good);
    assert.deepEqual(stub.inputsOf('CreateVolume').map((i) => i.ClientToken), [sha256('pvc-1234'), sha256('pvc-1234-2')]);
  });

  it('retries at once with a new token when EC2 replays a volume of the name that is deleted', async () => {
    const dead = newVolumeId();
    const fresh = newVolumeId();
    const stub = new StubEc2().on('CreateVolume', (_input, nth) => (nth === 1
      ? volume({ VolumeId: dead, State: 'deleted', CreateTime: new Date(Date.now() - 3600_000) })
      : volume({ VolumeId: fresh, State: 'available', CreateTime: new Date() })));
    const { cloud } = makeCloud(stub);
    assert.equal((await cloud.createDisk(options())).volumeId, fresh);
    assert.deepEqual(stub.inputsOf('CreateVolume').map((i) => i.ClientToken), [sha256('pvc-1234'), sha256('pvc-1234-2')]);
  });

  it('takes an old answer about a volume EC2 no longer lists for a replay of a dead volume', async () => {
    const dead = newVolumeId();
    const fresh = newVolumeId();
    const stub = new StubEc2()
      .on('CreateVolume', (_input, nth) => (nth === 1
        ? volume({ VolumeId: dead, State: 'creating', CreateTime: new Date(Date.now() - 3 * 3600_000) })
        : volume({ VolumeId: fresh, State: 'creating', CreateTime: new Date() })))
      .on('DescribeVolumes', volumesFrom(() => [volume({ VolumeId: fresh, State: 'available' })]));
    const { cloud } = makeCloud(stub);
    assert.equal((await cloud.createDisk(options())).volumeId, fresh);
    assert.equal(stub.count('CreateVolume'), 2);
  });

  it('does not take a fresh answer about a volume not listed yet for a dead one: it waits', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('CreateVolume', () => volume({ VolumeId: id, State: 'creating', CreateTime: new Date() }))
      .on('DescribeVolumes', (_input, nth) => ({ Volumes: nth < 3 ? [] : [volume({ VolumeId: id, State: 'available' })] }));
    const { cloud } = makeCloud(stub);
    assert.equal((await cloud.createDisk(options())).volumeId, id);
    assert.equal(stub.count('CreateVolume'), 1, 'EC2 lists a new volume a moment late; that is no reason for another');
  });

  it('maps quota errors to VolumeLimitExceeded', async () => {
    const stub = new StubEc2().on('CreateVolume', () => { throw awsError('VolumeLimitExceeded', 'You have exceeded your maximum gp3 storage limit'); });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.createDisk(options()), { kind: 'VolumeLimitExceeded' });
  });
});

describe('createDisk of a copy (CopyVolumes)', () => {
  const source = 'vol-0123456789abcdef0';
  const copy = (overrides: Partial<DiskOptions> = {}) => options({ name: 'pvc-copy', sourceVolumeId: source, ...overrides });

  it('sends the source, size, type, performance, tags and token, and no placement', async () => {
    const id = newVolumeId();
    const stub = new StubEc2().on('CopyVolumes', () => ({ Volumes: [volume({ VolumeId: id, SourceVolumeId: source, State: 'available' })] }));
    const { cloud } = makeCloud(stub);
    const disk = await cloud.createDisk(copy({ volumeType: 'io2', iops: 6000, capacityGiB: 40, multiAttach: true }));
    assert.equal(disk.volumeId, id);
    assert.equal(disk.sourceVolumeId, source);
    assert.equal(stub.count(), 1, 'answered "available": no wait');
    assert.deepEqual(stub.inputsOf('CopyVolumes'), [{
      SourceVolumeId: source, ClientToken: sha256('pvc-copy'), Size: 40, VolumeType: 'io2', MultiAttachEnabled: true, Iops: 6000,
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'CSIVolumeName', Value: 'pvc-1234' }, { Key: 'ebs.csi.aws.com/cluster', Value: 'true' }] }],
    }]);
  });

  it('asks for encryption and the key only when the plan has them', async () => {
    const stub = new StubEc2().on('CopyVolumes', () => ({ Volumes: [volume({ VolumeId: newVolumeId() })] }));
    const { cloud } = makeCloud(stub);
    await cloud.createDisk(copy({ encrypted: true, kmsKeyId: 'arn:aws:kms:us-east-1:1:key/k', throughput: 300 }));
    await cloud.createDisk(copy({ name: 'pvc-copy-2' }));
    const [encrypted, plain] = stub.inputsOf('CopyVolumes');
    assert.equal(encrypted?.Encrypted, true);
    assert.equal(encrypted?.KmsKeyId, 'arn:aws:kms:us-east-1:1:key/k');
    assert.equal(encrypted?.Throughput, 300);
    for (const absent of ['Encrypted', 'KmsKeyId', 'Iops', 'Throughput'] as const) assert.ok(plain && !(absent in plain), `${absent} unset`);
  });

  it('waits until the copy is available', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('CopyVolumes', () => ({ Volumes: [volume({ VolumeId: id, State: 'creating', CreateTime: new Date() })] }))
      .on('DescribeVolumes', (_input, nth) => ({ Volumes: [volume({ VolumeId: id, State: nth < 2 ? 'creating' : 'available' })] }));
    const { cloud } = makeCloud(stub);
    assert.equal((await cloud.createDisk(copy())).state, 'available');
    assert.equal(stub.count('DescribeVolumes'), 2);
  });

  it('reports a missing source as VolumeNotFound naming it, and an answer without the copy as an error', async () => {
    const stub = new StubEc2().on('CopyVolumes', (_input, nth) => {
      if (nth === 1) throw awsError('InvalidVolume.NotFound', `The volume '${source}' does not exist.`);
      return { Volumes: [] };
    });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.createDisk(copy()), (err: unknown) => isCloudError(err, 'VolumeNotFound') && err.message.includes(source));
    await assert.rejects(cloud.createDisk(copy()), /answered without the copy/);
  });
});

describe('deleteDisk', () => {
  it('answers true when deleted and false when unknown', async () => {
    const stub = new StubEc2().on('DeleteVolume', (input) => {
      if (input.VolumeId === 'vol-0aaa') return {};
      throw awsError('InvalidVolume.NotFound', `The volume '${input.VolumeId}' does not exist.`);
    });
    const { cloud } = makeCloud(stub);
    assert.equal(await cloud.deleteDisk('vol-0aaa'), true);
    assert.equal(await cloud.deleteDisk('vol-0bbb'), false);
  });
});

describe('modifyDisk', () => {
  it('waits until the modification is optimizing and reports the target values', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('ModifyVolume', () => ({ VolumeModification: { VolumeId: id, ModificationState: 'modifying', TargetSize: 20 } }))
      .on('DescribeVolumesModifications', (_input, nth) => ({
        VolumesModifications: [{ VolumeId: id, ModificationState: nth < 2 ? 'modifying' : 'optimizing', TargetSize: 20, TargetVolumeType: 'gp3', TargetIops: 3000 }],
      }))
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id, Size: 10 })] }));
    const { cloud } = makeCloud(stub);
    const disk = await cloud.modifyDisk(id, { capacityGiB: 20 });
    assert.equal(disk.capacityGiB, 20, 'the target size, even when Describe still shows the old one');
    assert.deepEqual(stub.inputsOf('ModifyVolume'), [{ VolumeId: id, Size: 20 }]);
    assert.equal(stub.count('DescribeVolumesModifications'), 2);
    assert.deepEqual(stub.inputsOf('DescribeVolumesModifications')[0]?.Filters, [{ Name: 'volume-id', Values: [id] }]);
  });

  it('joins its own earlier modification still in progress instead of failing', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('ModifyVolume', () => { throw awsError('IncorrectModificationState', `Volume ${id} cannot be modified in modification state MODIFYING`); })
      .on('DescribeVolumesModifications', (_input, nth) => ({
        VolumesModifications: [{ VolumeId: id, ModificationState: nth < 3 ? 'modifying' : 'completed', TargetSize: 30 }],
      }))
      .on('DescribeVolumes', () => ({ Volumes: [volume({ VolumeId: id, Size: 30 })] }));
    const { cloud } = makeCloud(stub);
    const disk = await cloud.modifyDisk(id, { capacityGiB: 30 });
    assert.equal(disk.capacityGiB, 30);
    assert.equal(stub.count('ModifyVolume'), 1);
  });

  it('refuses clearly when another modification is in progress', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('ModifyVolume', () => { throw awsError('IncorrectModificationState', `Volume ${id} cannot be modified in modification state OPTIMIZING`); })
      .on('DescribeVolumesModifications', () => ({ VolumesModifications: [{ VolumeId: id, ModificationState: 'optimizing', TargetSize: 15 }] }));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.modifyDisk(id, { capacityGiB: 30 }), (err: unknown) =>
      isCloudError(err, 'ModificationRateExceeded') && err.message.includes(id) && /in progress/.test(err.message));
  });

  it('fails with the reason EC2 gives when the modification fails', async () => {
    const id = newVolumeId();
    const stub = new StubEc2()
      .on('ModifyVolume', () => ({ VolumeModification: { VolumeId: id, ModificationState: 'modifying' } }))
      .on('DescribeVolumesModifications', () => ({ VolumesModifications: [{ VolumeId: id, ModificationState: 'failed', StatusMessage: 'not enough capacity' }] }));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.modifyDisk(id, { iops: 9000 }), (err: unknown) => isCloudError(err) && /not enough capacity/.test(err.message));
  });
});

describe('listDisks', () => {
  const table: Volume[] = Array.from({ length: 7 }, () => volume({ VolumeId: newVolumeId(), Tags: [{ Key: 'ebs.csi.aws.com/cluster', Value: 'true' }] }));

  it('returns at most maxResults even when the server ignores MaxResults', async () => {
    const stub = new StubEc2().on('DescribeVolumes', () => ({ Volumes: table })); // no paging at all, like moto
    const { cloud } = makeCloud(stub);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await cloud.listDisks(3, token);
      assert.ok(page.items.length <= 3, `page of ${page.items.length}`);
      seen.push(...page.items.map((d) => d.volumeId));
      token = page.nextToken;
      pages++;
    } while (token !== undefined && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, table.map((v) => v.VolumeId));
    assert.deepEqual(stub.inputsOf('DescribeVolumes')[0]?.Filters, [{ Name: 'tag:ebs.csi.aws.com/cluster', Values: ['true'] }]);
  });

  it('resumes inside a server page and across server pages', async () => {
    // A server with pages of 4 and its own tokens.
    const stub = new StubEc2().on('DescribeVolumes', (input) => {
      const start = input.NextToken === undefined ? 0 : Number(input.NextToken.replace('srv-', ''));
      const end = Math.min(start + 4, table.length);
      return { Volumes: table.slice(start, end), ...(end < table.length ? { NextToken: `srv-${end}` } : {}) };
    });
    const { cloud } = makeCloud(stub);
    const first = await cloud.listDisks(3);
    const second = await cloud.listDisks(3, first.nextToken);
    const third = await cloud.listDisks(3, second.nextToken);
    assert.deepEqual([first, second, third].map((p) => p.items.length), [3, 3, 1]);
    assert.equal(third.nextToken, undefined);
    assert.deepEqual([...first.items, ...second.items, ...third.items].map((d) => d.volumeId), table.map((v) => v.VolumeId));
    const all = await cloud.listDisks(0);
    assert.equal(all.items.length, 7, 'maxResults 0 means no limit');
    assert.equal(all.nextToken, undefined);
  });

  it('refuses a token it did not issue', async () => {
    const stub = new StubEc2().on('DescribeVolumes', () => ({ Volumes: table }));
    const { cloud } = makeCloud(stub);
    for (const bad of ['garbage', 'ebs1.!!!', `ebs1.${Buffer.from('{"o":-1}').toString('base64url')}`]) {
      await assert.rejects(cloud.listDisks(3, bad), { kind: 'InvalidPaginationToken' });
    }
    assert.equal(stub.count(), 0);
  });

  it('lists snapshots of one source volume, paged the same way', async () => {
    const snaps = Array.from({ length: 5 }, (_, i) => ({ SnapshotId: `snap-0${i}`, VolumeId: 'vol-0src', State: 'completed' as const, VolumeSize: 1 }));
    const stub = new StubEc2().on('DescribeSnapshots', () => ({ Snapshots: snaps }));
    const { cloud } = makeCloud(stub);
    const first = await cloud.listSnapshots({ sourceVolumeId: 'vol-0src' }, 2);
    const rest = await cloud.listSnapshots({ sourceVolumeId: 'vol-0src' }, 0, first.nextToken);
    assert.deepEqual(first.items.map((s) => s.snapshotId), ['snap-00', 'snap-01']);
    assert.deepEqual(rest.items.map((s) => s.snapshotId), ['snap-02', 'snap-03', 'snap-04']);
    const [input] = stub.inputsOf('DescribeSnapshots');
    assert.deepEqual(input?.Filters, [{ Name: 'tag-key', Values: ['CSIVolumeSnapshotName'] }, { Name: 'volume-id', Values: ['vol-0src'] }]);
    assert.deepEqual(input?.OwnerIds, ['self']);
  });
});

describe('tags', () => {
  it('writes and removes tags, skipping empty changes', async () => {
    const stub = new StubEc2().on('CreateTags', () => ({})).on('DeleteTags', () => ({})).on('DescribeVolumes', volumesFrom(() => []));
    const { cloud } = makeCloud(stub);
    await cloud.createTags('vol-0abc', { team: 'a' });
    await cloud.deleteTags('vol-0abc', ['old']);
    await cloud.createTags('vol-0abc', {});
    await cloud.deleteTags('vol-0abc', []);
    assert.deepEqual(stub.inputsOf('CreateTags'), [{ Resources: ['vol-0abc'], Tags: [{ Key: 'team', Value: 'a' }] }]);
    assert.deepEqual(stub.inputsOf('DeleteTags'), [{ Resources: ['vol-0abc'], Tags: [{ Key: 'old' }] }]);
  });
});
