// IOPS and throughput for a volume of a given size. The StorageClass parser already
// checked what depends on the type alone; here come the size-dependent rules.
// Like the reference driver, IOPS above what the size allows are capped rather than
// refused: one StorageClass serves claims of many sizes.
import { invalidArgument } from '../../errors.js';
import type { StorageClassParams } from './storageClass.js';
import { limitsOf } from './volumeTypes.js';

export interface Performance {
  readonly iops?: number;
  readonly throughput?: number;
}

type PerformanceParams = Pick<StorageClassParams, 'volumeType' | 'iops' | 'iopsPerGB' | 'allowAutoIopsPerGBIncrease' | 'throughput'>;

function resolveIops(params: PerformanceParams, sizeGiB: number): number | undefined {
  const typeLimits = limitsOf(params.volumeType);
  // A type the table does not know: ask EC2 for what was asked, and let it judge.
  if (!typeLimits) return params.iops ?? (params.iopsPerGB !== undefined ? params.iopsPerGB * sizeGiB : undefined);
  const limits = typeLimits.iops;
  if (!limits) return undefined;
  let iops: number;
  if (params.iops !== undefined) iops = params.iops;
  else if (params.iopsPerGB !== undefined) iops = params.iopsPerGB * sizeGiB;
  else return undefined;
  if (iops < limits.min) {
    if (!params.allowAutoIopsPerGBIncrease) {
      throw invalidArgument(
        `parameters.iopsPerGB ${params.iopsPerGB ?? ''} × ${sizeGiB} GiB gives ${iops} IOPS, below the minimum of type ${params.volumeType} (${limits.min}); `
        + 'raise iopsPerGB, request a larger volume or set allowAutoIOPSPerGBIncrease "true"',
      );
    }
    iops = limits.min;
  }
  const allowedBySize = Math.max(limits.floor, limits.maxPerGiB * sizeGiB);
  return Math.min(iops, limits.max, allowedBySize);
}

export function resolvePerformance(params: PerformanceParams, sizeGiB: number): Performance {
  const iops = resolveIops(params, sizeGiB);
  const limits = limitsOf(params.volumeType);
  if (params.throughput !== undefined && limits?.throughput) {
    const effectiveIops = iops ?? limits.defaultIops ?? 0;
    const allowed = Math.floor(effectiveIops * limits.throughput.maxPerIops);
    if (params.throughput > allowed) {
      const needed = Math.ceil(params.throughput / limits.throughput.maxPerIops);
      throw invalidArgument(
        `parameters.throughput ${params.throughput} MiB/s needs at least ${needed} IOPS on type ${params.volumeType} `
        + `(${limits.throughput.maxPerIops} MiB/s per IOPS), but the volume gets ${effectiveIops}; raise parameters.iops`,
      );
    }
  }
  return {
    ...(iops !== undefined ? { iops } : {}),
    ...(params.throughput !== undefined ? { throughput: params.throughput } : {}),
  };
}
