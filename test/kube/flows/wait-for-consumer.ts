// Flow 2: a WaitForFirstConsumer claim waits for its pod; the real scheduler places the pod on a
// Node (here restricted to zone a by the pod's nodeSelector), and the volume is created in that
// node's zone, which the provisioner learns from the node's CSINode topology keys and labels.
import assert from 'node:assert/strict';
import type { Flow } from '../suite.js';
import {
  claim, deleteClaim, ec2Volume, podRef, podWith, pvcRef, scheduledNode, volumeIdOf, waitBound, waitForEvent,
  waitNoAttachments, zonesOf,
} from '../objects.js';
import type { PersistentVolumeClaim } from '../../support/kube/types.js';
import { SC, ZONE_A } from '../values.js';

export const waitForConsumerFlow: Flow = {
  name: '2 WaitForFirstConsumer: the scheduler picks a Node, the volume is created in its zone',
  async run({ admin, ec2, cluster }) {
    const name = 'wait-for-consumer';
    await admin.create(claim(name, { storageClassName: SC.waitForConsumer }));
    await waitForEvent(admin, 'PersistentVolumeClaim', name, 'WaitForFirstConsumer', /waiting for first consumer/);
    const pending = await admin.get<PersistentVolumeClaim>(pvcRef(name));
    assert.equal(pending.status?.phase, 'Pending', 'nothing is provisioned before a pod uses the claim');

    const pod = podWith(`${name}-app`, name);
    await admin.create({ ...pod, spec: { ...(pod.spec as object), nodeSelector: { 'topology.kubernetes.io/zone': ZONE_A } } });
    const nodeName = await scheduledNode(admin, `${name}-app`);
    const node = cluster.nodes.find((n) => n.name === nodeName);
    assert.ok(node, `the pod runs on one of the registered Nodes (got ${nodeName})`);
    assert.equal(node.zone, ZONE_A);

    const { claim: bound, volume: pv } = await waitBound(admin, name);
    assert.equal(bound.metadata.annotations?.['volume.kubernetes.io/selected-node'], nodeName, 'the scheduler chose the node for the claim');
    assert.deepEqual(zonesOf(pv), [node.zone]);
    const volume = await ec2Volume(ec2, volumeIdOf(pv));
    assert.equal(volume?.AvailabilityZone, node.zone, 'EC2 created the volume in the zone of the node the pod was scheduled to');

    await admin.delete(podRef(`${name}-app`), { gracePeriodSeconds: 0 });
    await admin.waitGone(podRef(`${name}-app`), 'the pod to be deleted');
    // The attach/detach controller attached it for the pod; wait for the detach before deleting.
    await waitNoAttachments(admin, pv.metadata.name);
    await deleteClaim(admin, name);
  },
};
