// Tags written on a new snapshot: the user's (VolumeSnapshotClass over --extra-tags), then
// the driver's own name and cluster tags last, so that no user tag can disown a snapshot.
import { invalidArgument } from '../../errors.js';
import { TAG_SNAPSHOT_NAME } from '../../tags.js';
import { clusterTags, MAX_TAGS_PER_RESOURCE } from '../params/volumeTags.js';
import type { ControllerDeps } from './deps.js';

export function snapshotTags(
  deps: Pick<ControllerDeps, 'clusterId' | 'extraTags'>, name: string, userTags: Readonly<Record<string, string>>,
): Record<string, string> {
  const tags = { ...deps.extraTags, ...userTags, [TAG_SNAPSHOT_NAME]: name, ...clusterTags(deps.clusterId) };
  const count = Object.keys(tags).length;
  if (count > MAX_TAGS_PER_RESOURCE) {
    throw invalidArgument(`the snapshot would carry ${count} tags (driver, --extra-tags and tagSpecification parameters); EBS allows at most ${MAX_TAGS_PER_RESOURCE}`);
  }
  return tags;
}
