import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeError } from '../../../src/node/errors.js';
import type { Exec, ExecResult } from '../../../src/node/exec.js';
import {
  bindMountArgs, checkMountFlags, filesystemMountOptions, Mounter, mountArgs, readOnlyRemountArgs,
} from '../../../src/node/mounter.js';

describe('mount argument building', () => {
  it('builds mount, bind and read-only remount argv', () => {
    assert.deepEqual(mountArgs('/dev/nvme1n1', '/stage', 'ext4', ['noatime', 'ro']),
      ['-t', 'ext4', '-o', 'noatime,ro', '/dev/nvme1n1', '/stage']);
    assert.deepEqual(mountArgs('/dev/nvme1n1', '/stage', 'ext4', []), ['-t', 'ext4', '/dev/nvme1n1', '/stage']);
    assert.deepEqual(bindMountArgs('/stage', '/target'), ['--bind', '/stage', '/target']);
    assert.deepEqual(readOnlyRemountArgs('/target'), ['-o', 'remount,bind,ro', '/target']);
  });

  it('adds nouuid for xfs and ro when read-only', () => {
    assert.deepEqual(filesystemMountOptions('xfs', ['noatime'], false), ['noatime', 'nouuid']);
    assert.deepEqual(filesystemMountOptions('xfs', ['nouuid'], false), ['nouuid']);
    assert.deepEqual(filesystemMountOptions('ext4', ['rw', 'noatime'], true), ['noatime', 'ro']);
    assert.deepEqual(filesystemMountOptions('ext4', [], false), []);
  });

  it('accepts ordinary flags and drops duplicates', () => {
    assert.deepEqual(checkMountFlags('f', ['noatime', 'data=ordered', 'noatime', 'errors=remount-ro']),
      ['noatime', 'data=ordered', 'errors=remount-ro']);
  });

  it('refuses flags that change the kind of mount or smuggle several options', () => {
    for (const flag of ['bind', 'rbind', 'remount', 'move', 'make-shared']) {
      assert.throws(() => checkMountFlags('volume_capability.mount.mount_flags', [flag]),
        (e: unknown) => e instanceof NodeError && e.kind === 'InvalidArgument' && e.message.includes(`must not contain "${flag}"`));
    }
    for (const flag of ['a,bind', 'two words', '', '--bind', 'x\0y']) {
      assert.throws(() => checkMountFlags('volume_capability.mount.mount_flags', [flag]),
        (e: unknown) => e instanceof NodeError && /mount_flags entries must be single mount options/.test(e.message), JSON.stringify(flag));
    }
  });
});

/** An exec that records calls and lets the test edit a fake mountinfo file. */
function recordingExec(onCall: (command: string, args: readonly string[]) => Promise<void>): { exec: Exec; calls: string[] } {
  const calls: string[] = [];
  const exec: Exec = async (command, args) => {
    calls.push([command, ...args].join(' '));
    await onCall(command, args);
    const result: ExecResult = { stdout: '', stderr: '', exitCode: 0 };
    return result;
  };
  return { exec, calls };
}

describe('Mounter against a fake mount table', () => {
  let dir: string;
  let mountinfo: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ebs-mounter-'));
    mountinfo = join(dir, 'mountinfo');
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  const line = (id: number, mountPoint: string): string => `${id} 1 7:0 / ${mountPoint} rw - ext4 /dev/loop0 rw`;

  it('unmounts every stacked mount at a path and stops when none is left', async () => {
    await writeFile(mountinfo, [line(10, '/t'), line(11, '/t'), line(12, '/other')].join('\n'));
    const { exec, calls } = recordingExec(async (command, args) => {
      if (command !== 'umount') return;
      const lines = (await readFile(mountinfo, 'utf8')).split('\n');
      const last = lines.map((l) => l.split(' ')[4]).lastIndexOf(args[0]);
      lines.splice(last, 1);
      await writeFile(mountinfo, lines.join('\n'));
    });
    assert.equal(await new Mounter(exec, mountinfo).unmountAll('/t'), 2);
    assert.deepEqual(calls, ['umount /t', 'umount /t']);
    assert.equal(await new Mounter(exec, mountinfo).unmountAll('/t'), 0, 'nothing mounted: nothing to do');
  });

  it('turns a busy unmount into InUse and leaves the mount', async () => {
    await writeFile(mountinfo, line(10, '/busy'));
    const exec: Exec = () => Promise.reject(new NodeError('CommandFailed', 'umount /busy failed (exit status 32): umount: /busy: target is busy.'));
    await assert.rejects(new Mounter(exec, mountinfo).unmountAll('/busy'),
      (e: unknown) => e instanceof NodeError && e.kind === 'InUse' && /still in use/.test(e.message));
  });

  it('undoes the bind when the read-only remount fails', async () => {
    const { exec, calls } = recordingExec((_command, args) =>
      args[1] === 'remount,bind,ro' ? Promise.reject(new NodeError('CommandFailed', 'remount failed')) : Promise.resolve());
    await assert.rejects(new Mounter(exec, mountinfo).bind('/stage', '/target', true), /remount failed/);
    assert.deepEqual(calls, ['mount --bind /stage /target', 'mount -o remount,bind,ro /target', 'umount /target']);
  });

  it('removes only empty mount points', async () => {
    const mounter = new Mounter(recordingExec(() => Promise.resolve()).exec, mountinfo);
    await writeFile(join(dir, 'empty-file'), '');
    await mounter.removeMountPoint(join(dir, 'empty-file'));
    await writeFile(join(dir, 'data-file'), 'data');
    await assert.rejects(mounter.removeMountPoint(join(dir, 'data-file')), (e: unknown) => e instanceof NodeError && e.kind === 'InUse');
    assert.equal(await readFile(join(dir, 'data-file'), 'utf8'), 'data');
    await mounter.removeMountPoint(join(dir, 'never-existed'));
  });
});
