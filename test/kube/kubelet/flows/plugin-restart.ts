// Flow 5: the node plugin is SIGKILLed while a pod uses its volume. The pod keeps its mount (it
// lives in the kernel, not in the plugin) and its data; the plugin's container is started again
// (restartPolicy Always) and livenessprobe's /healthz, which probes it over its socket, answers
// ok again; the kubelet reaches the new process through the same registered socket. When the pod
// goes, the restarted plugin unpublishes and unstages the volume it never saw being mounted, and
// the volume is detached: no mount left, EC2 shows it available.
import assert from 'node:assert/strict';
import { DRIVER_CONTAINER } from '../../../support/kube/controller.js';
import { httpEndpointOf, LIVENESS_CONTAINER } from '../../../support/kubelet/node-plugin.js';
import { waitFor } from '../../../support/ports.js';
import type { Flow } from '../suite.js';
import { waitNoAttachments } from '../../objects.js';
import {
  appPod, claim, deleteClaim, deletePods, ec2Volume, loopOf, mountsOfDevice, podRef, volumeIdOf, waitBound, waitRunning,
} from '../objects.js';
import { SC } from '../values.js';

async function healthz(url: string): Promise<number> {
  return fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
}

export const pluginRestartFlow: Flow = {
  name: '5 node plugin killed while a pod uses its volume: it comes back, and unmount and detach still succeed',
  async run({ k, admin, ec2 }) {
    await admin.create(claim('survivor', { storageClassName: SC.ext4 }));
    await admin.create(appPod('survivor', { mounts: { survivor: '/data' }, script: 'echo before > /data/log && sync' }));
    await waitRunning(admin, 'survivor');
    const { volume: pv } = await waitBound(admin, 'survivor');
    const volumeId = volumeIdOf(pv);
    const loop = loopOf(k, volumeId) ?? assert.fail(`the data plane gave ${volumeId} no device`);
    const probe = httpEndpointOf(k.nodePlugin, LIVENESS_CONTAINER);
    assert.equal(await healthz(probe), 200, 'livenessprobe reports the plugin healthy before the kill');

    const killed = k.nodePlugin.process(DRIVER_CONTAINER);
    const restarts = k.nodePlugin.restarts(DRIVER_CONTAINER);
    k.nodePlugin.kill(DRIVER_CONTAINER, 'SIGKILL');
    const exit = await killed.exited;
    assert.equal(exit.signal, 'SIGKILL');
    // With the plugin gone the pod still has its volume: the mount is the kernel's.
    await k.execInPod(podRef('survivor'), ['sh', '-c', 'echo during >> /data/log && sync']);
    assert.ok((await mountsOfDevice(loop)).length >= 2, 'the staging and publish mounts outlive the plugin');

    await waitFor('the node plugin to be started again and healthy', async () =>
      k.nodePlugin.restarts(DRIVER_CONTAINER) > restarts && k.nodePlugin.process(DRIVER_CONTAINER).running() && await healthz(probe) === 200, 60_000);
    const { stdout } = await k.execInPod(podRef('survivor'), ['cat', '/data/log']);
    assert.equal(stdout, 'before\nduring\n');

    const restarted = k.nodePlugin.process(DRIVER_CONTAINER);
    await deletePods(admin, ['survivor']);
    await waitNoAttachments(admin, pv.metadata.name, 90_000);
    assert.equal((await ec2Volume(ec2, volumeId))?.State, 'available', 'EC2 shows the volume detached');
    assert.deepEqual((await mountsOfDevice(loop)).map((m) => m.mountPoint), [], 'no mount of the volume is left');
    const log = restarted.output();
    assert.match(log, new RegExp(`volume unpublished .*volumeId=${volumeId}`), 'the restarted plugin unpublished the volume');
    assert.match(log, new RegExp(`volume unstaged .*volumeId=${volumeId}.*wasMounted=true`), 'the restarted plugin unstaged the volume');
    await deleteClaim(admin, ec2, 'survivor');
  },
};
