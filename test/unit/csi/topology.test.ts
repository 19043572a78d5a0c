import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  accessibleTopology, allowedZones, choosePlacement, type TopologyRequirementInput,
} from '../../../src/csi/params/topology.js';
import { expectFailure } from './expect.js';
import { ZONES } from './fakeCloud.js';

const ZONE = 'topology.kubernetes.io/zone';
const LEGACY = 'topology.ebs.csi.aws.com/zone';
const ZONE_ID = 'topology.k8s.aws/zone-id';

function zoneSource() {
  let calls = 0;
  return { source: () => { calls++; return Promise.resolve(ZONES); }, calls: () => calls };
}

const seg = (segments: Record<string, string>) => ({ segments });

describe('zone choice', () => {
  it('takes the first preferred segment naming a zone of the region, asking EC2 for the zones once', async () => {
    const zones = zoneSource();
    const req: TopologyRequirementInput = {
      requisite: [seg({ [ZONE]: 'us-east-1a' }), seg({ [ZONE]: 'us-east-1b' }), seg({ [ZONE]: 'us-east-1c' })],
      preferred: [seg({ 'kubernetes.io/os': 'linux' }), seg({ [ZONE]: 'us-east-1c' }), seg({ [ZONE]: 'us-east-1a' })],
    };
    assert.deepEqual(await choosePlacement(req, zones.source, 'pvc-1'), { availabilityZone: 'us-east-1c' });
    assert.equal(zones.calls(), 1);
  });

  it('falls back to the first requisite segment, and reads the legacy zone key', async () => {
    const zones = zoneSource();
    assert.deepEqual(await choosePlacement({ requisite: [seg({ [LEGACY]: 'us-east-1b' }), seg({ [ZONE]: 'us-east-1a' })] }, zones.source, 'n'),
      { availabilityZone: 'us-east-1b' });
  });

  it('maps topology.k8s.aws/zone-id to the zone name', async () => {
    const zones = zoneSource();
    assert.deepEqual(await choosePlacement({ preferred: [seg({ [ZONE_ID]: 'use1-az2' })] }, zones.source, 'n'), { availabilityZone: 'us-east-1c' });
    assert.equal(zones.calls(), 1);
  });

  it('skips zones the region does not have, and is INVALID_ARGUMENT naming them and the region\'s zones when none is left (finding 4)', async () => {
    const zones = zoneSource();
    assert.deepEqual(await choosePlacement({ preferred: [seg({ [ZONE_ID]: 'usw2-az9' })], requisite: [seg({ [ZONE_ID]: 'use1-az1' })] }, zones.source, 'n'),
      { availabilityZone: 'us-east-1b' });
    assert.deepEqual(await choosePlacement({ preferred: [seg({ [ZONE]: 'mars-1a' })], requisite: [seg({ [ZONE]: 'us-east-1c' })] }, zones.source, 'n'),
      { availabilityZone: 'us-east-1c' });
    await expectFailure(() => choosePlacement({ requisite: [seg({ [ZONE_ID]: 'usw2-az9' })] }, zones.source, 'n'), status.INVALID_ARGUMENT,
      /accessibility_requirements names no zone of this region \(topology\.k8s\.aws\/zone-id=usw2-az9\); this region's zones are us-east-1a \(use1-az6\), us-east-1b/);
    await expectFailure(() => choosePlacement({ requisite: [seg({ [ZONE]: 'mars-1a' })], preferred: [seg({ [ZONE]: 'mars-1a' })] }, zones.source, 'n'),
      status.INVALID_ARGUMENT, /names no zone of this region \(mars-1a, mars-1a\); this region's zones are us-east-1a/);
    // With a source the zone is fixed: a requirement of unknown zones excludes it.
    await expectFailure(() => choosePlacement({ requisite: [seg({ [ZONE]: 'mars-1a' })] }, zones.source, 'n', 'us-east-1a'),
      status.RESOURCE_EXHAUSTED, /the volume source is in zone us-east-1a, which accessibility_requirements exclude \(mars-1a\)/);
  });

  it('leaves a Local Zone of the region to EC2, and a named zone too when the region\'s zones cannot be listed', async () => {
    const zones = zoneSource();
    assert.deepEqual(await choosePlacement({ requisite: [seg({ [ZONE]: 'us-east-1-bos-1a' })] }, zones.source, 'n'), { availabilityZone: 'us-east-1-bos-1a' });
    assert.deepEqual(await choosePlacement({ requisite: [seg({ [ZONE]: 'us-east-1a' })] }, () => Promise.reject(new Error('throttled')), 'n'),
      { availabilityZone: 'us-east-1a' });
  });

  it('is INVALID_ARGUMENT for a segment with none of the keys the driver understands, naming them (finding 4)', async () => {
    const zones = zoneSource();
    await expectFailure(() => choosePlacement({ requisite: [seg({ 'example.com/rack': 'r1' })] }, zones.source, 'n'), status.INVALID_ARGUMENT,
      /accessibility_requirements\.requisite\[0\] has none of the topology keys this driver understands \(topology\.kubernetes\.io\/zone, .*\); got example\.com\/rack/);
    await expectFailure(() => choosePlacement({ preferred: [seg({ [ZONE]: 'us-east-1a' }), seg({ rack: 'r1' })] }, zones.source, 'n'), status.INVALID_ARGUMENT,
      /accessibility_requirements\.preferred\[1\]/);
  });

  it('picks any zone of the region when none is required, the same one for the same name', async () => {
    const zones = zoneSource();
    const names = ZONES.map((z) => z.name);
    const first = await choosePlacement(undefined, zones.source, 'pvc-a');
    assert.ok(names.includes(first.availabilityZone));
    assert.deepEqual(await choosePlacement({ requisite: [seg({ 'kubernetes.io/os': 'linux' })] }, zones.source, 'pvc-a'), first);
    const spread = new Set<string>();
    for (let i = 0; i < 30; i++) spread.add((await choosePlacement(null, zones.source, `pvc-${i}`)).availabilityZone);
    assert.ok(spread.size > 1, 'different names spread over zones');
  });

  it('is UNAVAILABLE when EC2 reports no zones', async () => {
    await expectFailure(() => choosePlacement(null, () => Promise.resolve([]), 'n'), status.UNAVAILABLE, /no availability zones/);
  });

  it('keeps a zone the source requires, and is RESOURCE_EXHAUSTED when the requirement excludes it', async () => {
    const zones = zoneSource();
    assert.deepEqual(await choosePlacement({ requisite: [seg({ [ZONE]: 'us-east-1a' }), seg({ [ZONE]: 'us-east-1b' })] }, zones.source, 'n', 'us-east-1b'),
      { availabilityZone: 'us-east-1b' });
    assert.deepEqual(await choosePlacement(undefined, zones.source, 'n', 'us-east-1c'), { availabilityZone: 'us-east-1c' });
    await expectFailure(() => choosePlacement({ requisite: [seg({ [ZONE]: 'us-east-1a' })] }, zones.source, 'n', 'us-east-1c'), status.RESOURCE_EXHAUSTED,
      /the volume source is in zone us-east-1c, which accessibility_requirements exclude \(us-east-1a\)/);
  });

  it('builds the Outpost ARN from the segment\'s Outpost keys', async () => {
    const zones = zoneSource();
    const outpost = {
      [ZONE]: 'us-east-1a', 'topology.ebs.csi.aws.com/outpost-id': 'op-0123', 'topology.ebs.csi.aws.com/region': 'us-east-1',
      'topology.ebs.csi.aws.com/partition': 'aws', 'topology.ebs.csi.aws.com/account-id': '111122223333',
    };
    assert.deepEqual(await choosePlacement({ requisite: [seg(outpost)] }, zones.source, 'n'),
      { availabilityZone: 'us-east-1a', outpostArn: 'arn:aws:outposts:us-east-1:111122223333:outpost/op-0123' });
    await expectFailure(() => choosePlacement({ requisite: [seg({ [ZONE]: 'us-east-1a', 'topology.ebs.csi.aws.com/outpost-id': 'op-1' })] }, zones.source, 'n'),
      status.INVALID_ARGUMENT, /also needs topology\.ebs\.csi\.aws\.com\/region, topology\.ebs\.csi\.aws\.com\/partition, topology\.ebs\.csi\.aws\.com\/account-id/);
  });

  it('lists every zone a requirement allows, or none when it allows any', async () => {
    const zones = zoneSource();
    assert.equal(await allowedZones(undefined, zones.source), undefined);
    assert.equal(await allowedZones({ requisite: [seg({ 'kubernetes.io/os': 'linux' })] }, zones.source), undefined);
    assert.deepEqual(await allowedZones({ requisite: [seg({ [ZONE]: 'us-east-1a' }), seg({ [ZONE_ID]: 'use1-az1' })], preferred: [seg({ [LEGACY]: 'us-east-1a' })] }, zones.source),
      new Set(['us-east-1a', 'us-east-1b']));
  });
});

describe('accessible topology', () => {
  it('reports the zone under the well-known and the legacy key', () => {
    assert.deepEqual(accessibleTopology({ availabilityZone: 'us-east-1b' }), [{ segments: { [ZONE]: 'us-east-1b', [LEGACY]: 'us-east-1b' } }]);
  });

  it('adds the Outpost keys for a volume on an Outpost', () => {
    assert.deepEqual(accessibleTopology({ availabilityZone: 'us-east-1a', outpostArn: 'arn:aws:outposts:us-east-1:111122223333:outpost/op-0123' }), [{
      segments: {
        [ZONE]: 'us-east-1a', [LEGACY]: 'us-east-1a', 'topology.ebs.csi.aws.com/outpost-id': 'op-0123',
        'topology.ebs.csi.aws.com/region': 'us-east-1', 'topology.ebs.csi.aws.com/partition': 'aws',
        'topology.ebs.csi.aws.com/account-id': '111122223333',
      },
    }]);
  });
});
