import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ebsCardCount, instanceLimit, maxVolumesPerNode } from '../../../src/metadata/attach-limits.js';

describe('instance attachment limits', () => {
  it('knows shared Nitro, dedicated and Xen types', () => {
    assert.deepEqual(instanceLimit('m5.large'), { kind: 'shared', limit: 27, ebsCards: 1 });
    assert.deepEqual(instanceLimit('m5.metal'), { kind: 'shared', limit: 31, ebsCards: 1 });
    assert.deepEqual(instanceLimit('m7i.large'), { kind: 'dedicated', limit: 32, ebsCards: 1 });
    assert.equal(instanceLimit('m7i.16xlarge').limit, 48);
    assert.equal(instanceLimit('c7i.48xlarge').limit, 128);
    assert.deepEqual(instanceLimit('t2.micro'), { kind: 'dedicated', limit: 39, ebsCards: 1 });
  });

  it('counts NVMe instance-store disks against shared limits', () => {
    assert.equal(instanceLimit('m5d.large').limit, 26);
    assert.equal(instanceLimit('m5d.24xlarge').limit, 23);
    assert.equal(instanceLimit('m5.24xlarge').limit, 27);
  });

  it('knows EBS card counts', () => {
    assert.equal(ebsCardCount('c8gn.48xlarge'), 2);
    assert.equal(ebsCardCount('m5.large'), 1);
    assert.equal(ebsCardCount(undefined), 1);
  });

  it('falls back to the common shared limit for unknown or missing types', () => {
    assert.deepEqual(instanceLimit(undefined), { kind: 'shared', limit: 27, ebsCards: 1 });
    assert.deepEqual(instanceLimit('zz99.huge'), { kind: 'shared', limit: 27, ebsCards: 1 });
    assert.deepEqual(instanceLimit('__proto__'), { kind: 'shared', limit: 27, ebsCards: 1 });
  });
});

describe('max_volumes_per_node', () => {
  it('subtracts interfaces beyond the first, and the root volume, on shared types', () => {
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', networkInterfaces: 1 }), 26);
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', networkInterfaces: 3 }), 24);
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large' }), 26, 'one interface when unknown');
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', networkInterfaces: 1, extraBootVolumes: 2 }), 24);
  });

  it('ignores network interfaces on dedicated types', () => {
    assert.equal(maxVolumesPerNode({ instanceType: 'm7i.large', networkInterfaces: 4 }), 31);
    assert.equal(maxVolumesPerNode({ instanceType: 't2.large', networkInterfaces: 3, extraBootVolumes: 1 }), 37);
  });

  it('lets --reserved-volume-attachments replace the boot volume count', () => {
    assert.equal(maxVolumesPerNode({ instanceType: 'm7i.large', extraBootVolumes: 5, reservedVolumeAttachments: 0 }), 32);
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', reservedVolumeAttachments: 10 }), 17);
  });

  it('lets --volume-attach-limit replace the whole computation', () => {
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', volumeAttachLimit: 3, reservedVolumeAttachments: 10 }), 3);
  });

  it('never answers 0 or less', () => {
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', networkInterfaces: 15, extraBootVolumes: 20 }), 1);
    assert.equal(maxVolumesPerNode({ instanceType: 'g5.48xlarge', networkInterfaces: 12 }), 1);
  });
});
