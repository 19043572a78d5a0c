// Flow 3: attach and detach through Kubernetes: the attach/detach controller creates a
// VolumeAttachment for the scheduled pod, external-attacher calls ControllerPublishVolume and marks
// it attached (EC2 shows the attachment to that node's instance, on the device the publish context
// names); when the pod goes, the VolumeAttachment goes and EC2 shows the volume detached.
import assert from 'node:assert/strict';
import { DRIVER_NAME } from '../../support/kube/cluster.js';
import type { Flow } from '../suite.js';
import {
  claim, deleteClaim, ec2Volume, podRef, podWith, scheduledNode, volumeIdOf, waitAttached, waitBound, waitNoAttachments,
} from '../objects.js';
import { SC } from '../values.js';

export const attachFlow: Flow = {
  name: '3 attach through the attach/detach controller and external-attacher, detach when the pod goes',
  async run({ admin, ec2, cluster }) {
    const name = 'attach';
    await admin.create(claim(name, { storageClassName: SC.waitForConsumer }));
    await admin.create(podWith(`${name}-app`, name));
    const nodeName = await scheduledNode(admin, `${name}-app`);
    const node = cluster.nodes.find((n) => n.name === nodeName);
    assert.ok(node, `scheduled onto a registered Node (got ${nodeName})`);
    const { volume: pv } = await waitBound(admin, name);
    const volumeId = volumeIdOf(pv);

    const va = await waitAttached(admin, pv);
    assert.equal(va.spec.attacher, DRIVER_NAME);
    assert.equal(va.spec.nodeName, nodeName);
    const devicePath = va.status?.attachmentMetadata?.devicePath;
    assert.match(devicePath ?? '', /^\/dev\/xvd[a-z]{1,2}$/, 'the publish context carries the device EC2 attached to');
    const attached = await ec2Volume(ec2, volumeId);
    assert.equal(attached?.State, 'in-use');
    assert.equal(attached?.Attachments?.length, 1);
    assert.equal(attached?.Attachments?.[0]?.InstanceId, node.instanceId, 'EC2 attached it to the instance of the pod\'s node');
    assert.equal(attached?.Attachments?.[0]?.Device, devicePath);

    await admin.delete(podRef(`${name}-app`), { gracePeriodSeconds: 0 });
    await waitNoAttachments(admin, pv.metadata.name);
    const detached = await ec2Volume(ec2, volumeId);
    assert.equal(detached?.State, 'available', 'EC2 shows the volume detached once its VolumeAttachment is gone');
    assert.equal(detached?.Attachments?.length ?? 0, 0);

    await deleteClaim(admin, name);
  },
};
