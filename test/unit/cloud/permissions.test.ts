import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verdictOf } from '../../../src/cloud/ec2/permissions.js';
import { CloudError } from '../../../src/cloud/errors.js';
import { projectRoot } from '../../support/moto.js';
import { awsError, callsCounted, makeCloud, StubEc2, unparsableServerError, type Action } from './stub-ec2.js';

const ACTIONS: readonly Action[] = [
  'DescribeVolumes', 'DescribeInstances', 'DescribeInstanceTypes', 'DescribeAvailabilityZones', 'DescribeSnapshots', 'DescribeVolumesModifications',
  'DescribeVolumeStatus', 'CreateVolume', 'DeleteVolume', 'AttachVolume', 'DetachVolume', 'ModifyVolume', 'CreateSnapshot', 'DeleteSnapshot',
  'CreateTags', 'DeleteTags', 'EnableFastSnapshotRestores', 'LockSnapshot', 'CopyVolumes',
];

/**
 * A stub answering every DryRun with `answer(action)`; the lookups that are no DryRun (the
 * zones, one of the driver's volumes) succeed, the latter with `driverVolumes`.
 */
function dryRunStub(answer: (action: Action) => Error | undefined, driverVolumes: string[] = []): StubEc2 {
  const stub = new StubEc2();
  for (const action of ACTIONS) {
    stub.on(action, (input: { DryRun?: boolean }) => {
      if (action === 'DescribeAvailabilityZones' && !input.DryRun) {
        return { AvailabilityZones: [{ ZoneName: 'us-east-1a', ZoneId: 'use1-az6', ZoneType: 'availability-zone', State: 'available' }] };
      }
      if (action === 'DescribeVolumes' && !input.DryRun) return { Volumes: driverVolumes.map((VolumeId) => ({ VolumeId, State: 'in-use' as const })) };
      assert.equal(input.DryRun, true, `${action} probe must be a DryRun`);
      const err = answer(action);
      if (err) throw err;
      return {};
    });
  }
  return stub;
}

describe('DryRun verdicts', () => {
  it('classifies the answers', () => {
    assert.equal(verdictOf(new CloudError('Unknown', 'x', 'DryRunOperation')), 'granted');
    assert.equal(verdictOf(new CloudError('Unauthorized', 'x', 'UnauthorizedOperation')), 'missing');
    assert.equal(verdictOf(new CloudError('Unauthorized', 'x', 'AuthFailure')), 'unknown');
    assert.equal(verdictOf(new CloudError('VolumeNotFound', 'x', 'InvalidVolume.NotFound')), 'unknown');
    assert.equal(verdictOf(new Error('socket hang up')), 'unknown');
    assert.equal(verdictOf(undefined), 'granted');
  });
});

