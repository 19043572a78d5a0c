// NodePublishVolume / NodeUnpublishVolume: bind the staged filesystem (or, for a block
// volume, the device itself onto a file) at the pod's target path; or take it away.
import { open, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NodePublishVolumeRequest__Output } from '../../generated/csi/v1/NodePublishVolumeRequest.js';
import type { NodePublishVolumeResponse } from '../../generated/csi/v1/NodePublishVolumeResponse.js';
import type { NodeUnpublishVolumeRequest__Output } from '../../generated/csi/v1/NodeUnpublishVolumeRequest.js';
import type { NodeUnpublishVolumeResponse } from '../../generated/csi/v1/NodeUnpublishVolumeResponse.js';
import { blockDeviceNumber } from '../../node/device-number.js';
import { NodeError } from '../../node/errors.js';
import { isReadOnly, type MountEntry, type MountTable } from '../../node/mountinfo.js';
import { createDirectories, statIfExists } from '../../node/paths.js';
import type { CallContext } from '../../server/pipeline.js';
import { attachmentHints } from '../params/publishContext.js';
import type { NodeDeps } from './deps.js';
import { findVolumeDevice, partitionOf } from './device.js';
import { parseCapability, requirePath, requireVolumeId } from './validate.js';

function checkExistingPublish(table: MountTable, targetPath: string, readOnly: boolean, sameSource: boolean): boolean {
  const existing = table.at(targetPath);
  if (!existing) return false;
  if (!sameSource) throw new NodeError('Conflict', `target_path ${targetPath} already has another volume mounted (${existing.source})`);
  if (isReadOnly(existing.mountOptions) !== readOnly) {
    throw new NodeError('Conflict', `target_path ${targetPath} already has this volume mounted `
      + `${readOnly ? 'read-write' : 'read-only'}, but ${readOnly ? 'read-only' : 'read-write'} was asked for`);
  }
  return true;
}

/** Makes an empty file for a block volume to be bound onto (an empty directory is replaced). */
async function prepareBlockTarget(targetPath: string): Promise<void> {
  await createDirectories('target_path', dirname(targetPath));
  const existing = await statIfExists(targetPath);
  if (existing?.isDirectory()) {
    await rmdir(targetPath).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
      throw new NodeError('Conflict', `target_path ${targetPath} is a directory that is not empty; a block volume is bound onto an empty file, so the path must be absent, an empty directory or a file`);
    });
  }
  else if (existing && !existing.isFile()) throw new NodeError('Conflict', `target_path ${targetPath} exists and is not a file`);
  await (await open(targetPath, 'a', 0o640)).close();
}

/**
 * The staging mount must hold this volume's device: a staging_target_path of another
 * volume would otherwise hand that volume's data to this pod. FAILED_PRECONDITION if not.
 */
async function checkStagedVolume(deps: NodeDeps, volumeId: string, stagingPath: string, staged: MountEntry,
  req: NodePublishVolumeRequest__Output): Promise<void> {
  const hints = attachmentHints(req.publishContext, stagingPath);
  const look = await deps.devices.lookOnce(volumeId, hints);
  const holds = `staging_target_path ${stagingPath} holds ${staged.source} (device ${staged.device})`;
  if (!look.found) {
    throw new NodeError('NotStaged', `${holds}, but no device proven to be volume ${volumeId} is on this node (${deps.devices.describeMissing(volumeId, hints, look.refused)})`);
  }
  // A static PV naming a partition was staged from that partition, not the whole disk.
  const partition = partitionOf(req.volumeContext ?? {});
  const device = partition === undefined ? look.found : await deps.devices.partitionOf(look.found, partition);
  const deviceNumber = await blockDeviceNumber(device.path);
  if (deviceNumber !== staged.device) {
    throw new NodeError('NotStaged', `${holds}, not volume ${volumeId}, which is ${device.path} (device ${deviceNumber ?? 'unknown'}); stage this volume there first`);
  }
}

export async function publishVolume(
  deps: NodeDeps, req: NodePublishVolumeRequest__Output, ctx: CallContext,
): Promise<NodePublishVolumeResponse> {
  const volumeId = requireVolumeId(req.volumeId);
  const stagingPath = await requirePath('staging_target_path', req.stagingTargetPath);
  const targetPath = await requirePath('target_path', req.targetPath);
  const capability = parseCapability(req.volumeCapability);
  if (targetPath === stagingPath) throw new NodeError('InvalidArgument', 'target_path must differ from staging_target_path');
  const readOnly = req.readonly || capability.readOnly;

  if (capability.kind === 'block') {
    const device = await findVolumeDevice(deps, volumeId, req.publishContext, req.volumeContext, ctx.signal);
    const deviceNumber = await blockDeviceNumber(device.path);
    const table = await deps.mounter.mounts();
    // A bind of a device node shows the devtmpfs in mountinfo, so compare what the target now is.
    const sameDevice = deviceNumber !== undefined && (await blockDeviceNumber(targetPath)) === deviceNumber;
    if (checkExistingPublish(table, targetPath, readOnly, sameDevice)) return {};
    await prepareBlockTarget(targetPath);
    // Note: Linux does not stop writes through a device node on a read-only mount; the
    // read-only bind still tells the container runtime and tools what was asked for.
    await deps.mounter.bind(device.path, targetPath, readOnly);
    ctx.log.info({ volumeId, device: device.path, proof: device.proof, targetPath, readOnly }, 'block volume published');
    return {};
  }

  const table = await deps.mounter.mounts();
  const staged = table.at(stagingPath);
  if (!staged) {
    throw new NodeError('NotStaged', `volume ${volumeId} is not staged at staging_target_path ${stagingPath}; call NodeStageVolume first`);
  }
  await checkStagedVolume(deps, volumeId, stagingPath, staged, req);
  const existing = table.at(targetPath);
  const sameSource = !!existing && existing.device === staged.device && existing.root === staged.root;
  if (checkExistingPublish(table, targetPath, readOnly, sameSource)) return {};
  await createDirectories('target_path', targetPath);
  await deps.mounter.bind(stagingPath, targetPath, readOnly);
  ctx.log.info({ volumeId, stagingPath, targetPath, readOnly }, 'volume published');
  return {};
}

export async function unpublishVolume(
  deps: NodeDeps, req: NodeUnpublishVolumeRequest__Output, ctx: CallContext,
): Promise<NodeUnpublishVolumeResponse> {
  const volumeId = requireVolumeId(req.volumeId);
  const targetPath = await requirePath('target_path', req.targetPath);
  const removed = await deps.mounter.unmountAll(targetPath);
  await deps.mounter.removeMountPoint(targetPath);
  ctx.log.info({ volumeId, targetPath, unmounted: removed }, 'volume unpublished');
  return {};
}
