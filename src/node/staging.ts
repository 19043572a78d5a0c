// Puts a filesystem volume at its staging path: format only a blank device, mount,
// then grow the filesystem if the device has grown since. Idempotent: a staging path
// that already holds this device the same way is left as it is; anything else there
// is a conflict, never something to overwrite.
import { withDeviceLock } from './device-lock.js';
import { blockDeviceNumber } from './device-number.js';
import { NodeError } from './errors.js';
import type { Filesystems } from './filesystem.js';
import { notBlank } from './filesystem.js';
import type { FormatOptions, FsType } from '../filesystems.js';
import { filesystemMountOptions, type Mounter } from './mounter.js';
import { isReadOnly } from './mountinfo.js';
import { createDirectories } from './paths.js';

export interface StageSpec {
  readonly device: string;
  /** Real path (see resolveRequestPath). */
  readonly stagingPath: string;
  readonly fsType: FsType;
  readonly mountFlags: readonly string[];
  readonly formatOptions: FormatOptions;
  readonly readOnly: boolean;
}

export type StageOutcome =
  | { readonly kind: 'already-staged' | 'formatted' | 'mounted-existing' | 'mounted-and-grown' }
  /** Mounted and usable at its old size; NodeExpandVolume will try the growth again. */
  | { readonly kind: 'grow-failed'; readonly reason: string };

export async function stageFilesystem(spec: StageSpec, mounter: Mounter, filesystems: Filesystems): Promise<StageOutcome> {
  const deviceNumber = await blockDeviceNumber(spec.device);
  if (!deviceNumber) throw new NodeError('DeviceNotFound', `${spec.device} is not a block device`);
  return withDeviceLock(deviceNumber, () => stageLocked(spec, deviceNumber, mounter, filesystems));
}

async function stageLocked(spec: StageSpec, deviceNumber: string, mounter: Mounter, filesystems: Filesystems): Promise<StageOutcome> {
  // The probe runs alongside the mount-table look-up: staging a new volume is the path
  // worth keeping short, and on a repeat call the probe's answer is simply not used.
  const probing = filesystems.probe(spec.device);
  probing.catch(() => undefined);
  const existing = (await mounter.mounts()).at(spec.stagingPath);
  if (existing) {
    if (existing.device !== deviceNumber) {
      throw new NodeError('Conflict', `staging path ${spec.stagingPath} already holds another device (${existing.source})`);
    }
    if (existing.fsType !== spec.fsType) {
      throw new NodeError('Conflict',
        `staging path ${spec.stagingPath} already holds this volume as ${existing.fsType}, not ${spec.fsType}`);
    }
    if (isReadOnly(existing.mountOptions) !== spec.readOnly) {
      throw new NodeError('Conflict', `staging path ${spec.stagingPath} already holds this volume `
        + `${spec.readOnly ? 'read-write' : 'read-only'}, but ${spec.readOnly ? 'read-only' : 'read-write'} was asked for`);
    }
    return { kind: 'already-staged' };
  }

  await createDirectories('staging_target_path', spec.stagingPath);
  const options = filesystemMountOptions(spec.fsType, spec.mountFlags, spec.readOnly);
  const found = await probing;
  if (found.kind === 'blank') {
    await filesystems.format(spec.device, spec.fsType, spec.formatOptions);
    await mounter.mount(spec.device, spec.stagingPath, spec.fsType, options);
    return { kind: 'formatted' };
  }
  if (found.kind !== 'filesystem' || found.fsType !== spec.fsType) throw notBlank(spec.device, found, spec.fsType);
  await mounter.mount(spec.device, spec.stagingPath, spec.fsType, options);
  if (spec.readOnly) return { kind: 'mounted-existing' };
  try {
    const grew = await filesystems.growIfSmaller(spec.fsType, spec.device, spec.stagingPath);
    return { kind: grew ? 'mounted-and-grown' : 'mounted-existing' };
  } catch (err) {
    // The data is mounted and usable; failing here would leave a mount behind that the
    // retry then reports as staged anyway. Report it instead, and let expansion retry.
    return { kind: 'grow-failed', reason: err instanceof Error ? err.message : String(err) };
  }
}
