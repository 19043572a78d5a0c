// Attaching and detaching, idempotently. An attach costs a coalesced volume lookup, the
// instance's record (a DescribeInstances at most once per instance in 45 s: recent-instances.ts)
// and AttachVolume (and, once per instance type, DescribeInstanceTypes for its EBS cards); a
// detach costs DetachVolume alone. A Describe follows only while EC2 reports the
// attachment as still changing. An attachment stuck in "attaching" (it happens on EC2, e.g.
// over an instance's limit) is detached after a while and the attach fails retryably, so the
// next try starts afresh instead of waiting on it forever.
import { AttachVolumeCommand, DetachVolumeCommand } from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import { CloudError, isCloudError } from '../errors.js';
import type { Attachment, Disk, Instance } from '../types.js';
import type { Ec2Caller } from './caller.js';
import type { DeviceNameAllocator } from './device-names.js';
import { chooseEbsCard, type EbsCardCounts } from './ebs-cards.js';
import { isDeviceNameInUse } from './error-codes.js';
import { isInstanceId, isVolumeId } from './ids.js';
import type { Ec2Lookups } from './lookups.js';
import { pollUntil, type WaitPolicy } from './poll.js';
import { RecentInstances } from './recent-instances.js';

/** Attach and detach usually complete within 1–2 s (ebs-facts.md); the second look waits this long. */
const EXPECTED_ATTACHMENT_CHANGE_MS = 1_000;

/** How many device names one attach may try when EC2 says a name is taken. */
const MAX_DEVICE_NAME_TRIES = 3;

/** How long an attachment may stay in "attaching" before it counts as stuck (as the reference driver). */
export const STUCK_ATTACHING_MS = 90_000;

const instanceNotFound = (instanceId: string): CloudError =>
  new CloudError('InstanceNotFound', `instance ${instanceId} does not exist in this region (or is terminated)`);

const attachmentOn = (disk: Disk | undefined, instanceId: string) => disk?.attachments.find((a) => a.instanceId === instanceId);

const describeAttachment = (instanceId: string) => (disk: Disk | undefined): string => {
  if (!disk) return 'volume not found';
  const attachment = attachmentOn(disk, instanceId);
  return attachment ? `attachment ${attachment.state} at ${attachment.device}` : `volume ${disk.state}, no attachment to ${instanceId}`;
};

export class AttachmentOps {
  /** EBS cards of attaches in flight, per instance (instance Describes do not show them yet). */
  private readonly cardsInFlight = new Map<string, number[]>();
  private readonly instances: RecentInstances;

  constructor(
    private readonly ec2: Ec2Caller,
    private readonly lookups: Ec2Lookups,
    private readonly devices: DeviceNameAllocator,
    private readonly cards: EbsCardCounts,
    private readonly wait: WaitPolicy,
    private readonly log: Logger,
    private readonly stuckAttachingMs = STUCK_ATTACHING_MS,
    instanceRecordMaxAgeMs?: number,
  ) {
    this.instances = new RecentInstances((id) => this.lookups.instance(id), instanceRecordMaxAgeMs);
  }

  /** Attaches and waits until attached; returns the device name. `seen` spares the volume lookup. */
  async attach(volumeId: string, instanceId: string, seen?: Disk): Promise<string> {
    // Both lookups share their Describe calls with every other attach in the same moment.
    const remembered = this.instances.remembered(instanceId);
    const [disk, instance] = await Promise.all([seen ?? this.lookups.disk(volumeId), remembered ?? this.instances.refresh(instanceId)]);
    if (!disk) throw new CloudError('VolumeNotFound', `volume ${volumeId} does not exist in this region`);
    if (!instance) throw instanceNotFound(instanceId);

    const here = attachmentOn(disk, instanceId);
    // EC2 says "busy" for an attachment that is attached and in use.
    if (here?.state === 'attached' || here?.state === 'busy') return here.device;
    if (here?.state === 'attaching') return this.waitAttached(volumeId, instanceId);
    if (!disk.multiAttachEnabled) this.refuseIfAttachedElsewhere(disk, instanceId);
    if (disk.availabilityZone && instance.availabilityZone && disk.availabilityZone !== instance.availabilityZone) {
      throw new CloudError('IncorrectState',
        `volume ${volumeId} is in zone ${disk.availabilityZone} but instance ${instanceId} is in ${instance.availabilityZone}; EBS attaches only within a zone`);
    }

    try {
      return await this.attachOnCard(volumeId, instance, remembered !== undefined);
    } catch (err) {
      // Whatever failed, the next attach to this instance starts from EC2's view of it now; and
      // an instance that EC2 refuses may have gone since its record was made.
      this.instances.forget(instanceId);
      if (isCloudError(err, 'IncorrectState') && !(await this.lookups.instance(instanceId))) throw instanceNotFound(instanceId);
      throw err;
    }
  }

