// Where emulated volumes and snapshots keep their bytes: one sparse file each under the
// state directory. Sparse files cost only the blocks written, so a "100 GiB" test volume
// is cheap; copies keep the holes (and share blocks where the filesystem can reflink).
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../src/node/exec.js';

const VOLUME_ID = /^vol-[0-9a-f]{8,32}$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]{8,32}$/;
export const GIB = 1024 ** 3;

export class BackingStore {
  readonly volumesDir: string;
  readonly snapshotsDir: string;

  constructor(readonly root: string) {
    this.volumesDir = join(root, 'volumes');
    this.snapshotsDir = join(root, 'snapshots');
  }

  async init(): Promise<void> {
    await mkdir(this.volumesDir, { recursive: true });
    await mkdir(this.snapshotsDir, { recursive: true });
  }

  volumeFile(volumeId: string): string {
    if (!VOLUME_ID.test(volumeId)) throw new Error(`"${volumeId}" is not an EBS volume id`);
    return join(this.volumesDir, `${volumeId}.img`);
  }

  snapshotFile(snapshotId: string): string {
    if (!SNAPSHOT_ID.test(snapshotId)) throw new Error(`"${snapshotId}" is not an EBS snapshot id`);
    return join(this.snapshotsDir, `${snapshotId}.img`);
  }

  /** Makes sure the volume's file exists and is at least `sizeBytes` long; returns its path. */
  async ensureVolume(volumeId: string, sizeBytes: number): Promise<string> {
    const file = this.volumeFile(volumeId);
    await growFile(file, sizeBytes);
    return file;
  }

  /** Grows the volume's file to `sizeBytes` (never shrinks: EBS cannot shrink either). */
  async growVolume(volumeId: string, sizeBytes: number): Promise<boolean> {
    return growFile(this.volumeFile(volumeId), sizeBytes);
  }

  async volumeSize(volumeId: string): Promise<number | undefined> {
    return (await stat(this.volumeFile(volumeId)).catch(() => undefined))?.size;
  }

  /** Freezes the volume's current bytes as the snapshot (a volume never written gives an empty snapshot). */
  async snapshotVolume(volumeId: string, snapshotId: string): Promise<void> {
    const source = this.volumeFile(volumeId);
    if (!(await stat(source).catch(() => undefined))) return;
    await copySparse(source, this.snapshotFile(snapshotId));
  }

  /** Fills a new volume with the snapshot's bytes, then grows it to the volume's size. */
  async restoreVolume(snapshotId: string, volumeId: string, sizeBytes: number): Promise<void> {
    const source = this.snapshotFile(snapshotId);
    if (await stat(source).catch(() => undefined)) await copySparse(source, this.volumeFile(volumeId));
    await growFile(this.volumeFile(volumeId), sizeBytes);
  }

  /**
   * Fills a new volume with the source volume's current bytes (a volume never written gives
   * a blank copy), then grows it to the copy's size. Reads go through the page cache the
   * source's loop device writes into, so the copy holds every write that reached the device.
   */
  async copyVolume(sourceVolumeId: string, volumeId: string, sizeBytes: number): Promise<void> {
    const source = this.volumeFile(sourceVolumeId);
    if (await stat(source).catch(() => undefined)) await copySparse(source, this.volumeFile(volumeId));
    await growFile(this.volumeFile(volumeId), sizeBytes);
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await rm(this.volumeFile(volumeId), { force: true });
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await rm(this.snapshotFile(snapshotId), { force: true });
  }

  /** Removes files whose volume or snapshot is not in the given sets, and half-made copies; returns their names. */
  async prune(volumeIds: ReadonlySet<string>, snapshotIds: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const [dir, known] of [[this.volumesDir, volumeIds], [this.snapshotsDir, snapshotIds]] as const) {
      for (const name of await readdir(dir)) {
        const id = name.replace(/\.img$/, '');
        if (name.endsWith('.img') && known.has(id)) continue;
        await rm(join(dir, name), { force: true });
        removed.push(name);
      }
    }
    return removed;
  }
}

/** Creates the file if needed and extends it (sparsely) to sizeBytes; true when it changed. */
async function growFile(file: string, sizeBytes: number): Promise<boolean> {
  const handle = await open(file, 'a');
  try {
    const { size } = await handle.stat();
    if (size >= sizeBytes) return false;
    await handle.truncate(sizeBytes);
    return true;
  } finally {
    await handle.close();
  }
}

/** Copies keeping holes, into a temporary name first so a half-made copy is never taken for a whole one. */
async function copySparse(source: string, target: string): Promise<void> {
  const partial = `${target}.partial`;
  await runCommand('cp', ['--reflink=auto', '--sparse=always', source, partial], { timeoutMs: 600_000 });
  await rename(partial, target);
}
