// Reads the kernel's own table of mounts (/proc/self/mountinfo) instead of running
// mount(8) or findmnt: one file read, exact device numbers, and no output format to
// guess at. Format per proc(5):
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  readonly mountId: number;
  readonly parentId: number;
  /** "major:minor" of the mounted filesystem's device (e.g. "7:0"). */
  readonly device: string;
  /** The directory inside the filesystem that is mounted ("/" unless a bind of a subtree). */
  readonly root: string;
  readonly mountPoint: string;
  /** Per-mount options (ro/rw, nosuid, …): a bind mount can differ from its source here. */
  readonly mountOptions: readonly string[];
  readonly fsType: string;
  readonly source: string;
  /** Per-superblock options: shared by every mount of the filesystem. */
  readonly superOptions: readonly string[];
}

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

/** Undoes the octal escapes the kernel applies to space, tab, newline and backslash. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses one line; undefined for a line that does not have the documented shape. */
export function parseMountInfoLine(line: string): MountEntry | undefined {
  const fields = line.trim().split(' ');
  const separator = fields.indexOf('-', 6);
  if (fields.length < 10 || separator < 0 || fields.length < separator + 3) return undefined;
  const [id, parent, device, root, mountPoint, options] = fields;
  if (id === undefined || parent === undefined || device === undefined || root === undefined
      || mountPoint === undefined || options === undefined) return undefined;
  const mountId = Number(id);
  const parentId = Number(parent);
  if (!Number.isInteger(mountId) || !Number.isInteger(parentId) || !/^\d+:\d+$/.test(device)) return undefined;
  return {
    mountId,
    parentId,
    device,
    root: unescapeMountField(root),
    mountPoint: unescapeMountField(mountPoint),
    mountOptions: options.split(','),
    fsType: fields[separator + 1] ?? '',
    source: unescapeMountField(fields[separator + 2] ?? ''),
    superOptions: (fields[separator + 3] ?? '').split(',').filter((o) => o.length > 0),
  };
}

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    const entry = parseMountInfoLine(line);
    if (entry) out.push(entry);
  }
  return out;
}

/** A snapshot of the mount table with the look-ups the node service needs. */
export class MountTable {
  constructor(readonly entries: readonly MountEntry[]) {}

  static async read(path = MOUNTINFO_PATH): Promise<MountTable> {
    return new MountTable(parseMountInfo(await readFile(path, 'utf8')));
  }

  /** The mount visible at exactly this path (the last one wins when mounts are stacked). */
  at(mountPoint: string): MountEntry | undefined {
    let found: MountEntry | undefined;
    for (const e of this.entries) if (e.mountPoint === mountPoint) found = e;
    return found;
  }

  /** How many mounts are stacked at this path (unmount must repeat that many times). */
  countAt(mountPoint: string): number {
    return this.entries.filter((e) => e.mountPoint === mountPoint).length;
  }

  /** Other mounts of the same filesystem subtree (e.g. publish bind mounts of a staging path). */
  bindsOf(entry: MountEntry): MountEntry[] {
    return this.entries.filter((e) => e.mountId !== entry.mountId && e.device === entry.device
      && (e.root === entry.root || e.root.startsWith(entry.root === '/' ? '/' : `${entry.root}/`)));
  }
}

export function isReadOnly(options: readonly string[]): boolean {
  return options.includes('ro');
}
