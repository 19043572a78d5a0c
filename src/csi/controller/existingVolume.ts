// A CreateVolume repeat finds the volume an earlier call made under the same name. It is
// the answer when it matches the request; otherwise the name is taken (ALREADY_EXISTS).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cloud, Disk, DiskOptions } from '../../cloud/types.js';
import { CsiError } from '../../errors.js';
import { describeGiBRange, sizeSatisfies, type CapacityRangeInput } from '../params/capacity.js';

export interface RequestedVolume {
  readonly plan: DiskOptions;
  readonly capacityRange: CapacityRangeInput | null | undefined;
  /** Zones the topology requirement allows; undefined when it allows any. */
  readonly allowedZones: ReadonlySet<string> | undefined;
}

/** A KMS key given as id or ARN matches the key ARN EC2 reports; an alias cannot be checked here. */
function sameKmsKey(actual: string | undefined, requested: string): boolean {
  if (requested.startsWith('alias/') || requested.includes(':alias/')) return true;
  return actual === requested || (actual?.endsWith(`:key/${requested}`) ?? false);
}

/** How an existing volume differs from the request, one phrase per difference. */
export function differences(disk: Disk, want: RequestedVolume): string[] {
  const { plan } = want;
  const out: string[] = [];
  if (disk.volumeType !== plan.volumeType) out.push(`type is ${disk.volumeType}, requested ${plan.volumeType}`);
  if (!sizeSatisfies(want.capacityRange, disk.capacityGiB)) {
    out.push(`size is ${disk.capacityGiB} GiB, requested ${describeGiBRange(want.capacityRange)}`);
  }
  if (plan.iops !== undefined && disk.iops !== plan.iops) out.push(`iops is ${disk.iops ?? 'unset'}, requested ${plan.iops}`);
  if (plan.throughput !== undefined && disk.throughput !== plan.throughput) {
    out.push(`throughput is ${disk.throughput ?? 'unset'} MiB/s, requested ${plan.throughput}`);
  }
  // Not asking for encryption allows it: accounts with EBS encryption by default encrypt every volume.
  if (plan.encrypted && !disk.encrypted) out.push('encrypted is false, requested true');
  if (plan.kmsKeyId !== undefined && !sameKmsKey(disk.kmsKeyId, plan.kmsKeyId)) {
    out.push(`KMS key is ${disk.kmsKeyId ?? 'the default'}, requested ${plan.kmsKeyId}`);
  }
  if (want.allowedZones && !want.allowedZones.has(disk.availabilityZone)) {
    out.push(`zone is ${disk.availabilityZone}, requested one of ${[...want.allowedZones].join(', ') || '(none)'}`);
  }
  if (plan.outpostArn !== undefined && disk.outpostArn !== plan.outpostArn) {
    out.push(`Outpost is ${disk.outpostArn ?? 'none'}, requested ${plan.outpostArn}`);
  }
  if (disk.multiAttachEnabled !== plan.multiAttach) out.push(`Multi-Attach is ${disk.multiAttachEnabled}, requested ${plan.multiAttach}`);
  if ((disk.snapshotId || undefined) !== plan.snapshotId) {
    out.push(`source snapshot is ${disk.snapshotId || 'none'}, requested ${plan.snapshotId ?? 'none'}`);
  }
  if ((disk.sourceVolumeId || undefined) !== plan.sourceVolumeId) {
    out.push(`source volume is ${disk.sourceVolumeId || 'none'}, requested ${plan.sourceVolumeId ?? 'none'}`);
  }
  return out;
}

const MAX_WAIT_MS = 5 * 60_000;

/**
 * Waits for a volume an earlier call started to leave "creating" (EC2 takes seconds,
 * sometimes minutes), polling with growing pauses until the caller gives up.
 */
export async function waitWhileCreating(cloud: Cloud, disk: Disk, signal: AbortSignal): Promise<Disk> {
  let current = disk;
  let pause = 500;
  const until = Date.now() + MAX_WAIT_MS;
  while (current.state === 'creating') {
    if (Date.now() + pause > until) break;
    try {
      await sleep(pause, undefined, { signal });
    } catch {
      break;
    }
    const next = await cloud.getDisk(current.volumeId);
    if (!next) throw new CsiError('ABORTED', `volume ${current.volumeId} disappeared while EC2 was creating it; retry`);
    current = next;
    pause = Math.min(pause * 2, 5_000);
  }
  if (current.state === 'creating') {
    throw new CsiError('DEADLINE_EXCEEDED', `volume ${current.volumeId} is still being created by EC2; retry later`);
  }
  return current;
}
