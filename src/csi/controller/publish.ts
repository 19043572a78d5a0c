// ControllerPublishVolume / ControllerUnpublishVolume: attach an EBS volume to the node's
// instance and detach it again. The publish context carries the device name EC2 was given
// and the volume's size (see params/publishContext.ts).
// The volume is looked up first: a repeat (the attacher re-syncing) is then answered from
// that one Describe, and a conflict is refused before any mutating call. A volume restored
// (or copied) with blockAttachUntilInitialized is not attached while it still initializes
// from its source, so the workload does not start on a volume whose first reads are slow.
import { isCloudError } from '../../cloud/errors.js';
import type { Cloud, Disk, VolumeInitialization } from '../../cloud/types.js';
import { CsiError, invalidArgument, notFound } from '../../errors.js';
import type { ControllerHandlers } from '../../generated/csi/v1/Controller.js';
import type { ControllerPublishVolumeRequest__Output } from '../../generated/csi/v1/ControllerPublishVolumeRequest.js';
import type { ControllerPublishVolumeResponse } from '../../generated/csi/v1/ControllerPublishVolumeResponse.js';
import type { AsyncHandlers } from '../../server/pipeline.js';
import { checkVolumeCapabilities, unsupportedCapability } from '../params/capabilities.js';
import { publishContextOf } from '../params/publishContext.js';
import { CONTEXT_BLOCK_ATTACH_UNTIL_INITIALIZED } from '../params/volumeContext.js';
import type { ControllerDeps } from './deps.js';
import { looksLikeInstanceId, looksLikeVolumeId, requireField } from './validate.js';
import { existingDisk } from './volumes.js';

type PublishHandlers = Pick<AsyncHandlers<ControllerHandlers>, 'ControllerPublishVolume' | 'ControllerUnpublishVolume'>;

/**
 * Whether the StorageClass asked to hold the attach until initialized: CreateVolume put that
 * in the volume_context, which the attacher passes on from the PV.
 */
const holdsAttachUntilInitialized = (volumeContext: Readonly<Record<string, string>>): boolean =>
  volumeContext[CONTEXT_BLOCK_ATTACH_UNTIL_INITIALIZED] === 'true';

function describeProgress(init: VolumeInitialization): string {
  const parts: string[] = [];
  if (init.progressPercent !== undefined) parts.push(`${init.progressPercent}% done`);
  if (init.secondsLeft !== undefined) {
    parts.push(init.secondsLeft < 60 ? `about ${init.secondsLeft} s left` : `about ${Math.ceil(init.secondsLeft / 60)} min left`);
  }
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Refuses, retryably, to attach a volume that must first finish initializing. */
async function checkInitialized(cloud: Cloud, disk: Disk, volumeContext: Readonly<Record<string, string>>): Promise<void> {
  // Only a volume restored from a snapshot, or copied from another volume, initializes.
  const source = disk.snapshotId !== undefined ? `snapshot ${disk.snapshotId}`
    : disk.sourceVolumeId !== undefined ? `volume ${disk.sourceVolumeId}` : undefined;
  if (source === undefined || !holdsAttachUntilInitialized(volumeContext)) return;
  const init = await cloud.getVolumeInitialization(disk.volumeId);
  // Unknown to EC2 now: attachDisk reports the missing volume.
  if (init === undefined || init.initialized) return;
  throw new CsiError('UNAVAILABLE',
    `volume ${disk.volumeId} is still initializing from ${source}${describeProgress(init)}; its StorageClass sets `
    + 'blockAttachUntilInitialized, so it is attached only once initialization completes (the attach is retried until then)');
}

async function publish(cloud: Cloud, req: ControllerPublishVolumeRequest__Output): Promise<ControllerPublishVolumeResponse> {
  const volumeId = requireField(req.volumeId, 'volume_id');
  const nodeId = requireField(req.nodeId, 'node_id');
  checkVolumeCapabilities(req.volumeCapability ? [req.volumeCapability] : [], 'volume_capability');
  // `readonly` (a PV with spec.csi.readOnly) is accepted as the reference accepts it: EC2
  // attaches read-write only, and kubelet asks NodePublishVolume for a read-only mount.
  // PUBLISH_READONLY stays unadvertised, since the attachment itself is not read-only.
  // A node id EC2 could never have issued names no node; real-looking ones are checked by
  // attachDisk, which looks the instance up anyway (one Describe fewer than asking here).
  if (!looksLikeInstanceId(nodeId)) throw notFound(`node ${nodeId} does not exist`);
  const disk = await existingDisk(cloud, volumeId);
  const problem = unsupportedCapability(req.volumeCapability ?? {}, 'volume_capability', disk);
  if (problem) throw invalidArgument(problem);

  const here = disk.attachments.find((a) => a.instanceId === nodeId && (a.state === 'attached' || a.state === 'busy'));
  if (here) return { publishContext: publishContextOf(here.device, disk.capacityGiB) };
  if (!disk.multiAttachEnabled) {
    const elsewhere = disk.attachments.find((a) => a.instanceId !== nodeId && a.state !== 'detached');
    if (elsewhere) {
      // A node that does not exist is the first thing wrong with the request: say that,
      // not that the volume is busy (the look-up costs a Describe only on this error path).
      if (!(await cloud.getInstance(nodeId))) throw notFound(`node ${nodeId} does not exist`);
      throw new CsiError('FAILED_PRECONDITION', `volume ${volumeId} is ${elsewhere.state} to node ${elsewhere.instanceId}; without Multi-Attach it must be unpublished there first`);
    }
  }
  await checkInitialized(cloud, disk, req.volumeContext ?? {});
  const devicePath = await cloud.attachDisk(volumeId, nodeId, disk);
  return { publishContext: publishContextOf(devicePath, disk.capacityGiB) };
}

async function unpublish(cloud: Cloud, volumeId: string, nodeId: string): Promise<void> {
  // CSI: a volume that is not attached, or a volume or node that is gone, is already unpublished.
  if (!looksLikeVolumeId(volumeId) || !looksLikeInstanceId(nodeId)) return;
  try {
    await cloud.detachDisk(volumeId, nodeId);
  } catch (err) {
    if (isCloudError(err, 'VolumeNotFound') || isCloudError(err, 'InstanceNotFound')) return;
    throw err;
  }
}

export function publishHandlers(deps: ControllerDeps): PublishHandlers {
  const { cloud } = deps;
  return {
    ControllerPublishVolume: (req) => publish(cloud, req),
    ControllerUnpublishVolume: async (req) => {
      await unpublish(cloud, requireField(req.volumeId, 'volume_id'), requireField(req.nodeId, 'node_id'));
      return {};
    },
  };
}
