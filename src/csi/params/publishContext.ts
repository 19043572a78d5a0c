// What ControllerPublishVolume tells the node through publish_context, and how the node
// reads it back. devicePath is the device name EC2 was given (the reference's key, so
// attachments made by it carry over); volumeSizeGiB is the volume's size at attach time,
// which the node needs to check a Xen device, the one kind of device without a serial.
import type { AttachmentHints } from '../../node/device-identity.js';

export const PUBLISH_CONTEXT_DEVICE_PATH = 'devicePath';
export const PUBLISH_CONTEXT_SIZE_GIB = 'volumeSizeGiB';

export function publishContextOf(devicePath: string, sizeGiB: number): Record<string, string> {
  return { [PUBLISH_CONTEXT_DEVICE_PATH]: devicePath, [PUBLISH_CONTEXT_SIZE_GIB]: String(sizeGiB) };
}

/** The node's reading of publish_context; a malformed size is ignored (the Xen check then refuses). */
export function attachmentHints(publishContext: Readonly<Record<string, string>> | undefined, ownMountPoint?: string): AttachmentHints {
  const devicePath = publishContext?.[PUBLISH_CONTEXT_DEVICE_PATH];
  const size = publishContext?.[PUBLISH_CONTEXT_SIZE_GIB];
  const sizeGiB = size !== undefined && /^[1-9]\d{0,5}$/.test(size) ? Number(size) : undefined;
  return {
    ...(devicePath ? { devicePath } : {}),
    ...(sizeGiB !== undefined ? { sizeGiB } : {}),
    ...(ownMountPoint !== undefined ? { ownMountPoint } : {}),
  };
}
