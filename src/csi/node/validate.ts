// Request checks shared by the node RPCs. Each failure is INVALID_ARGUMENT naming the
// field (by its name in the CSI spec) and, where there is a closed set, the allowed values.
import { invalidArgument } from '../../errors.js';
import type { VolumeCapability__Output } from '../../generated/csi/v1/VolumeCapability.js';
import { DEFAULT_FS_TYPE, FS_TYPES, isFsType, type FsType } from '../../filesystems.js';
import { checkMountFlags } from '../../node/mounter.js';
import { resolveRequestPath } from '../../node/paths.js';

const MAX_ID_BYTES = 128;

export function requireVolumeId(volumeId: string | undefined): string {
  if (!volumeId) throw invalidArgument('volume_id is required');
  if (Buffer.byteLength(volumeId) > MAX_ID_BYTES) throw invalidArgument(`volume_id must be at most ${MAX_ID_BYTES} bytes`);
  return volumeId;
}

/** Checks a path field and returns its real path (see resolveRequestPath). */
export function requirePath(field: string, value: string | undefined): Promise<string> {
  if (!value) return Promise.reject(invalidArgument(`${field} is required`));
  return resolveRequestPath(field, value);
}

const WRITABLE_MODES = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER'] as const;
const READ_ONLY_MODES = ['SINGLE_NODE_READER_ONLY'] as const;
// io2 Multi-Attach: several nodes write the raw device; no filesystem survives that.
const BLOCK_ONLY_MODES = ['MULTI_NODE_MULTI_WRITER'] as const;
const ALLOWED_MODES: readonly string[] = [...WRITABLE_MODES, ...READ_ONLY_MODES, ...BLOCK_ONLY_MODES];

export type Capability =
  | { readonly kind: 'block'; readonly readOnly: boolean }
  | { readonly kind: 'mount'; readonly readOnly: boolean; readonly fsType: FsType; readonly mountFlags: readonly string[] };

export function parseCapability(capability: VolumeCapability__Output | null | undefined): Capability {
  if (!capability) throw invalidArgument('volume_capability is required');
  const mode = String(capability.accessMode?.mode ?? 'UNKNOWN');
  const isBlock = capability.accessType === 'block' || (capability.accessType === undefined && !!capability.block);
  const isMount = capability.accessType === 'mount' || (capability.accessType === undefined && !!capability.mount);
  if (!isBlock && !isMount) throw invalidArgument('volume_capability must set access_type: block or mount');
  if (!ALLOWED_MODES.includes(mode)) {
    throw invalidArgument(`volume_capability.access_mode.mode must be one of ${ALLOWED_MODES.join(', ')}; got ${mode}`);
  }
  if (!isBlock && (BLOCK_ONLY_MODES as readonly string[]).includes(mode)) {
    throw invalidArgument(`volume_capability.access_mode.mode ${mode} is only supported with access_type block`);
  }
  const readOnly = (READ_ONLY_MODES as readonly string[]).includes(mode);
  if (isBlock) return { kind: 'block', readOnly };
  const requested = (capability.mount?.fsType ?? '').toLowerCase() || DEFAULT_FS_TYPE;
  if (!isFsType(requested)) {
    throw invalidArgument(`volume_capability.mount.fs_type must be one of ${FS_TYPES.join(', ')}; got ${JSON.stringify(capability.mount?.fsType)}`);
  }
  const mountFlags = checkMountFlags('volume_capability.mount.mount_flags', capability.mount?.mountFlags ?? []);
  // An "ro" mount flag makes the staging mount, and so every bind of it, read-only: count it
  // here so that stage and publish (and their repeats) agree on what was asked for.
  return { kind: 'mount', readOnly: readOnly || mountFlags.includes('ro'), fsType: requested, mountFlags };
}
