// The filesystems the driver formats and the mkfs options a StorageClass may ask for, with
// the options each filesystem understands. One vocabulary for both halves: the controller
// checks a StorageClass against it, the node checks volume_context against it again and
// turns it into mkfs arguments.

export const FS_TYPES = ['ext4', 'ext3', 'xfs'] as const;
export type FsType = (typeof FS_TYPES)[number];
export const DEFAULT_FS_TYPE: FsType = 'ext4';

export const isFsType = (value: string): value is FsType => (FS_TYPES as readonly string[]).includes(value);

/** Sizes stay strings: mkfs reads suffixes such as "4k" itself. */
export interface FormatOptions {
  readonly blockSize?: string;
  readonly inodeSize?: string;
  readonly bytesPerInode?: string;
  readonly numberOfInodes?: string;
  readonly ext4BigAlloc?: boolean;
  readonly ext4ClusterSize?: string;
}

export type FormatOptionName = keyof FormatOptions;
export const FORMAT_OPTION_NAMES: readonly FormatOptionName[] = [
  'blockSize', 'inodeSize', 'bytesPerInode', 'numberOfInodes', 'ext4BigAlloc', 'ext4ClusterSize',
];

/** Which options each filesystem's mkfs understands (xfs has no bytes-per-inode; only ext4 has bigalloc). */
export const FORMAT_OPTIONS_BY_FS: Readonly<Record<FsType, ReadonlySet<FormatOptionName>>> = {
  ext4: new Set(FORMAT_OPTION_NAMES),
  ext3: new Set<FormatOptionName>(['blockSize', 'inodeSize', 'bytesPerInode', 'numberOfInodes']),
  xfs: new Set<FormatOptionName>(['blockSize', 'inodeSize']),
};
