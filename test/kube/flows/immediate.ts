// Flow 1: a claim of a StorageClass with Immediate binding and allowedTopologies is provisioned at
// once, in the one zone allowed, with the parameters and the PVC/PV names the provisioner sends.
import assert from 'node:assert/strict';
import { DRIVER_NAME } from '../../support/kube/cluster.js';
import {
  claim, deleteClaim, ec2Volume, pvRef, tagsOf, volumeIdOf, waitBound, waitForEvent, zonesOf, NAMESPACE,
} from '../objects.js';
import type { Flow } from '../suite.js';
import { SC, ZONE_B } from '../values.js';

export const immediateFlow: Flow = {
  name: '1 Immediate binding with allowedTopologies: provisioned at once in the allowed zone',
  async run({ admin, ec2 }) {
    const name = 'immediate';
    await admin.create(claim(name, { storageClassName: SC.immediate, size: '2Gi' }));
    const { volume: pv } = await waitBound(admin, name);

    assert.equal(pv.spec.csi?.driver, DRIVER_NAME);
    assert.deepEqual(zonesOf(pv), [ZONE_B], 'the PV is pinned to the only zone the StorageClass allows');
    assert.equal(pv.spec.capacity?.storage, '2Gi');
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.spec.csi?.fsType, 'ext4', 'the provisioner\'s --default-fstype from the chart');
    await waitForEvent(admin, 'PersistentVolumeClaim', name, 'ProvisioningSucceeded', new RegExp(pv.metadata.name));

    const volumeId = volumeIdOf(pv);
    const volume = await ec2Volume(ec2, volumeId);
    assert.ok(volume, `EC2 knows ${volumeId}`);
    assert.equal(volume.AvailabilityZone, ZONE_B);
    assert.equal(volume.Size, 2);
    assert.equal(volume.VolumeType, 'gp3');
    assert.equal(volume.State, 'available');
    const tags = tagsOf(volume);
    assert.equal(tags.CSIVolumeName, pv.metadata.name);
    assert.equal(tags['ebs.csi.aws.com/cluster'], 'true');
    // Sent by the provisioner because the chart gives it --extra-create-metadata.
    const sent = (parameter: string): string => `the provisioner sent ${parameter} (the chart's --extra-create-metadata) and the driver tagged it`;
    assert.equal(tags['kubernetes.io/created-for/pvc/name'], name, sent('csi.storage.k8s.io/pvc/name'));
    assert.equal(tags['kubernetes.io/created-for/pvc/namespace'], NAMESPACE, sent('csi.storage.k8s.io/pvc/namespace'));
    assert.equal(tags['kubernetes.io/created-for/pv/name'], pv.metadata.name, sent('csi.storage.k8s.io/pv/name'));

    await deleteClaim(admin, name);
    await admin.waitGone(pvRef(pv.metadata.name), `PV ${pv.metadata.name} to be deleted`);
    assert.equal(await ec2Volume(ec2, volumeId), undefined, `${volumeId} is deleted in EC2 with its PV`);
  },
};
