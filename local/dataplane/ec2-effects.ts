// What each EC2 call means for the bytes on this host. The proxy asks `check` before it
// forwards a call (to refuse what real EC2 refuses but the emulator allows) and `apply`
// after the emulator accepted it, before the caller gets the answer, so that when
// AttachVolume returns the device exists, when CreateSnapshot returns its bytes are frozen,
// and when CopyVolumes returns the copy holds the source's bytes.
import type { Logger } from '../../src/logger.js';
import type { EmulatorClient, InstanceFacts } from './emulator-client.js';
import { firstElement, type Ec2Request } from './ec2-query.js';
import type { LocalHypervisor } from './hypervisor.js';
import { textAt } from './volume-xml.js';

/** Actions that change what the data plane must hold; everything else passes straight through. */
export const ACTIONS_WITH_EFFECTS = new Set([
  'AttachVolume', 'DetachVolume', 'CreateVolume', 'CopyVolumes', 'DeleteVolume', 'CreateSnapshot', 'DeleteSnapshot', 'ModifyVolume',
]);

/** Attachment states in which a volume is (being) attached. */
const LIVE_ATTACHMENT = new Set(['attaching', 'attached', 'busy']);

export interface Refusal {
  readonly httpStatus: number;
  readonly code: string;
  readonly message: string;
}

export interface EffectsOptions {
  readonly hypervisor: LocalHypervisor;
  readonly emulator: EmulatorClient;
  readonly instance: InstanceFacts;
  /** Attachment slots of the instance, shared by EBS volumes (root included) and network interfaces. */
  readonly attachmentSlots: number;
  readonly log: Logger;
}

/** Attachments that count as "on this instance": the root volume is a real disk we never emulate. */
export function isDataAttachment(attachment: { instanceId: string; device: string; state: string }, instance: InstanceFacts): boolean {
  return attachment.instanceId === instance.instanceId && attachment.device !== instance.rootDeviceName
    && (attachment.state === 'attaching' || attachment.state === 'attached' || attachment.state === 'busy');
}

export class Ec2Effects {
  constructor(private readonly options: EffectsOptions) {}

  /**
   * Real-EC2 refusals the emulator does not make: a volume attached already (moto attaches a
   * volume again, even to a second instance), a device name in use, no free attachment slot.
   */
  async check(request: Ec2Request): Promise<Refusal | undefined> {
    if (request.action !== 'AttachVolume') return undefined;
    const { instance, emulator, attachmentSlots } = this.options;
    const volumeId = request.params.get('VolumeId') ?? '';
    const instanceId = request.params.get('InstanceId') ?? '';
    const volume = await emulator.volume(volumeId);
    const live = volume?.attachments.filter((a) => LIVE_ATTACHMENT.has(a.state)) ?? [];
    if (live.some((a) => a.instanceId === instanceId) || (live.length > 0 && !volume?.multiAttachEnabled)) {
      return { httpStatus: 400, code: 'VolumeInUse', message: `${volumeId} is already attached to an instance` };
    }
    if (instanceId !== instance.instanceId) return undefined;
    const device = request.params.get('Device') ?? '';
    const onInstance = (await emulator.attachedTo(instance.instanceId))
      .flatMap((v) => v.attachments.filter((a) => a.instanceId === instance.instanceId).map((a) => ({ volumeId: v.volumeId, ...a })))
      .filter((a) => a.volumeId !== volumeId);
    if (onInstance.some((a) => a.device === device)) {
      return { httpStatus: 400, code: 'InvalidParameterValue', message: `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use` };
    }
    // Every EBS attachment (root included) and every network interface takes a slot.
    if (onInstance.length + instance.networkInterfaces >= attachmentSlots) {
      return { httpStatus: 400, code: 'AttachmentLimitExceeded', message: `Instance ${instance.instanceId} has no free attachment slot (${attachmentSlots} in all)` };
    }
    return undefined;
  }

