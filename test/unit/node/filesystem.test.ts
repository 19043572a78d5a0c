import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeError } from '../../../src/node/errors.js';
import type { Exec } from '../../../src/node/exec.js';
import {
  blkidArgs, Filesystems, growCommand, interpretBlkid, notBlank, parseBlkidExport, parseDumpe2fsBytes, parseXfsInfoBytes,
} from '../../../src/node/filesystem.js';

describe('probing with blkid', () => {
  it('asks blkid to read the device itself for TYPE and PTTYPE', () => {
    assert.deepEqual(blkidArgs('/dev/nvme1n1'), ['-p', '-s', 'TYPE', '-s', 'PTTYPE', '-o', 'export', '/dev/nvme1n1']);
  });

  it('reads exit 2 as blank, a TYPE as a filesystem, anything else as data to keep', () => {
    assert.deepEqual(interpretBlkid(2, ''), { kind: 'blank' });
    assert.deepEqual(interpretBlkid(0, 'DEVNAME=/dev/x\nTYPE=xfs\n'), { kind: 'filesystem', fsType: 'xfs' });
    assert.deepEqual(interpretBlkid(0, 'PTTYPE=gpt\n'), { kind: 'other', description: 'a gpt partition table' });
    assert.deepEqual(interpretBlkid(0, 'PTTYPE=dos\nTYPE=ext4\n'), { kind: 'other', description: 'a dos partition table' });
    assert.equal(interpretBlkid(8, '').kind, 'other');
    assert.equal(interpretBlkid(0, 'USAGE=raid\n').kind, 'other');
  });

  it('parses KEY=value lines', () => {
    assert.deepEqual(parseBlkidExport('TYPE=ext4\nUUID=a=b\n\n'), { TYPE: 'ext4', UUID: 'a=b' });
  });

  it('explains a refusal to format', () => {
    const err = notBlank('/dev/x', { kind: 'filesystem', fsType: 'xfs' }, 'ext4');
    assert.equal(err.kind, 'DeviceNotBlank');
    assert.match(err.message, /holds an xfs filesystem, not ext4; refusing to format/);
  });
});

describe('sizes and growth', () => {
  it('reads filesystem sizes from dumpe2fs and xfs_info', () => {
    assert.equal(parseDumpe2fsBytes('Filesystem volume name:   <none>\nBlock count:              26214400\nBlock size:               4096\n'), 26214400 * 4096);
    const xfsInfo = 'meta-data=/dev/loop0 isize=512 agcount=4, agsize=65536 blks\n'
      + '         =                       sectsz=512   attr=2, projid32bit=1\n'
      + 'data     =                       bsize=4096   blocks=262144, imaxpct=25\n';
    assert.equal(parseXfsInfoBytes(xfsInfo), 262144 * 4096);
    assert.throws(() => parseXfsInfoBytes('nothing'), NodeError);
    assert.throws(() => parseDumpe2fsBytes('nothing'), NodeError);
  });

  it('grows ext with resize2fs on the device and xfs with xfs_growfs on the mount point', () => {
    assert.deepEqual(growCommand('ext4', '/dev/x', '/m'), { command: 'resize2fs', args: ['/dev/x'] });
    assert.deepEqual(growCommand('ext3', '/dev/x', '/m'), { command: 'resize2fs', args: ['/dev/x'] });
    assert.deepEqual(growCommand('xfs', '/dev/x', '/m'), { command: 'xfs_growfs', args: ['-d', '/m'] });
    assert.throws(() => growCommand('vfat', '/dev/x', '/m'), (e: unknown) => e instanceof NodeError && e.kind === 'InvalidArgument');
  });

  const fakeExec = (deviceBytes: number, blocks: number, calls: string[]): Exec => (command) => {
    calls.push(command);
    const stdout = command === 'blockdev' ? `${deviceBytes}\n`
      : command === 'dumpe2fs' ? `Block count: ${blocks}\nBlock size: 4096\n` : '';
    return Promise.resolve({ stdout, stderr: '', exitCode: 0 });
  };

  it('grows only when the device is larger than the filesystem', async () => {
    const calls: string[] = [];
    assert.equal(await new Filesystems(fakeExec(4096 * 1000, 1000, calls)).growIfSmaller('ext4', '/dev/x', '/m'), false);
    assert.deepEqual(calls.sort(), ['blockdev', 'dumpe2fs']);
    calls.length = 0;
    assert.equal(await new Filesystems(fakeExec(4096 * 2000, 1000, calls)).growIfSmaller('ext4', '/dev/x', '/m'), true);
    assert.ok(calls.includes('resize2fs'));
  });

  it('does not measure the device again when the caller already has its size', async () => {
    const calls: string[] = [];
    assert.equal(await new Filesystems(fakeExec(0, 1000, calls)).growIfSmaller('ext4', '/dev/x', '/m', 4096 * 2000), true);
    assert.deepEqual(calls.sort(), ['dumpe2fs', 'resize2fs']);
  });

  it('refuses a blockdev answer that is not a size', async () => {
    const exec: Exec = () => Promise.resolve({ stdout: 'oops', stderr: '', exitCode: 0 });
    await assert.rejects(new Filesystems(exec).deviceBytes('/dev/x'), (e: unknown) => e instanceof NodeError && e.kind === 'CommandFailed');
  });
});
