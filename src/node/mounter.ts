// mount(8) and umount(8) through the exec wrapper, with the argument building kept in
// pure functions so tests can check it. Unmounts are never lazy or forced: a busy mount
// must fail loudly rather than be detached while a process still writes to it.
import { rmdir, unlink } from 'node:fs/promises';
import { checkCallerWaiting } from '../call-scope.js';
import { NodeError } from './errors.js';
import type { Exec } from './exec.js';
import { MOUNTINFO_PATH, MountTable } from './mountinfo.js';
import { statIfExists } from './paths.js';

// Flags that would change what kind of mount this is, not how it behaves; a request
// carrying them would turn a filesystem mount into a bind, a move or a remount.
const FORBIDDEN_FLAGS = new Set(['bind', 'rbind', 'move', 'remount', 'make-shared', 'make-private', 'make-slave',
  'make-rshared', 'make-rprivate', 'make-rslave', 'make-unbindable', 'make-runbindable']);

/** Checks mount flags from a request; returns them without duplicates. */
export function checkMountFlags(field: string, flags: readonly string[]): string[] {
  const out: string[] = [];
  for (const flag of flags) {
    if (!/^[\w.=:/+@-]+$/.test(flag) || flag.startsWith('-')) {
      throw new NodeError('InvalidArgument',
        `${field} entries must be single mount options (letters, digits and . = : / + @ _ -, no commas or spaces); got ${JSON.stringify(flag)}`);
    }
    if (FORBIDDEN_FLAGS.has(flag)) {
      throw new NodeError('InvalidArgument', `${field} must not contain "${flag}": the driver decides how volumes are mounted`);
    }
    if (!out.includes(flag)) out.push(flag);
  }
  return out;
}

export function mountArgs(source: string, target: string, fsType: string, options: readonly string[]): string[] {
  return ['-t', fsType, ...(options.length > 0 ? ['-o', options.join(',')] : []), source, target];
}

export function bindMountArgs(source: string, target: string): string[] {
  return ['--bind', source, target];
}

export function readOnlyRemountArgs(target: string): string[] {
  return ['-o', 'remount,bind,ro', target];
}

/** The options for mounting a filesystem: the request's flags, plus what the fs type needs. */
export function filesystemMountOptions(fsType: string, flags: readonly string[], readOnly: boolean): string[] {
  const options = [...flags];
  // Volumes restored from a snapshot carry their source's xfs UUID; without nouuid the
  // second of the two could not be mounted on the same node.
  if (fsType === 'xfs' && !options.includes('nouuid')) options.push('nouuid');
  if (readOnly && !options.includes('ro')) options.push('ro');
  return options.filter((o) => !(readOnly && o === 'rw'));
}

export class Mounter {
  constructor(private readonly exec: Exec, private readonly mountInfoPath = MOUNTINFO_PATH) {}

  mounts(): Promise<MountTable> {
    return MountTable.read(this.mountInfoPath);
  }

  async mount(source: string, target: string, fsType: string, options: readonly string[]): Promise<void> {
    checkCallerWaiting(`mounting ${source} at ${target}`);
    await this.exec('mount', mountArgs(source, target, fsType, options), { timeoutMs: 2 * 60_000 });
  }

  /** Bind-mounts source onto target, then makes the new mount read-only when asked. */
  async bind(source: string, target: string, readOnly: boolean): Promise<void> {
    // Only before the bind: once it is made, the read-only remount (or its undo) must follow.
    checkCallerWaiting(`binding ${source} at ${target}`);
    await this.exec('mount', bindMountArgs(source, target), { timeoutMs: 60_000 });
    if (!readOnly) return;
    try {
      await this.exec('mount', readOnlyRemountArgs(target), { timeoutMs: 60_000 });
    } catch (err) {
      // Never leave a writable mount behind where a read-only one was asked for.
      await this.exec('umount', [target], { timeoutMs: 60_000 }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Unmounts every mount stacked at the path (the real path, as mountinfo shows it).
   * Returns how many were removed. A busy mount throws InUse and is left in place.
   */
  async unmountAll(path: string): Promise<number> {
    let removed = 0;
    for (let guard = 0; guard < 16; guard++) {
      const table = await this.mounts();
      if (!table.at(path)) return removed;
      // A late unmount of an abandoned call could take away the mount a later call made.
      checkCallerWaiting(`unmounting ${path}`);
      try {
        await this.exec('umount', [path], { timeoutMs: 2 * 60_000 });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/busy/i.test(message)) throw new NodeError('InUse', `${path} is still in use, so it stays mounted: ${message}`);
        // Someone else may have unmounted it between our look and our call.
        if ((await this.mounts()).at(path)) throw err;
      }
      removed++;
    }
    throw new NodeError('CommandFailed', `${path} still has mounts after 16 unmounts`);
  }

  /**
   * Removes a mount point left empty by unmountAll: an empty directory, or the empty file
   * a block volume was bound onto. Never removes anything with content.
   */
  async removeMountPoint(path: string): Promise<void> {
    const info = await statIfExists(path);
    if (!info) return;
    try {
      if (info.isDirectory()) await rmdir(path);
      else if (info.isFile() && info.size === 0) await unlink(path);
      else throw new NodeError('InUse', `${path} is not an empty directory or empty file; leaving it in place`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
        throw new NodeError('InUse', `${path} is not empty after unmounting; leaving it in place so no data is lost`);
      }
      throw err;
    }
  }
}