  private async attachOnCard(volumeId: string, found: Instance, fromMemory: boolean): Promise<string> {
    // The cards' use changes with every attach: on an instance with several, look at it now.
    const several = (await this.cards.cardCount(found.instanceType)) > 1;
    const instance = several && fromMemory ? await this.instances.refresh(found.instanceId) : found;
    if (!instance) throw instanceNotFound(found.instanceId);
    const card = await this.reserveCard(instance);
    try {
      return await this.attachWithFreeName(volumeId, instance, card);
    } finally {
      if (card !== undefined) this.releaseCard(instance.instanceId, card);
    }
  }

  private async attachWithFreeName(volumeId: string, found: Instance, card: number | undefined): Promise<string> {
    const { instanceId } = found;
    let instance = found;
    for (let tries = 1; ; tries++) {
      const reservation = this.devices.reserve(instanceId, instance.deviceNames);
      try {
        const device = await this.attachAs(volumeId, instanceId, reservation.name, card);
        reservation.release('assigned');
        return device;
      } catch (err) {
        // A timed-out attach may still complete: keep its name off-limits.
        reservation.release(isCloudError(err, 'Timeout') ? 'assigned' : 'unused');
        if (isDeviceNameInUse(err)) {
          this.devices.markFailed(instanceId, reservation.name);
          if (tries < MAX_DEVICE_NAME_TRIES) {
            this.log.info({ volumeId, instanceId, device: reservation.name }, 'EC2 says the device name is in use; trying another');
            // Someone else may have mapped names since the record was made: choose from EC2's view now.
            instance = (await this.instances.refresh(instanceId)) ?? instance;
            continue;
          }
        }
        if (isCloudError(err, 'VolumeInUse')) return this.explainVolumeInUse(volumeId, instanceId, err);
        throw err;
      }
    }
  }

