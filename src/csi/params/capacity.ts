// CreateVolume's capacity_range → a whole number of GiB that EBS can create.
// EBS sizes are whole GiB: required_bytes rounds up, limit_bytes rounds down, and the
// result must also fit the volume type's bounds; anything else is OUT_OF_RANGE.
import { CsiError, invalidArgument } from '../../errors.js';

export const GiB = 1024 ** 3;

/**
 * Size when the CO gives no capacity range. 100 GiB matches the reference driver, so a
 * StorageClass moved from it provisions the same volumes; raised to the type's minimum.
 */
export const DEFAULT_VOLUME_SIZE_GIB = 100;

export interface CapacityRangeInput {
  readonly requiredBytes?: number | string;
  readonly limitBytes?: number | string;
}

export interface SizeBounds {
  readonly minGiB: number;
  readonly maxGiB: number;
  /** Names the bounds' origin in messages, e.g. "type gp3". */
  readonly what: string;
}

/** The range in whole GiB; undefined ends mean "no bound". */
export interface GiBRange {
  readonly minGiB?: number;
  readonly maxGiB?: number;
}

function bytesField(value: number | string | undefined, field: string): number {
  const n = typeof value === 'string' ? Number(value) : value ?? 0;
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw invalidArgument(`${field} must be a whole number of bytes; got ${String(value)}`);
  if (n < 0) throw invalidArgument(`${field} must not be negative; got ${n}`);
  return n;
}

/** Validates the range and converts it to whole GiB (required rounded up, limit rounded down). */
export function gibRange(range: CapacityRangeInput | null | undefined): GiBRange {
  if (!range) return {};
  const required = bytesField(range.requiredBytes, 'capacity_range.required_bytes');
  const limit = bytesField(range.limitBytes, 'capacity_range.limit_bytes');
  if (limit > 0 && required > limit) {
    throw new CsiError('OUT_OF_RANGE', `capacity_range.required_bytes (${required}) is larger than capacity_range.limit_bytes (${limit})`);
  }
  return {
    ...(required > 0 ? { minGiB: Math.ceil(required / GiB) } : {}),
    ...(limit > 0 ? { maxGiB: Math.floor(limit / GiB) } : {}),
  };
}

const describe = (r: GiBRange): string => `${r.minGiB ?? 0}–${r.maxGiB === undefined ? '∞' : r.maxGiB} GiB`;

/** A content source's size, below which the new volume cannot go. */
export interface SourceSize {
  readonly sizeGiB: number;
  /** Names the source in messages, e.g. "the source snapshot snap-1". */
  readonly what: string;
}

/**
 * Picks the size for a new volume: the smallest whole GiB ≥ required, or the default
 * when no size is required, never above the limit, and within `bounds`.
 * `source` raises the floor (a snapshot's size for a restore, a volume's for a copy).
 */
export function chooseSizeGiB(range: CapacityRangeInput | null | undefined, bounds: SizeBounds, source?: SourceSize): number {
  const atLeastGiB = source?.sizeGiB ?? 0;
  const r = gibRange(range);
  if (r.maxGiB !== undefined && r.minGiB !== undefined && r.minGiB > r.maxGiB) {
    throw new CsiError('OUT_OF_RANGE', `no whole GiB size lies in the requested capacity range (${describe(r)} after rounding); EBS sizes are whole GiB`);
  }
  let size = r.minGiB ?? Math.max(DEFAULT_VOLUME_SIZE_GIB, bounds.minGiB);
  if (r.minGiB === undefined && r.maxGiB !== undefined) size = Math.min(size, r.maxGiB);
  if (size < atLeastGiB) {
    if (r.minGiB !== undefined || (r.maxGiB !== undefined && r.maxGiB < atLeastGiB)) {
      throw new CsiError('OUT_OF_RANGE', `the requested capacity (${describe(r)}) is smaller than ${source?.what ?? 'the source'} (${atLeastGiB} GiB)`);
    }
    size = atLeastGiB;
  }
  if (size < bounds.minGiB || size > bounds.maxGiB) {
    throw new CsiError('OUT_OF_RANGE', `a volume of ${size} GiB is outside what ${bounds.what} allows (${bounds.minGiB}–${bounds.maxGiB} GiB); requested capacity range ${describe(r)}`);
  }
  return size;
}

/** True when an existing volume of `sizeGiB` satisfies the range (for idempotent repeats). */
export function sizeSatisfies(range: CapacityRangeInput | null | undefined, sizeGiB: number): boolean {
  const r = gibRange(range);
  return (r.minGiB === undefined || sizeGiB >= r.minGiB) && (r.maxGiB === undefined || sizeGiB <= r.maxGiB);
}

export const describeGiBRange = (range: CapacityRangeInput | null | undefined): string => describe(gibRange(range));
