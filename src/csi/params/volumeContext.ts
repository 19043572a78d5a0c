// Keys of the volume_context CreateVolume returns, which the CO hands back to the node on
// NodeStage/NodePublish. Names match the reference driver so PVs created by it keep working.
import type { FormatOptionName, FormatOptions, FsType } from '../../filesystems.js';

export const CONTEXT_FS_TYPE = 'csi.storage.k8s.io/fstype';
export const CONTEXT_BLOCK_ATTACH_UNTIL_INITIALIZED = 'blockattachuntilinitialized';

export const CONTEXT_FORMAT_KEYS: Readonly<Record<FormatOptionName, string>> = {
  blockSize: 'blocksize',
  inodeSize: 'inodesize',
  bytesPerInode: 'bytesperinode',
  numberOfInodes: 'numberofinodes',
  ext4BigAlloc: 'ext4bigalloc',
  ext4ClusterSize: 'ext4clustersize',
  ext4EncryptionSupport: 'ext4encryptionsupport',
};

export interface VolumeContextInput {
  /** Filesystem for mount volumes; absent for block-only volumes. */
  readonly fsType?: FsType;
  readonly formatOptions: FormatOptions;
  readonly blockAttachUntilInitialized: boolean;
}

export function buildVolumeContext(input: VolumeContextInput): Record<string, string> {
  const context: Record<string, string> = {};
  if (input.fsType) context[CONTEXT_FS_TYPE] = input.fsType;
  for (const [name, key] of Object.entries(CONTEXT_FORMAT_KEYS) as [FormatOptionName, string][]) {
    const value = input.formatOptions[name];
    if (value !== undefined && value !== false) context[key] = String(value);
  }
  if (input.blockAttachUntilInitialized) context[CONTEXT_BLOCK_ATTACH_UNTIL_INITIALIZED] = 'true';
  return context;
}
