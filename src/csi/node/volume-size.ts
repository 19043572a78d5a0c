// NodeExpandVolume and NodeGetVolumeStats: both start from a volume path that must be
// either a mounted filesystem or a block device published as a file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeExpandVolumeRequest__Output } from '../../generated/csi/v1/NodeExpandVolumeRequest.js';
import type { NodeExpandVolumeResponse } from '../../generated/csi/v1/NodeExpandVolumeResponse.js';
import type { NodeGetVolumeStatsRequest__Output } from '../../generated/csi/v1/NodeGetVolumeStatsRequest.js';
import type { NodeGetVolumeStatsResponse } from '../../generated/csi/v1/NodeGetVolumeStatsResponse.js';
import { blockDeviceNumber } from '../../node/device-number.js';
import { NodeError } from '../../node/errors.js';
import type { MountEntry } from '../../node/mountinfo.js';
import { blockCondition, filesystemUsage, mountCondition } from '../../node/volume-health.js';
import type { CallContext } from '../../server/pipeline.js';
import type { NodeDeps } from './deps.js';
import { requirePath, requireVolumeId } from './validate.js';
import { statIfExists } from '../../node/paths.js';

type VolumeAtPath =
  | { readonly kind: 'block'; readonly device: string; readonly deviceNumber: string }
  | { readonly kind: 'filesystem'; readonly mount: MountEntry };

async function volumeAt(deps: NodeDeps, volumeId: string, volumePath: string): Promise<VolumeAtPath> {
  const info = await statIfExists(volumePath);
  if (!info) throw new NodeError('PathNotFound', `volume_path ${volumePath} of volume ${volumeId} does not exist`);
  if (info.isBlockDevice()) {
    const deviceNumber = await blockDeviceNumber(volumePath);
    if (deviceNumber) return { kind: 'block', device: volumePath, deviceNumber };
  }
  const mount = (await deps.mounter.mounts()).at(volumePath);
  if (!mount) throw new NodeError('PathNotFound', `volume_path ${volumePath} has no volume ${volumeId} mounted`);
  return { kind: 'filesystem', mount };
}

/** The device node behind a mount: its source when that is the same device, else via sysfs. */
async function deviceOfMount(deps: NodeDeps, mount: MountEntry): Promise<string> {
  if ((await blockDeviceNumber(mount.source)) === mount.device) return mount.source;
  try {
    const uevent = await readFile(join(deps.sysRoot, 'dev', 'block', mount.device, 'uevent'), 'utf8');
    const name = /^DEVNAME=(.+)$/m.exec(uevent)?.[1];
    if (name && (await blockDeviceNumber(`/dev/${name}`)) === mount.device) return `/dev/${name}`;
  } catch {
    // Fall through to the error below.
  }
  throw new NodeError('DeviceNotFound', `the device ${mount.device} mounted at ${mount.mountPoint} is gone`);
}

/**
 * CSI: a volume_path where the volume is not found is NOT_FOUND. A relative path can never
 * hold a mounted volume, so it is answered NOT_FOUND like any other path without one. (Not
 * INVALID_ARGUMENT: csi-sanity v5.4.0 sends volume_path "some/path" to NodeGetVolumeStats and
 * NodeExpandVolume and requires NOT_FOUND, as the reference driver answers.)
 */
function existingVolumePath(volumeId: string, value: string | undefined): Promise<string> {
  if (value && !value.startsWith('/')) {
    return Promise.reject(new NodeError('PathNotFound', `volume_path ${JSON.stringify(value)} holds no volume ${volumeId}: volume_path must be an absolute path`));
  }
  return requirePath('volume_path', value);
}

export async function expandVolume(
  deps: NodeDeps, req: NodeExpandVolumeRequest__Output, ctx: CallContext,
): Promise<NodeExpandVolumeResponse> {
  const volumeId = requireVolumeId(req.volumeId);
  const volumePath = await existingVolumePath(req.volumeId, req.volumePath);
  const volume = await volumeAt(deps, volumeId, volumePath);
  const device = volume.kind === 'block' ? volume.device : await deviceOfMount(deps, volume.mount);
  const deviceBytes = await deps.filesystems.deviceBytes(device);
  const required = req.capacityRange?.requiredBytes ?? 0;
  if (required > deviceBytes) {
    throw new NodeError('DeviceTooSmall', `device ${device} of volume ${volumeId} is ${deviceBytes} bytes, less than the `
      + `${required} asked for; the volume modification may not have reached this node yet`);
  }
  // A raw block volume has no filesystem: its size is the device's.
  if (volume.kind === 'block') return { capacityBytes: deviceBytes };
  const grew = await deps.filesystems.growIfSmaller(volume.mount.fsType, device, volumePath, deviceBytes);
  ctx.log.info({ volumeId, device, volumePath, deviceBytes, grew }, 'volume expanded');
  return { capacityBytes: deviceBytes };
}

export async function volumeStats(
  deps: NodeDeps, req: NodeGetVolumeStatsRequest__Output,
): Promise<NodeGetVolumeStatsResponse> {
  const volumeId = requireVolumeId(req.volumeId);
  const volumePath = await existingVolumePath(req.volumeId, req.volumePath);
  const volume = await volumeAt(deps, volumeId, volumePath);
  if (volume.kind === 'block') {
    const condition = await blockCondition(volume.deviceNumber, deps.sysRoot);
    const total = condition.abnormal ? 0 : await deps.filesystems.deviceBytes(volume.device);
    return { usage: [{ unit: 'BYTES', total }], volumeCondition: condition };
  }
  const [usage, condition] = await Promise.all([filesystemUsage(volumePath), mountCondition(volume.mount, deps.sysRoot)]);
  return {
    usage: [{ unit: 'BYTES', ...usage.bytes }, { unit: 'INODES', ...usage.inodes }],
    volumeCondition: condition,
  };
}
