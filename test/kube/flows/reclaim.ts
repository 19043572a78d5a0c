// Flow 6: reclaimPolicy. Delete: deleting the claim deletes the PV and the EC2 volume. Retain:
// the PV stays (Released) and so does the EC2 volume, even after the PV itself is deleted.
import assert from 'node:assert/strict';
import { DeleteVolumeCommand } from '@aws-sdk/client-ec2';
import type { PersistentVolume } from '../../support/kube/types.js';
import type { Flow } from '../suite.js';
import { claim, deleteClaim, ec2Volume, pvRef, volumeIdOf, waitBound } from '../objects.js';
import { SC } from '../values.js';

export const reclaimFlow: Flow = {
  name: '6 reclaimPolicy Delete removes the EC2 volume, Retain keeps it',
  async run({ admin, ec2 }) {
    await admin.create(claim('reclaim-delete', { storageClassName: SC.immediate }));
    await admin.create(claim('reclaim-retain', { storageClassName: SC.retain }));
    const { volume: deletePv } = await waitBound(admin, 'reclaim-delete');
    const { volume: retainPv } = await waitBound(admin, 'reclaim-retain');
    assert.equal(deletePv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(retainPv.spec.persistentVolumeReclaimPolicy, 'Retain');

    await deleteClaim(admin, 'reclaim-delete');
    await admin.waitGone(pvRef(deletePv.metadata.name), 'the Delete PV to be deleted');
    assert.equal(await ec2Volume(ec2, volumeIdOf(deletePv)), undefined, 'Delete: EC2 deleted the volume');

    await deleteClaim(admin, 'reclaim-retain');
    const released = await admin.waitUntil<PersistentVolume>(pvRef(retainPv.metadata.name), 'the Retain PV to be Released', (p) => p.status?.phase === 'Released');
    assert.equal(released.spec.csi?.volumeHandle, volumeIdOf(retainPv));
    const retainedId = volumeIdOf(retainPv);
    assert.equal((await ec2Volume(ec2, retainedId))?.State, 'available', 'Retain: the volume outlives its claim');
    await admin.delete(pvRef(retainPv.metadata.name));
    await admin.waitGone(pvRef(retainPv.metadata.name), 'the Released PV to be deleted');
    // Give a (wrong) DeleteVolume time to arrive before checking nothing sent one.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await ec2Volume(ec2, retainedId))?.State, 'available', 'Retain: deleting the PV leaves the EC2 volume alone');
    await ec2.send(new DeleteVolumeCommand({ VolumeId: retainedId }));
  },
};
