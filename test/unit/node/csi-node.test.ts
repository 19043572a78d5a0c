// The CSI side of the node service that needs no devices: capability
// validation, topology, capabilities and lock keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeLockKeys } from '../../../src/csi/node/index.js';
import { NODE_CAPABILITIES, nodeInfo, topologySegments } from '../../../src/csi/node/info.js';
import { parseOutpostArn } from '../../../src/topology.js';
import { parseCapability } from '../../../src/csi/node/validate.js';
import { CsiError } from '../../../src/errors.js';
import type { VolumeCapability__Output } from '../../../src/generated/csi/v1/VolumeCapability.js';

const capability = (c: Partial<VolumeCapability__Output>): VolumeCapability__Output => ({ accessMode: { mode: 'SINGLE_NODE_WRITER' }, ...c });
const invalidArg = (pattern: RegExp) => (e: unknown): boolean => e instanceof CsiError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message);

describe('volume capability validation', () => {
  it('defaults the filesystem to ext4 and lowercases it', () => {
    assert.deepEqual(parseCapability(capability({ accessType: 'mount', mount: { fsType: '', mountFlags: [], volumeMountGroup: '' } })),
      { kind: 'mount', readOnly: false, fsType: 'ext4', mountFlags: [] });
    assert.equal((parseCapability(capability({ accessType: 'mount', mount: { fsType: 'XFS', mountFlags: [], volumeMountGroup: '' } })) as { fsType: string }).fsType, 'xfs');
  });

  it('treats reader-only access as read-only and allows multi-writer for block only', () => {
    assert.deepEqual(parseCapability(capability({ accessType: 'block', block: {}, accessMode: { mode: 'SINGLE_NODE_READER_ONLY' } })),
      { kind: 'block', readOnly: true });
    assert.deepEqual(parseCapability(capability({ accessType: 'block', block: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } })),
      { kind: 'block', readOnly: false });
    assert.throws(() => parseCapability(capability({ accessType: 'mount', mount: { fsType: 'ext4', mountFlags: [], volumeMountGroup: '' }, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' } })),
      invalidArg(/only supported with access_type block/));
  });

  it('names the field and the allowed values', () => {
    assert.throws(() => parseCapability(null), invalidArg(/^volume_capability is required$/));
    assert.throws(() => parseCapability(capability({})), invalidArg(/volume_capability must set access_type: block or mount/));
    assert.throws(() => parseCapability(capability({ accessType: 'block', block: {}, accessMode: { mode: 'MULTI_NODE_READER_ONLY' } })),
      invalidArg(/volume_capability\.access_mode\.mode must be one of SINGLE_NODE_WRITER, .*; got MULTI_NODE_READER_ONLY/));
    assert.throws(() => parseCapability(capability({ accessType: 'mount', mount: { fsType: 'btrfs', mountFlags: [], volumeMountGroup: '' } })),
      invalidArg(/fs_type must be one of ext4, ext3, xfs; got "btrfs"/));
  });
});

describe('node info', () => {
  const identity = { source: 'imds' as const, instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-west-2b' };

  it('reports the instance id, the limit and the zone under both keys plus the OS', () => {
    assert.deepEqual(nodeInfo(identity, 25), {
      nodeId: 'i-0123456789abcdef0', maxVolumesPerNode: 25,
      accessibleTopology: { segments: {
        'topology.kubernetes.io/zone': 'us-west-2b', 'topology.ebs.csi.aws.com/zone': 'us-west-2b', 'kubernetes.io/os': 'linux',
      } },
    });
  });

  it('adds the Outpost keys from the outpost ARN', () => {
    const arn = 'arn:aws:outposts:us-west-2:123456789012:outpost/op-0abcdef1234567890';
    assert.deepEqual(parseOutpostArn(arn), { partition: 'aws', region: 'us-west-2', account: '123456789012', outpostId: 'op-0abcdef1234567890' });
    const segments = topologySegments({ ...identity, outpostArn: arn }, 'linux');
    assert.equal(segments['topology.ebs.csi.aws.com/outpost-id'], 'op-0abcdef1234567890');
    assert.equal(segments['topology.ebs.csi.aws.com/account-id'], '123456789012');
    assert.equal(parseOutpostArn('arn:aws:ec2:us-west-2:1:instance/i-1'), undefined);
  });

  it('offers stage/unstage, expansion, stats and volume condition', () => {
    assert.deepEqual(NODE_CAPABILITIES.capabilities?.map((c) => c.rpc?.type),
      ['STAGE_UNSTAGE_VOLUME', 'EXPAND_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION']);
  });

  it('claims the volume for every mutating call and nothing for read-only ones', () => {
    const req = { volumeId: 'vol-1' } as Parameters<NonNullable<typeof nodeLockKeys.NodeStageVolume>>[0];
    for (const method of ['NodeStageVolume', 'NodeUnstageVolume', 'NodePublishVolume', 'NodeUnpublishVolume', 'NodeExpandVolume'] as const) {
      const keys = nodeLockKeys[method] as ((r: typeof req) => string[]) | undefined;
      assert.deepEqual(keys?.(req), ['volume:vol-1'], method);
    }
    assert.equal(nodeLockKeys.NodeGetVolumeStats, undefined);
  });
});
