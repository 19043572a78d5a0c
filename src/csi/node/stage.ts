// NodeStageVolume / NodeUnstageVolume: validate → find the device → format-once and
// mount at the staging path; or unmount it, refusing while it is still published.
import type { NodeStageVolumeRequest__Output } from '../../generated/csi/v1/NodeStageVolumeRequest.js';
import type { NodeStageVolumeResponse } from '../../generated/csi/v1/NodeStageVolumeResponse.js';
import type { NodeUnstageVolumeRequest__Output } from '../../generated/csi/v1/NodeUnstageVolumeRequest.js';
import type { NodeUnstageVolumeResponse } from '../../generated/csi/v1/NodeUnstageVolumeResponse.js';
import { NodeError } from '../../node/errors.js';
import { parseFormatOptions } from '../../node/format-options.js';
import { stageFilesystem } from '../../node/staging.js';
import type { CallContext } from '../../server/pipeline.js';
import type { NodeDeps } from './deps.js';
import { findVolumeDevice } from './device.js';
import { parseCapability, requirePath, requireVolumeId } from './validate.js';

export async function stageVolume(
  deps: NodeDeps, req: NodeStageVolumeRequest__Output, ctx: CallContext,
): Promise<NodeStageVolumeResponse> {
  const volumeId = requireVolumeId(req.volumeId);
  const stagingPath = await requirePath('staging_target_path', req.stagingTargetPath);
  const capability = parseCapability(req.volumeCapability);
  // A raw block volume is bound straight from the device at publish time.
  if (capability.kind === 'block') return {};
  // Every check happens before the device is touched: bad options must format nothing.
  const formatOptions = parseFormatOptions(capability.fsType, req.volumeContext ?? {});
  // Nothing is formatted or mounted unless it is provably this volume (device-identity.ts).
  const device = await findVolumeDevice(deps, volumeId, req.publishContext, req.volumeContext, ctx.signal, stagingPath);
  const outcome = await stageFilesystem({
    device: device.path,
    stagingPath,
    fsType: capability.fsType,
    mountFlags: capability.mountFlags,
    formatOptions,
    readOnly: capability.readOnly,
  }, deps.mounter, deps.filesystems);
  const fields = { volumeId, device: device.path, foundVia: device.via, proof: device.proof, partition: device.partition, stagingPath, outcome: outcome.kind };
  if (outcome.kind === 'grow-failed') {
    ctx.log.warn({ ...fields, error: outcome.reason }, 'volume staged, but its filesystem could not grow to the device size');
  } else {
    ctx.log.info(fields, 'volume staged');
  }
  return {};
}

export async function unstageVolume(
  deps: NodeDeps, req: NodeUnstageVolumeRequest__Output, ctx: CallContext,
): Promise<NodeUnstageVolumeResponse> {
  const volumeId = requireVolumeId(req.volumeId);
  const stagingPath = await requirePath('staging_target_path', req.stagingTargetPath);
  const table = await deps.mounter.mounts();
  const staged = table.at(stagingPath);
  if (staged) {
    // Unmounting under a live publish would let the controller detach a disk that a pod
    // still writes through its bind mount. Refuse; the CO retries after unpublishing.
    const published = table.bindsOf(staged).filter((e) => e.mountPoint !== stagingPath).map((e) => e.mountPoint);
    if (published.length > 0) {
      throw new NodeError('InUse',
        `volume ${volumeId} is still published at ${published.join(', ')}; unpublish it before unstaging ${stagingPath}`);
    }
    await deps.mounter.unmountAll(stagingPath);
  }
  await deps.mounter.removeMountPoint(stagingPath);
  ctx.log.info({ volumeId, stagingPath, wasMounted: !!staged }, 'volume unstaged');
  return {};
}
