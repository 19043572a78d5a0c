import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awsErrorCode, isRetryable, outcomeOf, toCloudError } from '../../../src/cloud/ec2/error-codes.js';
import { resolveRegion } from '../../../src/cloud/ec2/api.js';
import { isCloudError, type CloudError } from '../../../src/cloud/errors.js';
import { awsError, callsCounted, makeCloud, StubEc2, unparsableServerError, volume } from './stub-ec2.js';

const networkError = (code: string): Error => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code, $metadata: { attempts: 1 } });

describe('EC2 error classification', () => {
  const cases: ReadonlyArray<[string, CloudError['kind']]> = [
    ['InvalidVolume.NotFound', 'VolumeNotFound'],
    ['InvalidVolumeID.Malformed', 'VolumeNotFound'],
    ['InvalidInstanceID.NotFound', 'InstanceNotFound'],
    ['InvalidSnapshot.NotFound', 'SnapshotNotFound'],
    ['VolumeInUse', 'VolumeInUse'],
    ['IncorrectState', 'IncorrectState'],
    ['InvalidAttachment.NotFound', 'IncorrectState'],
    ['AttachmentLimitExceeded', 'AttachmentLimitExceeded'],
    ['VolumeLimitExceeded', 'VolumeLimitExceeded'],
    ['SnapshotLimitExceeded', 'SnapshotLimitExceeded'],
    ['IdempotentParameterMismatch', 'IdempotentParameterMismatch'],
    ['InvalidParameterValue', 'InvalidParameter'],
    ['InvalidParameterCombination', 'InvalidParameter'],
    ['InvalidZone.NotFound', 'InvalidParameter'],
    ['UnauthorizedOperation', 'Unauthorized'],
    ['AuthFailure', 'Unauthorized'],
    ['RequestLimitExceeded', 'Throttled'],
    ['IncorrectModificationState', 'ModificationRateExceeded'],
    ['VolumeModificationRateExceeded', 'ModificationRateExceeded'],
    ['SomethingNew', 'Unknown'],
  ];
  for (const [code, kind] of cases) {
    it(`maps ${code} to ${kind}, keeping the code and naming the resource`, () => {
      const err = toCloudError(awsError(code, `EC2 text for ${code}`), 'AttachVolume', 'volume vol-1 to instance i-2');
      assert.equal(err.kind, kind);
      assert.equal(err.awsCode, code);
      assert.match(err.message, /AttachVolume of volume vol-1 to instance i-2 failed/);
      assert.match(err.message, new RegExp(`EC2 text for ${code.replace('.', '\\.')}`));
    });
  }

  it('tells which permission is missing', () => {
    const err = toCloudError(awsError('UnauthorizedOperation', 'You are not authorized', 403), 'CreateVolume', 'volume named "pvc-1"');
    assert.match(err.message, /ec2:CreateVolume/);
  });

  it('sorts failures into outcomes and retryability', () => {
    assert.equal(outcomeOf(awsError('RequestLimitExceeded', 'slow down', 503)), 'throttled');
    assert.equal(outcomeOf(awsError('Throttling')), 'throttled');
    assert.equal(outcomeOf(awsError('InternalError', 'oops', 500)), 'server_error');
    assert.equal(outcomeOf(networkError('ECONNRESET')), 'server_error');
    assert.equal(outcomeOf(awsError('InvalidVolume.NotFound')), 'client_error');
    assert.equal(outcomeOf(awsError('DryRunOperation')), 'dry_run');
    assert.ok(isRetryable(awsError('RequestLimitExceeded')));
    assert.ok(isRetryable(awsError('ServiceUnavailable', 'x', 503)));
    assert.ok(isRetryable(networkError('ETIMEDOUT')));
    assert.ok(!isRetryable(awsError('InvalidParameterValue')));
    assert.ok(!isRetryable(awsError('DryRunOperation')));
    assert.ok(!isRetryable(new TypeError('bug')));
    assert.equal(awsErrorCode(networkError('ECONNREFUSED')), 'ECONNREFUSED');
    assert.equal(awsErrorCode('not an error'), undefined);
  });

  it('recognises an action the endpoint lacks, and does not retry it', () => {
    const moto = toCloudError(unparsableServerError(), 'LockSnapshot', 'snapshot snap-1');
    assert.equal(moto.awsCode, 'NotImplemented', 'a code, though the endpoint sent none');
    assert.match(moto.message, /LockSnapshot of snapshot snap-1 failed: the EC2 endpoint does not implement this action/);
    assert.equal(toCloudError(awsError('InternalFailure', 'not yet implemented', 501), 'LockSnapshot').awsCode, 'NotImplemented');
    assert.equal(toCloudError(awsError('InvalidAction', 'no such action'), 'LockSnapshot').awsCode, 'InvalidAction');
    assert.ok(!isRetryable(unparsableServerError()));
    assert.ok(!isRetryable(awsError('InternalFailure', 'not yet implemented', 501)));
    assert.ok(isRetryable(awsError('InternalError', 'oops', 500)), 'EC2\'s own internal error carries a code and is retried');
  });

  it('resolves the region from the option, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    assert.equal(resolveRegion('eu-west-1', { AWS_REGION: 'us-east-1' }), 'eu-west-1');
    assert.equal(resolveRegion(undefined, { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-1' }), 'us-east-2');
    assert.equal(resolveRegion(undefined, { AWS_DEFAULT_REGION: 'us-west-1' }), 'us-west-1');
    assert.equal(resolveRegion('', {}), undefined);
  });
});

describe('EC2 call retries and metrics', () => {
  it('retries a throttled call with backoff and counts each attempt', async () => {
    const stub = new StubEc2().on('DeleteVolume', (_input, nth) => {
      if (nth <= 2) throw awsError('RequestLimitExceeded', 'Request limit exceeded.', 503);
      return {};
    });
    const { cloud, metrics } = makeCloud(stub);
    assert.equal(await cloud.deleteDisk('vol-0abc'), true);
    assert.equal(stub.count('DeleteVolume'), 3);
    assert.equal(await callsCounted(metrics, 'DeleteVolume', 'throttled'), 2);
    assert.equal(await callsCounted(metrics, 'DeleteVolume', 'success'), 1);
    const duration = await metrics.ec2Duration.get();
    const samples = duration.values.find((v) => v.metricName === 'ec2_api_duration_seconds_count' && v.labels.action === 'DeleteVolume');
    assert.equal(samples?.value, 3);
  });

  it('gives up after the retry budget with kind Throttled', async () => {
    const stub = new StubEc2().on('DescribeAvailabilityZones', () => { throw awsError('RequestLimitExceeded', 'Request limit exceeded.', 503); });
    const { cloud, metrics } = makeCloud(stub);
    await assert.rejects(cloud.availabilityZones(), (err: unknown) => isCloudError(err, 'Throttled') && /retry later/.test(err.message));
    assert.equal(stub.count(), 4, 'first attempt + 3 retries of the test policy');
    assert.equal(await callsCounted(metrics, 'DescribeAvailabilityZones', 'throttled'), 4);
  });

  it('retries server and network errors', async () => {
    const stub = new StubEc2().on('DescribeAvailabilityZones', (_input, nth) => {
      if (nth === 1) throw awsError('InternalError', 'We encountered an internal error.', 500);
      if (nth === 2) throw networkError('ECONNRESET');
      return { AvailabilityZones: [{ ZoneName: 'us-east-1a', ZoneId: 'use1-az6', ZoneType: 'availability-zone', State: 'available' as const }] };
    });
    const { cloud, metrics } = makeCloud(stub);
    assert.deepEqual(await cloud.availabilityZones(), [{ name: 'us-east-1a', zoneId: 'use1-az6' }]);
    assert.equal(await callsCounted(metrics, 'DescribeAvailabilityZones', 'server_error'), 2);
  });

  it('does not retry a client error', async () => {
    const stub = new StubEc2().on('DeleteVolume', () => { throw awsError('VolumeInUse', 'Volume vol-0abc is currently attached to i-1'); });
    const { cloud, metrics } = makeCloud(stub);
    await assert.rejects(cloud.deleteDisk('vol-0abc'), (err: unknown) => isCloudError(err, 'VolumeInUse') && /vol-0abc/.test(err.message));
    assert.equal(stub.count('DeleteVolume'), 1);
    assert.equal(await callsCounted(metrics, 'DeleteVolume', 'client_error'), 1);
  });

  it('does not resend CreateSnapshot after a lost answer, but does after throttling', async () => {
    const stub = new StubEc2().on('CreateSnapshot', (_input, nth) => {
      if (nth === 1) throw awsError('RequestLimitExceeded', 'slow down', 503);
      throw networkError('ECONNRESET');
    });
    const { cloud } = makeCloud(stub);
    await assert.rejects(cloud.createSnapshot({ name: 'snap-a', sourceVolumeId: 'vol-01', tags: {} }));
    assert.equal(stub.count('CreateSnapshot'), 2, 'throttled once (retried), then a network error (not retried)');
  });

  it('caches the zones after one successful call', async () => {
    const stub = new StubEc2().on('DescribeAvailabilityZones', () => ({
      AvailabilityZones: [
        { ZoneName: 'us-east-1a', ZoneId: 'use1-az6', ZoneType: 'availability-zone', State: 'available' as const },
        { ZoneName: 'us-east-1-bos-1a', ZoneId: 'use1-bos1-az1', ZoneType: 'local-zone', State: 'available' as const },
      ],
    }));
    const { cloud } = makeCloud(stub);
    const [a, b] = await Promise.all([cloud.availabilityZones(), cloud.availabilityZones()]);
    await cloud.availabilityZones();
    assert.deepEqual(a, [{ name: 'us-east-1a', zoneId: 'use1-az6' }], 'local zones are not provisioning targets');
    assert.equal(a, b);
    assert.equal(stub.count(), 1);
  });

  it('reads volumes into domain disks', async () => {
    const stub = new StubEc2().on('DescribeVolumes', () => ({
      Volumes: [volume({
        VolumeId: 'vol-0feed', Size: 20, Iops: 4000, Throughput: 250, Encrypted: true, KmsKeyId: 'arn:key', SnapshotId: '',
        Attachments: [{ InstanceId: 'i-01', Device: '/dev/xvdaa', State: 'attached' }], Tags: [{ Key: 'CSIVolumeName', Value: 'pvc-x' }],
      })],
    }));
    const { cloud } = makeCloud(stub);
    const disk = await cloud.getDisk('vol-0feed');
    assert.deepEqual(disk, {
      volumeId: 'vol-0feed', capacityGiB: 20, availabilityZone: 'us-east-1a', state: 'available', volumeType: 'gp3', iops: 4000,
      throughput: 250, encrypted: true, kmsKeyId: 'arn:key', multiAttachEnabled: false,
      attachments: [{ instanceId: 'i-01', device: '/dev/xvdaa', state: 'attached' }], tags: { CSIVolumeName: 'pvc-x' },
    });
  });
});
