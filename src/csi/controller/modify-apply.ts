// Applies one (possibly merged) change to a volume: wait out a modification still under
// way, read the volume, plan, and make at most one ModifyVolume call (the Cloud's
// modifyDisk waits until EC2 reports it optimizing or completed).
import type { Cloud, Disk } from '../../cloud/types.js';
import { notFound } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { planModification, type ModificationPlan } from './modify-plan.js';
import type { ChangeRequest } from './modify-coalescer.js';
import { waitWhileModifying, type WaitOptions } from './modify-state.js';

export interface ApplyDeps {
  readonly cloud: Cloud;
  readonly wait: WaitOptions;
}

export async function applyChange(deps: ApplyDeps, volumeId: string, change: ChangeRequest, log: Logger): Promise<Disk> {
  const { cloud } = deps;
  const latest = await waitWhileModifying((id) => cloud.getVolumeModification(id), volumeId, deps.wait);
  if (latest) log.debug({ volumeId, state: latest.state }, 'latest volume modification');
  const disk = await cloud.getDisk(volumeId);
  if (!disk) throw notFound(`volume ${volumeId} does not exist`);
  const plan = planModification(disk, change);
  let result = disk;
  if (plan.options) {
    log.info({ volumeId, from: { sizeGiB: disk.capacityGiB, type: disk.volumeType, iops: disk.iops, throughput: disk.throughput }, to: plan.options }, 'modifying volume');
    result = await cloud.modifyDisk(volumeId, plan.options);
  }
  await recordRatio(cloud, volumeId, plan, log);
  return result;
}

async function recordRatio(cloud: Cloud, volumeId: string, plan: ModificationPlan, log: Logger): Promise<void> {
  try {
    if (plan.tagsToDelete.length > 0) await cloud.deleteTags(volumeId, plan.tagsToDelete);
    if (Object.keys(plan.tagsToSet).length > 0) await cloud.createTags(volumeId, plan.tagsToSet);
  } catch (err) {
    // The volume already has its new performance; only a later expansion's IOPS scaling
    // depends on the tags, and policies that forbid tagging existing volumes are common.
    log.warn({ volumeId, error: err instanceof Error ? err.message : String(err) }, 'could not record the IOPS-per-GiB ratio tags');
  }
}
