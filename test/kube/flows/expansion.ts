// Flow 5: growing a claim (external-resizer calls ControllerExpandVolume: EC2 grows the volume, the
// PV shows the new size, the claim waits for the node's filesystem resize), and changing its
// VolumeAttributesClass (ControllerModifyVolume: EC2 applies the new IOPS, throughput and type),
// on the minors where VolumeAttributesClass is GA (storage.k8s.io/v1, Kubernetes 1.34 and later).
import assert from 'node:assert/strict';
import { DRIVER_NAME } from '../../support/kube/cluster.js';
import type { KubeObject, PersistentVolume, PersistentVolumeClaim } from '../../support/kube/types.js';
import type { Flow } from '../suite.js';
import { claim, deleteClaim, ec2Volume, pvcRef, pvRef, volumeIdOf, waitBound } from '../objects.js';
import { SC } from '../values.js';

export const VAC_GA_MINOR = 34;

export const expansionFlow: Flow = {
  name: '5a claim expansion: EC2 grows the volume, the PV and claim show it',
  async run({ admin, ec2 }) {
    const name = 'expand';
    await admin.create(claim(name, { storageClassName: SC.immediate, size: '1Gi' }));
    const { volume: pv } = await waitBound(admin, name);
    await admin.patch(pvcRef(name), { spec: { resources: { requests: { storage: '3Gi' } } } });
    const grown = await admin.waitUntil<PersistentVolume>(pvRef(pv.metadata.name), 'the PV to show 3Gi', (p) => p.spec.capacity?.storage === '3Gi');
    assert.equal(grown.spec.capacity?.storage, '3Gi');
    const volume = await ec2Volume(ec2, volumeIdOf(pv));
    assert.equal(volume?.Size, 3, 'EC2 grew the volume');
    // A filesystem volume still needs the node to grow its filesystem; no kubelet runs here.
    const pending = await admin.waitUntil<PersistentVolumeClaim>(pvcRef(name), 'the claim to wait for the node\'s filesystem resize',
      (c) => c.status?.conditions?.some((x) => x.type === 'FileSystemResizePending' && x.status === 'True') === true);
    assert.equal(pending.status?.capacity?.storage, '1Gi', 'the claim reports the new size only once the filesystem has grown');
    await deleteClaim(admin, name);
  },
};

export const attributesClassFlow: Flow = {
  name: '5b VolumeAttributesClass change: EC2 applies the new IOPS, throughput and type',
  minMinor: VAC_GA_MINOR,
  skipReason: `VolumeAttributesClass is GA (storage.k8s.io/v1) from Kubernetes 1.${VAC_GA_MINOR}`,
  async run({ admin, ec2 }) {
    const vac = (name: string, parameters: Record<string, string>): KubeObject & { driverName: string; parameters: Record<string, string> } => ({
      apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttributesClass', metadata: { name }, driverName: DRIVER_NAME, parameters,
    });
    await admin.apply(vac('e2e-gp3-fast', { iops: '4000', throughput: '250' }));
    await admin.apply(vac('e2e-io2', { type: 'io2', iops: '5000' }));
    const name = 'modify';
    await admin.create(claim(name, { storageClassName: SC.immediate, size: '10Gi' }));
    const { volume: pv } = await waitBound(admin, name);
    const volumeId = volumeIdOf(pv);

    const modifyTo = async (className: string): Promise<void> => {
      await admin.patch(pvcRef(name), { spec: { volumeAttributesClassName: className } });
      await admin.waitUntil<PersistentVolumeClaim>(pvcRef(name), `the claim to take VolumeAttributesClass ${className}`,
        (c) => c.status?.currentVolumeAttributesClassName === className);
    };
    await modifyTo('e2e-gp3-fast');
    let volume = await ec2Volume(ec2, volumeId);
    assert.equal(volume?.VolumeType, 'gp3');
    assert.equal(volume?.Iops, 4000);
    assert.equal(volume?.Throughput, 250);
    const after = await admin.get<PersistentVolume>(pvRef(pv.metadata.name));
    assert.equal(after.spec.volumeAttributesClassName, 'e2e-gp3-fast');

    await modifyTo('e2e-io2');
    volume = await ec2Volume(ec2, volumeId);
    assert.equal(volume?.VolumeType, 'io2');
    assert.equal(volume?.Iops, 5000);

    await deleteClaim(admin, name);
  },
};
