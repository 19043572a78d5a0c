import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeError } from '../../../src/node/errors.js';
import { mkfsCommand, parseFormatOptions } from '../../../src/node/format-options.js';

const invalid = (pattern: RegExp) => (err: unknown): boolean =>
  err instanceof NodeError && err.kind === 'InvalidArgument' && pattern.test(err.message);

describe('format options', () => {
  it('builds plain mkfs commands per filesystem', () => {
    assert.deepEqual(mkfsCommand('ext4', '/dev/nvme1n1', {}), { command: 'mkfs.ext4', args: ['-F', '-m0', '/dev/nvme1n1'] });
    assert.deepEqual(mkfsCommand('ext3', '/dev/nvme1n1', {}), { command: 'mkfs.ext3', args: ['-F', '-m0', '/dev/nvme1n1'] });
    // No -f for xfs: mkfs.xfs must still refuse a device with a signature blkid missed.
    assert.deepEqual(mkfsCommand('xfs', '/dev/nvme1n1', {}), { command: 'mkfs.xfs', args: ['/dev/nvme1n1'] });
  });

  it('maps every ext4 option to its mke2fs flag', () => {
    const options = parseFormatOptions('ext4', {
      blockSize: '4096', inodeSize: '512', bytesPerInode: '16384', numberOfInodes: '100000', ext4BigAlloc: 'true', ext4ClusterSize: '65536',
    });
    assert.deepEqual(mkfsCommand('ext4', '/dev/x', options).args,
      ['-F', '-m0', '-b', '4096', '-I', '512', '-i', '16384', '-N', '100000', '-O', 'bigalloc', '-C', '65536', '/dev/x']);
  });

  it('maps ext4EncryptionSupport to -O encrypt (fscrypt), which only ext4 has', () => {
    const options = parseFormatOptions('ext4', { ext4encryptionsupport: 'true' });
    assert.deepEqual(mkfsCommand('ext4', '/dev/x', options).args, ['-F', '-m0', '-O', 'encrypt', '/dev/x']);
    assert.deepEqual(mkfsCommand('ext4', '/dev/x', parseFormatOptions('ext4', { ext4EncryptionSupport: 'false' })).args, ['-F', '-m0', '/dev/x']);
    assert.throws(() => parseFormatOptions('xfs', { ext4EncryptionSupport: 'true' }), invalid(/ext4EncryptionSupport is not supported for xfs/));
    assert.throws(() => parseFormatOptions('ext3', { ext4EncryptionSupport: 'true' }), invalid(/not supported for ext3/));
  });

  it('formats XFS for old kernels under --legacy-xfs, with the reference\'s options', () => {
    assert.deepEqual(mkfsCommand('xfs', '/dev/x', {}, { legacyXfs: true }).args,
      ['-m', 'bigtime=0,inobtcount=0,reflink=0', '-i', 'nrext64=0', '/dev/x']);
    assert.deepEqual(mkfsCommand('xfs', '/dev/x', { blockSize: '4096', inodeSize: '512' }, { legacyXfs: true }).args,
      ['-b', 'size=4096', '-m', 'bigtime=0,inobtcount=0,reflink=0', '-i', 'size=512,nrext64=0', '/dev/x']);
    assert.deepEqual(mkfsCommand('ext4', '/dev/x', {}, { legacyXfs: true }).args, ['-F', '-m0', '/dev/x'], 'ext4 is not affected');
  });

  it('maps xfs options to mkfs.xfs sub-options', () => {
    const options = parseFormatOptions('xfs', { blockSize: '1024', inodeSize: '512' });
    assert.deepEqual(mkfsCommand('xfs', '/dev/x', options).args, ['-b', 'size=1024', '-i', 'size=512', '/dev/x']);
  });

  it('matches keys case-insensitively and ignores other volume_context keys', () => {
    assert.deepEqual(parseFormatOptions('ext4', { blocksize: '2048', 'csi.storage.k8s.io/fstype': 'ext4' }), { blockSize: '2048' });
    assert.deepEqual(parseFormatOptions('ext4', { BLOCKSIZE: '4k', ext4bigalloc: 'true', ext4clustersize: '64k' }),
      { blockSize: '4k', ext4BigAlloc: true, ext4ClusterSize: '64k' });
    assert.deepEqual(parseFormatOptions('ext4', { ext4BigAlloc: 'false' }), { ext4BigAlloc: false });
  });

  it('refuses options the filesystem does not have, naming the allowed ones', () => {
    assert.throws(() => parseFormatOptions('xfs', { bytesPerInode: '4096' }), invalid(/bytesPerInode is not supported for xfs .*accepts: blockSize, inodeSize/));
    assert.throws(() => parseFormatOptions('xfs', { numberOfInodes: '10' }), invalid(/numberOfInodes is not supported for xfs/));
    assert.throws(() => parseFormatOptions('ext3', { ext4BigAlloc: 'true' }), invalid(/ext4BigAlloc is not supported for ext3/));
  });

  it('refuses values that are not positive whole numbers or booleans', () => {
    for (const bad of ['', '0', '-1', '4kb', '1e3', '4096 ', '12345678901', '$(reboot)', '-b1']) {
      assert.throws(() => parseFormatOptions('ext4', { blockSize: bad }), invalid(/blockSize must be a positive whole number/), bad);
    }
    assert.throws(() => parseFormatOptions('ext4', { inodeSize: '1k' }), invalid(/inodeSize must be a positive whole number; got "1k"/));
    assert.throws(() => parseFormatOptions('ext4', { ext4BigAlloc: 'yes' }), invalid(/ext4BigAlloc must be "true" or "false"/));
  });

  it('needs bigalloc for a cluster size', () => {
    assert.throws(() => parseFormatOptions('ext4', { ext4ClusterSize: '16384' }), invalid(/ext4ClusterSize needs ext4BigAlloc/));
  });
});
