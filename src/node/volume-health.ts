// Usage and condition of a published or staged volume. Bytes and inodes come from
// statfs(2) (no program to run); the condition goes beyond the reference driver by
// noticing a device that vanished under its mount and a filesystem that the kernel
// turned read-only after an I/O error.
import { access, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountEntry } from './mountinfo.js';

export interface Usage {
  readonly total: number;
  readonly used: number;
  readonly available: number;
}

export interface FilesystemUsage {
  readonly bytes: Usage;
  readonly inodes: Usage;
}

export interface Condition {
  readonly abnormal: boolean;
  readonly message: string;
}

export async function filesystemUsage(path: string): Promise<FilesystemUsage> {
  const s = await statfs(path);
  return {
    bytes: { total: s.blocks * s.bsize, available: s.bavail * s.bsize, used: (s.blocks - s.bfree) * s.bsize },
    inodes: { total: s.files, available: s.ffree, used: s.files - s.ffree },
  };
}

/**
 * Judges a mount: abnormal when its device is gone from sysfs, or when the filesystem
 * went read-only while the mount itself was made writable (the kernel's errors=remount-ro
 * reaction, which leaves the per-mount flag alone).
 */
export async function mountCondition(entry: MountEntry, sysRoot = '/sys'): Promise<Condition> {
  const [major] = entry.device.split(':');
  // Major 0 is for filesystems without a device (tmpfs, overlay): nothing to vanish.
  if (major !== '0') {
    try {
      await access(join(sysRoot, 'dev', 'block', entry.device));
    } catch {
      return { abnormal: true, message: `the device ${entry.source} (${entry.device}) under ${entry.mountPoint} is gone` };
    }
  }
  // Older kernels flip the superblock to "ro"; newer ext4 keeps "rw" and adds "emergency_ro".
  const flippedReadOnly = entry.superOptions.includes('ro') || entry.superOptions.includes('emergency_ro');
  if (flippedReadOnly && entry.mountOptions.includes('rw')) {
    return { abnormal: true, message: `the ${entry.fsType} filesystem on ${entry.source} went read-only (likely after I/O errors)` };
  }
  return { abnormal: false, message: 'volume is healthy' };
}

/** Condition of a block volume published as a device file. */
export async function blockCondition(deviceNumber: string, sysRoot = '/sys'): Promise<Condition> {
  try {
    await access(join(sysRoot, 'dev', 'block', deviceNumber));
    return { abnormal: false, message: 'volume is healthy' };
  } catch {
    return { abnormal: true, message: `the block device ${deviceNumber} is gone` };
  }
}
