// How many EBS volumes this node may have attached, for NodeGetInfo's
// max_volumes_per_node. Facts (AWS documentation on volume limits):
//  - Xen (non-Nitro) types: 39 EBS volumes, not shared with network interfaces.
//  - Most Nitro types: 28 attachments shared by EBS volumes, network interfaces and
//    NVMe instance-store volumes (bare-metal sizes: 32).
//  - Newer families have a dedicated EBS limit that grows with the size (32…128).
// From the slots left for EBS we subtract the root volume and any volumes from the
// launch block-device mappings (or --reserved-volume-attachments instead), and never
// answer less than 1. --volume-attach-limit replaces the whole computation.
// The table is deliberately rules by family and size rather than one row per type:
// an unknown type falls back to the common shared limit, and the flags override it.

export type LimitKind = 'shared' | 'dedicated';

export interface InstanceLimit {
  readonly kind: LimitKind;
  /** Attachments the instance offers: all kinds when shared, EBS only when dedicated. */
  readonly total: number;
  /** NVMe instance-store volumes that occupy shared slots (a conservative guess by size). */
  readonly instanceStores: number;
}

const XEN_FAMILIES = new Set(['c1', 'c3', 'c4', 'd2', 'f1', 'g2', 'g3', 'g3s', 'h1', 'i2', 'i3', 'm1', 'm2', 'm3',
  'm4', 'p2', 'p3', 'r3', 'r4', 't1', 't2', 'x1', 'x1e', 'cr1', 'hs1']);

const DEDICATED_FAMILIES = new Set([
  'c7a', 'c7i', 'c7i-flex', 'm7a', 'm7i', 'm7i-flex', 'r7a', 'r7i', 'r7iz',
  'c8a', 'c8g', 'c8gb', 'c8gd', 'c8gn', 'c8i', 'c8i-flex', 'm8a', 'm8g', 'm8gb', 'm8gd', 'm8gn', 'm8i', 'm8i-flex',
  'r8a', 'r8g', 'r8gb', 'r8gd', 'r8gn', 'r8i', 'r8i-flex', 'i7i', 'i7ie', 'i8g', 'i8ge', 'g6', 'g6e', 'g6f', 'g7e',
  'gr6', 'gr6f', 'f2', 'trn2', 'p5', 'p5e', 'p5en',
]);

/** Dedicated limit by size, for the families above. */
const DEDICATED_BY_SIZE: Readonly<Record<string, number>> = {
  '16xlarge': 48, '18xlarge': 48, '24xlarge': 64, '32xlarge': 88, '48xlarge': 128, '96xlarge': 128,
  'metal-16xl': 39, 'metal-24xl': 39, 'metal-32xl': 79, 'metal-48xl': 79, 'metal-96xl': 79,
};

/** Types whose limit breaks the family pattern. */
const EXCEPTIONS: Readonly<Record<string, InstanceLimit>> = {
  'c8gn.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'm8gn.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'r8gn.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'c8a.metal-24xl': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'm8a.metal-24xl': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'r8a.metal-24xl': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'p5.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'p5e.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'p5en.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'trn2.48xlarge': { kind: 'dedicated', total: 64, instanceStores: 0 },
  'p4d.24xlarge': { kind: 'dedicated', total: 28, instanceStores: 0 },
  'p4de.24xlarge': { kind: 'dedicated', total: 28, instanceStores: 0 },
  // Dense-storage and GPU types whose many local disks or devices eat most shared slots.
  'd3.8xlarge': { kind: 'shared', total: 28, instanceStores: 24 },
  'd3en.12xlarge': { kind: 'shared', total: 28, instanceStores: 24 },
  'g5.48xlarge': { kind: 'shared', total: 28, instanceStores: 18 },
  'inf1.24xlarge': { kind: 'shared', total: 28, instanceStores: 16 },
  'p3dn.24xlarge': { kind: 'shared', total: 28, instanceStores: 10 },
};

// Families carrying NVMe instance storage: a "d" after the generation (m5d, c6id, r5dn…)
// or one of the storage-optimised families.
const INSTANCE_STORE_FAMILY = /^([a-z]+\d+[a-z]*d[a-z]*|i3en|i4i|i4g|im4gn|is4gen|d3|d3en|g4ad|g4dn|g5|hpc6id)$/;

function instanceStoresBySize(size: string): number {
  if (size.startsWith('metal')) return 0;
  const multiple = Number(/^(\d+)xlarge$/.exec(size)?.[1] ?? (size === 'xlarge' ? 1 : 0));
  if (multiple >= 16) return 4;
  if (multiple >= 4) return 2;
  return 1;
}

/** The limit for an instance type; undefined type or unknown family → the common shared 28. */
export function instanceLimit(instanceType: string | undefined): InstanceLimit {
  const fallback: InstanceLimit = { kind: 'shared', total: 28, instanceStores: 0 };
  if (!instanceType) return fallback;
  const exception = EXCEPTIONS[instanceType];
  if (exception) return exception;
  const dot = instanceType.indexOf('.');
  if (dot <= 0) return fallback;
  const family = instanceType.slice(0, dot);
  const size = instanceType.slice(dot + 1);
  if (XEN_FAMILIES.has(family) && !(family === 'i3' && size === 'metal')) return { kind: 'dedicated', total: 39, instanceStores: 0 };
  if (DEDICATED_FAMILIES.has(family)) return { kind: 'dedicated', total: DEDICATED_BY_SIZE[size] ?? 32, instanceStores: 0 };
  const total = size.startsWith('metal') ? 32 : 28;
  return { kind: 'shared', total, instanceStores: INSTANCE_STORE_FAMILY.test(family) ? instanceStoresBySize(size) : 0 };
}

export interface AttachLimitInput {
  readonly instanceType?: string;
  /** EBS volumes in the launch block-device mappings besides the root volume. */
  readonly extraBootVolumes?: number;
  /** Network interfaces attached (the primary included); 1 when unknown. */
  readonly networkInterfaces?: number;
  /** --volume-attach-limit: the answer, as is. */
  readonly volumeAttachLimit?: number;
  /** --reserved-volume-attachments: replaces the root + boot volume count. */
  readonly reservedVolumeAttachments?: number;
}

export function maxVolumesPerNode(input: AttachLimitInput): number {
  if (input.volumeAttachLimit !== undefined && input.volumeAttachLimit > 0) return input.volumeAttachLimit;
  const limit = instanceLimit(input.instanceType);
  let slots = limit.total;
  if (limit.kind === 'shared') slots -= Math.max(1, input.networkInterfaces ?? 1) + limit.instanceStores;
  const reserved = input.reservedVolumeAttachments ?? 1 + Math.max(0, input.extraBootVolumes ?? 0);
  // Never 0: to the CO, 0 means "no limit", the opposite of a full node.
  return Math.max(1, slots - reserved);
}
