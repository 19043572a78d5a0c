// EC2's pace, played over an emulator that answers at once. moto makes a volume `available`,
// an attachment `attached` and a snapshot `completed` the moment it is asked; EC2 takes
// seconds (ebs-facts.md: a volume is available ~1.5 s after CreateVolume, attach and detach take
// 1–2 s). A driver's waits and polls only show up against that pace, so the bench proxy
// (ec2-proxy.ts) can apply a profile: it delays each call by an API round trip, rewrites the
// answers (`creating`, `attaching`, `detaching`, `pending`) until each change's time is up,
// and refuses what EC2 refuses meanwhile (attaching a volume still being created, deleting one
// still detaching). The model lives here and nowhere else: one latency layer.
import { childText, editList, withChildText, xmlText } from './ec2-xml.js';

/** [min, max] in milliseconds; each event draws uniformly from it. */
export type Span = readonly [number, number];

export interface LatencyProfile {
  readonly name: string;
  /** Round trip of one API call: read-only (Describe*) and changing calls. */
  readonly describeCallMs: Span;
  readonly mutateCallMs: Span;
  /** CreateVolume → `available`. */
  readonly volumeCreateMs: Span;
  /** AttachVolume → `attached`. */
  readonly attachMs: Span;
  /** DetachVolume → attachment gone. */
  readonly detachMs: Span;
  /** CreateSnapshot → `completed`. */
  readonly snapshotMs: Span;
}

/**
 * A realistic EC2 profile: state changes as ebs-facts.md gives them (the median volume creation
 * ~1.5 s, attach and detach 1–2 s, a small snapshot a few seconds) and API round trips of tens
 * of milliseconds, as an in-region client sees them.
 */
export const REALISTIC_EC2: LatencyProfile = {
  name: 'realistic',
  describeCallMs: [30, 70],
  mutateCallMs: [60, 140],
  volumeCreateMs: [1200, 1800],
  attachMs: [1000, 2000],
  detachMs: [1000, 2000],
  snapshotMs: [3000, 6000],
};

/** An answer the proxy gives instead of the emulator's. */
export interface Refusal {
  readonly httpStatus: number;
  readonly code: string;
  readonly message: string;
}

const DESCRIBE = /^Describe/;

interface Attaching { readonly readyAt: number }
interface Detaching { readonly goneAt: number; readonly device: string; readonly since: string }

const key = (volumeId: string, instanceId: string): string => `${volumeId} ${instanceId}`;

export class Ec2Timing {
  private readonly volumesReadyAt = new Map<string, number>();
  private readonly attaching = new Map<string, Attaching>();
  /** Attachments EC2 still shows while they detach, by volume, then instance. */
  private readonly detaching = new Map<string, Map<string, Detaching>>();
  private readonly snapshotsDone = new Map<string, { readonly startedAt: number; readonly doneAt: number }>();

