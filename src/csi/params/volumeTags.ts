// Every tag a new volume gets: the driver's own (how it finds and owns its volumes), the
// cluster's, the operator's --extra-tags and the StorageClass's tagSpecification_N.
// The driver's tags are applied last so that no user tag can disown a volume.
import { invalidArgument } from '../../errors.js';
import {
  TAG_CLUSTER_NAME, TAG_DRIVER_MANAGED, TAG_LEGACY_CLUSTER, TAG_PVC_NAME, TAG_PVC_NAMESPACE, TAG_PV_NAME,
  TAG_IOPS_PER_GB, TAG_VOLUME_NAME, clusterOwnershipTag,
} from '../../tags.js';

/** EC2 accepts at most 50 tags per resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

export interface VolumeTagInput {
  /** The CO's volume name (CreateVolumeRequest.name). */
  readonly name: string;
  readonly clusterId?: string;
  readonly extraTags: Readonly<Record<string, string>>;
  readonly userTags: Readonly<Record<string, string>>;
  readonly pvcName?: string;
  readonly pvcNamespace?: string;
  readonly pvName?: string;
  /** StorageClass iopsPerGB: recorded so that an expansion scales the IOPS with the size. */
  readonly iopsPerGB?: number;
}

/** Tags that tie a resource to this driver and cluster (shared by volumes and snapshots). */
export function clusterTags(clusterId: string | undefined): Record<string, string> {
  const tags: Record<string, string> = { [TAG_DRIVER_MANAGED]: 'true' };
  if (clusterId) {
    tags[clusterOwnershipTag(clusterId)] = 'owned';
    tags[TAG_LEGACY_CLUSTER] = clusterId;
    tags[TAG_CLUSTER_NAME] = clusterId;
  }
  return tags;
}

export function buildVolumeTags(input: VolumeTagInput): Record<string, string> {
  const own: Record<string, string> = { [TAG_VOLUME_NAME]: input.name, ...clusterTags(input.clusterId) };
  if (input.pvcName) own[TAG_PVC_NAME] = input.pvcName;
  if (input.pvcNamespace) own[TAG_PVC_NAMESPACE] = input.pvcNamespace;
  if (input.pvName) own[TAG_PV_NAME] = input.pvName;
  if (input.iopsPerGB !== undefined) own[TAG_IOPS_PER_GB] = String(input.iopsPerGB);
  const tags = { ...input.extraTags, ...input.userTags, ...own };
  const count = Object.keys(tags).length;
  if (count > MAX_TAGS_PER_RESOURCE) {
    throw invalidArgument(`the volume would carry ${count} tags (driver, --extra-tags and tagSpecification parameters); EBS allows at most ${MAX_TAGS_PER_RESOURCE}`);
  }
  return tags;
}
