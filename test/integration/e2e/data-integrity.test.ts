// End to end on real loop devices: the driver in `all` mode, EC2 emulated by moto behind the
// data plane. What is written through a published volume must survive detach and
// re-attach, travel through a snapshot into a restored volume (and only what was there
// at snapshot time), and survive a live expansion that really grows the filesystem.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { byIdLinkPath } from '../../../local/dataplane/device-links.js';
import { runCommand } from '../../../src/node/exec.js';
import { growableFsType } from '../../../local/demo/host-capabilities.js';
import { GIB, VolumeWorkflow, type Mounted, type NodeFacts } from '../../../local/demo/volume-workflow.js';
import { writeDurably } from '../../../local/demo/durable-write.js';
import { unique } from '../../support/names.js';
import { IS_ROOT, NOT_ROOT_REASON, loopDevicesUnder, startLocalStack, type LocalStack } from './local-stack.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

async function deviceBytes(device: string): Promise<number> {
  const { stdout } = await runCommand('blockdev', ['--getsize64', device]);
  return Number(stdout.trim());
}

describe('data integrity through the driver on emulated EBS volumes', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let stack: LocalStack;
  let node: NodeFacts;
  let flow: VolumeWorkflow;

  before(async () => {
    stack = await startLocalStack();
    flow = new VolumeWorkflow(stack.driver, stack.workDir);
    node = await flow.nodeFacts();
  });

  after(async () => {
    const failed = await flow?.teardown();
    const stateDir = stack?.stateDir;
    await stack?.stop();
    assert.deepEqual(failed ?? [], [], 'clean-up steps failed');
    if (stateDir) assert.deepEqual(await loopDevicesUnder(stateDir), [], 'loop devices left behind');
  });

  test('the node is the emulator instance, in its zone', () => {
    assert.equal(node.nodeId, stack.instanceId);
    assert.equal(node.topology?.segments['topology.kubernetes.io/zone'], stack.imds.facts.availabilityZone);
  });

  test('data written before a detach is there after the volume is attached again', async () => {
    const volume = await flow.createVolume(unique('e2e-detach-attach'), node, { sizeGiB: 1 });
    const payload = randomBytes(3 * 1024 * 1024);
    let mounted = await flow.mount(volume, await flow.attach(volume, node), 'detach-attach');
    await writeDurably(join(mounted.targetPath, 'payload.bin'), payload);
    await flow.unmount(mounted);
    await flow.detach(volume, node);

    const link = byIdLinkPath('/dev', volume.volumeId);
    assert.equal(await exists(link), false, `${link} must disappear with the detach`);
    assert.equal(stack.dataPlane.hypervisor.record(volume.volumeId), undefined, 'no loop device may remain for a detached volume');

    const again = await flow.attach(volume, node);
    assert.equal(await exists(link), true, `${link} must come back with the attach`);
    mounted = await flow.mount(volume, again, 'detach-attach');
    assert.equal(sha256(await readFile(join(mounted.targetPath, 'payload.bin'))), sha256(payload));
    await flow.unmount(mounted);
    await flow.detach(volume, node);
  });

  test('a restored volume holds the data of the snapshot moment, not later writes', async () => {
    const source = await flow.createVolume(unique('e2e-snapshot-source'), node, { sizeGiB: 1 });
    const mounted = await flow.mount(source, await flow.attach(source, node), 'snapshot-source');
    const before = randomBytes(1024 * 1024);
    await writeDurably(join(mounted.targetPath, 'data.bin'), before);
    const snapshotId = await flow.snapshot(unique('e2e-snapshot'), source);
    const later = randomBytes(1024 * 1024);
    await writeDurably(join(mounted.targetPath, 'data.bin'), later);

    const restored = await flow.createVolume(unique('e2e-restored'), node, { sizeGiB: 2, fromSnapshot: snapshotId });
    assert.equal(restored.capacityBytes, 2 * GIB);
    const copy = await flow.mount(restored, await flow.attach(restored, node), 'restored');
    assert.equal(sha256(await readFile(join(copy.targetPath, 'data.bin'))), sha256(before), 'the restored file must be the one of the snapshot moment');
    assert.equal(sha256(await readFile(join(mounted.targetPath, 'data.bin'))), sha256(later), 'the source keeps its later write');
    await flow.unmount(copy);
    await flow.unmount(mounted);
  });

  test('expanding a mounted volume grows the device and the filesystem and keeps the data', async () => {
    const fsType = await growableFsType();
    const growFlow = new VolumeWorkflow(stack.driver, stack.workDir, fsType);
    try {
      const volume = await growFlow.createVolume(unique(`e2e-expand-${fsType}`), node, { sizeGiB: 1 });
      const mounted: Mounted = await growFlow.mount(volume, await growFlow.attach(volume, node), 'expand');
      const payload = randomBytes(512 * 1024);
      await writeDurably(join(mounted.targetPath, 'keep.bin'), payload);
      const before = await growFlow.usage(mounted);

      const newSize = await growFlow.expand(mounted, 3);
      assert.equal(newSize, 3 * GIB);
      const record = stack.dataPlane.hypervisor.record(volume.volumeId);
      assert.ok(record, 'the volume must be attached');
      assert.equal(await deviceBytes(record.loopDevice), 3 * GIB, 'the device must show the new size at once');
      const after = await growFlow.usage(mounted);
      assert.ok(after.totalBytes > before.totalBytes + GIB, `${fsType} must grow by about 2 GiB: ${before.totalBytes} → ${after.totalBytes}`);
      assert.equal(sha256(await readFile(join(mounted.targetPath, 'keep.bin'))), sha256(payload));
    } finally {
      assert.deepEqual(await growFlow.teardown(), []);
    }
  });
});
