// Filesystem types the node formats, and the format options a StorageClass may ask for
// (carried to us in volume_context; the controller writes lowercase keys such as
// "blocksize", older PVs may differ in case, so keys match case-insensitively). Each
// option is checked against the filesystem (xfs has no bytes-per-inode, only ext4 has
// bigalloc) and turned into mkfs arguments here, in one table, so nothing unchecked
// reaches mkfs.
import {
  FORMAT_OPTION_NAMES, FORMAT_OPTIONS_BY_FS as SUPPORTED, formatValueProblem, isBooleanFormatOption, type FormatOptionName as OptionKey,
  type FormatOptions, type FsType, type ValuedFormatOption,
} from '../filesystems.js';
import { NodeError } from './errors.js';

function invalid(message: string): NodeError {
  return new NodeError('InvalidArgument', message);
}

function checkedValue(key: ValuedFormatOption, rawKey: string, value: string): string {
  const problem = formatValueProblem(key, value);
  if (problem) throw invalid(`volume_context ${rawKey} ${problem}; got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Picks the format options out of volume_context (keys matched case-insensitively, other
 * keys ignored) and checks them against the filesystem type.
 */
export function parseFormatOptions(fsType: FsType, volumeContext: Readonly<Record<string, string>>): FormatOptions {
  const byLowerKey = new Map(FORMAT_OPTION_NAMES.map((k) => [k.toLowerCase(), k]));
  const out: { -readonly [K in OptionKey]?: FormatOptions[K] } = {};
  for (const [rawKey, value] of Object.entries(volumeContext)) {
    const key = byLowerKey.get(rawKey.toLowerCase());
    if (!key) continue;
    if (!SUPPORTED[fsType].has(key)) {
      const allowed = [...SUPPORTED[fsType]].join(', ');
      throw invalid(`volume_context ${rawKey} is not supported for ${fsType} filesystems (${fsType} accepts: ${allowed})`);
    }
    if (isBooleanFormatOption(key)) {
      if (value !== 'true' && value !== 'false') {
        throw invalid(`volume_context ${rawKey} must be "true" or "false"; got ${JSON.stringify(value)}`);
      }
      out[key] = value === 'true';
    } else {
      out[key] = checkedValue(key, rawKey, value);
    }
  }
  if (out.ext4ClusterSize !== undefined && out.ext4BigAlloc !== true) {
    throw invalid('volume_context ext4ClusterSize needs ext4BigAlloc "true"');
  }
  return out;
}

export interface MkfsSettings {
  /**
   * --legacy-xfs: leave out the XFS features Linux 5.4 and older cannot mount (bigtime,
   * inobtcount, reflink, nrext64), as the reference's flag does. Timestamps then end in 2038.
   */
  readonly legacyXfs?: boolean;
}

/** The mkfs program and its arguments (never a shell string) for a blank device. */
export function mkfsCommand(fsType: FsType, device: string, options: FormatOptions, settings: MkfsSettings = {}): { command: string; args: string[] } {
  if (fsType === 'xfs') {
    // No -f: blkid found nothing, and if mkfs.xfs still sees a signature we want it to refuse.
    const args: string[] = [];
    if (options.blockSize !== undefined) args.push('-b', `size=${options.blockSize}`);
    if (settings.legacyXfs) args.push('-m', 'bigtime=0,inobtcount=0,reflink=0');
    const inode = [
      ...(options.inodeSize !== undefined ? [`size=${options.inodeSize}`] : []),
      ...(settings.legacyXfs ? ['nrext64=0'] : []),
    ];
    if (inode.length > 0) args.push('-i', inode.join(','));
    return { command: 'mkfs.xfs', args: [...args, device] };
  }
  // -F: mke2fs otherwise stops to ask about formatting a whole disk; blkid has already
  // proved the device blank. -m0: a data volume needs no blocks reserved for root.
  const args = ['-F', '-m0'];
  if (options.blockSize !== undefined) args.push('-b', options.blockSize);
  if (options.inodeSize !== undefined) args.push('-I', options.inodeSize);
  if (options.bytesPerInode !== undefined) args.push('-i', options.bytesPerInode);
  if (options.numberOfInodes !== undefined) args.push('-N', options.numberOfInodes);
  if (options.ext4BigAlloc === true) args.push('-O', 'bigalloc');
  if (options.ext4ClusterSize !== undefined) args.push('-C', options.ext4ClusterSize);
  if (options.ext4EncryptionSupport === true) args.push('-O', 'encrypt');
  return { command: `mkfs.${fsType}`, args: [...args, device] };
}