  /** Gives an accepted call its effect on this host. `responseXml` is the emulator's answer. */
  async apply(request: Ec2Request, responseXml: string): Promise<void> {
    const { hypervisor, emulator, instance } = this.options;
    const p = request.params;
    switch (request.action) {
      case 'AttachVolume': {
        if (p.get('InstanceId') !== instance.instanceId) return;
        const volume = await emulator.volume(p.get('VolumeId') ?? '');
        if (!volume) return;
        await hypervisor.attach(volume.volumeId, p.get('Device') ?? firstElement(responseXml, 'device') ?? '', volume.sizeGiB);
        return;
      }
      case 'DetachVolume': {
        const volumeId = p.get('VolumeId') ?? '';
        if (!hypervisor.record(volumeId)) return;
        const volume = await emulator.volume(volumeId);
        const stillHere = volume?.attachments.some((a) => isDataAttachment(a, instance)) ?? false;
        if (!stillHere) await hypervisor.detach(volumeId);
        return;
      }
      case 'CreateVolume': {
        const snapshotId = p.get('SnapshotId');
        const volumeId = firstElement(responseXml, 'volumeId');
        const size = Number(firstElement(responseXml, 'size'));
        if (snapshotId && volumeId && size > 0) await hypervisor.restore(snapshotId, volumeId, size);
        return;
      }
      case 'CopyVolumes': {
        const volumeId = textAt(responseXml, 'CopyVolumesResponse/volumeSet/item/volumeId');
        const size = Number(textAt(responseXml, 'CopyVolumesResponse/volumeSet/item/size'));
        if (volumeId && size > 0) await hypervisor.copy(p.get('SourceVolumeId') ?? '', volumeId, size);
        return;
      }
      case 'DeleteVolume':
        await hypervisor.deleteVolume(p.get('VolumeId') ?? '');
        return;
      case 'CreateSnapshot': {
        const snapshotId = firstElement(responseXml, 'snapshotId');
        if (snapshotId) await hypervisor.snapshot(p.get('VolumeId') ?? '', snapshotId);
        return;
      }
      case 'DeleteSnapshot':
        await hypervisor.deleteSnapshot(p.get('SnapshotId') ?? '');
        return;
      case 'ModifyVolume': {
        if (!p.has('Size')) return;
        const volume = await emulator.volume(p.get('VolumeId') ?? '');
        if (volume) await hypervisor.resize(volume.volumeId, volume.sizeGiB);
        return;
      }
      default:
        return;
    }
  }

  /**
   * Brings the host in line with the emulator: a device for every data volume attached to
   * the instance, none for the others. Catches attaches and detaches made without the proxy.
   */
  async reconcile(): Promise<void> {
    const { hypervisor, emulator, instance, log } = this.options;
    const attached = new Map<string, { device: string; sizeGiB: number }>();
    for (const v of await emulator.attachedTo(instance.instanceId)) {
      const a = v.attachments.find((x) => isDataAttachment(x, instance));
      if (a) attached.set(v.volumeId, { device: a.device, sizeGiB: v.sizeGiB });
    }
    for (const volumeId of hypervisor.attachedVolumes()) {
      if (!attached.has(volumeId)) {
        log.info({ volumeId }, 'the emulator no longer lists this attachment; removing its device');
        await hypervisor.detach(volumeId);
      }
    }
    for (const [volumeId, { device, sizeGiB }] of attached) {
      if (!hypervisor.record(volumeId)) await hypervisor.attach(volumeId, device, sizeGiB);
      else await hypervisor.resize(volumeId, sizeGiB);
    }
  }

  /** Deletes files of volumes and snapshots the emulator does not know (left by an earlier emulator). */
  async forgetUnknown(): Promise<void> {
    const { hypervisor, emulator, log } = this.options;
    const removed = await hypervisor.store.prune(await emulator.allVolumeIds(), await emulator.allSnapshotIds());
    if (removed.length > 0) log.info({ removed }, 'removed data of volumes and snapshots the emulator does not know');
  }
}
