// "major:minor" of a block device, the form /proc/self/mountinfo and /sys/dev/block use,
// so a device path can be matched against mounts without trusting names or symlinks.
import { stat } from 'node:fs/promises';

/** Splits a Linux dev_t the way glibc's major()/minor() do. */
export function splitDeviceNumber(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** The device number of a block device node (following symlinks); undefined when it is not one. */
export async function blockDeviceNumber(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return s.isBlockDevice() ? splitDeviceNumber(s.rdev) : undefined;
  } catch {
    return undefined;
  }
}
