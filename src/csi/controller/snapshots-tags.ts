// Tags written on a new snapshot, in the reference driver's order: the cluster's Name tag,
// then the operator's --extra-tags, then the VolumeSnapshotClass's tagSpecification_N (which
// win over --extra-tags, as in the reference); the driver's own name and cluster tags last, so
// that no user tag can disown a snapshot.
import { TAG_SNAPSHOT_NAME } from '../../tags.js';
import type { TemplateData } from '../../template/index.js';
import { checkTagCount, nameTag, ownershipTags } from '../params/volumeTags.js';
import { renderOperatorTags, type TagPolicy } from '../params/tagTemplate.js';
import type { ControllerDeps } from './deps.js';

export function snapshotTags(
  deps: Pick<ControllerDeps, 'clusterId' | 'extraTags'>, name: string, userTags: Readonly<Record<string, string>>,
  data: TemplateData, policy: TagPolicy,
): Record<string, string> {
  // The reference writes --extra-tags on snapshots without rendering them; we render them with
  // the snapshot's names, and leave out (with a warning) one that needs a volume's names.
  const extra = renderOperatorTags(deps.extraTags, data, '--extra-tags', { ...policy, warnOnly: true });
  const tags = { ...nameTag(deps.clusterId, name), ...extra, ...userTags, [TAG_SNAPSHOT_NAME]: name, ...ownershipTags(deps.clusterId) };
  checkTagCount(tags, 'snapshot');
  return tags;
}
