// Every tag a new volume gets, in the reference driver's order: the cluster's Name and
// KubernetesCluster tags first, so that an operator or a StorageClass may override them;
// then the StorageClass's tagSpecification_N, then the operator's tags (which win over the
// StorageClass's, as in the reference); the driver's own tags last, so that no user tag can
// disown a volume (their keys are reserved anyway).
import { invalidArgument } from '../../errors.js';
import {
  TAG_ALLOW_AUTO_IOPS_INCREASE, TAG_CLUSTER_NAME, TAG_DRIVER_MANAGED, TAG_IOPS_PER_GB, TAG_LEGACY_CLUSTER, TAG_NAME, TAG_PVC_NAME,
  TAG_PVC_NAMESPACE, TAG_PV_NAME, TAG_VOLUME_NAME, clusterOwnershipTag,
} from '../../tags.js';

/** EC2 accepts at most 50 tags per resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

export interface VolumeTagInput {
  /** The CO's volume name (CreateVolumeRequest.name). */
  readonly name: string;
  readonly clusterId?: string;
  /** --extra-tags and --extra-volume-tags, templates already rendered. */
  readonly extraTags: Readonly<Record<string, string>>;
  /** tagSpecification_N, templates already rendered. */
  readonly userTags: Readonly<Record<string, string>>;
  readonly pvcName?: string;
  readonly pvcNamespace?: string;
  readonly pvName?: string;
  /** StorageClass iopsPerGB: recorded so that an expansion can scale the IOPS with the size. */
  readonly iopsPerGB?: number;
  /** StorageClass allowAutoIOPSIncreaseOnModify, when given: whether expansions may scale the IOPS. */
  readonly allowAutoIopsIncreaseOnModify?: boolean;
}

/** Tags that tie a resource to this driver and cluster (shared by volumes and snapshots). */
export function ownershipTags(clusterId: string | undefined): Record<string, string> {
  const tags: Record<string, string> = { [TAG_DRIVER_MANAGED]: 'true' };
  if (clusterId) {
    tags[clusterOwnershipTag(clusterId)] = 'owned';
    tags[TAG_CLUSTER_NAME] = clusterId;
  }
  return tags;
}

/** The Name tag the reference writes with --k8s-tag-cluster-id; user tags may replace it. */
export const nameTag = (clusterId: string | undefined, resourceName: string): Record<string, string> =>
  (clusterId ? { [TAG_NAME]: `${clusterId}-dynamic-${resourceName}` } : {});

export function checkTagCount(tags: Readonly<Record<string, string>>, what: string): void {
  const count = Object.keys(tags).length;
  if (count > MAX_TAGS_PER_RESOURCE) {
    throw invalidArgument(`the ${what} would carry ${count} tags (driver, --extra-tags and tagSpecification parameters); EBS allows at most ${MAX_TAGS_PER_RESOURCE}`);
  }
}

export function buildVolumeTags(input: VolumeTagInput): Record<string, string> {
  const overridable: Record<string, string> = {
    ...nameTag(input.clusterId, input.name),
    ...(input.clusterId ? { [TAG_LEGACY_CLUSTER]: input.clusterId } : {}),
  };
  const own: Record<string, string> = { [TAG_VOLUME_NAME]: input.name, ...ownershipTags(input.clusterId) };
  if (input.pvcName) own[TAG_PVC_NAME] = input.pvcName;
  if (input.pvcNamespace) own[TAG_PVC_NAMESPACE] = input.pvcNamespace;
  if (input.pvName) own[TAG_PV_NAME] = input.pvName;
  if (input.iopsPerGB !== undefined) own[TAG_IOPS_PER_GB] = String(input.iopsPerGB);
  if (input.allowAutoIopsIncreaseOnModify !== undefined) own[TAG_ALLOW_AUTO_IOPS_INCREASE] = String(input.allowAutoIopsIncreaseOnModify);
  const tags = { ...overridable, ...input.userTags, ...input.extraTags, ...own };
  checkTagCount(tags, 'volume');
  return tags;
}
