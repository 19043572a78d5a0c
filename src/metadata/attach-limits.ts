// How many EBS volumes this node may have attached, for NodeGetInfo's max_volumes_per_node.
// The per-type figures come from the table in instance-limits-table.ts, generated from EC2's
// own DescribeInstanceTypes answers (data/ec2-instance-types/, scripts/gen-instance-limits.mjs):
//  - "dedicated" types: EBS has its own slots (32 to 128 on newer families; 39 on Xen types);
//  - "shared" Nitro types: EBS volumes, network interfaces and NVMe instance-store disks share
//    one set of slots (28, or 32 on bare metal). EC2's figure already leaves out the primary
//    interface and the instance-store disks (and on GPU and accelerator types the slots their
//    devices take), so here only interfaces beyond the first are subtracted.
// From that we subtract the root volume and any volumes from the launch block-device mappings
// (or --reserved-volume-attachments instead), and never answer less than 1.
// --volume-attach-limit replaces the whole computation.
import { DEFAULT_ROW, INSTANCE_LIMITS } from './instance-limits-table.js';

export type LimitKind = 'shared' | 'dedicated';

export interface InstanceLimit {
  readonly kind: LimitKind;
  /** EBS volumes the type takes with one network interface and nothing else attached. */
  readonly limit: number;
  /** EBS cards (separate attachment paths; most types have one). */
  readonly ebsCards: number;
}

/** The table's figures for an instance type; unknown or missing types get the common shared 27. */
export function instanceLimit(instanceType: string | undefined): InstanceLimit {
  // Own keys only: a type named like an Object.prototype member must not find one.
  const row = instanceType !== undefined && Object.hasOwn(INSTANCE_LIMITS, instanceType) ? INSTANCE_LIMITS[instanceType] : undefined;
  // A type absent from the table is one of the many with the default figures, or one newer
  // than the table, for which the common shared limit is the usual case.
  const [limit, kind, ebsCards = 1] = row ?? DEFAULT_ROW;
  return { kind, limit, ebsCards };
}

/** EBS cards of an instance type (1 when unknown). */
export function ebsCardCount(instanceType: string | undefined): number {
  return instanceLimit(instanceType).ebsCards;
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
  const { kind, limit } = instanceLimit(input.instanceType);
  let slots = limit;
  if (kind === 'shared') slots -= Math.max(1, input.networkInterfaces ?? 1) - 1;
  slots -= input.reservedVolumeAttachments ?? 1 + Math.max(0, input.extraBootVolumes ?? 0);
  // Never 0: to the CO, 0 means "no limit", the opposite of a full node.
  return Math.max(1, slots);
}
