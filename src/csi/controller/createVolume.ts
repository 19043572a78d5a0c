// CreateVolume: validate the request, work out the volume it describes, then either
// return the volume an earlier call made under the same name or create it.
import type { Disk, DiskOptions } from '../../cloud/types.js';
import { CsiError, invalidArgument } from '../../errors.js';
import type { CreateVolumeRequest__Output } from '../../generated/csi/v1/CreateVolumeRequest.js';
import type { CreateVolumeResponse } from '../../generated/csi/v1/CreateVolumeResponse.js';
import type { CallContext } from '../../server/pipeline.js';
import { checkVolumeCapabilities, MULTI_ATTACH_MODE, type CapabilitySummary } from '../params/capabilities.js';
import { chooseSizeGiB } from '../params/capacity.js';
import { DEFAULT_FS_TYPE, type FsType } from '../../filesystems.js';
import { checkFormatOptions, refuseFormatOptionsForBlock } from '../params/formatOptions.js';
import { resolvePerformance } from '../params/performance.js';
import { FS_TYPE_KEY, parseStorageClass, type StorageClassParams } from '../params/storageClass.js';
import { allowedZones, choosePlacement, type ZoneSource } from '../params/topology.js';
import { buildVolumeContext } from '../params/volumeContext.js';
import { renderOperatorTags } from '../params/tagTemplate.js';
import { buildVolumeTags } from '../params/volumeTags.js';
import { volumeTemplateData } from '../../template/index.js';
import { MULTI_ATTACH_TYPES, UNKNOWN_TYPE_SIZES, limitsOf } from '../params/volumeTypes.js';
import { resolveContentSource } from './contentSource.js';
import { tagPolicyFor, type ControllerDeps } from './deps.js';
import { differences, waitWhileCreating } from './existingVolume.js';
import { checkStringLength, requireField } from './validate.js';
import { toCsiVolume } from './volumeResponse.js';

/** The filesystem a mount volume gets; format options are checked against it. */
function filesystemFor(params: StorageClassParams, caps: CapabilitySummary): FsType | undefined {
  if (caps.block) refuseFormatOptionsForBlock(params.formatOptions);
  if (!caps.mount) return undefined;
  const named = new Set<string>([...(params.fsType ? [params.fsType] : []), ...caps.fsTypes]);
  if (named.size > 1) {
    throw invalidArgument(`parameters.${FS_TYPE_KEY} and volume_capabilities name different filesystems (${[...named].join(', ')}); name one`);
  }
  // The capability's fsType was checked to be one of FS_TYPES.
  const fsType = ([...named][0] as FsType | undefined) ?? DEFAULT_FS_TYPE;
  checkFormatOptions(params.formatOptions, fsType);
  return fsType;
}

function checkMultiAttach(type: string, caps: CapabilitySummary): void {
  // A type the table does not know may offer Multi-Attach: EC2 says whether it does.
  const limits = limitsOf(type);
  if (caps.multiAttach && limits && !limits.multiAttach) {
    throw invalidArgument(`access mode ${MULTI_ATTACH_MODE} needs EBS Multi-Attach, which only type ${MULTI_ATTACH_TYPES.join(', ')} offers; parameters.type is ${type}`);
  }
}

/**
 * Encryption as EC2 rules it: a copy of an encrypted volume is encrypted, with the key the
 * StorageClass names or else the source's own (named explicitly, so that EC2 does not pick
 * the account's default key and a repeat can compare keys).
 */
function encryptionOf(params: StorageClassParams, sourceVolume: Disk | undefined): Pick<DiskOptions, 'encrypted' | 'kmsKeyId'> {
  const inherited = sourceVolume?.encrypted === true;
  const kmsKeyId = params.kmsKeyId ?? (inherited ? sourceVolume.kmsKeyId : undefined);
  return { encrypted: params.encrypted || inherited, ...(kmsKeyId !== undefined ? { kmsKeyId } : {}) };
}

/** --extra-volume-tags under --extra-tags, rendered with the claim's names. */
function operatorVolumeTags(deps: ControllerDeps, params: StorageClassParams, policy: ReturnType<typeof tagPolicyFor>): Record<string, string> {
  const data = volumeTemplateData(params);
  return {
    ...renderOperatorTags(deps.extraVolumeTags ?? {}, data, '--extra-volume-tags', policy),
    ...renderOperatorTags(deps.extraTags, data, '--extra-tags', policy),
  };
}

/** Caches the region's zones for the length of one request. */
function zonesOnce(deps: ControllerDeps): ZoneSource {
  let zones: ReturnType<ZoneSource> | undefined;
  return () => (zones ??= deps.cloud.availabilityZones());
}

