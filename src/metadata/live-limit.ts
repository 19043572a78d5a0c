// The attach limit NodeGetInfo reports, kept current. With the CSIDriver's
// nodeAllocatableUpdatePeriodSeconds set, kubelet calls NodeGetInfo every period and writes the
// answer into the CSINode's allocatable count, so the scheduler follows changes the driver does
// not make itself: on shared-limit types a network interface attached after boot takes an EBS
// slot. The interface count is read again from IMDS on each call (when IMDS is the source);
// if that fails, the last known count stands.
import type { Logger } from '../logger.js';
import { maxVolumesPerNode, type AttachLimitInput } from './attach-limits.js';
import type { NodeIdentity } from './types.js';

export interface LiveLimitOptions {
  readonly identity: NodeIdentity;
  readonly volumeAttachLimit?: number;
  readonly reservedVolumeAttachments?: number;
  /** Reads the attached network interfaces now; absent when the source cannot (Kubernetes). */
  readonly networkInterfaces?: () => Promise<number>;
  readonly log: Logger;
}

export class LiveAttachLimit {
  private interfaces: number | undefined;
  private last: number;
  private failing = false;

  constructor(private readonly options: LiveLimitOptions) {
    this.interfaces = options.identity.networkInterfaces;
    this.last = maxVolumesPerNode(this.input());
  }

  /** The limit computed at start-up or at the last refresh. */
  get value(): number {
    return this.last;
  }

  /** Refreshes what can change and answers the limit. Never throws. */
  async current(): Promise<number> {
    const { networkInterfaces, volumeAttachLimit, log } = this.options;
    // A fixed --volume-attach-limit needs nothing read.
    if (networkInterfaces && volumeAttachLimit === undefined) {
      try {
        this.interfaces = await networkInterfaces();
        if (this.failing) log.info({ networkInterfaces: this.interfaces }, 'network interface count readable again');
        this.failing = false;
      } catch (err) {
        // One warning per outage, not one per kubelet call.
        if (!this.failing) log.warn({ error: err instanceof Error ? err.message : String(err), networkInterfaces: this.interfaces }, 'cannot read the network interface count; keeping the last one');
        this.failing = true;
      }
    }
    const next = maxVolumesPerNode(this.input());
    if (next !== this.last) log.info({ from: this.last, to: next, networkInterfaces: this.interfaces }, 'attach limit changed');
    this.last = next;
    return next;
  }

  private input(): AttachLimitInput {
    const { identity, volumeAttachLimit, reservedVolumeAttachments } = this.options;
    return {
      ...(identity.instanceType !== undefined ? { instanceType: identity.instanceType } : {}),
      ...(identity.extraBootVolumes !== undefined ? { extraBootVolumes: identity.extraBootVolumes } : {}),
      ...(this.interfaces !== undefined ? { networkInterfaces: this.interfaces } : {}),
      ...(volumeAttachLimit !== undefined ? { volumeAttachLimit } : {}),
      ...(reservedVolumeAttachments !== undefined ? { reservedVolumeAttachments } : {}),
    };
  }
}
