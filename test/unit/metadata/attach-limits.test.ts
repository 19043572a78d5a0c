import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceLimit, maxVolumesPerNode } from '../../../src/metadata/attach-limits.js';

describe('instance attachment limits', () => {
  it('knows shared Nitro, dedicated and Xen types', () => {
    assert.deepEqual(instanceLimit('m5.large'), { kind: 'shared', total: 28, instanceStores: 0 });
    assert.deepEqual(instanceLimit('m5.metal'), { kind: 'shared', total: 32, instanceStores: 0 });
    assert.deepEqual(instanceLimit('m7i.large'), { kind: 'dedicated', total: 32, instanceStores: 0 });
    assert.equal(instanceLimit('m7i.16xlarge').total, 48);
    assert.equal(instanceLimit('r7a.32xlarge').total, 88);
    assert.equal(instanceLimit('c7i.48xlarge').total, 128);
    assert.equal(instanceLimit('m7i.metal-24xl').total, 39);
    assert.equal(instanceLimit('c8gn.48xlarge').total, 64, 'an exception to its family');
    assert.deepEqual(instanceLimit('t2.micro'), { kind: 'dedicated', total: 39, instanceStores: 0 });
    assert.equal(instanceLimit('i3.metal').kind, 'shared', 'i3.metal is Nitro, unlike the rest of i3');
  });

  it('counts NVMe instance stores on "d" families by size', () => {
    assert.equal(instanceLimit('m5d.large').instanceStores, 1);
    assert.equal(instanceLimit('c6id.8xlarge').instanceStores, 2);
    assert.equal(instanceLimit('m5d.24xlarge').instanceStores, 4);
    assert.equal(instanceLimit('m5.24xlarge').instanceStores, 0);
  });

  it('falls back to the common shared limit for unknown or missing types', () => {
    assert.deepEqual(instanceLimit(undefined), { kind: 'shared', total: 28, instanceStores: 0 });
    assert.deepEqual(instanceLimit('zz99.huge'), { kind: 'shared', total: 28, instanceStores: 0 });
    assert.deepEqual(instanceLimit('nodot'), { kind: 'shared', total: 28, instanceStores: 0 });
  });
});

describe('max_volumes_per_node', () => {
  it('subtracts network interfaces, instance stores and the root volume on shared types', () => {
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', networkInterfaces: 1 }), 26);
    assert.equal(maxVolumesPerNode({ instanceType: 'm5.large', networkInterfaces: 3 }), 24);
    assert.equal(maxVolumesPerNode({ instanceType: 'm5d.large', networkInterfaces: 1 }), 25);
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
    assert.equal(maxVolumesPerNode({ instanceType: 'd3.8xlarge', networkInterfaces: 4 }), 1);
  });
});
