// Flow 2: a block-mode claim. The kubelet asks the node plugin to stage and publish the raw device
// (no filesystem: the driver must not format it), and the pod sees a block device at its
// devicePath. The pod writes a record at an offset and reads it back; on the host the bytes are in
// the volume's backing file (the "disk" EC2 attached), and the device carries no filesystem.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { runCommand } from '../../../../src/node/exec.js';
import type { Flow } from '../suite.js';
import { waitAttached, waitNoAttachments } from '../../objects.js';
import {
  appPod, claim, deleteClaim, deletePods, ec2Volume, loopOf, mountsOfDevice, podRef, volumeIdOf, waitBound, waitRunning,
} from '../objects.js';
import { SC } from '../values.js';

const DEVICE = '/dev/xvda';
/** Where the record goes on the device: 1 MiB in, in 512-byte blocks. */
const SEEK_BLOCKS = 2048;

export const blockFlow: Flow = {
  name: '2 block-mode claim: the pod writes and reads the raw device; the bytes are on the volume',
  async run({ k, admin, ec2 }) {
    const record = `block record ${randomBytes(8).toString('hex')}`;
    await admin.create(claim('raw', { storageClassName: SC.ext4, block: true }));
    await admin.create(appPod('raw-writer', {
      devices: { raw: DEVICE },
      script: `[ -b ${DEVICE} ] && printf '%s' '${record}' | dd of=${DEVICE} bs=512 seek=${SEEK_BLOCKS} conv=notrunc,fsync`,
    }));
    await waitRunning(admin, 'raw-writer');
    const { volume: pv } = await waitBound(admin, 'raw');
    assert.equal(pv.spec.volumeMode, 'Block');
    const volumeId = volumeIdOf(pv);
    await waitAttached(admin, pv);
    const loop = loopOf(k, volumeId) ?? assert.fail(`the data plane gave ${volumeId} no device`);

    const { stdout } = await k.execInPod(podRef('raw-writer'),
      ['dd', `if=${DEVICE}`, 'bs=512', `skip=${SEEK_BLOCKS}`, 'count=1']);
    assert.equal(stdout.slice(0, record.length), record, 'the pod reads back what it wrote to the raw device');

    // The host: the bytes reached the volume's file, and no filesystem was made or mounted.
    const file = await open(k.dataPlane.hypervisor.store.volumeFile(volumeId), 'r');
    try {
      const bytes = Buffer.alloc(record.length);
      await file.read(bytes, 0, record.length, SEEK_BLOCKS * 512);
      assert.equal(bytes.toString('utf8'), record, 'the record is in the volume\'s backing file');
    } finally {
      await file.close();
    }
    const probe = await runCommand('blkid', ['-p', loop], { timeoutMs: 10_000, okExitCodes: [2] });
    assert.equal(probe.exitCode, 2, `the block volume carries no filesystem signature: ${probe.stdout}`);
    const mounts = await mountsOfDevice(loop);
    assert.ok(mounts.length > 0, 'the device is bound into the kubelet\'s block paths');
    assert.deepEqual(mounts.filter((m) => m.fsType !== 'devtmpfs').map((m) => `${m.fsType} ${m.mountPoint}`), [],
      'only binds of the device node, no filesystem mount');

    await deletePods(admin, ['raw-writer']);
    await waitNoAttachments(admin, pv.metadata.name, 90_000);
    assert.equal((await ec2Volume(ec2, volumeId))?.State, 'available');
    assert.deepEqual((await mountsOfDevice(loop)).map((m) => m.mountPoint), []);
    await deleteClaim(admin, ec2, 'raw');
  },
};
