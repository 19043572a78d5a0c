// VolumeAttributesClass (mutable_parameters) parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { parseModifyParameters } from '../../../src/csi/params/modifyParameters.js';
import { expectFailure } from './expect.js';

const invalid = (p: Record<string, string>, ...patterns: RegExp[]): Promise<string> =>
  expectFailure(() => parseModifyParameters(p), status.INVALID_ARGUMENT, ...patterns);

describe('VolumeAttributesClass parameters', () => {
  it('parses type, iops and throughput case-insensitively', () => {
    assert.deepEqual(parseModifyParameters({ Type: 'IO2', IOPS: '4000', throughput: '250' }), {
      volumeType: 'io2', iops: 4000, throughput: 250, tagsToAdd: {}, tagKeysToDelete: [],
    });
  });

  it('parses iopsPerGB with its auto-increase flag', () => {
    const p = parseModifyParameters({ iopsPerGB: '50', allowAutoIOPSIncreaseOnModify: 'true' });
    assert.equal(p.iopsPerGB, 50);
    assert.equal(p.allowAutoIopsIncrease, true);
  });

  it('parses tag additions with PVC templates and tag deletions', () => {
    const p = parseModifyParameters({
      tagSpecification_1: 'owner={{ .PVCNamespace }}',
      tagDeletion_1: 'obsolete',
      tagDeletion_2: 'obsolete',
      'csi.storage.k8s.io/pvc/namespace': 'shop',
    });
    assert.deepEqual(p.tagsToAdd, { owner: 'shop' });
    assert.deepEqual(p.tagKeysToDelete, ['obsolete']);
  });

  it('refuses unknown keys, naming the key and the allowed ones', async () => {
    await invalid({ iopz: '3000' }, /"iopz"/, /throughput/, /tagDeletion_<n>/);
    await invalid({ encrypted: 'true' }, /"encrypted"/);
  });

  it('refuses bad values, naming the field', async () => {
    await invalid({ type: 'gp 4' }, /type "gp 4"/, /gp3/);
    await invalid({ iops: '-5' }, /iops/, /positive whole number/);
    await invalid({ iops: '0' }, /iops/);
    await invalid({ throughput: '12.5' }, /throughput/);
    await invalid({ iops: '3000', iopsPerGB: '10' }, /iops and iopsPerGB/);
    await invalid({ iopsPerGB: '10', allowAutoIOPSIncreaseOnModify: 'yes' }, /allowAutoIOPSIncreaseOnModify/, /true or false/);
  });

  it('refuses deleting or adding driver-reserved tags, and a key both added and deleted', async () => {
    await invalid({ tagDeletion_1: 'CSIVolumeName' }, /tagDeletion_1/, /reserved/);
    await invalid({ tagDeletion_1: 'kubernetes.io/cluster/x' }, /tagDeletion_1/, /reserved/);
    await invalid({ tagSpecification_1: 'ebs.csi.aws.com/cluster=false' }, /tagSpecification_1/, /reserved/);
    await invalid({ tagSpecification_1: 'a=1', tagDeletion_1: 'a' }, /tagDeletion_1/, /both added/);
    await invalid({ tagSpecification_1: 'a=1', tagSpecification_2: 'a=2' }, /tagSpecification_\d and tagSpecification_\d both set tag "a"/);
  });

  it('refuses a request that changes nothing', async () => {
    await invalid({}, /no change/);
    await invalid({ 'csi.storage.k8s.io/pvc/name': 'data' }, /no change/);
  });
});
