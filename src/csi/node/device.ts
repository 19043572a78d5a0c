// The device a NodeStage/NodePublish request acts on: the volume's disk, or, for a static
// PV whose volumeAttributes name a "partition" (as the reference driver reads them), that
// partition of it. "0" means the whole disk, as in the reference.
import type { FoundDevice } from '../../node/device-discovery.js';
import { NodeError } from '../../node/errors.js';
import { attachmentHints } from '../params/publishContext.js';
import type { NodeDeps } from './deps.js';

export const CONTEXT_PARTITION = 'partition';

/** The partition number asked for; undefined for the whole disk. */
export function partitionOf(volumeContext: Readonly<Record<string, string>>): number | undefined {
  const text = volumeContext[CONTEXT_PARTITION];
  if (text === undefined || text.trim() === '0') return undefined;
  // Linux numbers partitions from 1; GPT allows 128 by default. Only digits reach a path.
  const n = /^\d{1,3}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(n >= 1 && n <= 128)) {
    throw new NodeError('InvalidArgument', `volume_context partition must be a partition number from 1 to 128 (or 0 for the whole disk); got ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * The volume's device, proven to be the volume (device-identity.ts), or the asked-for
 * partition of it. `ownMountPoint` is the staging path a Xen disk may already be mounted at.
 */
export async function findVolumeDevice(
  deps: Pick<NodeDeps, 'devices'>, volumeId: string, publishContext: Readonly<Record<string, string>> | null | undefined,
  volumeContext: Readonly<Record<string, string>> | null | undefined, signal: AbortSignal, ownMountPoint?: string,
): Promise<FoundDevice> {
  const partition = partitionOf(volumeContext ?? {});
  const disk = await deps.devices.find(volumeId, attachmentHints(publishContext ?? undefined, ownMountPoint), signal);
  return partition === undefined ? disk : deps.devices.partitionOf(disk, partition);
}