export async function createVolume(deps: ControllerDeps, req: CreateVolumeRequest__Output, ctx: CallContext): Promise<CreateVolumeResponse> {
  const name = requireField(req.name, 'name');
  checkStringLength(name, 'name');
  const caps = checkVolumeCapabilities(req.volumeCapabilities, 'volume_capabilities');
  const tagPolicy = tagPolicyFor(deps, ctx.log);
  const params = parseStorageClass(req.parameters, req.mutableParameters, tagPolicy);
  const fsType = filesystemFor(params, caps);
  checkMultiAttach(params.volumeType, caps);

  const source = await resolveContentSource(deps.cloud, req.volumeContentSource);
  const limits = limitsOf(params.volumeType) ?? UNKNOWN_TYPE_SIZES;
  const sizeGiB = chooseSizeGiB(req.capacityRange, { ...limits, what: `type ${params.volumeType}` }, source.minSize);
  const performance = resolvePerformance(params, sizeGiB);
  const zones = zonesOnce(deps);
  const placement = await choosePlacement(req.accessibilityRequirements, zones, name, source.zone);

  const plan: DiskOptions = {
    name,
    capacityGiB: sizeGiB,
    volumeType: params.volumeType,
    ...performance,
    ...encryptionOf(params, source.volume),
    ...placement,
    // A copy stays on its source's Outpost, as it stays in its zone.
    ...(source.volume?.outpostArn !== undefined ? { outpostArn: source.volume.outpostArn } : {}),
    ...(source.snapshotId !== undefined ? { snapshotId: source.snapshotId } : {}),
    ...(source.volume !== undefined ? { sourceVolumeId: source.volume.volumeId } : {}),
    multiAttach: caps.multiAttach,
    // EC2 accepts an initialization rate only with a snapshot; one StorageClass serves
    // both fresh and restored claims, so the rate applies to restores alone.
    ...(source.snapshotId !== undefined && params.volumeInitializationRate !== undefined
      ? { volumeInitializationRate: params.volumeInitializationRate } : {}),
    tags: buildVolumeTags({
      name, extraTags: operatorVolumeTags(deps, params, tagPolicy), userTags: params.userTags,
      ...(deps.clusterId !== undefined ? { clusterId: deps.clusterId } : {}),
      ...(params.pvcName !== undefined ? { pvcName: params.pvcName } : {}),
      ...(params.pvcNamespace !== undefined ? { pvcNamespace: params.pvcNamespace } : {}),
      ...(params.pvName !== undefined ? { pvName: params.pvName } : {}),
      ...(params.iopsPerGB !== undefined ? { iopsPerGB: params.iopsPerGB } : {}),
      ...(params.allowAutoIopsIncreaseOnModify !== undefined ? { allowAutoIopsIncreaseOnModify: params.allowAutoIopsIncreaseOnModify } : {}),
    }),
  };
  const volumeContext = buildVolumeContext({
    ...(fsType !== undefined ? { fsType } : {}),
    formatOptions: params.formatOptions,
    blockAttachUntilInitialized: params.blockAttachUntilInitialized,
  });

  // A repeat may find a volume of another size inside the range; IOPS per GiB then follow its size.
  const planForSize = (capacityGiB: number): DiskOptions => ({ ...plan, capacityGiB, ...resolvePerformance(params, capacityGiB) });
  const disk = await findOrCreate(deps, req, plan, planForSize, zones, ctx);
  if (disk.state === 'error') {
    throw new CsiError('INTERNAL', `EC2 could not create volume ${disk.volumeId} for "${name}" (state "error"); check the KMS key and quotas, delete the volume and retry`);
  }
  return { volume: toCsiVolume(disk, volumeContext) };
}

async function findOrCreate(
  deps: ControllerDeps, req: CreateVolumeRequest__Output, plan: DiskOptions,
  planForSize: (capacityGiB: number) => DiskOptions, zones: ZoneSource, ctx: CallContext,
): Promise<Disk> {
  const existing = await deps.cloud.getDiskByName(plan.name);
  if (!existing || existing.state === 'deleting' || existing.state === 'deleted') return deps.cloud.createDisk(plan);
  let wanted = plan;
  try {
    wanted = planForSize(existing.capacityGiB);
  } catch {
    // Its size cannot carry the requested performance: compare with the plan, which will differ.
  }
  const diffs = differences(existing, {
    plan: wanted, capacityRange: req.capacityRange, allowedZones: await allowedZones(req.accessibilityRequirements, zones),
  });
  if (diffs.length > 0) {
    throw new CsiError('ALREADY_EXISTS', `volume name "${plan.name}" is taken by ${existing.volumeId}, which does not match this request: ${diffs.join('; ')}`);
  }
  ctx.log.debug({ volumeId: existing.volumeId, state: existing.state }, 'CreateVolume: the volume already exists');
  return waitWhileCreating(deps.cloud, existing, ctx.signal);
}
