// A raw block volume on a loop device: nothing to stage, the device bound onto a file
// at the target path, its size in stats and expand, and a clean unpublish.
import assert from 'node:assert/strict';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { MountTable } from '../../../src/node/mountinfo.js';
import {
  blockCapability, csiError, hostHandlers, LoopRig, probeDevice, publishRequest, skipReason, stageRequest, testContext,
  type Handlers, type LoopVolume,
} from './loop-rig.js';

const reason = await skipReason(['losetup', 'blockdev', 'blkid']);

describe('block volume on a loop device', { skip: reason ?? false }, () => {
  let rig: LoopRig;
  let handlers: Handlers;
  let loop: LoopVolume;
  const ctx = testContext();
  const volumeId = 'vol-0ccccccccccccccc3';
  const capability = blockCapability();
  let staging: string;
  let target: string;

  before(async () => {
    rig = await LoopRig.create();
    handlers = hostHandlers(rig);
    loop = await rig.volume(volumeId, 64);
    staging = rig.path('staging', 'vol');
    target = rig.path('pods', 'pod-a', 'volumeDevices', 'dev');
  });
  after(async () => { await rig.cleanup(); });

  it('stages without formatting or mounting anything', async () => {
    await handlers.NodeStageVolume(stageRequest({ volumeId, device: loop.device, stagingPath: staging, capability }), ctx);
    assert.equal(await probeDevice(loop.device), undefined, 'still blank');
    assert.equal((await MountTable.read()).at(staging), undefined);
  });

  it('publishes the device onto a file at the target path, idempotently', async () => {
    const req = publishRequest({ volumeId, device: loop.device, stagingPath: staging, capability, targetPath: target });
    await handlers.NodePublishVolume(req, ctx);
    await handlers.NodePublishVolume(req, ctx);
    assert.equal((await MountTable.read()).countAt(target), 1);
    const [published, device] = await Promise.all([stat(target), stat(loop.device)]);
    assert.ok(published.isBlockDevice());
    assert.equal(published.rdev, device.rdev);
    // Bytes written through the target land on the device.
    const handle = await open(target, 'r+');
    await handle.write(Buffer.from('raw bytes'), 0, 9, 4096);
    await handle.close();
    const check = await open(loop.device, 'r');
    const buffer = Buffer.alloc(9);
    await check.read(buffer, 0, 9, 4096);
    await check.close();
    assert.equal(buffer.toString(), 'raw bytes');
  });

  it('refuses a target path that is a directory with files in it, naming the path', async () => {
    const crowded = rig.path('pods', 'pod-c', 'volumeDevices', 'dev');
    await mkdir(crowded, { recursive: true });
    await writeFile(`${crowded}/keep.txt`, 'someone else\'s file');
    await assert.rejects(handlers.NodePublishVolume(publishRequest({
      volumeId, device: loop.device, stagingPath: staging, capability, targetPath: crowded,
    }), ctx), csiError('ALREADY_EXISTS', /target_path .* is a directory that is not empty/));
    assert.equal(await readFile(`${crowded}/keep.txt`, 'utf8'), 'someone else\'s file');
  });

  it('refuses another device at the same target with ALREADY_EXISTS', async () => {
    const other = await rig.volume('vol-0ddddddddddddddd4', 64);
    await assert.rejects(handlers.NodePublishVolume(publishRequest({
      volumeId: 'vol-0ddddddddddddddd4', device: other.device, stagingPath: staging, capability, targetPath: target,
    }), ctx), csiError('ALREADY_EXISTS', /another volume/));
  });

  it('reports the device size and condition in stats, and in expand after growth', async () => {
    const stats = await handlers.NodeGetVolumeStats({ volumeId, volumePath: target, stagingTargetPath: staging }, ctx);
    assert.deepEqual(stats.usage, [{ unit: 'BYTES', total: 64 * 1024 * 1024 }]);
    assert.equal(stats.volumeCondition?.abnormal, false);
    await rig.grow(loop, 96);
    const expanded = await handlers.NodeExpandVolume({
      volumeId, volumePath: target, stagingTargetPath: staging, capacityRange: { requiredBytes: 96 * 1024 * 1024, limitBytes: 0 },
      volumeCapability: capability, secrets: {},
    }, ctx);
    assert.equal(Number(expanded.capacityBytes), 96 * 1024 * 1024);
  });

  it('unpublishes, removes the file, and a repeat is OK', async () => {
    await handlers.NodeUnpublishVolume({ volumeId, targetPath: target }, ctx);
    assert.equal((await MountTable.read()).at(target), undefined);
    await assert.rejects(stat(target), { code: 'ENOENT' });
    await handlers.NodeUnpublishVolume({ volumeId, targetPath: target }, ctx);
    await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
  });
});
