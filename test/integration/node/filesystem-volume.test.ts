// The life of a filesystem volume on a real loop device, for ext4 and xfs: stage
// (format once), re-stage without reformatting, publish read-write and read-only,
// stats, expand after the device grows, unpublish, unstage, and the repeats and
// conflicts the CSI spec defines. Runs as root; skips with the reason otherwise.
import assert from 'node:assert/strict';
import { readFile, stat, symlink, writeFile, mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  canResizeExt4Online, csiError, hostHandlers, LoopRig, mountCapability, probeDevice, publishRequest, sh, skipReason, stageRequest,
  testContext, type Handlers, type LoopVolume,
} from './loop-rig.js';
import { MountTable } from '../../../src/node/mountinfo.js';

const reason = await skipReason(['mkfs.ext4', 'mkfs.xfs', 'blkid', 'losetup', 'resize2fs', 'xfs_growfs', 'blockdev']);

for (const fsType of ['ext4', 'xfs'] as const) {
  // xfs refuses filesystems under 300 MiB.
  const sizeMiB = fsType === 'xfs' ? 320 : 96;
  const grownMiB = sizeMiB + 128;
  const growSkip = fsType === 'ext4' && !(await canResizeExt4Online())
    ? 'this process lacks CAP_SYS_RESOURCE, which online ext4 growth needs (a privileged node pod has it)' : false;

  describe(`${fsType} volume on a loop device`, { skip: reason ?? false }, () => {
    let rig: LoopRig;
    let handlers: Handlers;
    let loop: LoopVolume;
    const ctx = testContext();
    const volumeId = 'vol-0aaaaaaaaaaaaaaa1';
    let staging: string;
    let target: string;
    let readOnlyTarget: string;
    const capability = mountCapability(fsType);
    let totalAfterExpand = 0;
    const stage = (): ReturnType<Handlers['NodeStageVolume']> =>
      handlers.NodeStageVolume(stageRequest({ volumeId, device: loop.device, stagingPath: staging, capability }), ctx);

    before(async () => {
      rig = await LoopRig.create();
      handlers = hostHandlers(rig);
      loop = await rig.volume(volumeId, sizeMiB);
      staging = rig.path('plugins', 'globalmount');
      target = rig.path('pods', 'pod-a', 'mount');
      readOnlyTarget = rig.path('pods', 'pod-b', 'mount');
    });
    after(async () => { await rig.cleanup(); });

    it('formats a blank device once and mounts it at the staging path', async () => {
      assert.equal(await probeDevice(loop.device), undefined, 'the new loop device starts blank');
      await stage();
      const probed = await probeDevice(loop.device);
      assert.equal(probed?.type, fsType);
      const mount = (await MountTable.read()).at(staging);
      assert.equal(mount?.fsType, fsType);
      assert.equal(mount?.source, loop.device);
      await writeFile(`${staging}/kept.txt`, 'written before unstage');
    });

    it('answers OK to the same stage again without touching the mount', async () => {
      const before = (await MountTable.read()).countAt(staging);
      await stage();
      assert.equal((await MountTable.read()).countAt(staging), before);
    });

    it('re-stages after unstage without reformatting: data written before is still there', async () => {
      const uuid = (await probeDevice(loop.device))?.uuid;
      await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
      assert.equal((await MountTable.read()).at(staging), undefined);
      await stage();
      assert.equal((await probeDevice(loop.device))?.uuid, uuid, 'same filesystem UUID: not reformatted');
      assert.equal(await readFile(`${staging}/kept.txt`, 'utf8'), 'written before unstage');
    });

    it('refuses an incompatible stage at the same path with ALREADY_EXISTS', async () => {
      const other = fsType === 'ext4' ? 'xfs' : 'ext4';
      await assert.rejects(handlers.NodeStageVolume(stageRequest({
        volumeId, device: loop.device, stagingPath: staging, capability: mountCapability(other),
      }), ctx), csiError('ALREADY_EXISTS', new RegExp(`as ${fsType}, not ${other}`)));
      await assert.rejects(handlers.NodeStageVolume(stageRequest({
        volumeId, device: loop.device, stagingPath: staging, capability: mountCapability(fsType, ['ro']),
      }), ctx), csiError('ALREADY_EXISTS', /read-only was asked for/));
      const second = await rig.volume('vol-0bbbbbbbbbbbbbbb2', sizeMiB);
      await assert.rejects(handlers.NodeStageVolume(stageRequest({
        volumeId: 'vol-0bbbbbbbbbbbbbbb2', device: second.device, stagingPath: staging, capability,
      }), ctx), csiError('ALREADY_EXISTS', /another device/));
      assert.equal(await probeDevice(second.device), undefined, 'the refused device was not formatted');
    });

    it('publishes read-write with a bind mount, idempotently', async () => {
      const req = publishRequest({ volumeId, device: loop.device, stagingPath: staging, capability, targetPath: target });
      await handlers.NodePublishVolume(req, ctx);
      await handlers.NodePublishVolume(req, ctx);
      const table = await MountTable.read();
      assert.equal(table.countAt(target), 1, 'the repeat did not stack a second mount');
      assert.equal(await readFile(`${target}/kept.txt`, 'utf8'), 'written before unstage');
      await writeFile(`${target}/from-pod.txt`, 'hello');
      assert.equal(await readFile(`${staging}/from-pod.txt`, 'utf8'), 'hello');
    });

    it('publishes read-only where writes fail, and refuses to flip an existing publish', async () => {
      await handlers.NodePublishVolume(publishRequest({
        volumeId, device: loop.device, stagingPath: staging, capability, targetPath: readOnlyTarget, readonly: true,
      }), ctx);
      assert.equal(await readFile(`${readOnlyTarget}/from-pod.txt`, 'utf8'), 'hello');
      await assert.rejects(writeFile(`${readOnlyTarget}/nope.txt`, 'x'), { code: 'EROFS' });
      await assert.rejects(handlers.NodePublishVolume(publishRequest({
        volumeId, device: loop.device, stagingPath: staging, capability, targetPath: target, readonly: true,
      }), ctx), csiError('ALREADY_EXISTS', /read-write/));
    });

    it('reports bytes, inodes and a healthy condition', async () => {
      const stats = await handlers.NodeGetVolumeStats({ volumeId, volumePath: target, stagingTargetPath: staging }, ctx);
      const bytes = stats.usage?.find((u) => u.unit === 'BYTES');
      const inodes = stats.usage?.find((u) => u.unit === 'INODES');
      assert.ok(bytes && inodes);
      const total = Number(bytes.total);
      // xfs keeps its (64 MiB minimum) log outside the reported blocks.
      assert.ok(total > sizeMiB * 1024 * 1024 * 0.7 && total <= sizeMiB * 1024 * 1024, `total ${total}`);
      assert.ok(Number(bytes.used) > 0 && Number(bytes.available) > 0);
      assert.ok(Number(inodes.total) > 0 && Number(inodes.used) >= 2);
      assert.deepEqual(stats.volumeCondition, { abnormal: false, message: 'volume is healthy' });
    });

    it('grows the filesystem online after the device grows', { skip: growSkip }, async () => {
      await rig.grow(loop, grownMiB);
      const answer = await handlers.NodeExpandVolume({
        volumeId, volumePath: target, stagingTargetPath: staging, capacityRange: { requiredBytes: grownMiB * 1024 * 1024, limitBytes: 0 },
        volumeCapability: capability, secrets: {},
      }, ctx);
      assert.equal(Number(answer.capacityBytes), grownMiB * 1024 * 1024);
      const stats = await handlers.NodeGetVolumeStats({ volumeId, volumePath: target, stagingTargetPath: staging }, ctx);
      const total = Number(stats.usage?.find((u) => u.unit === 'BYTES')?.total);
      assert.ok(total > sizeMiB * 1024 * 1024, `filesystem grew past the old size: ${total}`);
      totalAfterExpand = total;
      // Asking for more than the device has means the resize has not reached us yet.
      await assert.rejects(handlers.NodeExpandVolume({
        volumeId, volumePath: target, stagingTargetPath: staging, capacityRange: { requiredBytes: 10 * grownMiB * 1024 * 1024, limitBytes: 0 },
        volumeCapability: capability, secrets: {},
      }, ctx), csiError('FAILED_PRECONDITION', /less than/));
    });

    it('refuses to unstage while the volume is still published', async () => {
      await assert.rejects(handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx),
        csiError('FAILED_PRECONDITION', /still published/));
      assert.ok((await MountTable.read()).at(staging), 'staging mount is still there');
    });

    it('unpublishes and removes the target; a repeat is OK', async () => {
      for (const path of [target, readOnlyTarget]) {
        await handlers.NodeUnpublishVolume({ volumeId, targetPath: path }, ctx);
        assert.equal((await MountTable.read()).at(path), undefined);
        await assert.rejects(stat(path), { code: 'ENOENT' });
        await handlers.NodeUnpublishVolume({ volumeId, targetPath: path }, ctx);
      }
      assert.equal(await readFile(`${staging}/from-pod.txt`, 'utf8'), 'hello', 'data is intact in the staging mount');
    });

    it('refuses to publish when nothing is staged', async () => {
      await assert.rejects(handlers.NodePublishVolume(publishRequest({
        volumeId, device: loop.device, stagingPath: rig.path('never-staged'), capability, targetPath: target,
      }), ctx), csiError('FAILED_PRECONDITION', /not staged/));
    });

    it('unstages, removes the staging directory, and a repeat is OK', async () => {
      await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
      assert.equal((await MountTable.read()).at(staging), undefined);
      await assert.rejects(stat(staging), { code: 'ENOENT' });
      await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
      const probed = await probeDevice(loop.device);
      assert.equal(probed?.type, fsType, 'the filesystem is still on the device');
    });

    it('re-stages a device that grew while unstaged: data intact, filesystem grown where allowed', async () => {
      const biggerMiB = grownMiB + 64;
      await rig.grow(loop, biggerMiB);
      await stage();
      try {
        assert.equal(await readFile(`${staging}/from-pod.txt`, 'utf8'), 'hello');
        const stats = await handlers.NodeGetVolumeStats({ volumeId, volumePath: staging, stagingTargetPath: staging }, ctx);
        const total = Number(stats.usage?.find((u) => u.unit === 'BYTES')?.total);
        if (growSkip) {
          // Growth is refused here, and stage must still succeed with the data mounted.
          assert.ok(total <= sizeMiB * 1024 * 1024, `total ${total}`);
        } else {
          assert.ok(total > totalAfterExpand, `stage grew the filesystem past ${totalAfterExpand} bytes: ${total}`);
        }
      } finally {
        await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
      }
    });

    it('refuses a staging path whose symlink leads outside its directory', async () => {
      const base = rig.path('links');
      await mkdir(base, { recursive: true });
      await symlink('/etc', `${base}/escape`);
      await assert.rejects(handlers.NodeStageVolume(stageRequest({
        volumeId, device: loop.device, stagingPath: `${base}/escape/globalmount`, capability,
      }), ctx), csiError('INVALID_ARGUMENT', /staging_target_path .* symlink .* leads outside/));
      assert.equal(await sh('findmnt', ['-n', '-o', 'TARGET', '--source', loop.device]).catch(() => ''), '', 'nothing mounted');
    });
  });
}
