// Flow 4: a VolumeSnapshot of a claim becomes readyToUse (snapshot-controller and csi-snapshotter,
// EC2 shows a completed snapshot of that volume, tagged from the VolumeSnapshot's name), a new
// claim restores from it (EC2 creates the volume from that snapshot), and deleting both removes
// the snapshot from EC2 (deletionPolicy Delete).
import assert from 'node:assert/strict';
import type { VolumeSnapshotContent } from '../../support/kube/types.js';
import type { Flow } from '../suite.js';
import {
  claim, deleteClaim, ec2Snapshot, ec2Volume, NAMESPACE, readySnapshot, snapshotRef, tagsOf, volumeIdOf, waitBound,
} from '../objects.js';
import { SC, SNAPSHOT_CLASS, SNAPSHOT_TAG } from '../values.js';

export const snapshotFlow: Flow = {
  name: '4 VolumeSnapshot readyToUse, restore into a new claim, delete both: the EC2 snapshot is gone',
  async run({ admin, ec2 }) {
    const source = 'snapshot-source';
    await admin.create(claim(source, { storageClassName: SC.immediate, size: '3Gi' }));
    const { volume: sourcePv } = await waitBound(admin, source);
    const sourceVolumeId = volumeIdOf(sourcePv);

    const snapshotName = 'snapshot';
    await admin.create({
      apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot',
      metadata: { name: snapshotName, namespace: NAMESPACE },
      spec: { volumeSnapshotClassName: SNAPSHOT_CLASS, source: { persistentVolumeClaimName: source } },
    });
    const ready = await readySnapshot(admin, snapshotName);
    assert.equal(ready.status?.restoreSize, '3Gi');
    const contentName = ready.status?.boundVolumeSnapshotContentName;
    assert.ok(contentName, 'the snapshot is bound to a content');
    const content = await admin.get<VolumeSnapshotContent>({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent', name: contentName });
    const snapshotId = content.status?.snapshotHandle ?? '';
    assert.match(snapshotId, /^snap-[0-9a-f]+$/);
    const snap = await ec2Snapshot(ec2, snapshotId);
    assert.equal(snap?.VolumeId, sourceVolumeId, 'EC2 snapshotted the claim\'s volume');
    assert.equal(snap?.State, 'completed');
    assert.equal(tagsOf(snap ?? {})[SNAPSHOT_TAG], `${NAMESPACE}/${snapshotName}`, 'tagged from the names the snapshotter\'s --extra-create-metadata sends');

    const restored = 'snapshot-restore';
    await admin.create(claim(restored, {
      storageClassName: SC.immediate, size: '3Gi', dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshotName },
    }));
    const { volume: restoredPv } = await waitBound(admin, restored);
    const restoredVolume = await ec2Volume(ec2, volumeIdOf(restoredPv));
    assert.equal(restoredVolume?.SnapshotId, snapshotId, 'EC2 created the restored volume from the snapshot');
    assert.notEqual(volumeIdOf(restoredPv), sourceVolumeId);

    await deleteClaim(admin, restored);
    await admin.delete(snapshotRef(snapshotName));
    await admin.waitGone({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotContent', name: contentName }, 'the VolumeSnapshotContent to be deleted');
    await admin.waitGone(snapshotRef(snapshotName), 'the VolumeSnapshot to be deleted');
    assert.equal(await ec2Snapshot(ec2, snapshotId), undefined, `${snapshotId} is deleted in EC2`);
    await deleteClaim(admin, source);
  },
};