  /** Detaches and waits until the attachment is gone; resolves when it was not attached. */
  async detach(volumeId: string, instanceId: string): Promise<void> {
    if (!isVolumeId(volumeId) || !isInstanceId(instanceId)) return;
    let state: string | undefined;
    let device: string | undefined;
    try {
      const out = await this.ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }),
        { subject: `volume ${volumeId} from instance ${instanceId}` });
      state = out.State;
      device = out.Device;
    } catch (err) {
      if (isCloudError(err, 'VolumeNotFound') || isCloudError(err, 'InstanceNotFound')) return;
      if (isCloudError(err) && err.awsCode === 'InvalidAttachment.NotFound') return;
      if (isCloudError(err) && err.awsCode === 'IncorrectState') return this.checkNotAttaching(volumeId, instanceId, err);
      throw err;
    }
    if (state !== 'detached') {
      await pollUntil<Disk | undefined>({
        what: `volume ${volumeId} to detach from instance ${instanceId}`,
        expectedMs: EXPECTED_ATTACHMENT_CHANGE_MS,
        probe: () => this.lookups.disk(volumeId),
        isDone: (disk) => {
          const attachment = attachmentOn(disk, instanceId);
          return !attachment || attachment.state === 'detached';
        },
        describe: describeAttachment(instanceId),
      }, this.wait);
    }
    if (device) this.devices.markDetached(instanceId, device);
  }

  /** The EBS card for a new attachment on a multi-card instance, held until the attach ends; undefined on one card. */
  private async reserveCard(instance: Instance): Promise<number | undefined> {
    const count = await this.cards.cardCount(instance.instanceType);
    const inFlight = this.cardsInFlight.get(instance.instanceId) ?? [];
    const card = chooseEbsCard(count, [...instance.ebsCardIndexes, ...inFlight]);
    if (card !== undefined) this.cardsInFlight.set(instance.instanceId, [...inFlight, card]);
    return card;
  }

  private releaseCard(instanceId: string, card: number): void {
    const inFlight = [...(this.cardsInFlight.get(instanceId) ?? [])];
    inFlight.splice(inFlight.indexOf(card), 1);
    if (inFlight.length > 0) this.cardsInFlight.set(instanceId, inFlight);
    else this.cardsInFlight.delete(instanceId);
  }

  private async attachAs(volumeId: string, instanceId: string, device: string, card: number | undefined): Promise<string> {
    const out = await this.ec2.send(new AttachVolumeCommand({
      VolumeId: volumeId, InstanceId: instanceId, Device: device, ...(card !== undefined ? { EbsCardIndex: card } : {}),
    }), { subject: `volume ${volumeId} to instance ${instanceId} as ${device}${card !== undefined ? ` on EBS card ${card}` : ''}` });
    if (out.State === 'attached') return out.Device ?? device;
    return this.waitAttached(volumeId, instanceId);
  }

  private async waitAttached(volumeId: string, instanceId: string): Promise<string> {
    // EC2 reports when the attach began; without that, from when this wait first saw it.
    const waitStarted = Date.now();
    let stuck: Attachment | undefined;
    const disk = await pollUntil<Disk | undefined>({
      what: `volume ${volumeId} to attach to instance ${instanceId}`,
      expectedMs: EXPECTED_ATTACHMENT_CHANGE_MS,
      probe: () => this.lookups.disk(volumeId),
      isDone: (d) => {
        if (!d) throw new CloudError('VolumeNotFound', `volume ${volumeId} disappeared while attaching to instance ${instanceId}`);
        const attachment = attachmentOn(d, instanceId);
        if (attachment?.state === 'attaching' && Date.now() - (attachment.attachTime?.getTime() ?? waitStarted) > this.stuckAttachingMs) {
          stuck = attachment;
          return true;
        }
        return attachment?.state === 'attached';
      },
      describe: describeAttachment(instanceId),
    }, this.wait);
    if (stuck) return this.abandonStuck(volumeId, instanceId, stuck);
    return attachmentOn(disk, instanceId)?.device ?? '';
  }

  /** Detaches an attachment stuck in "attaching" and fails the attach, retryably; the next try starts afresh. */
  private async abandonStuck(volumeId: string, instanceId: string, stuck: Attachment): Promise<never> {
    const seconds = Math.round(this.stuckAttachingMs / 1000);
    this.log.warn({ volumeId, instanceId, device: stuck.device, attachTime: stuck.attachTime }, `attachment stuck in "attaching" for more than ${seconds} s; detaching it`);
    let outcome = 'it was detached';
    try {
      await this.ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }), { subject: `volume ${volumeId} from instance ${instanceId}` });
    } catch (err) {
      outcome = `detaching it failed too (${err instanceof Error ? err.message : String(err)})`;
    }
    // The name may be what EC2 could not use: the next try picks another first.
    this.devices.markFailed(instanceId, stuck.device);
    throw new CloudError('AttachmentStuck',
      `volume ${volumeId} was stuck attaching to instance ${instanceId} as ${stuck.device} for more than ${seconds} s; ${outcome}, and the attach is retried`);
  }

  /** EC2 said VolumeInUse: attached here already (a concurrent attach won) or elsewhere. */
  private async explainVolumeInUse(volumeId: string, instanceId: string, err: CloudError): Promise<string> {
    const disk = await this.lookups.disk(volumeId);
    const here = attachmentOn(disk, instanceId);
    if (here?.state === 'attached') return here.device;
    if (here?.state === 'attaching') return this.waitAttached(volumeId, instanceId);
    if (disk) this.refuseIfAttachedElsewhere(disk, instanceId, err.awsCode);
    throw err;
  }

  private refuseIfAttachedElsewhere(disk: Disk, instanceId: string, awsCode?: string): void {
    const others = disk.attachments.filter((a) => a.instanceId !== instanceId && a.state !== 'detached');
    if (others.length === 0) return;
    const where = others.map((a) => `${a.instanceId} (${a.state})`).join(', ');
    throw new CloudError('AttachedElsewhere',
      `volume ${disk.volumeId} is attached to instance ${where}; it cannot also attach to ${instanceId}` +
      (disk.multiAttachEnabled ? '' : ' because multi-attach is not enabled on it'), awsCode);
  }

  /** DetachVolume said IncorrectState: fine when nothing is attached there, an error while it is still attaching. */
  private async checkNotAttaching(volumeId: string, instanceId: string, err: CloudError): Promise<void> {
    const attachment = attachmentOn(await this.lookups.disk(volumeId), instanceId);
    if (attachment && (attachment.state === 'attaching' || attachment.state === 'attached')) throw err;
  }
}
