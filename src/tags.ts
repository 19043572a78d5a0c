// Tag names the driver writes (kept identical to the reference driver so that existing
// IAM policies and tooling keep working) and validation of user-supplied tags.

export const TAG_VOLUME_NAME = 'CSIVolumeName';
export const TAG_SNAPSHOT_NAME = 'CSIVolumeSnapshotName';
export const TAG_DRIVER_MANAGED = 'ebs.csi.aws.com/cluster';
export const TAG_CLUSTER_NAME = 'ebs.csi.aws.com/cluster-name';
export const TAG_LEGACY_CLUSTER = 'KubernetesCluster';
/** With --k8s-tag-cluster-id: "<cluster-id>-dynamic-<volume or snapshot name>", as the reference writes it. */
export const TAG_NAME = 'Name';
export const clusterOwnershipTag = (clusterId: string): string => `kubernetes.io/cluster/${clusterId}`;
export const TAG_PVC_NAME = 'kubernetes.io/created-for/pvc/name';
export const TAG_PVC_NAMESPACE = 'kubernetes.io/created-for/pvc/namespace';
export const TAG_PV_NAME = 'kubernetes.io/created-for/pv/name';
/**
 * The IOPS-per-GiB ratio a volume was given (StorageClass or VolumeAttributesClass
 * iopsPerGB), under the reference driver's name, so volumes move between the two drivers.
 */
export const TAG_IOPS_PER_GB = 'ebs.csi.aws.com/IOPSPerGb';
/**
 * "true" when expansions may raise the volume's IOPS to keep its ratio
 * (allowAutoIOPSIncreaseOnModify), also under the reference's name. Without it, an expansion
 * keeps the IOPS the volume has, as the reference does.
 */
export const TAG_ALLOW_AUTO_IOPS_INCREASE = 'ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify';
/**
 * The ratio tag of this driver's first releases. Still read: such volumes were scaled on
 * every expansion, and keep that behaviour until a VolumeAttributesClass sets a new ratio.
 */
export const TAG_LEGACY_IOPS_PER_GB = 'ebs.csi.aws.com/iops-per-gb';

const MAX_KEY = 128;
const MAX_VALUE = 256;

/** Throws with the reason when a user tag key is not allowed; `what` names the field. */
export function checkUserTag(key: string, value: string, what: string): void {
  if (key.length === 0) throw new Error(`${what}: tag key is empty`);
  if (key.length > MAX_KEY) throw new Error(`${what}: tag key "${key.slice(0, 20)}…" is longer than ${MAX_KEY} characters`);
  if (value.length > MAX_VALUE) throw new Error(`${what}: value of tag "${key}" is longer than ${MAX_VALUE} characters`);
  if (key.toLowerCase().startsWith('aws:')) throw new Error(`${what}: tag key "${key}" uses the prefix "aws:", which AWS reserves`);
  if (key === TAG_VOLUME_NAME || key === TAG_SNAPSHOT_NAME || key.startsWith('kubernetes.io') || key.startsWith('ebs.csi.aws.com/')) {
    throw new Error(`${what}: tag key "${key}" is reserved for the driver (CSIVolumeName, CSIVolumeSnapshotName, kubernetes.io*, ebs.csi.aws.com/*)`);
  }
}

/** Parses "key1=value1,key2=value2" (the --extra-tags format); empty input gives no tags. */
export function parseTagList(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`"${item}" is not key=value`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    checkUserTag(key, value, `tag "${key}"`);
    tags[key] = value;
  }
  return tags;
}
