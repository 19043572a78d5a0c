// The calls that finish a snapshot a VolumeSnapshotClass asks more of: fast snapshot
// restore and the snapshot lock. EnableFastSnapshotRestores answers per zone inside a
// successful response, so a refused zone has to be found in the answer, not in an error.
import { EnableFastSnapshotRestoresCommand, LockSnapshotCommand, type EnableFastSnapshotRestoresResult } from '@aws-sdk/client-ec2';
import { CloudError } from '../errors.js';
import type { SnapshotLock } from '../types.js';
import type { Ec2Caller } from './caller.js';
import { cloudErrorKindOf } from './error-codes.js';

/** States in which EC2 has taken the zone on; an already enabled zone answers "enabled". */
const ACCEPTED_STATES = new Set(['enabling', 'optimizing', 'enabled']);

interface Refusal {
  readonly zone: string;
  readonly code?: string;
  readonly reason: string;
}

/** The zones EC2 did not accept, with its reason for each. */
function refusals(out: EnableFastSnapshotRestoresResult, zones: readonly string[]): Refusal[] {
  const refused: Refusal[] = [];
  for (const item of out.Unsuccessful ?? []) {
    for (const failure of item.FastSnapshotRestoreStateErrors ?? []) {
      refused.push({
        zone: failure.AvailabilityZone ?? failure.AvailabilityZoneId ?? 'an unnamed zone',
        ...(failure.Error?.Code !== undefined ? { code: failure.Error.Code } : {}),
        reason: failure.Error?.Message ?? 'no reason given',
      });
    }
  }
  const accepted = new Map((out.Successful ?? []).map((s) => [s.AvailabilityZone ?? '', s.State ?? '']));
  for (const zone of zones) {
    if (refused.some((r) => r.zone === zone)) continue;
    const state = accepted.get(zone);
    if (state === undefined) refused.push({ zone, reason: 'EC2 did not report this zone' });
    else if (!ACCEPTED_STATES.has(state)) refused.push({ zone, reason: `fast snapshot restore is "${state}" there` });
  }
  return refused;
}

export class SnapshotFeatures {
  constructor(private readonly ec2: Ec2Caller) {}

  async enableFastSnapshotRestores(snapshotId: string, zones: readonly string[]): Promise<void> {
    if (zones.length === 0) return;
    const out = await this.ec2.send(new EnableFastSnapshotRestoresCommand({ SourceSnapshotIds: [snapshotId], AvailabilityZones: [...zones] }),
      { subject: `snapshot ${snapshotId} in ${zones.join(', ')}` });
    const refused = refusals(out, zones);
    if (refused.length === 0) return;
    const code = refused.find((r) => r.code !== undefined)?.code;
    const detail = refused.map((r) => `${r.zone}: ${r.reason}${r.code !== undefined ? ` (${r.code})` : ''}`).join('; ');
    throw new CloudError(cloudErrorKindOf(code),
      `EC2 EnableFastSnapshotRestores of snapshot ${snapshotId} refused ${refused.map((r) => r.zone).join(', ')}: ${detail}`, code);
  }

  async lockSnapshot(snapshotId: string, lock: SnapshotLock): Promise<void> {
    await this.ec2.send(new LockSnapshotCommand({
      SnapshotId: snapshotId,
      LockMode: lock.mode,
      ...(lock.durationDays !== undefined ? { LockDuration: lock.durationDays } : {}),
      ...(lock.expirationDate !== undefined ? { ExpirationDate: lock.expirationDate } : {}),
      // EC2 refuses a cool-off period in governance mode.
      ...(lock.coolOffHours !== undefined && lock.mode === 'compliance' ? { CoolOffPeriod: lock.coolOffHours } : {}),
    }), { subject: `snapshot ${snapshotId} (${lock.mode} mode)` });
  }
}
