// What one ModifyVolume call must ask for, given the volume as EC2 describes it and the
// change the CO wants (an expansion, a VolumeAttributesClass, or both merged). Fields the
// volume already has are left out, so a repeat asks for nothing and makes no call.
import type { Disk, ModifyDiskOptions, VolumeType } from '../../cloud/types.js';
import { CsiError, invalidArgument } from '../../errors.js';
import { resolvePerformance } from '../params/performance.js';
import { IOPS_TYPES, THROUGHPUT_TYPES, VOLUME_TYPE_LIMITS, isVolumeType } from '../params/volumeTypes.js';
import { TAG_IOPS_PER_GB } from '../../tags.js';

/** The union of what merged Expand and Modify requests want. */
export interface DesiredChange {
  readonly capacityGiB?: number;
  readonly volumeType?: VolumeType;
  readonly iops?: number;
  readonly iopsPerGB?: number;
  readonly allowAutoIopsIncrease?: boolean;
  readonly throughput?: number;
}

export interface ModificationPlan {
  /** Undefined when the volume already is as asked. */
  readonly options?: ModifyDiskOptions;
  /** The ratio tag's new value; null to remove it; undefined to leave it. */
  readonly iopsPerGBTag?: string | null;
}

const typeOf = (disk: Disk): VolumeType | undefined => (isVolumeType(disk.volumeType) ? disk.volumeType : undefined);

/** Checks a VolumeAttributesClass change against the volume as it is now. */
export function validateModify(disk: Disk, change: DesiredChange): void {
  const type = change.volumeType ?? typeOf(disk);
  if (!type) return; // a type this driver does not know: leave the judgement to EC2
  const limits = VOLUME_TYPE_LIMITS[type];
  if (disk.capacityGiB < limits.minGiB || disk.capacityGiB > limits.maxGiB) {
    throw invalidArgument(`type ${type} allows ${limits.minGiB}–${limits.maxGiB} GiB, but volume ${disk.volumeId} has ${disk.capacityGiB} GiB`);
  }
  if ((change.iops !== undefined || change.iopsPerGB !== undefined) && !limits.iops) {
    throw invalidArgument(`${change.iops !== undefined ? 'iops' : 'iopsPerGB'} cannot be set on type ${type}; only on ${IOPS_TYPES.join(', ')}`);
  }
  if (change.iops !== undefined && limits.iops && (change.iops < limits.iops.min || change.iops > limits.iops.max)) {
    throw invalidArgument(`iops ${change.iops} is outside what type ${type} allows (${limits.iops.min}–${limits.iops.max})`);
  }
  if (change.throughput !== undefined) {
    if (!limits.throughput) throw invalidArgument(`throughput cannot be set on type ${type}; only on ${THROUGHPUT_TYPES.join(', ')}`);
    if (change.throughput < limits.throughput.min || change.throughput > limits.throughput.max) {
      throw invalidArgument(`throughput ${change.throughput} MiB/s is outside what type ${type} allows (${limits.throughput.min}–${limits.throughput.max})`);
    }
  }
}

/** Checks an expansion against the volume's type. */
export function validateExpand(disk: Disk, sizeGiB: number): void {
  const type = typeOf(disk);
  if (type && sizeGiB > VOLUME_TYPE_LIMITS[type].maxGiB) {
    throw new CsiError('OUT_OF_RANGE', `${sizeGiB} GiB is more than type ${type} allows (${VOLUME_TYPE_LIMITS[type].maxGiB} GiB)`);
  }
}

function iopsFromRatio(type: VolumeType, ratio: number, sizeGiB: number, allowIncrease: boolean): number | undefined {
  const limits = VOLUME_TYPE_LIMITS[type].iops;
  if (!limits) return undefined;
  if (ratio * sizeGiB < limits.min && !allowIncrease) {
    throw invalidArgument(
      `iopsPerGB ${ratio} × ${sizeGiB} GiB gives ${ratio * sizeGiB} IOPS, below the minimum of type ${type} (${limits.min}); `
      + 'raise iopsPerGB or set allowAutoIOPSIncreaseOnModify "true"',
    );
  }
  // With the minimum handled, the shared rule only caps by type and size.
  return resolvePerformance({ volumeType: type, iopsPerGB: ratio, allowAutoIopsPerGBIncrease: true }, sizeGiB).iops;
}

export function planModification(disk: Disk, change: DesiredChange): ModificationPlan {
  const size = Math.max(disk.capacityGiB, change.capacityGiB ?? 0);
  const type = change.volumeType ?? typeOf(disk);
  if (type) {
    const limits = VOLUME_TYPE_LIMITS[type];
    if (size < limits.minGiB || size > limits.maxGiB) {
      throw new CsiError('OUT_OF_RANGE', `volume ${disk.volumeId} would have ${size} GiB and type ${type}, which allows ${limits.minGiB}–${limits.maxGiB} GiB`);
    }
  }
  const storedRatio = Number(disk.tags[TAG_IOPS_PER_GB]);
  let iops = change.iops;
  let iopsPerGBTag: string | null | undefined;
  if (change.iopsPerGB !== undefined && type) {
    iops = iopsFromRatio(type, change.iopsPerGB, size, change.allowAutoIopsIncrease ?? false);
    iopsPerGBTag = String(change.iopsPerGB);
  } else if (change.iops !== undefined) {
    // Fixed IOPS replace any ratio the volume had.
    if (disk.tags[TAG_IOPS_PER_GB] !== undefined) iopsPerGBTag = null;
  } else if (size > disk.capacityGiB && type && storedRatio > 0 && Number.isFinite(storedRatio)) {
    iops = iopsFromRatio(type, storedRatio, size, true);
  }
  if (type && !VOLUME_TYPE_LIMITS[type].iops && disk.tags[TAG_IOPS_PER_GB] !== undefined) iopsPerGBTag = null;
  // A new type starts from its own default IOPS and throughput unless the change sets them.
  const typeChanges = type !== undefined && type !== disk.volumeType;
  checkThroughputRatio(type, iops ?? (typeChanges ? undefined : disk.iops), change.throughput ?? (typeChanges ? undefined : disk.throughput));

  const options: { -readonly [K in keyof ModifyDiskOptions]: ModifyDiskOptions[K] } = {};
  if (size !== disk.capacityGiB) options.capacityGiB = size;
  if (type && typeChanges) options.volumeType = type;
  if (iops !== undefined && iops !== disk.iops) options.iops = iops;
  if (change.throughput !== undefined && change.throughput !== disk.throughput) options.throughput = change.throughput;
  return {
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(iopsPerGBTag !== undefined ? { iopsPerGBTag } : {}),
  };
}

function checkThroughputRatio(type: VolumeType | undefined, iops: number | undefined, throughput: number | undefined): void {
  const limits = type ? VOLUME_TYPE_LIMITS[type] : undefined;
  if (!limits?.throughput || throughput === undefined) return;
  const effectiveIops = iops ?? limits.defaultIops ?? 0;
  if (throughput > effectiveIops * limits.throughput.maxPerIops) {
    throw invalidArgument(
      `throughput ${throughput} MiB/s needs at least ${Math.ceil(throughput / limits.throughput.maxPerIops)} IOPS on type ${type ?? ''}, `
      + `but the volume would have ${effectiveIops}; raise iops as well`,
    );
  }
}
