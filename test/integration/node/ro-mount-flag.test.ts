// A volume whose PV mount options hold "ro" (the StorageClass or PV says read-only, the
// request's readonly field does not): staging mounts it read-only, so every bind of it is
// read-only too, and a repeat of the same publish must still answer OK (CSI idempotency).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { hostHandlers, LoopRig, mountCapability, publishRequest, skipReason, stageRequest, testContext, type Handlers } from './loop-rig.js';
import { MountTable, isReadOnly } from '../../../src/node/mountinfo.js';

const reason = await skipReason(['mkfs.ext4', 'blkid', 'losetup']);

describe('"ro" in the mount flags', { skip: reason ?? false }, () => {
  let rig: LoopRig;
  let handlers: Handlers;
  const ctx = testContext();
  const volumeId = 'vol-0ccccccccccccccc3';
  const capability = mountCapability('ext4', ['ro']);

  before(async () => {
    rig = await LoopRig.create();
    handlers = hostHandlers(rig);
  });
  after(async () => { await rig.cleanup(); });

  it('stages and publishes read-only, and the same publish again is OK', async () => {
    // "ro" on a blank device: the driver formats it first, then mounts it read-only.
    const loop = await rig.volume(volumeId, 96);
    const staging = rig.path('plugins', 'ro-globalmount');
    const target = rig.path('pods', 'pod-ro', 'mount');
    await handlers.NodeStageVolume(stageRequest({ volumeId, device: loop.device, stagingPath: staging, capability }), ctx);
    const req = publishRequest({ volumeId, device: loop.device, stagingPath: staging, capability, targetPath: target });
    await handlers.NodePublishVolume(req, ctx);
    await handlers.NodePublishVolume(req, ctx);
    const table = await MountTable.read();
    assert.equal(table.countAt(target), 1, 'the repeat did not stack a second mount');
    assert.equal(isReadOnly(table.at(target)?.mountOptions ?? []), true);
    await assert.rejects(writeFile(`${target}/nope.txt`, 'x'), { code: 'EROFS' });
    await handlers.NodeUnpublishVolume({ volumeId, targetPath: target }, ctx);
    await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
  });
});