  constructor(
    readonly profile: LatencyProfile,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** How long the call takes before EC2 answers it. */
  callDelayMs(action: string): number {
    return this.draw(DESCRIBE.test(action) ? this.profile.describeCallMs : this.profile.mutateCallMs);
  }

  /** What EC2 would refuse now that the emulator would allow; undefined to forward the call. */
  refusal(action: string, form: URLSearchParams): Refusal | undefined {
    const volumeId = form.get('VolumeId') ?? '';
    if (action === 'AttachVolume') {
      if (this.isCreating(volumeId)) {
        return { httpStatus: 400, code: 'IncorrectState', message: `vol '${volumeId}' is not 'available'.` };
      }
      if (this.detachingOf(volumeId)) return { httpStatus: 400, code: 'VolumeInUse', message: `${volumeId} is already attached to an instance` };
    }
    const leaving = action === 'DeleteVolume' ? this.detachingOf(volumeId) : undefined;
    if (leaving) return { httpStatus: 400, code: 'VolumeInUse', message: `Volume ${volumeId} is currently attached to ${leaving.instanceId}` };
    return undefined;
  }

  /** Records what a successful call started and rewrites its answer to EC2's view of now. */
  answer(action: string, form: URLSearchParams, xml: string): string {
    switch (action) {
      case 'CreateVolume': {
        const volumeId = childText(xml, 'volumeId');
        if (volumeId) this.volumesReadyAt.set(volumeId, this.now() + this.draw(this.profile.volumeCreateMs));
        return withChildText(xml, 'status', 'creating');
      }
      case 'AttachVolume': {
        const volumeId = form.get('VolumeId') ?? '';
        const instanceId = form.get('InstanceId') ?? '';
        this.attaching.set(key(volumeId, instanceId), { readyAt: this.now() + this.draw(this.profile.attachMs) });
        return withChildText(xml, 'status', 'attaching');
      }
      case 'DetachVolume': {
        const volumeId = form.get('VolumeId') ?? childText(xml, 'volumeId') ?? '';
        const instanceId = form.get('InstanceId') ?? childText(xml, 'instanceId') ?? '';
        this.attaching.delete(key(volumeId, instanceId));
        const leaving = this.detaching.get(volumeId) ?? new Map<string, Detaching>();
        this.detaching.set(volumeId, leaving);
        leaving.set(instanceId, {
          goneAt: this.now() + this.draw(this.profile.detachMs),
          device: childText(xml, 'device') ?? form.get('Device') ?? '',
          since: childText(xml, 'attachTime') ?? new Date(this.now()).toISOString(),
        });
        return withChildText(xml, 'status', 'detaching');
      }
      case 'DeleteVolume':
        this.volumesReadyAt.delete(form.get('VolumeId') ?? '');
        return xml;
      case 'DescribeVolumes':
        return editList(xml, 'volumeSet', (item) => [this.volumeNow(item)]);
      case 'CreateSnapshot': {
        const snapshotId = childText(xml, 'snapshotId');
        const now = this.now();
        if (snapshotId) this.snapshotsDone.set(snapshotId, { startedAt: now, doneAt: now + this.draw(this.profile.snapshotMs) });
        return withChildText(withChildText(xml, 'status', 'pending'), 'progress', '0%');
      }
      case 'DescribeSnapshots':
        return editList(xml, 'snapshotSet', (item) => [this.snapshotNow(item)]);
      default:
        return xml;
    }
  }

  private volumeNow(item: string): string {
    const volumeId = childText(item, 'volumeId') ?? '';
    if (this.isCreating(volumeId)) return withChildText(editList(item, 'attachmentSet', () => []), 'status', 'creating');
    const now = this.now();
    let attached = false;
    let out = editList(item, 'attachmentSet', (attachment) => {
      attached = true;
      const instanceId = childText(attachment, 'instanceId') ?? '';
      const pending = this.attaching.get(key(volumeId, instanceId));
      if (pending && now < pending.readyAt) return [withChildText(attachment, 'status', 'attaching')];
      if (pending) this.attaching.delete(key(volumeId, instanceId));
      return [attachment];
    }, this.leavingItems(volumeId));
    if (this.detachingOf(volumeId)) attached = true;
    if (attached) out = withChildText(out, 'status', 'in-use');
    return out;
  }

  /** Attachment items EC2 still shows while they detach (the emulator has dropped them). */
  private leavingItems(volumeId: string): string[] {
    return [...this.stillDetaching(volumeId)].map(([instanceId, d]) =>
      `<item><volumeId>${xmlText(volumeId)}</volumeId><instanceId>${xmlText(instanceId)}</instanceId>`
      + `<device>${xmlText(d.device)}</device><status>detaching</status><attachTime>${xmlText(d.since)}</attachTime>`
      + '<deleteOnTermination>false</deleteOnTermination></item>');
  }

  /** The volume's detaching attachments whose time is not up yet (forgetting the others). */
  private stillDetaching(volumeId: string): Map<string, Detaching> {
    const leaving = this.detaching.get(volumeId);
    if (!leaving) return new Map();
    const now = this.now();
    for (const [instanceId, d] of leaving) if (now >= d.goneAt) leaving.delete(instanceId);
    if (leaving.size === 0) this.detaching.delete(volumeId);
    return leaving;
  }

  private snapshotNow(item: string): string {
    const snapshotId = childText(item, 'snapshotId') ?? '';
    const timing = this.snapshotsDone.get(snapshotId);
    if (!timing) return item;
    const now = this.now();
    if (now >= timing.doneAt) {
      this.snapshotsDone.delete(snapshotId);
      return item;
    }
    const percent = Math.floor((100 * (now - timing.startedAt)) / (timing.doneAt - timing.startedAt));
    return withChildText(withChildText(item, 'status', 'pending'), 'progress', `${percent}%`);
  }

  private isCreating(volumeId: string): boolean {
    const readyAt = this.volumesReadyAt.get(volumeId);
    if (readyAt === undefined) return false;
    if (this.now() < readyAt) return true;
    this.volumesReadyAt.delete(volumeId);
    return false;
  }

  private detachingOf(volumeId: string): { instanceId: string } | undefined {
    const [instanceId] = this.stillDetaching(volumeId).keys();
    return instanceId === undefined ? undefined : { instanceId };
  }

  private draw([min, max]: Span): number {
    return min + (max - min) * this.random();
  }
}
