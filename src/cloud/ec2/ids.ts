// Shapes of EC2 ids. An id that cannot be an EC2 id (csi-sanity's "fake-vol-id-123")
// is answered "not found" without spending an API call on it.
const VOLUME_ID = /^vol-[0-9a-f]+$/;
const INSTANCE_ID = /^i-[0-9a-f]+$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]+$/;

export const isVolumeId = (id: string): boolean => VOLUME_ID.test(id);
export const isInstanceId = (id: string): boolean => INSTANCE_ID.test(id);
export const isSnapshotId = (id: string): boolean => SNAPSHOT_ID.test(id);