describe('missingPermissions', () => {
  it('fails, naming the cause, when no probe gets an answer (bad credentials, no network): that is no pass', async () => {
    const stub = dryRunStub(() => awsError('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.missingPermissions(), /no EC2 permission probe got an answer .*validate the provided access credentials/);
  });

  it('probes every needed action once, as DryRun, and finds none missing when all are granted', async () => {
    const stub = dryRunStub(() => awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.'));
    const { cloud, metrics } = makeCloud(stub);
    assert.deepEqual(await cloud.missingPermissions(), []);
    for (const action of ACTIONS) {
      const probes = stub.inputsOf(action).filter((i) => i.DryRun === true);
      assert.equal(probes.length, 1, action);
    }
    assert.equal(stub.inputsOf('DescribeVolumes').filter((i) => !i.DryRun).length, 1, 'one look for a volume of the driver to copy');
    assert.equal(await callsCounted(metrics, 'CreateVolume', 'dry_run'), 1);
    assert.equal(stub.inputsOf('CreateVolume')[0]?.AvailabilityZone, 'us-east-1a');
    assert.deepEqual(stub.inputsOf('EnableFastSnapshotRestores')[0]?.AvailabilityZones, ['us-east-1a']);
  });

  it('reads nothing even where DryRun is ignored: every listing probe filters on a nonexistent id', async () => {
    const stub = dryRunStub(() => awsError('DryRunOperation', 'ok'));
    const { cloud } = makeCloud(stub);
    await cloud.missingPermissions();
    const listings = ['DescribeVolumes', 'DescribeInstances', 'DescribeSnapshots', 'DescribeVolumesModifications', 'DescribeVolumeStatus'] as const;
    for (const action of listings) {
      const [probe] = stub.inputsOf(action).filter((i) => i.DryRun === true) as { Filters?: { Name?: string; Values?: string[] }[] }[];
      const filter = probe?.Filters?.[0];
      assert.ok(filter?.Name?.endsWith('-id') && filter.Values?.every((v) => /-0+$/.test(v)), `${action} filters on an id that cannot exist: ${JSON.stringify(probe)}`);
    }
  });

  it('counts an action the endpoint lacks as inconclusive, after a single attempt', async () => {
    const lacking = new Set<Action>(['DescribeVolumeStatus', 'EnableFastSnapshotRestores', 'LockSnapshot']); // as moto
    const stub = dryRunStub((action) => (lacking.has(action) ? unparsableServerError() : awsError('DryRunOperation', 'ok')));
    const { cloud } = makeCloud(stub);
    assert.deepEqual(await cloud.missingPermissions(), []);
    for (const action of lacking) assert.equal(stub.count(action), 1, `${action} is not retried`);
  });

  it('reports the read, fast-restore and lock probes EC2 refuses outright only for the reads', async () => {
    const stub = dryRunStub((action) => (['DescribeVolumeStatus', 'EnableFastSnapshotRestores', 'LockSnapshot'] as Action[]).includes(action)
      ? awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403)
      : awsError('DryRunOperation', 'ok'));
    const { cloud } = makeCloud(stub);
    // The policy conditions fast restore and lock on the snapshot's tags: a nonexistent snapshot proves nothing.
    assert.deepEqual(await cloud.missingPermissions(), ['DescribeVolumeStatus']);
  });

  it('lists the actions answered with UnauthorizedOperation, and counts other answers as granted', async () => {
    const stub = dryRunStub((action) => {
      if (action === 'CreateSnapshot' || action === 'AttachVolume') return awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
      if (action === 'CreateTags') return awsError('InvalidVolume.NotFound', 'The volume does not exist.');
      if (action === 'DescribeSnapshots') return undefined; // an emulator that ignores DryRun for reads
      return awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
    });
    const { cloud, metrics } = makeCloud(stub);
    assert.deepEqual(await cloud.missingPermissions(), ['AttachVolume', 'CreateSnapshot']);
    const gauge = await metrics.missingPermissions.get();
    assert.deepEqual(gauge.values.map((v) => v.labels.action).sort(), ['AttachVolume', 'CreateSnapshot']);
  });

  it('skips the CreateVolume probe when no zone is known rather than guess one', async () => {
    const stub = dryRunStub(() => awsError('DryRunOperation', 'ok'));
    stub.on('DescribeAvailabilityZones', () => { throw awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403); });
    const { cloud } = makeCloud(stub);
    assert.deepEqual(await cloud.missingPermissions(), ['DescribeAvailabilityZones']);
    assert.equal(stub.count('CreateVolume'), 0);
    assert.equal(stub.count('EnableFastSnapshotRestores'), 0, 'it needs a zone as well');
  });

  it('sends the driver\'s request tags on the create probes, so tag-conditioned policies allow them', async () => {
    const stub = dryRunStub(() => awsError('DryRunOperation', 'ok'));
    const { cloud } = makeCloud(stub);
    await cloud.missingPermissions();
    const volumeTags = stub.inputsOf('CreateVolume')[0]?.TagSpecifications?.[0];
    assert.equal(volumeTags?.ResourceType, 'volume');
    assert.deepEqual(volumeTags?.Tags?.map((t) => t.Key).sort(), ['CSIVolumeName', 'ebs.csi.aws.com/cluster']);
    const snapshotTags = stub.inputsOf('CreateSnapshot')[0]?.TagSpecifications?.[0];
    assert.equal(snapshotTags?.ResourceType, 'snapshot');
    assert.deepEqual(snapshotTags?.Tags?.map((t) => t.Key).sort(), ['CSIVolumeSnapshotName', 'ebs.csi.aws.com/cluster']);
  });

  it('does not report actions a least-privilege policy refuses only for lack of resource tags', async () => {
    // The policy in docs/iam-policy.json allows these only on resources carrying the driver's
    // tags; the probes target resources that do not exist, so EC2 refuses them either way.
    const conditioned = new Set<Action>([
      'DeleteVolume', 'DeleteSnapshot', 'CreateTags', 'DeleteTags', 'EnableFastSnapshotRestores', 'LockSnapshot', 'ModifyVolume',
    ]);
    const stub = dryRunStub((action) => conditioned.has(action)
      ? awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403)
      : awsError('DryRunOperation', 'ok'));
    const { cloud } = makeCloud(stub);
    assert.deepEqual(await cloud.missingPermissions(), ['ModifyVolume'], 'ModifyVolume is not tag-conditioned: a refusal means it is missing');
  });

  it('copies one of the driver\'s own volumes in the CopyVolumes probe, so a refusal there is a verdict', async () => {
    const refuseCopy = (action: Action) => (action === 'CopyVolumes'
      ? awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403)
      : awsError('DryRunOperation', 'ok'));
    const withVolume = dryRunStub(refuseCopy, ['vol-0aaaaaaaaaaaaaaaa']);
    assert.deepEqual(await makeCloud(withVolume).cloud.missingPermissions(), ['CopyVolumes']);
    const probe = withVolume.inputsOf('CopyVolumes')[0];
    assert.equal(probe?.SourceVolumeId, 'vol-0aaaaaaaaaaaaaaaa');
    assert.deepEqual(probe?.TagSpecifications?.[0]?.Tags?.map((t) => t.Key).sort(), ['CSIVolumeName', 'ebs.csi.aws.com/cluster']);
    assert.deepEqual(withVolume.inputsOf('DescribeVolumes').find((i) => !i.DryRun)?.Filters,
      [{ Name: 'tag:ebs.csi.aws.com/cluster', Values: ['true'] }]);
    // Without a volume of its own the probe copies a nonexistent one, which a tag-conditioned policy refuses anyway.
    const without = dryRunStub(refuseCopy);
    assert.deepEqual(await makeCloud(without).cloud.missingPermissions(), []);
  });

  it('probes only actions docs/iam-policy.json grants', async () => {
    const policy = JSON.parse(readFileSync(join(projectRoot, 'docs/iam-policy.json'), 'utf8')) as { Statement: { Action: string | string[] }[] };
    const granted = new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    const stub = dryRunStub(() => awsError('DryRunOperation', 'ok'));
    await makeCloud(stub).cloud.missingPermissions();
    const probed = [...new Set(stub.calls.map((c) => c.action))];
    assert.deepEqual(probed.filter((a) => !granted.has(`ec2:${a}`)), [], 'every action the driver calls must be in the policy');
    assert.ok(probed.includes('CopyVolumes'));
  });
});
