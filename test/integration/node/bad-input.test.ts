// Bad requests against real devices: each gets the CSI code and a message naming the
// field, and — the point of doing this on a real device — nothing is formatted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MountTable } from '../../../src/node/mountinfo.js';
import {
  csiError, hostHandlers, LoopRig, mountCapability, probeDevice, publishRequest, sh, skipReason, stageRequest, testContext,
  type Handlers, type LoopVolume,
} from './loop-rig.js';

const reason = await skipReason(['mkfs.ext4', 'mkfs.xfs', 'blkid', 'losetup']);

describe('bad node requests on a real device', { skip: reason ?? false }, () => {
  let rig: LoopRig;
  let handlers: Handlers;
  let blank: LoopVolume;
  let staging: string;
  const ctx = testContext();
  const volumeId = 'vol-0eeeeeeeeeeeeeee5';

  before(async () => {
    rig = await LoopRig.create();
    handlers = hostHandlers(rig);
    blank = await rig.volume(volumeId, 64);
    staging = rig.path('staging');
  });
  after(async () => { await rig.cleanup(); });

  const stageWith = (overrides: Partial<Parameters<typeof stageRequest>[0]>): ReturnType<Handlers['NodeStageVolume']> =>
    handlers.NodeStageVolume(stageRequest({
      volumeId, device: blank.device, stagingPath: staging, capability: mountCapability(), ...overrides,
    }), ctx);

  it('names missing fields', async () => {
    await assert.rejects(stageWith({ volumeId: '' }), csiError('INVALID_ARGUMENT', /volume_id is required/));
    await assert.rejects(stageWith({ stagingPath: '' }), csiError('INVALID_ARGUMENT', /staging_target_path is required/));
    await assert.rejects(stageWith({ capability: null }), csiError('INVALID_ARGUMENT', /volume_capability is required/));
    await assert.rejects(handlers.NodePublishVolume(publishRequest({
      volumeId, device: blank.device, stagingPath: staging, capability: mountCapability(), targetPath: '',
    }), ctx), csiError('INVALID_ARGUMENT', /target_path is required/));
    await assert.rejects(handlers.NodeUnpublishVolume({ volumeId: '', targetPath: rig.path('t') }, ctx),
      csiError('INVALID_ARGUMENT', /volume_id/));
    await assert.rejects(handlers.NodeGetVolumeStats({ volumeId, volumePath: '', stagingTargetPath: '' }, ctx),
      csiError('INVALID_ARGUMENT', /volume_path is required/));
  });

  it('refuses relative and traversing paths', async () => {
    await assert.rejects(stageWith({ stagingPath: 'relative/staging' }), csiError('INVALID_ARGUMENT', /staging_target_path must be an absolute path/));
    await assert.rejects(stageWith({ stagingPath: `${rig.dir}/../escape` }), csiError('INVALID_ARGUMENT', /staging_target_path must not contain/));
    await assert.rejects(handlers.NodeUnpublishVolume({ volumeId, targetPath: '/var/../etc' }, ctx),
      csiError('INVALID_ARGUMENT', /target_path must not contain/));
  });

  it('refuses unknown filesystem types and bad format options, formatting nothing', async () => {
    await assert.rejects(stageWith({ capability: mountCapability('ntfs') }),
      csiError('INVALID_ARGUMENT', /volume_capability\.mount\.fs_type must be one of ext4, ext3, xfs; got "ntfs"/));
    await assert.rejects(stageWith({ volumeContext: { blockSize: '4k; rm -rf /' } }),
      csiError('INVALID_ARGUMENT', /volume_context blockSize must be a positive whole number/));
    await assert.rejects(stageWith({ capability: mountCapability('xfs'), volumeContext: { bytesPerInode: '4096' } }),
      csiError('INVALID_ARGUMENT', /bytesPerInode is not supported for xfs/));
    await assert.rejects(stageWith({ volumeContext: { ext4ClusterSize: '65536' } }),
      csiError('INVALID_ARGUMENT', /ext4ClusterSize needs ext4BigAlloc/));
    await assert.rejects(stageWith({ capability: mountCapability('ext4', ['bind']) }),
      csiError('INVALID_ARGUMENT', /mount_flags must not contain "bind"/));
    await assert.rejects(stageWith({ capability: mountCapability('ext4', [], 'MULTI_NODE_MULTI_WRITER') }),
      csiError('INVALID_ARGUMENT', /only supported with access_type block/));
    assert.equal(await probeDevice(blank.device), undefined, 'the device is still blank');
    assert.equal((await MountTable.read()).at(staging), undefined);
  });

  it('never formats over another filesystem', async () => {
    const usedId = 'vol-0eeeeeeeeeeeeee77';
    const used = await rig.volume(usedId, 320);
    await sh('mkfs.xfs', ['-q', used.device]);
    const uuid = (await probeDevice(used.device))?.uuid;
    await assert.rejects(stageWith({ volumeId: usedId, device: used.device, stagingPath: rig.path('used') }), csiError('FAILED_PRECONDITION', /holds an xfs filesystem, not ext4; refusing to format/));
    assert.equal((await probeDevice(used.device))?.uuid, uuid, 'the xfs filesystem is untouched');
  });

  it('applies format options from volume_context', async () => {
    await stageWith({ volumeContext: { blocksize: '1024', inodesize: '256', numberofinodes: '4096' } });
    const info = await sh('dumpe2fs', ['-h', blank.device]);
    assert.match(info, /^Block size:\s+1024$/m);
    assert.match(info, /^Inode size:\s+256$/m);
    assert.match(info, /^Inode count:\s+4096$/m);
    await handlers.NodeUnstageVolume({ volumeId, stagingTargetPath: staging }, ctx);
  });

  it('answers NOT_FOUND naming the volume when no device appears', async () => {
    await assert.rejects(handlers.NodeStageVolume(stageRequest({
      volumeId: 'vol-0fffffffffffffff6', device: '', stagingPath: rig.path('nothing'), capability: mountCapability(),
    }), ctx), csiError('NOT_FOUND', /vol-0fffffffffffffff6/));
    await assert.rejects(handlers.NodeGetVolumeStats({ volumeId, volumePath: rig.path('missing'), stagingTargetPath: '' }, ctx),
      csiError('NOT_FOUND', /does not exist/));
    await assert.rejects(handlers.NodeExpandVolume({
      volumeId, volumePath: rig.dir, stagingTargetPath: '', capacityRange: null, volumeCapability: null, secrets: {},
    }, ctx), csiError('NOT_FOUND', /no volume/));
  });

  it('reports a filesystem that went read-only as abnormal', async () => {
    await stageWith({ capability: mountCapability('ext4', ['errors=remount-ro']) });
    const healthy = await handlers.NodeGetVolumeStats({ volumeId, volumePath: staging, stagingTargetPath: staging }, ctx);
    assert.equal(healthy.volumeCondition?.abnormal, false);
    // ext4's "abort" mount option simulates the fatal error that flips a filesystem read-only.
    await sh('mount', ['-o', 'remount,abort', staging]);
    const broken = await handlers.NodeGetVolumeStats({ volumeId, volumePath: staging, stagingTargetPath: staging }, ctx);
    assert.equal(broken.volumeCondition?.abnormal, true);
    assert.match(broken.volumeCondition?.message ?? '', /went read-only/);
  });
});
