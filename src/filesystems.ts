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
  /** mkfs.ext4 -O encrypt, so that fscrypt can encrypt directories on the volume. */
  readonly ext4EncryptionSupport?: boolean;
}

export type FormatOptionName = keyof FormatOptions;
export const FORMAT_OPTION_NAMES: readonly FormatOptionName[] = [
  'blockSize', 'inodeSize', 'bytesPerInode', 'numberOfInodes', 'ext4BigAlloc', 'ext4ClusterSize', 'ext4EncryptionSupport',
];

/** The on/off options ("true" or "false"); the others carry a value. */
export type BooleanFormatOption = 'ext4BigAlloc' | 'ext4EncryptionSupport';
export type ValuedFormatOption = Exclude<FormatOptionName, BooleanFormatOption>;
export const isBooleanFormatOption = (name: FormatOptionName): name is BooleanFormatOption =>
  name === 'ext4BigAlloc' || name === 'ext4EncryptionSupport';

// Block and cluster sizes go through mke2fs's and mkfs.xfs's size parsers, which take a
// k/m/g suffix; the inode options are plain counts. Nothing else reaches an mkfs argument.
const SIZE_WITH_SUFFIX = /^[1-9]\d{0,9}[kKmMgG]?$/;
const WHOLE_NUMBER = /^[1-9]\d{0,9}$/;

/**
 * What is wrong with a value for a valued format option (every option but ext4BigAlloc), as
 * "must be ..." text; undefined when it is fine. The controller and the node both ask, so a
 * StorageClass value the node would refuse is refused at CreateVolume already.
 */
export function formatValueProblem(key: ValuedFormatOption, value: string): string | undefined {
  const suffixAllowed = key === 'blockSize' || key === 'ext4ClusterSize';
  if ((suffixAllowed ? SIZE_WITH_SUFFIX : WHOLE_NUMBER).test(value)) return undefined;
  return `must be ${suffixAllowed ? 'a positive whole number, optionally with a k, m or g suffix' : 'a positive whole number'}`;
}

/** Which options each filesystem's mkfs understands (xfs has no bytes-per-inode; only ext4 has bigalloc and encrypt). */
export const FORMAT_OPTIONS_BY_FS: Readonly<Record<FsType, ReadonlySet<FormatOptionName>>> = {
  ext4: new Set(FORMAT_OPTION_NAMES),
  ext3: new Set<FormatOptionName>(['blockSize', 'inodeSize', 'bytesPerInode', 'numberOfInodes']),
  xfs: new Set<FormatOptionName>(['blockSize', 'inodeSize']),
};
