// Finds and removes every mount that still uses one of our loop devices. Only needed when
// the environment stops or recovers from a crash while the driver still had volumes staged
// or published: a loop device that is still mounted cannot really be detached.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { runCommand } from '../../src/node/exec.js';
import { MountTable, type MountEntry } from '../../src/node/mountinfo.js';

/** "major:minor" of a device node, as /proc/self/mountinfo writes it. */
export async function deviceNumberOf(devicePath: string): Promise<string | undefined> {
  const info = await stat(devicePath).catch(() => undefined);
  if (!info?.isBlockDevice()) return undefined;
  const rdev = info.rdev;
  const major = (rdev >>> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/**
 * Mounts of the loop device: filesystems on it (staging and their bind mounts), and bind
 * mounts of the device node itself (block-mode publish), which mountinfo shows as the
 * /dev filesystem with root "/loopN".
 */
export function mountsOfLoop(table: MountTable, loopDevice: string, deviceNumber: string | undefined): MountEntry[] {
  const nodeRoot = `/${basename(loopDevice)}`;
  return table.entries.filter((e) => (deviceNumber !== undefined && e.device === deviceNumber)
    || ((e.fsType === 'devtmpfs' || e.fsType === 'tmpfs') && e.root === nodeRoot));
}

/** Unmounts every mount of the given loop devices, newest first; returns the mount points removed. */
export async function unmountLoops(loopDevices: readonly string[]): Promise<string[]> {
  if (loopDevices.length === 0) return [];
  const table = await MountTable.read();
  const victims: MountEntry[] = [];
  for (const loop of loopDevices) victims.push(...mountsOfLoop(table, loop, await deviceNumberOf(loop)));
  victims.sort((a, b) => b.mountId - a.mountId);
  const removed: string[] = [];
  for (const mount of victims) {
    const { exitCode } = await runCommand('umount', [mount.mountPoint], { timeoutMs: 60_000, okExitCodes: [1, 32] });
    if (exitCode !== 0) {
      // Busy (an open file): detach it from the tree now; the kernel frees it on last close.
      await runCommand('umount', ['--lazy', mount.mountPoint], { timeoutMs: 60_000, okExitCodes: [1, 32] });
    }
    removed.push(mount.mountPoint);
  }
  return removed;
}
