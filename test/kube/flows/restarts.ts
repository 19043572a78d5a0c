// Flow 8: the driver is SIGKILLed while EC2 is working on its request (the proxy holds EC2's answer,
// so the volume exists or the attachment is made but the driver never hears of it) and the pod
// starts it again, as a kubelet would. Provisioning and attaching must converge: the claim binds
// to exactly one EC2 volume, the attachment completes once, and nothing is leaked or duplicated.
import assert from 'node:assert/strict';
import { DRIVER_CONTAINER } from '../../support/kube/controller.js';
import type { DriverCluster } from '../../support/kube/cluster.js';
import { waitFor } from '../../support/ports.js';
import type { Flow } from '../suite.js';
import {
  claim, deleteClaim, driverVolumes, ec2Volume, podRef, podWith, pvRef, scheduledNode, volumeIdOf, volumesNamed, waitAttached,
  waitBound, waitNoAttachments,
} from '../objects.js';
import { SC } from '../values.js';

const HOLD_MS = 5000;

/** Waits for the action to reach EC2, SIGKILLs the driver, and waits for the pod to start it again. */
async function killDriverDuring(cluster: DriverCluster, action: string): Promise<void> {
  const pod = cluster.controller;
  if (!pod) throw new Error('the controller is not running');
  await waitFor(`${action} to reach EC2`, () => Promise.resolve((cluster.proxy.counts()[action] ?? 0) >= 1), 60_000);
  const restarts = pod.restarts(DRIVER_CONTAINER);
  const killed = pod.process(DRIVER_CONTAINER);
  killed.kill('SIGKILL');
  await killed.exited;
  // The next run's calls are answered at once.
  cluster.proxy.setFault(action, undefined);
  await waitFor('the driver to be started again', () => Promise.resolve(pod.restarts(DRIVER_CONTAINER) > restarts), 30_000);
}

export const restartDuringProvisioningFlow: Flow = {
  name: '8a driver SIGKILLed during provisioning: the claim binds to exactly one EC2 volume',
  async run({ admin, ec2, cluster }) {
    const before = (await driverVolumes(ec2)).length;
    cluster.proxy.resetCounts();
    cluster.proxy.setFault('CreateVolume', { holdResponseMs: HOLD_MS });
    const name = 'restart-provisioning';
    try {
      await admin.create(claim(name, { storageClassName: SC.immediate }));
      await killDriverDuring(cluster, 'CreateVolume');
    } finally {
      cluster.proxy.setFault('CreateVolume', undefined);
    }
    const { volume: pv } = await waitBound(admin, name, 120_000);
    const named = await volumesNamed(ec2, pv.metadata.name);
    assert.deepEqual(named.map((v) => v.VolumeId), [volumeIdOf(pv)], 'one EC2 volume carries the PV\'s name, and it is the PV\'s');
    assert.equal((await driverVolumes(ec2)).length, before + 1, 'no other volume was created');
    await deleteClaim(admin, name);
    await admin.waitGone(pvRef(pv.metadata.name), 'the PV to be deleted');
    assert.equal(await ec2Volume(ec2, volumeIdOf(pv)), undefined);
  },
};

export const restartDuringAttachFlow: Flow = {
  name: '8b driver SIGKILLed during attaching: the attachment completes once',
  async run({ admin, ec2, cluster }) {
    const name = 'restart-attach';
    await admin.create(claim(name, { storageClassName: SC.waitForConsumer }));
    cluster.proxy.resetCounts();
    cluster.proxy.setFault('AttachVolume', { holdResponseMs: HOLD_MS });
    try {
      await admin.create(podWith(`${name}-app`, name));
      await killDriverDuring(cluster, 'AttachVolume');
    } finally {
      cluster.proxy.setFault('AttachVolume', undefined);
    }
    const nodeName = await scheduledNode(admin, `${name}-app`);
    const node = cluster.nodes.find((n) => n.name === nodeName);
    const { volume: pv } = await waitBound(admin, name);
    const va = await waitAttached(admin, pv, 120_000);
    assert.equal(va.spec.nodeName, nodeName);
    const volume = await ec2Volume(ec2, volumeIdOf(pv));
    assert.equal(volume?.Attachments?.length, 1, 'attached once');
    assert.equal(volume?.Attachments?.[0]?.InstanceId, node?.instanceId);
    assert.equal(volume?.Attachments?.[0]?.State, 'attached');

    await admin.delete(podRef(`${name}-app`), { gracePeriodSeconds: 0 });
    await waitNoAttachments(admin, pv.metadata.name);
    assert.equal((await ec2Volume(ec2, volumeIdOf(pv)))?.State, 'available');
    await deleteClaim(admin, name);
  },
};
