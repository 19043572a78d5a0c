import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { parseStorageClass, STORAGE_CLASS_KEYS } from '../../../src/csi/params/storageClass.js';
import { expectFailure } from './expect.js';

const bad = (parameters: Record<string, string>, ...patterns: RegExp[]): Promise<string> =>
  expectFailure(() => parseStorageClass(parameters), status.INVALID_ARGUMENT, ...patterns);

describe('StorageClass parameters', () => {
  it('defaults to an unencrypted gp3 volume with no settings', () => {
    const p = parseStorageClass({});
    assert.equal(p.volumeType, 'gp3');
    assert.equal(p.encrypted, false);
    assert.equal(p.iops, undefined);
    assert.equal(p.throughput, undefined);
    assert.equal(p.fsType, undefined);
    assert.deepEqual(p.formatOptions, {});
    assert.deepEqual(p.userTags, {});
    assert.equal(p.blockAttachUntilInitialized, false);
    assert.equal(parseStorageClass(undefined).volumeType, 'gp3');
  });

  it('reads every documented key', () => {
    const p = parseStorageClass({
      type: 'gp3', iops: '4000', allowAutoIOPSPerGBIncrease: 'true', allowAutoIOPSIncreaseOnModify: 'true',
      throughput: '250', encrypted: 'true', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
      volumeInitializationRate: '200', blockAttachUntilInitialized: 'true', 'csi.storage.k8s.io/fstype': 'ext4',
      blockSize: '4096', inodeSize: '256', bytesPerInode: '16384', numberOfInodes: '1000', ext4BigAlloc: 'true', ext4ClusterSize: '16384',
      ext4EncryptionSupport: 'true', 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'apps', 'csi.storage.k8s.io/pv/name': 'pvc-123',
      tagSpecification_1: 'team=storage',
    });
    assert.equal(p.volumeType, 'gp3');
    assert.equal(p.iops, 4000);
    assert.equal(p.allowAutoIopsPerGBIncrease, true);
    assert.equal(p.allowAutoIopsIncreaseOnModify, true);
    assert.equal(p.throughput, 250);
    assert.equal(p.encrypted, true);
    assert.equal(p.kmsKeyId, 'arn:aws:kms:us-east-1:111122223333:key/abcd');
    assert.equal(p.volumeInitializationRate, 200);
    assert.equal(p.blockAttachUntilInitialized, true);
    assert.equal(p.fsType, 'ext4');
    assert.deepEqual(p.formatOptions, {
      blockSize: '4096', inodeSize: '256', bytesPerInode: '16384', numberOfInodes: '1000', ext4BigAlloc: true, ext4ClusterSize: '16384',
      ext4EncryptionSupport: true,
    });
    assert.equal(p.pvcName, 'data');
    assert.equal(p.pvcNamespace, 'apps');
    assert.equal(p.pvName, 'pvc-123');
    assert.deepEqual(p.userTags, { team: 'storage' });
    assert.equal(parseStorageClass({ type: 'io1', iopsPerGB: '10' }).iopsPerGB, 10);
  });

  it('matches keys case-insensitively', () => {
    const p = parseStorageClass({ TYPE: 'io2', IOPS: '1000', KMSKEYID: 'key-1', 'CSI.Storage.K8s.io/FSType': 'xfs', blocksize: '4096' });
    assert.equal(p.volumeType, 'io2');
    assert.equal(p.iops, 1000);
    assert.equal(p.kmsKeyId, 'key-1');
    assert.equal(p.fsType, 'xfs');
    assert.equal(p.formatOptions.blockSize, '4096');
    assert.equal(parseStorageClass({ type: 'GP2' }).volumeType, 'gp2');
  });

  it('accepts every EBS volume type, passes a newer type name to EC2, and refuses what cannot be a type', async () => {
    for (const type of ['gp2', 'gp3', 'sc1', 'st1', 'standard']) assert.equal(parseStorageClass({ type }).volumeType, type);
    for (const type of ['io1', 'io2']) assert.equal(parseStorageClass({ type, iops: '1000' }).volumeType, type);
    // A type EBS may add later: EC2's answer decides, so performance values go through unchecked.
    const newer = parseStorageClass({ type: 'GP4', iops: '900000', throughput: '9000' });
    assert.deepEqual([newer.volumeType, newer.iops, newer.throughput], ['gp4', 900000, 9000]);
    await bad({ type: 'gp 4' }, /parameters\.type "gp 4"/, /gp2, gp3, io1, io2, sc1, st1, standard/);
    await bad({ type: '' }, /parameters\.type ""/);
  });

  it('refuses an unknown key, naming it and listing the allowed keys', async () => {
    const message = await bad({ type: 'gp3', iopsPerGb: '3', volumeSize: '10' }, /unknown parameter "volumeSize"/);
    for (const key of STORAGE_CLASS_KEYS) assert.ok(message.includes(key), `the message lists ${key}`);
    assert.match(message, /tagSpecification_<N>/);
  });

  it('accepts the provisioner keys and tagSpecification_N, but not other csi.storage.k8s.io keys', async () => {
    parseStorageClass({ 'csi.storage.k8s.io/pvc/name': 'a', 'csi.storage.k8s.io/pvc/namespace': 'b', 'csi.storage.k8s.io/pv/name': 'c', TagSpecification_7: 'k=v' });
    await bad({ 'csi.storage.k8s.io/provisioner-secret-name': 'x' }, /unknown parameter "csi\.storage\.k8s\.io\/provisioner-secret-name"/);
    await bad({ tagSpecification_x: 'k=v' }, /unknown parameter "tagSpecification_x"/);
  });

  it('accepts the reference driver\'s deprecated keys fsType and blockExpress', () => {
    assert.equal(parseStorageClass({ fsType: 'xfs' }).fsType, 'xfs');
    assert.equal(parseStorageClass({ type: 'io2', iops: '100', blockExpress: 'true' }).volumeType, 'io2');
  });

  it('refuses a key given twice in different case', async () => {
    await bad({ type: 'gp3', Type: 'gp2' }, /"type" and "Type"|"Type" and "type"/, /give it once/);
    await bad({ fsType: 'xfs', 'csi.storage.k8s.io/fstype': 'ext4' }, /name the same parameter/);
  });

  it('refuses iops together with iopsPerGB', async () => {
    await bad({ type: 'io1', iops: '1000', iopsPerGB: '10' }, /parameters\.iops and parameters\.iopsPerGB exclude each other/);
  });

  it('refuses iops, iopsPerGB and throughput on types that cannot take them', async () => {
    await bad({ type: 'gp2', iops: '3000' }, /parameters\.iops cannot be set for type gp2/, /gp3, io1, io2/);
    await bad({ type: 'st1', iopsPerGB: '3' }, /parameters\.iopsPerGB cannot be set for type st1/);
    await bad({ type: 'io2', iops: '1000', throughput: '200' }, /parameters\.throughput cannot be set for type io2/, /only gp3/);
  });

  it('checks IOPS and throughput against the type\'s range', async () => {
    await bad({ type: 'gp3', iops: '2000' }, /parameters\.iops 2000 is outside what type gp3 allows \(3000–80000\)/);
    await bad({ type: 'io1', iops: '64001' }, /type io1 allows \(100–64000\)/);
    await bad({ type: 'io2', iops: '256001' }, /type io2 allows \(100–256000\)/);
    await bad({ type: 'gp3', throughput: '100' }, /parameters\.throughput 100 MiB\/s is outside what type gp3 allows \(125–2000 MiB\/s\)/);
    await bad({ type: 'gp3', throughput: '2001' }, /125–2000/);
    // Below the minimum is allowed when the StorageClass asks for the automatic increase.
    assert.equal(parseStorageClass({ type: 'gp3', iops: '2000', allowAutoIOPSPerGBIncrease: 'true' }).iops, 2000);
  });

  it('requires iops or iopsPerGB for io1 and io2', async () => {
    await bad({ type: 'io1' }, /type io1 needs parameters\.iops or parameters\.iopsPerGB/);
    await bad({ type: 'io2' }, /type io2 needs/);
  });

  it('refuses numbers that are not positive whole numbers, naming the key', async () => {
    await bad({ iops: 'fast' }, /parameters\.iops must be a positive whole number of IOPS; got "fast"/);
    await bad({ type: 'io1', iopsPerGB: '0' }, /parameters\.iopsPerGB must be a positive whole number/);
    await bad({ throughput: '125.5' }, /parameters\.throughput/);
    await bad({ iops: '-3000' }, /parameters\.iops/);
  });

  it('reads booleans as "true"/"false" in any case and refuses anything else', async () => {
    assert.equal(parseStorageClass({ encrypted: 'True' }).encrypted, true);
    assert.equal(parseStorageClass({ encrypted: 'FALSE' }).encrypted, false);
    await bad({ encrypted: 'yes' }, /parameters\.encrypted must be "true" or "false"; got "yes"/);
    await bad({ ext4BigAlloc: '1' }, /parameters\.ext4BigAlloc must be "true" or "false"/);
  });

  it('encrypts when a KMS key is given, and refuses a KMS key with encrypted "false"', async () => {
    assert.equal(parseStorageClass({ kmsKeyId: 'alias/ebs' }).encrypted, true);
    await bad({ kmsKeyId: 'alias/ebs', encrypted: 'false' }, /parameters\.kmsKeyId asks for encryption but parameters\.encrypted is "false"/);
  });

  it('checks volumeInitializationRate against 100–300 MiB/s', async () => {
    assert.equal(parseStorageClass({ volumeInitializationRate: '100' }).volumeInitializationRate, 100);
    assert.equal(parseStorageClass({ volumeInitializationRate: '300' }).volumeInitializationRate, 300);
    await bad({ volumeInitializationRate: '99' }, /parameters\.volumeInitializationRate 99 MiB\/s is outside 100–300 MiB\/s/);
    await bad({ volumeInitializationRate: '301' }, /100–300/);
  });

  it('accepts xfs, ext3 and ext4 only as csi.storage.k8s.io/fstype', async () => {
    for (const fs of ['xfs', 'ext3', 'ext4', 'EXT4']) assert.equal(parseStorageClass({ 'csi.storage.k8s.io/fstype': fs }).fsType, fs.toLowerCase());
    await bad({ 'csi.storage.k8s.io/fstype': 'ext2' }, /csi\.storage\.k8s\.io\/fstype "ext2" is not supported; use one of ext4, ext3, xfs/);
    await bad({ 'csi.storage.k8s.io/fstype': 'ntfs' }, /ntfs/);
  });

  it('requires format option values mkfs can take, as the node checks them', async () => {
    await bad({ blockSize: '4k; rm -rf /' }, /parameters\.blockSize must be a positive whole number, optionally with a k, m or g suffix/);
    await bad({ inodeSize: '' }, /parameters\.inodeSize must be a positive whole number/);
    await bad({ inodeSize: 'abc' }, /parameters\.inodeSize must be a positive whole number; got "abc"/);
    await bad({ inodeSize: '4k' }, /parameters\.inodeSize must be a positive whole number/);
    await bad({ bytesPerInode: '0' }, /parameters\.bytesPerInode must be a positive whole number/);
    await bad({ numberOfInodes: '1-6' }, /parameters\.numberOfInodes/);
  });
});

