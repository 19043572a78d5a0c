// Waiting out a volume's modification still under way. EC2 runs one modification per
// volume at a time, so before asking for another the driver waits out one still
// "modifying" (one of ours from before a restart, or from the console).
import type { VolumeModification } from '../../cloud/types.js';
import { CsiError } from '../../errors.js';

/** The volume's latest modification (Cloud.getVolumeModification). */
export type ModificationLookup = (volumeId: string) => Promise<VolumeModification | undefined>;

export interface WaitOptions {
  /** First poll interval; it doubles up to maxPollMs. */
  readonly pollMs: number;
  readonly maxPollMs: number;
  /** Give up after this long: the wait serves every request merged into one change. */
  readonly timeoutMs: number;
}

/** Resolves with the latest modification once none is "modifying" any more. */
export async function waitWhileModifying(
  lookup: ModificationLookup, volumeId: string, options: WaitOptions,
): Promise<VolumeModification | undefined> {
  const until = Date.now() + options.timeoutMs;
  let delay = options.pollMs;
  for (;;) {
    const latest = await lookup(volumeId);
    if (latest?.state !== 'modifying') return latest;
    if (Date.now() + delay > until) {
      throw new CsiError('UNAVAILABLE', `volume ${volumeId} is still being modified by an earlier request (target ${describeTarget(latest)}); retry later`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, options.maxPollMs);
  }
}

function describeTarget(m: VolumeModification): string {
  const parts = [
    m.targetSizeGiB !== undefined ? `${m.targetSizeGiB} GiB` : '',
    m.targetVolumeType ?? '',
    m.targetIops !== undefined ? `${m.targetIops} IOPS` : '',
    m.targetThroughput !== undefined ? `${m.targetThroughput} MiB/s` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join(', ') : 'unknown';
}
