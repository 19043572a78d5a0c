// Filesystem choice and mkfs options from the StorageClass, checked against what each
// filesystem supports. The node formats the volume; it reads them from the volume context.
import { invalidArgument } from '../../errors.js';
import {
  FORMAT_OPTION_NAMES, FORMAT_OPTIONS_BY_FS as SUPPORTED, type FormatOptionName, type FormatOptions, type FsType,
} from '../../filesystems.js';

export const givenFormatOptions = (options: FormatOptions): FormatOptionName[] =>
  FORMAT_OPTION_NAMES.filter((name) => options[name] !== undefined && options[name] !== false);

/** Throws INVALID_ARGUMENT when an option does not apply to `fsType` or options contradict. */
export function checkFormatOptions(options: FormatOptions, fsType: FsType): void {
  for (const name of givenFormatOptions(options)) {
    if (!SUPPORTED[fsType].has(name)) {
      const allowed = [...SUPPORTED[fsType]].join(', ');
      throw invalidArgument(`parameters.${name} does not apply to filesystem ${fsType}; ${fsType} accepts: ${allowed}`);
    }
  }
  if (options.ext4ClusterSize !== undefined && options.ext4BigAlloc !== true) {
    throw invalidArgument('parameters.ext4ClusterSize needs parameters.ext4BigAlloc "true"');
  }
}

/** Refuses mkfs options for a raw block volume, which the node never formats. */
export function refuseFormatOptionsForBlock(options: FormatOptions): void {
  const given = givenFormatOptions(options);
  if (given.length > 0) {
    throw invalidArgument(`parameters ${given.join(', ')} format a filesystem, but a volume_capability asks for a raw block volume`);
  }
}
