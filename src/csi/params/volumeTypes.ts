// What each EBS volume type allows (sizes in GiB, IOPS, throughput in MiB/s), per the AWS
// documentation. One table, so that parsing, capacity and performance checks agree.
import { VOLUME_TYPES, type VolumeType } from '../../cloud/types.js';

export interface IopsLimits {
  readonly min: number;
  readonly max: number;
  readonly maxPerGiB: number;
  /** IOPS a volume of any size may have (gp3's baseline); caps by size never go below it. */
  readonly floor: number;
}

export interface ThroughputLimits {
  readonly min: number;
  readonly max: number;
  readonly maxPerIops: number;
}

export interface VolumeTypeLimits {
  readonly minGiB: number;
  readonly maxGiB: number;
  /** Absent when the type's IOPS follow from its size and cannot be set. */
  readonly iops?: IopsLimits;
  /** IOPS EC2 gives when none are asked for (used for the throughput ratio). */
  readonly defaultIops?: number;
  /** Absent when throughput cannot be set. */
  readonly throughput?: ThroughputLimits;
  /** IOPS must be given at creation (EC2 has no default for these types). */
  readonly iopsRequired: boolean;
  readonly multiAttach: boolean;
}

export const VOLUME_TYPE_LIMITS: Readonly<Record<VolumeType, VolumeTypeLimits>> = {
  gp3: {
    minGiB: 1, maxGiB: 65_536,
    iops: { min: 3_000, max: 80_000, maxPerGiB: 500, floor: 3_000 }, defaultIops: 3_000,
    throughput: { min: 125, max: 2_000, maxPerIops: 0.25 },
    iopsRequired: false, multiAttach: false,
  },
  gp2: { minGiB: 1, maxGiB: 16_384, iopsRequired: false, multiAttach: false },
  io1: { minGiB: 4, maxGiB: 16_384, iops: { min: 100, max: 64_000, maxPerGiB: 50, floor: 100 }, iopsRequired: true, multiAttach: false },
  io2: { minGiB: 4, maxGiB: 65_536, iops: { min: 100, max: 256_000, maxPerGiB: 1_000, floor: 100 }, iopsRequired: true, multiAttach: true },
  sc1: { minGiB: 125, maxGiB: 16_384, iopsRequired: false, multiAttach: false },
  st1: { minGiB: 125, maxGiB: 16_384, iopsRequired: false, multiAttach: false },
  standard: { minGiB: 1, maxGiB: 1_024, iopsRequired: false, multiAttach: false },
};

export const DEFAULT_VOLUME_TYPE: VolumeType = 'gp3';

export const isVolumeType = (value: string): value is VolumeType => (VOLUME_TYPES as readonly string[]).includes(value);

/** The table's limits; undefined for a type EBS may have added since, which EC2 then judges. */
export const limitsOf = (type: string): VolumeTypeLimits | undefined => (isVolumeType(type) ? VOLUME_TYPE_LIMITS[type] : undefined);

/** Sizes allowed for a type the table does not know: EBS's widest range; EC2 has the last word. */
export const UNKNOWN_TYPE_SIZES = { minGiB: 1, maxGiB: 65_536 } as const;

/**
 * What a type the table does not know must look like to be passed to EC2 (EBS type names
 * are short lower-case words such as gp3 or io2); anything else cannot be a type at all.
 */
const TYPE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** A volume type from a parameter: a known type, or a well-formed name for EC2 to judge. */
export function volumeTypeName(text: string): string | undefined {
  const lower = text.trim().toLowerCase();
  return isVolumeType(lower) || TYPE_NAME.test(lower) ? lower : undefined;
}

/** Types whose IOPS can be set, for messages. */
export const IOPS_TYPES: readonly VolumeType[] = VOLUME_TYPES.filter((t) => VOLUME_TYPE_LIMITS[t].iops !== undefined);
export const THROUGHPUT_TYPES: readonly VolumeType[] = VOLUME_TYPES.filter((t) => VOLUME_TYPE_LIMITS[t].throughput !== undefined);
export const MULTI_ATTACH_TYPES: readonly VolumeType[] = VOLUME_TYPES.filter((t) => VOLUME_TYPE_LIMITS[t].multiAttach);
