// What one ModifyVolume call must ask for, given the volume as EC2 describes it and the
// change the CO wants (an expansion, a VolumeAttributesClass, or both merged). Fields the
// volume already has are left out, so a repeat asks for nothing and makes no call.
//
// IOPS on expansion follow the reference driver's rule: a volume whose ratio tag
// (ebs.csi.aws.com/IOPSPerGb) says N IOPS per GiB gets N × new size only when its
// ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify tag (or the merged VolumeAttributesClass)
// allows it; otherwise an expansion keeps the IOPS. Volumes tagged by this driver's first
// releases (ebs.csi.aws.com/iops-per-gb) keep the rule they were created under: always scale.
import type { Disk, ModifyDiskOptions } from '../../cloud/types.js';
import { CsiError, invalidArgument } from '../../errors.js';
import { resolvePerformance } from '../params/performance.js';
import { IOPS_TYPES, THROUGHPUT_TYPES, limitsOf, type VolumeTypeLimits } from '../params/volumeTypes.js';
import { TAG_ALLOW_AUTO_IOPS_INCREASE, TAG_IOPS_PER_GB, TAG_LEGACY_IOPS_PER_GB } from '../../tags.js';

/** The union of what merged Expand and Modify requests want. */
export interface DesiredChange {
  readonly capacityGiB?: number;
  /** A known type, or a newer one EC2 judges. */
  readonly volumeType?: string;
  readonly iops?: number;
  readonly iopsPerGB?: number;
  readonly allowAutoIopsIncrease?: boolean;
  readonly throughput?: number;
}

export interface ModificationPlan {
  /** Undefined when the volume already is as asked. */
  readonly options?: ModifyDiskOptions;
  /** Tags recording the volume's IOPS ratio and whether expansions may scale it. */
  readonly tagsToSet: Readonly<Record<string, string>>;
  readonly tagsToDelete: readonly string[];
}

const RATIO_TAGS = [TAG_IOPS_PER_GB, TAG_LEGACY_IOPS_PER_GB];

