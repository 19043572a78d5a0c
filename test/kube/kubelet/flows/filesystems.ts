// Flow 1: an ext4 claim and an xfs claim, each mounted by a pod that writes a file. The scheduler
// places the pods on the kubelet's Node, the provisioner creates the volumes in its zone, the
// attach/detach controller and external-attacher attach them (EC2 shows them in-use on the
// node's instance; the data plane gives each a loop device), and the kubelet stages (format, mount)
// and publishes them through the node plugin: the host shows each device mounted twice with its
// filesystem, at the kubelet's staging path and inside the pod's volume folder. The pods go (the
// kubelet unpublishes and unstages, the volumes are detached and EC2 shows them available, no
// mount of theirs is left), and a new pod that mounts both reads each file back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DRIVER_NAME } from '../../../support/kube/cluster.js';
import type { Flow } from '../suite.js';
import { waitAttached, waitNoAttachments } from '../../objects.js';
import {
  appPod, claim, deleteClaim, deletePods, ec2Volume, loopOf, mountsOfDevice, podRef, volumeIdOf, waitBound, waitRunning,
} from '../objects.js';
import { SC } from '../values.js';

const FILESYSTEMS = [['ext4', SC.ext4], ['xfs', SC.xfs]] as const;

export const filesystemsFlow: Flow = {
  name: '1 ext4 and xfs claims: pods write a file and go; a new pod on the node reads both back',
  async run({ k, admin, ec2 }) {
    const stamp = randomBytes(6).toString('hex');
    const proof = (fs: string): string => `written on ${fs} ${stamp}`;
    for (const [fs, storageClassName] of FILESYSTEMS) {
      await admin.create(claim(`data-${fs}`, { storageClassName }));
      await admin.create(appPod(`writer-${fs}`, { mounts: { [`data-${fs}`]: '/data' }, script: `echo "${proof(fs)}" > /data/proof && sync` }));
    }
    const volumes: { fs: string; pvName: string; volumeId: string; loop: string }[] = [];
    for (const [fs] of FILESYSTEMS) {
      const pod = await waitRunning(admin, `writer-${fs}`);
      assert.equal(pod.spec.nodeName, k.nodeName, 'the scheduler placed the pod on the kubelet\'s Node');
      const { volume: pv } = await waitBound(admin, `data-${fs}`);
      assert.equal(pv.spec.csi?.fsType, fs);
      const volumeId = volumeIdOf(pv);
      const va = await waitAttached(admin, pv);
      assert.equal(va.spec.nodeName, k.nodeName);
      const attachment = (await ec2Volume(ec2, volumeId))?.Attachments?.[0];
      assert.equal(attachment?.InstanceId, k.instanceId, 'EC2 attached the volume to the kubelet\'s instance');
      assert.equal(attachment?.State, 'attached');
      const loop = loopOf(k, volumeId) ?? assert.fail(`the data plane gave ${volumeId} no device`);

      // The host: one filesystem of the claim's type on the volume's device, staged and published.
      const mounts = await mountsOfDevice(loop);
      assert.deepEqual([...new Set(mounts.map((m) => m.fsType))], [fs], `${loop} mounts: ${JSON.stringify(mounts)}`);
      const staging = join(k.node.rootDir, 'plugins', 'kubernetes.io', 'csi', DRIVER_NAME);
      const publish = join(k.node.rootDir, 'pods', pod.metadata.uid ?? '', 'volumes', 'kubernetes.io~csi', pv.metadata.name, 'mount');
      assert.ok(mounts.some((m) => m.mountPoint.startsWith(`${staging}/`) && m.mountPoint.endsWith('/globalmount')), `staged under ${staging}: ${JSON.stringify(mounts.map((m) => m.mountPoint))}`);
      assert.ok(mounts.some((m) => m.mountPoint === publish), `published at ${publish}: ${JSON.stringify(mounts.map((m) => m.mountPoint))}`);

      const { stdout } = await k.execInPod(podRef(`writer-${fs}`), ['cat', '/data/proof']);
      assert.equal(stdout.trim(), proof(fs));
      volumes.push({ fs, pvName: pv.metadata.name, volumeId, loop });
    }

    await deletePods(admin, FILESYSTEMS.map(([fs]) => `writer-${fs}`));
    for (const v of volumes) {
      await waitNoAttachments(admin, v.pvName, 90_000);
      const detached = await ec2Volume(ec2, v.volumeId);
      assert.equal(detached?.State, 'available', `EC2 shows ${v.volumeId} detached`);
      assert.equal(loopOf(k, v.volumeId), undefined, 'the data plane took the device away');
      assert.deepEqual((await mountsOfDevice(v.loop)).map((m) => m.mountPoint), [], `nothing of ${v.fs} is mounted any more`);
    }

    await admin.create(appPod('reader', { mounts: Object.fromEntries(FILESYSTEMS.map(([fs]) => [`data-${fs}`, `/${fs}`])) }));
    await waitRunning(admin, 'reader');
    for (const [fs] of FILESYSTEMS) {
      const { stdout } = await k.execInPod(podRef('reader'), ['cat', `/${fs}/proof`]);
      assert.equal(stdout.trim(), proof(fs), `the ${fs} file survived detach and re-attach`);
    }
    await deletePods(admin, ['reader']);
    for (const [fs] of FILESYSTEMS) await deleteClaim(admin, ec2, `data-${fs}`);
  },
};
