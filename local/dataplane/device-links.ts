// The names under which an attached volume appears, as udev would create them on a Nitro
// instance: /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<hex>, plus the device name
// the attach asked for (/dev/xvdba...). We only ever replace links that point at a loop
// device, never a real file or a link to a real disk, so the host's own devices are safe.
import { lstat, mkdir, readlink, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';

const BY_ID_PREFIX = 'nvme-Amazon_Elastic_Block_Store_';
const VOLUME_ID = /^vol-[0-9a-f]{8,32}$/;
// What EC2 accepts as a Linux device name; anything else is not turned into a path.
const REQUESTED_DEVICE = /^\/dev\/(xvd[a-z]{1,2}|sd[a-z]{1,2}[0-9]?)$/;
const LOOP_TARGET = /^\/dev\/loop\d+$/;

export function byIdLinkPath(devRoot: string, volumeId: string): string {
  if (!VOLUME_ID.test(volumeId)) throw new Error(`"${volumeId}" is not an EBS volume id`);
  return join(devRoot, 'disk', 'by-id', BY_ID_PREFIX + volumeId.replace('-', ''));
}

/** Where the requested device name lives under devRoot, or undefined when the name is not a plain EC2 device name. */
export function requestedLinkPath(devRoot: string, device: string): string | undefined {
  return REQUESTED_DEVICE.test(device) ? join(devRoot, basename(device)) : undefined;
}

async function linkTarget(path: string): Promise<string | undefined | null> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isSymbolicLink()) return null;
  return resolve(dirname(path), await readlink(path));
}

/**
 * Points `path` at `loopDevice` (a relative link, like udev's). Refuses to replace
 * anything that is not a link to a loop device; returns whether the link was made.
 */
export async function linkToLoop(path: string, loopDevice: string): Promise<boolean> {
  const current = await linkTarget(path);
  if (current === null) return false;
  if (current !== undefined) {
    if (current === loopDevice) return true;
    if (!LOOP_TARGET.test(current)) return false;
    await unlink(path);
  }
  await mkdir(dirname(path), { recursive: true });
  await symlink(relative(dirname(path), loopDevice), path);
  return true;
}

/** Removes `path` if it is still a link to `loopDevice` (another attach may have reused the name). */
export async function unlinkIfPointsTo(path: string, loopDevice: string): Promise<void> {
  if (await linkTarget(path) !== loopDevice) return;
  await unlink(path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
}

/** Whether `path` is a link to some loop device (a leftover of ours after a crash, when it is in our records). */
export async function pointsToLoop(path: string): Promise<string | undefined> {
  const current = await linkTarget(path);
  return typeof current === 'string' && LOOP_TARGET.test(current) ? current : undefined;
}