const positiveNumber = (text: string | undefined): number | undefined => {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The ratio a volume carries and whether an expansion may scale its IOPS by it. */
export function storedRatio(tags: Readonly<Record<string, string>>): { ratio?: number; scalesOnExpansion: boolean } {
  const ratio = positiveNumber(tags[TAG_IOPS_PER_GB]);
  if (ratio !== undefined) return { ratio, scalesOnExpansion: tags[TAG_ALLOW_AUTO_IOPS_INCREASE]?.trim().toLowerCase() === 'true' };
  const legacy = positiveNumber(tags[TAG_LEGACY_IOPS_PER_GB]);
  return legacy !== undefined ? { ratio: legacy, scalesOnExpansion: true } : { scalesOnExpansion: false };
}

/** Checks a VolumeAttributesClass change against the volume as it is now. */
export function validateModify(disk: Disk, change: DesiredChange): void {
  const type = change.volumeType ?? disk.volumeType;
  const limits = limitsOf(type);
  if (!limits) return; // a type this driver does not know: leave the judgement to EC2
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
  const limits = limitsOf(disk.volumeType);
  if (limits && sizeGiB > limits.maxGiB) {
    throw new CsiError('OUT_OF_RANGE', `${sizeGiB} GiB is more than type ${disk.volumeType} allows (${limits.maxGiB} GiB)`);
  }
}

function iopsFromRatio(type: string, ratio: number, sizeGiB: number, allowIncrease: boolean): number | undefined {
  const limits = limitsOf(type);
  if (!limits) return ratio * sizeGiB; // EC2 judges a type this driver does not know
  if (!limits.iops) return undefined;
  if (ratio * sizeGiB < limits.iops.min && !allowIncrease) {
    throw invalidArgument(
      `iopsPerGB ${ratio} × ${sizeGiB} GiB gives ${ratio * sizeGiB} IOPS, below the minimum of type ${type} (${limits.iops.min}); `
      + 'raise iopsPerGB or set allowAutoIOPSIncreaseOnModify "true"',
    );
  }
  // With the minimum handled, the shared rule only caps by type and size.
  return resolvePerformance({ volumeType: type, iopsPerGB: ratio, allowAutoIopsPerGBIncrease: true }, sizeGiB).iops;
}

interface IopsDecision {
  readonly iops?: number;
  readonly tagsToSet: Record<string, string>;
  readonly tagsToDelete: string[];
}

function decideIops(disk: Disk, change: DesiredChange, type: string, size: number): IopsDecision {
  const tagsToSet: Record<string, string> = {};
  const tagsToDelete: string[] = [];
  const present = (key: string): boolean => disk.tags[key] !== undefined;
  const stored = storedRatio(disk.tags);
  if (change.allowAutoIopsIncrease !== undefined) tagsToSet[TAG_ALLOW_AUTO_IOPS_INCREASE] = String(change.allowAutoIopsIncrease);
  let iops = change.iops;
  if (change.iopsPerGB !== undefined) {
    const allow = change.allowAutoIopsIncrease ?? stored.scalesOnExpansion;
    iops = iopsFromRatio(type, change.iopsPerGB, size, allow);
    tagsToSet[TAG_IOPS_PER_GB] = String(change.iopsPerGB);
    if (present(TAG_LEGACY_IOPS_PER_GB)) tagsToDelete.push(TAG_LEGACY_IOPS_PER_GB);
  } else if (change.iops !== undefined) {
    // Fixed IOPS replace any ratio the volume had: a later expansion must not undo them.
    tagsToDelete.push(...RATIO_TAGS.filter(present));
  } else if (size > disk.capacityGiB && stored.ratio !== undefined && (stored.scalesOnExpansion || change.allowAutoIopsIncrease === true)) {
    iops = iopsFromRatio(type, stored.ratio, size, true);
  }
  const limits = limitsOf(type);
  if (limits && !limits.iops) {
    delete tagsToSet[TAG_IOPS_PER_GB];
    tagsToDelete.push(...RATIO_TAGS.filter((k) => present(k) && !tagsToDelete.includes(k)));
  }
  return { ...(iops !== undefined ? { iops } : {}), tagsToSet, tagsToDelete };
}

function checkSize(disk: Disk, limits: VolumeTypeLimits | undefined, type: string, size: number): void {
  if (limits && (size < limits.minGiB || size > limits.maxGiB)) {
    throw new CsiError('OUT_OF_RANGE', `volume ${disk.volumeId} would have ${size} GiB and type ${type}, which allows ${limits.minGiB}–${limits.maxGiB} GiB`);
  }
}

export function planModification(disk: Disk, change: DesiredChange): ModificationPlan {
  const size = Math.max(disk.capacityGiB, change.capacityGiB ?? 0);
  const type = change.volumeType ?? disk.volumeType;
  checkSize(disk, limitsOf(type), type, size);
  const { iops, tagsToSet, tagsToDelete } = decideIops(disk, change, type, size);
  // A new type starts from its own default IOPS and throughput unless the change sets them.
  const typeChanges = type !== disk.volumeType;
  checkThroughputRatio(type, iops ?? (typeChanges ? undefined : disk.iops), change.throughput ?? (typeChanges ? undefined : disk.throughput));

  const options: { -readonly [K in keyof ModifyDiskOptions]: ModifyDiskOptions[K] } = {};
  if (size !== disk.capacityGiB) options.capacityGiB = size;
  if (typeChanges) options.volumeType = type;
  if (iops !== undefined && iops !== disk.iops) options.iops = iops;
  if (change.throughput !== undefined && change.throughput !== disk.throughput) options.throughput = change.throughput;
  const changedTags = Object.fromEntries(Object.entries(tagsToSet).filter(([k, v]) => disk.tags[k] !== v));
  return { ...(Object.keys(options).length > 0 ? { options } : {}), tagsToSet: changedTags, tagsToDelete };
}

function checkThroughputRatio(type: string, iops: number | undefined, throughput: number | undefined): void {
  const limits = limitsOf(type);
  if (!limits?.throughput || throughput === undefined) return;
  const effectiveIops = iops ?? limits.defaultIops ?? 0;
  if (throughput > effectiveIops * limits.throughput.maxPerIops) {
    throw invalidArgument(
      `throughput ${throughput} MiB/s needs at least ${Math.ceil(throughput / limits.throughput.maxPerIops)} IOPS on type ${type}, `
      + `but the volume would have ${effectiveIops}; raise iops as well`,
    );
  }
}
