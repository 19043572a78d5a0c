// The calls that finish a snapshot after EC2 created it: fast snapshot restore, then the
// lock (last, because a locked snapshot can no longer be deleted). A snapshot that asks for
// them is created with a marker tag, removed once they succeeded: a retry after a crash
// that finds the marker finishes the job instead of handing out a snapshot that silently
// lacks its lock. When a follow-up fails the half-made snapshot is deleted, so the CO's
// retry starts clean, and the error says what failed and what was cleaned up.
import { CloudError, isCloudError } from '../../cloud/errors.js';
import type { Cloud, Snapshot } from '../../cloud/types.js';
import { CsiError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { SnapshotClassParameters } from '../params/snapshotClass.js';

/** Present on a snapshot whose follow-up calls have not all succeeded yet. */
export const TAG_FOLLOW_UP_PENDING = 'ebs.csi.aws.com/follow-up-pending';

export const needsFollowUp = (params: SnapshotClassParameters): boolean =>
  params.fastRestoreZones.length > 0 || params.lock !== undefined;

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The same kind of error as `cause` (so the gRPC code stays right) with a fuller message. */
function withMessage(cause: unknown, message: string): Error {
  if (cause instanceof CloudError) return new CloudError(cause.kind, message, cause.awsCode);
  if (cause instanceof CsiError) return new CsiError(cause.code, message);
  return new CsiError('INTERNAL', message);
}

export async function finishSnapshot(cloud: Cloud, snapshot: Snapshot, params: SnapshotClassParameters, log: Logger): Promise<void> {
  const id = snapshot.snapshotId;
  let step = '';
  try {
    if (params.fastRestoreZones.length > 0) {
      step = `enabling fast snapshot restore in ${params.fastRestoreZones.join(', ')}`;
      await cloud.enableFastSnapshotRestores(id, params.fastRestoreZones);
    }
    if (params.lock) {
      step = `locking it in ${params.lock.mode} mode`;
      await cloud.lockSnapshot(id, params.lock);
    }
  } catch (err) {
    throw withMessage(err, `snapshot ${id} was created, but ${step} failed: ${reasonOf(err)}; ${await discard(cloud, id, log)}`);
  }
  try {
    await cloud.deleteTags(id, [TAG_FOLLOW_UP_PENDING]);
  } catch (err) {
    // The snapshot is complete; a left-over marker only makes a later repeat redo the
    // (repeatable) follow-ups, so this is not worth failing the request for.
    log.warn({ snapshotId: id, error: reasonOf(err) }, 'could not remove the follow-up marker tag');
  }
}

async function discard(cloud: Cloud, snapshotId: string, log: Logger): Promise<string> {
  try {
    await cloud.deleteSnapshot(snapshotId);
    log.info({ snapshotId }, 'deleted the half-made snapshot');
    return 'the snapshot was deleted so that the next attempt starts afresh';
  } catch (err) {
    if (isCloudError(err, 'SnapshotNotFound')) return 'the snapshot is already gone';
    log.error({ snapshotId, error: reasonOf(err) }, 'could not delete the half-made snapshot');
    return `deleting the snapshot failed as well (${reasonOf(err)}); the next attempt retries the missing steps`;
  }
}
