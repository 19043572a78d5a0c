// CSI snapshot RPCs: CreateSnapshot, DeleteSnapshot, ListSnapshots, GetSnapshot.
// CreateSnapshot is idempotent by name through the CSIVolumeSnapshotName tag (EC2's
// CreateSnapshot takes no client token), looked up before anything is created; the
// pipeline's per-name claim keeps two calls for one name from racing past that lookup.
import { isCloudError } from '../../cloud/errors.js';
import type { Cloud, Snapshot } from '../../cloud/types.js';
import { CsiError, invalidArgument, notFound } from '../../errors.js';
import type { ControllerHandlers } from '../../generated/csi/v1/Controller.js';
import type { Snapshot as CsiSnapshot } from '../../generated/csi/v1/Snapshot.js';
import type { Logger } from '../../logger.js';
import type { AsyncHandlers } from '../../server/pipeline.js';
import { GiB } from '../params/capacity.js';
import { parseSnapshotClassParameters, type SnapshotClassParameters } from '../params/snapshotClass.js';
import { tagPolicyFor, type ControllerDeps } from './deps.js';
import { finishSnapshot, needsFollowUp, TAG_FOLLOW_UP_PENDING } from './snapshots-followup.js';
import { pageOf } from './snapshots-pagination.js';
import { snapshotTags } from './snapshots-tags.js';
import { checkStringLength, looksLikeSnapshotId, looksLikeVolumeId, requireField } from './validate.js';

type SnapshotRpcs = Pick<AsyncHandlers<ControllerHandlers>, 'CreateSnapshot' | 'DeleteSnapshot' | 'ListSnapshots' | 'GetSnapshot'>;

export function toCsiSnapshot(s: Snapshot): CsiSnapshot {
  const ms = s.creationTime.getTime();
  return {
    snapshotId: s.snapshotId,
    sourceVolumeId: s.sourceVolumeId,
    sizeBytes: s.sizeGiB * GiB,
    creationTime: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
    readyToUse: s.state === 'completed',
  };
}

export function snapshotHandlers(deps: ControllerDeps): SnapshotRpcs {
  const { cloud } = deps;
  return {
    CreateSnapshot: async (req, ctx) => {
      checkStringLength(requireField(req.name, 'name'), 'name');
      requireField(req.sourceVolumeId, 'source_volume_id');
      const tagPolicy = tagPolicyFor(deps, ctx.log);
      const params = parseSnapshotClassParameters(req.parameters, new Date(), tagPolicy);
      await checkZones(cloud, params.fastRestoreZones);
      const existing = await cloud.getSnapshotByName(req.name);
      if (existing) return { snapshot: toCsiSnapshot(await reuse(cloud, existing, req, params, ctx.log)) };
      if (!looksLikeVolumeId(req.sourceVolumeId)) throw notFound(`source volume ${req.sourceVolumeId} does not exist`);
      const followUp = needsFollowUp(params);
      const snapshot = await cloud.createSnapshot({
        name: req.name,
        sourceVolumeId: req.sourceVolumeId,
        tags: {
          ...snapshotTags(deps, req.name, params.userTags, params.templateData, tagPolicy),
          ...(followUp ? { [TAG_FOLLOW_UP_PENDING]: 'true' } : {}),
        },
        ...(params.outpostArn ? { outpostArn: params.outpostArn } : {}),
      });
      ctx.log.info({ snapshotId: snapshot.snapshotId, name: req.name, state: snapshot.state }, 'snapshot created');
      if (followUp) await finishSnapshot(cloud, snapshot, params, ctx.log);
      return { snapshot: toCsiSnapshot(snapshot) };
    },

    DeleteSnapshot: async (req, ctx) => {
      requireField(req.snapshotId, 'snapshot_id');
      // An id that cannot be a snapshot names nothing, and deleting nothing succeeds.
      if (!looksLikeSnapshotId(req.snapshotId)) return {};
      try {
        const existed = await cloud.deleteSnapshot(req.snapshotId);
        ctx.log.info({ snapshotId: req.snapshotId, existed }, 'snapshot deleted');
      } catch (err) {
        if (!isCloudError(err, 'SnapshotNotFound')) throw err;
      }
      return {};
    },

    ListSnapshots: async (req) => {
      if (req.snapshotId) {
        const found = looksLikeSnapshotId(req.snapshotId) ? await cloud.getSnapshot(req.snapshotId) : undefined;
        const matches = found !== undefined && (!req.sourceVolumeId || found.sourceVolumeId === req.sourceVolumeId);
        return { entries: matches ? [{ snapshot: toCsiSnapshot(found) }] : [], nextToken: '' };
      }
      if (req.sourceVolumeId && !looksLikeVolumeId(req.sourceVolumeId)) return { entries: [], nextToken: '' };
      const filter = req.sourceVolumeId ? { sourceVolumeId: req.sourceVolumeId } : {};
      const page = await pageOf((max, token) => cloud.listSnapshots(filter, max, token), req.maxEntries, req.startingToken);
      return { entries: page.items.map((s) => ({ snapshot: toCsiSnapshot(s) })), nextToken: page.nextToken ?? '' };
    },

    GetSnapshot: async (req) => {
      requireField(req.snapshotId, 'snapshot_id');
      const found = looksLikeSnapshotId(req.snapshotId) ? await cloud.getSnapshot(req.snapshotId) : undefined;
      if (!found) throw notFound(`snapshot ${req.snapshotId} does not exist`);
      return { snapshot: toCsiSnapshot(found) };
    },
  };
}

async function checkZones(cloud: Cloud, zones: readonly string[]): Promise<void> {
  if (zones.length === 0) return;
  const known = new Set((await cloud.availabilityZones()).map((z) => z.name));
  const unknown = zones.filter((z) => !known.has(z));
  if (unknown.length > 0) {
    throw invalidArgument(`fastSnapshotRestoreAvailabilityZones: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a zone' : 'are not zones'} of this region; available: ${[...known].sort().join(', ')}`);
  }
}

/** A snapshot already carries the requested name: the answer to a repeat, or a conflict. */
async function reuse(
  cloud: Cloud, existing: Snapshot,
  req: { readonly name: string; readonly sourceVolumeId: string }, params: SnapshotClassParameters, log: Logger,
): Promise<Snapshot> {
  if (existing.sourceVolumeId !== req.sourceVolumeId) {
    throw new CsiError('ALREADY_EXISTS', `snapshot name "${req.name}" is already used by ${existing.snapshotId} of volume ${existing.sourceVolumeId}, not of ${req.sourceVolumeId}`);
  }
  if (existing.state === 'error') {
    // An errored snapshot never becomes ready; removing it lets the CO's retry start over.
    await cloud.deleteSnapshot(existing.snapshotId).catch((err: unknown) => {
      log.warn({ snapshotId: existing.snapshotId, error: err instanceof Error ? err.message : String(err) }, 'could not delete a failed snapshot');
    });
    throw new CsiError('UNAVAILABLE', `snapshot ${existing.snapshotId} for "${req.name}" failed in EC2 (state "error"); it was deleted, and the next retry takes a new one`);
  }
  if (existing.tags[TAG_FOLLOW_UP_PENDING] !== undefined) {
    log.info({ snapshotId: existing.snapshotId }, 'finishing the follow-up calls of an earlier attempt');
    await finishSnapshot(cloud, existing, params, log);
  }
  return existing;
}