describe('mutable_parameters at creation', () => {
  it('take precedence over the StorageClass values', () => {
    const p = parseStorageClass({ type: 'gp2' }, { type: 'gp3', iops: '5000', Throughput: '300' });
    assert.equal(p.volumeType, 'gp3');
    assert.equal(p.iops, 5000);
    assert.equal(p.throughput, 300);
  });

  it('take the reference\'s older key volumeType for type; type wins when both are given', () => {
    assert.equal(parseStorageClass({ type: 'gp2' }, { volumeType: 'gp3' }).volumeType, 'gp3');
    assert.equal(parseStorageClass({ type: 'gp2' }, { VolumeType: 'sc1', type: 'gp3' }).volumeType, 'gp3');
  });

  it('replace iopsPerGB with iops (and the reverse) instead of conflicting', () => {
    assert.equal(parseStorageClass({ type: 'io1', iopsPerGB: '10' }, { iops: '500' }).iops, 500);
    const p = parseStorageClass({ type: 'io1', iops: '500' }, { iopsPerGB: '20' });
    assert.equal(p.iops, undefined);
    assert.equal(p.iopsPerGB, 20);
  });

  it('add tags that override StorageClass tags of the same key, and ignore tag deletions', () => {
    const p = parseStorageClass({ tagSpecification_1: 'team=a', tagSpecification_2: 'cost=1' }, { tagSpecification_1: 'team=b', tagDeletion_1: 'cost' });
    assert.deepEqual(p.userTags, { team: 'b', cost: '1' });
  });

  it('refuse keys a VolumeAttributesClass may not set', async () => {
    await expectFailure(() => parseStorageClass({}, { encrypted: 'true' }), status.INVALID_ARGUMENT, /unknown mutable parameter "encrypted"/, /type, iops, iopsPerGB, throughput/);
  });
});
