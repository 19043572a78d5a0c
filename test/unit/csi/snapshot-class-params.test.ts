// VolumeSnapshotClass parameter parsing: what is accepted, and that bad input is
// INVALID_ARGUMENT with the offending field named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { parseSnapshotClassParameters } from '../../../src/csi/params/snapshotClass.js';
import { expectFailure } from './expect.js';

const now = new Date('2030-01-01T00:00:00Z');
const parse = (p: Record<string, string>): ReturnType<typeof parseSnapshotClassParameters> => parseSnapshotClassParameters(p, now);
const invalid = (p: Record<string, string>, ...patterns: RegExp[]): Promise<string> =>
  expectFailure(() => parse(p), status.INVALID_ARGUMENT, ...patterns);

describe('VolumeSnapshotClass parameters', () => {
  it('gives no tags, zones or lock when empty', () => {
    const { templateData: _data, ...rest } = parse({});
    assert.deepEqual(rest, { userTags: {}, fastRestoreZones: [] });
  });

  it('matches keys case-insensitively and fills tag templates from the snapshotter metadata', () => {
    const p = parse({
      FASTSNAPSHOTRESTOREAVAILABILITYZONES: ' us-east-1a, us-east-1b ,us-east-1a',
      tagSpecification_1: 'team=storage',
      tagSpecification_2: 'origin={{ .VolumeSnapshotNamespace }}/{{ .VolumeSnapshotName }}',
      TagSpecification_3: 'content={{.VolumeSnapshotContentName}}',
      'csi.storage.k8s.io/volumesnapshot/name': 'nightly',
      'csi.storage.k8s.io/volumesnapshot/namespace': 'db',
      'csi.storage.k8s.io/volumesnapshotcontent/name': 'snapcontent-1',
    });
    assert.deepEqual(p.fastRestoreZones, ['us-east-1a', 'us-east-1b']);
    assert.deepEqual(p.userTags, { team: 'storage', origin: 'db/nightly', content: 'snapcontent-1' });
  });

  it('refuses unknown keys, naming the key and the allowed ones', async () => {
    await invalid({ lockDurration: '3' }, /lockDurration/, /lockDuration/, /tagSpecification_<n>/);
  });

  it('refuses tags on reserved keys and unknown template variables', async () => {
    await invalid({ tagSpecification_1: 'CSIVolumeSnapshotName=x' }, /tagSpecification_1/, /reserved/);
    await invalid({ tagSpecification_1: 'a={{ .PVCName }}' }, /tagSpecification_1/, /PVCName/);
    await invalid({ tagSpecification_1: 'novalue' }, /tagSpecification_1/, /key=value/);
    await invalid({ tagSpecification_1: 'a=1', tagSpecification_2: 'a=2' }, /both set tag "a"/);
  });

  it('refuses an empty zone list and a malformed outpost ARN', async () => {
    await invalid({ fastSnapshotRestoreAvailabilityZones: ' , ' }, /fastSnapshotRestoreAvailabilityZones/);
    await invalid({ outpostArn: 'arn:aws:ec2:us-east-1:123:volume/x' }, /outpostArn/);
    assert.equal(parse({ outpostArn: 'arn:aws:outposts:us-east-1:123456789012:outpost/op-0123abcd' }).outpostArn,
      'arn:aws:outposts:us-east-1:123456789012:outpost/op-0123abcd');
  });

  it('parses a governance lock by duration and a compliance lock by date with a cool-off', () => {
    assert.deepEqual(parse({ lockMode: 'Governance', lockDuration: '30' }).lock, { mode: 'governance', durationDays: 30 });
    assert.deepEqual(parse({ lockMode: 'compliance', lockExpirationDate: '2031-06-30T12:00:00Z', lockCoolOffPeriod: '72' }).lock, {
      mode: 'compliance', expirationDate: new Date('2031-06-30T12:00:00Z'), coolOffHours: 72,
    });
  });

  it('refuses lock options out of range or inconsistent, naming the field', async () => {
    await invalid({ lockMode: 'strict', lockDuration: '1' }, /lockMode/, /governance or compliance/);
    await invalid({ lockDuration: '5' }, /lockDuration given without lockMode/);
    await invalid({ lockMode: 'governance' }, /exactly one of lockDuration .* lockExpirationDate/);
    await invalid({ lockMode: 'governance', lockDuration: '1', lockExpirationDate: '2031-01-01T00:00:00Z' }, /exactly one/);
    await invalid({ lockMode: 'governance', lockDuration: '0' }, /lockDuration/, /1 to 36500/);
    await invalid({ lockMode: 'governance', lockDuration: '36501' }, /lockDuration/, /1 to 36500/);
    await invalid({ lockMode: 'governance', lockDuration: '-3' }, /lockDuration/);
    await invalid({ lockMode: 'governance', lockDuration: '2.5' }, /lockDuration/);
    await invalid({ lockMode: 'governance', lockExpirationDate: '2031-01-01' }, /lockExpirationDate/, /RFC 3339/);
    await invalid({ lockMode: 'governance', lockExpirationDate: '2029-12-31T23:59:59Z' }, /lockExpirationDate/, /past/);
    await invalid({ lockMode: 'governance', lockDuration: '3', lockCoolOffPeriod: '1' }, /lockCoolOffPeriod/, /compliance only/);
    await invalid({ lockMode: 'compliance', lockDuration: '3', lockCoolOffPeriod: '73' }, /lockCoolOffPeriod/, /1 to 72/);
    await invalid({ lockMode: 'compliance', lockDuration: '3', lockCoolOffPeriod: '0' }, /lockCoolOffPeriod/);
  });
});
