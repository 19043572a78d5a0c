// ControllerExpandVolume and ControllerModifyVolume. Both funnel their performance and size
// changes through one per-volume coalescer, so that a resize and a VolumeAttributesClass
// change sent together become a single ModifyVolume. For that to work the pipeline must
// not make either RPC claim the volume's in-flight key: the coalescer orders the changes.
// Tag changes (tagSpecification_N / tagDeletion_N) never need ModifyVolume.
import type { Disk } from '../../cloud/types.js';
import { CsiError, invalidArgument } from '../../errors.js';
import type { ControllerHandlers } from '../../generated/csi/v1/Controller.js';
import type { Logger } from '../../logger.js';
import type { AsyncHandlers } from '../../server/pipeline.js';
import { GiB, gibRange } from '../params/capacity.js';
import { parseModifyParameters } from '../params/modifyParameters.js';
import { tagPolicyFor, type ControllerDeps } from './deps.js';
import { applyChange } from './modify-apply.js';
import { ModifyCoalescer, type ChangeRequest } from './modify-coalescer.js';
import { validateExpand, validateModify } from './modify-plan.js';
import type { WaitOptions } from './modify-state.js';
import { requireField } from './validate.js';
import { existingDisk } from './volumes.js';

type ResizeRpcs = Pick<AsyncHandlers<ControllerHandlers>, 'ControllerExpandVolume' | 'ControllerModifyVolume'>;

export interface ResizeOptions {
  /** How long a change waits for others to the same volume before it is applied (default 2 s, as the reference). */
  readonly coalesceWindowMs?: number;
  /** Polling of a modification already under way when a new change arrives. */
  readonly wait?: Partial<WaitOptions>;
}

const DEFAULT_WAIT: WaitOptions = { pollMs: 1000, maxPollMs: 15_000, timeoutMs: 5 * 60_000 };

export function resizeHandlers(deps: ControllerDeps, options: ResizeOptions = {}): ResizeRpcs {
  const { cloud } = deps;
  const applyDeps = { cloud, wait: { ...DEFAULT_WAIT, ...options.wait } };
  const coalescer = new ModifyCoalescer<Disk, Logger>(
    (volumeId, change, log) => applyChange(applyDeps, volumeId, change, log), options.coalesceWindowMs ?? 2000,
  );

  return {
    ControllerExpandVolume: async (req, ctx) => {
      requireField(req.volumeId, 'volume_id');
      if (!req.capacityRange) throw invalidArgument('capacity_range is required');
      const range = gibRange(req.capacityRange);
      if (range.minGiB === undefined) throw invalidArgument('capacity_range.required_bytes is required: it is the size to expand to');
      if (range.maxGiB !== undefined && range.minGiB > range.maxGiB) {
        throw new CsiError('OUT_OF_RANGE', `no whole GiB size lies between capacity_range.required_bytes and limit_bytes (${range.minGiB}–${range.maxGiB} GiB after rounding)`);
      }
      const disk = await existingDisk(cloud, req.volumeId);
      if (range.minGiB < disk.capacityGiB) {
        throw new CsiError('OUT_OF_RANGE', `volume ${disk.volumeId} has ${disk.capacityGiB} GiB; EBS volumes cannot shrink to ${range.minGiB} GiB`);
      }
      validateExpand(disk, range.minGiB);
      const nodeExpansionRequired = req.volumeCapability?.accessType !== 'block';
      if (range.minGiB === disk.capacityGiB) return { capacityBytes: disk.capacityGiB * GiB, nodeExpansionRequired };
      const change: ChangeRequest = { capacityGiB: range.minGiB, ...(range.maxGiB !== undefined ? { capacityLimitGiB: range.maxGiB } : {}) };
      const result = await coalescer.submit(disk.volumeId, change, ctx.log);
      return { capacityBytes: Math.max(result.capacityGiB, range.minGiB) * GiB, nodeExpansionRequired };
    },

    ControllerModifyVolume: async (req, ctx) => {
      requireField(req.volumeId, 'volume_id');
      const params = parseModifyParameters(req.mutableParameters, tagPolicyFor(deps, ctx.log));
      const disk = await existingDisk(cloud, req.volumeId);
      const change: ChangeRequest = {
        ...(params.volumeType ? { volumeType: params.volumeType } : {}),
        ...(params.iops !== undefined ? { iops: params.iops } : {}),
        ...(params.iopsPerGB !== undefined ? { iopsPerGB: params.iopsPerGB } : {}),
        ...(params.allowAutoIopsIncrease !== undefined ? { allowAutoIopsIncrease: params.allowAutoIopsIncrease } : {}),
        ...(params.throughput !== undefined ? { throughput: params.throughput } : {}),
      };
      if (Object.keys(change).length > 0) {
        validateModify(disk, change);
        await coalescer.submit(disk.volumeId, change, ctx.log);
      }
      if (Object.keys(params.tagsToAdd).length > 0) await cloud.createTags(disk.volumeId, params.tagsToAdd);
      if (params.tagKeysToDelete.length > 0) await cloud.deleteTags(disk.volumeId, params.tagKeysToDelete);
      return {};
    },
  };
}
