import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { FormatOptions, FsType } from '../../../src/filesystems.js';
import { checkFormatOptions, refuseFormatOptionsForBlock } from '../../../src/csi/params/formatOptions.js';
import { buildVolumeContext } from '../../../src/csi/params/volumeContext.js';
import { expectFailure } from './expect.js';

const every: FormatOptions = {
  blockSize: '4096', inodeSize: '512', bytesPerInode: '8192', numberOfInodes: '100', ext4BigAlloc: true, ext4ClusterSize: '65536',
};

describe('format options per filesystem', () => {
  // [option, ext4, ext3, xfs]: whether each filesystem accepts it.
  const matrix: [keyof FormatOptions, FormatOptions, boolean, boolean, boolean][] = [
    ['blockSize', { blockSize: '4096' }, true, true, true],
    ['inodeSize', { inodeSize: '512' }, true, true, true],
    ['bytesPerInode', { bytesPerInode: '8192' }, true, true, false],
    ['numberOfInodes', { numberOfInodes: '100' }, true, true, false],
    ['ext4BigAlloc', { ext4BigAlloc: true }, true, false, false],
    ['ext4ClusterSize', { ext4BigAlloc: true, ext4ClusterSize: '65536' }, true, false, false],
  ];
  for (const [name, options, ext4, ext3, xfs] of matrix) {
    for (const [fs, accepted] of [['ext4', ext4], ['ext3', ext3], ['xfs', xfs]] as [FsType, boolean][]) {
      it(`${fs} ${accepted ? 'accepts' : 'refuses'} ${name}`, async () => {
        if (accepted) {
          checkFormatOptions(options, fs);
        } else {
          await expectFailure(() => checkFormatOptions(options, fs), status.INVALID_ARGUMENT,
            new RegExp(`parameters\\.(${name}|ext4BigAlloc) does not apply to filesystem ${fs}`), new RegExp(`${fs} accepts: blockSize, inodeSize`));
        }
      });
    }
  }

  it('accepts every option on ext4 and treats ext4BigAlloc "false" as not given', () => {
    checkFormatOptions(every, 'ext4');
    checkFormatOptions({ ext4BigAlloc: false }, 'xfs');
  });

  it('needs ext4BigAlloc for ext4ClusterSize', async () => {
    await expectFailure(() => checkFormatOptions({ ext4ClusterSize: '16384' }, 'ext4'), status.INVALID_ARGUMENT,
      /parameters\.ext4ClusterSize needs parameters\.ext4BigAlloc "true"/);
  });

  it('refuses every format option for block volumes, naming them', async () => {
    refuseFormatOptionsForBlock({});
    refuseFormatOptionsForBlock({ ext4BigAlloc: false });
    await expectFailure(() => refuseFormatOptionsForBlock({ blockSize: '4096', inodeSize: '256' }), status.INVALID_ARGUMENT,
      /parameters blockSize, inodeSize format a filesystem/, /raw block volume/);
  });
});

describe('volume context', () => {
  it('carries the filesystem and format options under the reference driver\'s keys', () => {
    assert.deepEqual(buildVolumeContext({ fsType: 'ext4', formatOptions: every, blockAttachUntilInitialized: true }), {
      'csi.storage.k8s.io/fstype': 'ext4', blocksize: '4096', inodesize: '512', bytesperinode: '8192', numberofinodes: '100',
      ext4bigalloc: 'true', ext4clustersize: '65536', blockattachuntilinitialized: 'true',
    });
  });

  it('is empty for a block volume with no options', () => {
    assert.deepEqual(buildVolumeContext({ formatOptions: {}, blockAttachUntilInitialized: false }), {});
  });
});
