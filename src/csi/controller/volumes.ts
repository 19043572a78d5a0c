// Controller RPCs about volumes themselves: create, delete, validate, list and get.
import { isCloudError } from '../../cloud/errors.js';
import type { Cloud, Disk } from '../../cloud/types.js';
import { CsiError, invalidArgument, notFound } from '../../errors.js';
import type { ControllerHandlers } from '../../generated/csi/v1/Controller.js';
import type { ValidateVolumeCapabilitiesRequest__Output } from '../../generated/csi/v1/ValidateVolumeCapabilitiesRequest.js';
import type { ValidateVolumeCapabilitiesResponse } from '../../generated/csi/v1/ValidateVolumeCapabilitiesResponse.js';
import type { AsyncHandlers } from '../../server/pipeline.js';
import { malformedCapability, unsupportedCapability } from '../params/capabilities.js';
import { parseStorageClass } from '../params/storageClass.js';
import { createVolume } from './createVolume.js';
import type { ControllerDeps } from './deps.js';
import { looksLikeVolumeId, requireField } from './validate.js';
import { publishedNodeIds, toCsiVolume, volumeCondition } from './volumeResponse.js';

type VolumeHandlers = Pick<AsyncHandlers<ControllerHandlers>,
  'CreateVolume' | 'DeleteVolume' | 'ValidateVolumeCapabilities' | 'ListVolumes' | 'ControllerGetVolume'>;

/** The volume, or NOT_FOUND naming it (ids EC2 could never have issued included). */
export async function existingDisk(cloud: Cloud, volumeId: string): Promise<Disk> {
  const disk = looksLikeVolumeId(volumeId) ? await cloud.getDisk(volumeId) : undefined;
  if (!disk) throw notFound(`volume ${volumeId} does not exist`);
  return disk;
}

async function deleteVolume(cloud: Cloud, volumeId: string): Promise<void> {
  // CSI: deleting a volume that does not exist succeeds.
  if (!looksLikeVolumeId(volumeId)) return;
  try {
    await cloud.deleteDisk(volumeId);
  } catch (err) {
    if (isCloudError(err, 'VolumeNotFound')) return;
    if (isCloudError(err, 'VolumeInUse')) {
      const disk = await cloud.getDisk(volumeId).catch(() => undefined);
      const nodes = disk?.attachments.map((a) => `${a.instanceId} (${a.state})`).join(', ');
      throw new CsiError('FAILED_PRECONDITION', `volume ${volumeId} is attached to ${nodes || 'an instance'}; it must be detached (ControllerUnpublishVolume) before it can be deleted`);
    }
    throw err;
  }
}

async function validateVolumeCapabilities(cloud: Cloud, req: ValidateVolumeCapabilitiesRequest__Output): Promise<ValidateVolumeCapabilitiesResponse> {
  const volumeId = requireField(req.volumeId, 'volume_id');
  if (req.volumeCapabilities.length === 0) throw invalidArgument('volume_capabilities is required');
  req.volumeCapabilities.forEach((cap, i) => {
    const problem = malformedCapability(cap, `volume_capabilities[${i}]`);
    if (problem) throw invalidArgument(problem);
  });
  const disk = await existingDisk(cloud, volumeId);
  const problems = req.volumeCapabilities
    .map((cap, i) => unsupportedCapability(cap, `volume_capabilities[${i}]`, disk))
    .filter((p): p is string => p !== undefined);
  const hasParameters = Object.keys(req.parameters).length > 0;
  if (hasParameters) {
    try {
      parseStorageClass(req.parameters);
    } catch (err) {
      if (!(err instanceof CsiError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) return { message: problems.join('; ') };
  return {
    confirmed: {
      volumeContext: req.volumeContext,
      volumeCapabilities: req.volumeCapabilities,
      ...(hasParameters ? { parameters: req.parameters } : {}),
    },
  };
}

export function volumeHandlers(deps: ControllerDeps): VolumeHandlers {
  const { cloud } = deps;
  return {
    CreateVolume: (req, ctx) => createVolume(deps, req, ctx),

    DeleteVolume: async (req) => {
      await deleteVolume(cloud, requireField(req.volumeId, 'volume_id'));
      return {};
    },

    ValidateVolumeCapabilities: (req) => validateVolumeCapabilities(cloud, req),

    ListVolumes: async (req) => {
      if (req.maxEntries < 0) throw invalidArgument(`max_entries must not be negative; got ${req.maxEntries}`);
      const page = await cloud.listDisks(req.maxEntries, req.startingToken || undefined);
      return {
        entries: page.items.map((disk) => ({
          volume: toCsiVolume(disk),
          status: { publishedNodeIds: publishedNodeIds(disk), volumeCondition: volumeCondition(disk) },
        })),
        nextToken: page.nextToken ?? '',
      };
    },

    ControllerGetVolume: async (req) => {
      const disk = await existingDisk(cloud, requireField(req.volumeId, 'volume_id'));
      return {
        volume: toCsiVolume(disk),
        status: { publishedNodeIds: publishedNodeIds(disk), volumeCondition: volumeCondition(disk) },
      };
    },
  };
}
