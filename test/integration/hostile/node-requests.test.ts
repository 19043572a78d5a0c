// Hostile and careless node requests, sent as a new user would: straight over the driver's
// socket, driver in `all` mode on the local environment (moto, the data plane's loop
// devices, IMDS). Each refusal is checked for its code, for a message naming the field,
// and for the driver still answering Probe; at the end nothing outside the test's own
// directories has changed (no mount of a test device elsewhere, the decoy disk still
// blank, no entry where a hostile path pointed), no secret reached the log, and the node
// plugin idles at 0 % CPU. The numbered findings are those of issue 9.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { NodePublishVolumeRequest } from '../../../src/generated/csi/v1/NodePublishVolumeRequest.js';
import { MountTable } from '../../../src/node/mountinfo.js';
import { unique } from '../../support/names.js';
import { IS_ROOT, NOT_ROOT_REASON, startLocalStack, type LocalStack } from '../e2e/local-stack.js';
import { cpuShare, deviceNumberOf, expectRefused, listing, mountsOutside, signatureOf } from './hostile-rig.js';

const run = promisify(execFile);
const GIB = 1024 ** 3;
const SECRET = 'hunter2-do-not-log-7f3a';
const mountCap = (fsType = 'ext4', mountFlags: string[] = []) => ({
  mount: { fsType, mountFlags }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const },
});
const blockCap = { block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };

interface AttachedVolume { readonly volumeId: string; readonly publishContext: Record<string, string> }
interface StagedVolume extends AttachedVolume { readonly staging: string }

describe('hostile node requests over the socket', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let stack: LocalStack;
  let work: string;
  let decoy = '';
  let a: StagedVolume;
  let b: StagedVolume;
  let unstaged: AttachedVolume;
  const etcBefore: string[] = [];
  const deviceNumbers: string[] = [];

  const createAndAttach = async (name: string): Promise<AttachedVolume> => {
    const created = await stack.driver.controller.CreateVolume({
      name, capacityRange: { requiredBytes: GIB }, volumeCapabilities: [mountCap()], secrets: { password: SECRET },
    });
    const volumeId = created.volume?.volumeId ?? '';
    const published = await stack.driver.controller.ControllerPublishVolume({
      volumeId, nodeId: stack.instanceId, volumeCapability: mountCap(), secrets: { password: SECRET },
    });
    return { volumeId, publishContext: published.publishContext };
  };
  const publishReq = (over: Partial<NodePublishVolumeRequest>): NodePublishVolumeRequest => ({
    volumeId: a.volumeId, publishContext: a.publishContext, stagingTargetPath: a.staging,
    targetPath: join(work, 'pods', 'p1', 'mount'), volumeCapability: mountCap(), secrets: { password: SECRET }, ...over,
  });
  const refused = (call: Promise<unknown>, code: status, ...patterns: RegExp[]): Promise<string> =>
    expectRefused(stack.driver, call, code, ...patterns);

  before(async () => {
    stack = await startLocalStack();
    work = stack.workDir;
    await mkdir(work, { recursive: true });
    etcBefore.push(...await listing('/etc'));
    const stageNew = async (which: string): Promise<StagedVolume> => {
      const v = await createAndAttach(unique(`pvc-hostile-${which}`));
      const staging = join(work, 'staging', which);
      await stack.driver.node.NodeStageVolume({
        volumeId: v.volumeId, publishContext: v.publishContext, stagingTargetPath: staging, volumeCapability: mountCap(),
        secrets: { password: SECRET },
      });
      const record = stack.dataPlane.hypervisor.record(v.volumeId);
      assert.ok(record, `${v.volumeId} has a device`);
      deviceNumbers.push(await deviceNumberOf(record.loopDevice));
      return { ...v, staging };
    };
    a = await stageNew('a');
    b = await stageNew('b');
    unstaged = await createAndAttach(unique('pvc-hostile-never-staged'));
    // A blank disk that belongs to no volume: the driver must never format or mount it.
    const decoyFile = join(work, 'decoy.img');
    await writeFile(decoyFile, '');
    await truncate(decoyFile, 64 * 1024 * 1024);
    decoy = (await run('losetup', ['--find', '--show', decoyFile])).stdout.trim();
    deviceNumbers.push(await deviceNumberOf(decoy));
  });

  after(async () => {
    // Whatever is mounted under the test's directories goes first (deepest first): the staged
    // volumes, and whatever a regression let through (e.g. the decoy, formatted and mounted).
    const ours = (await MountTable.read()).entries.filter((e) => work && e.mountPoint.startsWith(`${work}/`))
      .sort((x, y) => y.mountPoint.length - x.mountPoint.length);
    for (const m of ours) await run('umount', [m.mountPoint]).catch(() => undefined);
    if (decoy) await run('losetup', ['-d', decoy]).catch(() => undefined);
    await stack?.stop();
  });

  it('finding 1: a target_path under /proc, /sys or /dev is INVALID_ARGUMENT at once, and the volume stays usable', async () => {
    for (const targetPath of ['/proc/x', '/proc/self/x/y', '/sys/x', '/dev/x']) {
      const started = Date.now();
      await refused(stack.driver.node.NodePublishVolume(publishReq({ targetPath }), 5000), status.INVALID_ARGUMENT,
        /^target_path ".*" is inside \/(proc|sys|dev)/);
      assert.ok(Date.now() - started < 2000, `${targetPath} answered in ${Date.now() - started} ms`);
    }
    await symlink('/proc', join(work, 'to-proc'));
    await refused(stack.driver.node.NodePublishVolume(publishReq({ targetPath: join(work, 'to-proc', 'x') }), 5000), status.INVALID_ARGUMENT,
      /^target_path .* is inside \/proc \(it resolves to \/proc\)/);
    // Nothing holds the volume: a publish and an unpublish right after are served, not ABORTED.
    const target = join(work, 'pods', 'after-proc', 'mount');
    await stack.driver.node.NodePublishVolume(publishReq({ targetPath: target }), 10_000);
    await stack.driver.node.NodeUnpublishVolume({ volumeId: a.volumeId, targetPath: target }, 10_000);
  });

  it('finding 2: NodeStageVolume never formats a device that is not the volume\'s', async () => {
    const staging = join(work, 'staging', 'wrong');
    // A volume that does not exist, and a blank loop device nobody attached as its devicePath.
    await refused(stack.driver.node.NodeStageVolume({
      volumeId: 'vol-0123456789abcdef9', publishContext: { devicePath: decoy, volumeSizeGiB: '1' }, stagingTargetPath: staging,
      volumeCapability: mountCap(),
    }, 20_000), status.NOT_FOUND, /no block device proven to be volume vol-0123456789abcdef9/,
    new RegExp(`${decoy} is a loop device backed by .*decoy\\.img, not by the emulated volume file`));
    assert.equal(await signatureOf(decoy), undefined, 'the decoy is still blank');
    assert.equal((await MountTable.read()).at(staging), undefined, 'nothing was mounted');
    // The same goes for a block publish: the decoy is never exposed.
    await refused(stack.driver.node.NodePublishVolume({
      volumeId: 'vol-0123456789abcdef9', publishContext: { devicePath: decoy }, stagingTargetPath: join(work, 'staging', 'raw'),
      targetPath: join(work, 'pods', 'raw', 'dev'),
      volumeCapability: blockCap,
    }, 20_000), status.NOT_FOUND, /no block device proven to be volume vol-0123456789abcdef9/);
  });

  it('finding 3: NodePublishVolume refuses a staging_target_path that holds another volume', async () => {
    const target = join(work, 'pods', 'thief', 'mount');
    await refused(stack.driver.node.NodePublishVolume(publishReq({
      volumeId: unstaged.volumeId, publishContext: unstaged.publishContext, stagingTargetPath: a.staging, targetPath: target,
    }), 20_000), status.FAILED_PRECONDITION, new RegExp(`^staging_target_path ${a.staging} holds .*, not volume ${unstaged.volumeId}`));
    await refused(stack.driver.node.NodePublishVolume(publishReq({
      volumeId: b.volumeId, publishContext: b.publishContext, stagingTargetPath: a.staging, targetPath: target,
    }), 20_000), status.FAILED_PRECONDITION, new RegExp(`not volume ${b.volumeId}`));
    assert.equal((await MountTable.read()).at(target), undefined, 'the other volume was not bound at the target');
  });

  it('finding 4: publish onto a regular file is ALREADY_EXISTS naming target_path; a relative volume_path is refused naming it', async () => {
    const file = join(work, 'pods', 'file-target');
    await mkdir(join(work, 'pods'), { recursive: true });
    await writeFile(file, 'someone\'s file');
    await refused(stack.driver.node.NodePublishVolume(publishReq({ targetPath: file })), status.ALREADY_EXISTS,
      /^target_path .*file-target exists and is not a directory/);
    assert.equal(await readFile(file, 'utf8'), 'someone\'s file');
    // NOT_FOUND, not INVALID_ARGUMENT: csi-sanity v5.4.0 requires NOT_FOUND for volume_path "some/path".
    await refused(stack.driver.node.NodeGetVolumeStats({ volumeId: a.volumeId, volumePath: 'some/path' }), status.NOT_FOUND,
      /^volume_path "some\/path" .*volume_path must be an absolute path/);
  });

  it('refuses "..", relative paths, NUL bytes and symlinks that lead out, naming the field', async () => {
    await refused(stack.driver.node.NodeStageVolume({
      volumeId: b.volumeId, publishContext: b.publishContext, stagingTargetPath: `${work}/../escape`, volumeCapability: mountCap(),
    }), status.INVALID_ARGUMENT, /^staging_target_path must not contain "\." or "\.\." segments/);
    await refused(stack.driver.node.NodePublishVolume(publishReq({ targetPath: 'relative/mount' })), status.INVALID_ARGUMENT,
      /^target_path must be an absolute path/);
    await refused(stack.driver.node.NodePublishVolume(publishReq({ targetPath: `${work}/pods/nul\0/mount` })), status.INVALID_ARGUMENT,
      /^target_path must not contain a NUL byte/);
    await refused(stack.driver.node.NodeUnpublishVolume({ volumeId: a.volumeId, targetPath: '/var/../etc' }), status.INVALID_ARGUMENT,
      /^target_path must not contain/);
    await mkdir(join(work, 'pods', 'evil'), { recursive: true });
    await symlink('/etc', join(work, 'pods', 'evil', 'link'));
    await refused(stack.driver.node.NodePublishVolume(publishReq({ targetPath: join(work, 'pods', 'evil', 'link', 'hostile-mount') })),
      status.INVALID_ARGUMENT, /^target_path .* has a symlink at .*link that leads outside/);
    await refused(stack.driver.node.NodeStageVolume({
      volumeId: b.volumeId, publishContext: b.publishContext, stagingTargetPath: join(work, 'pods', 'evil', 'link'),
      volumeCapability: mountCap(),
    }), status.INVALID_ARGUMENT, /^staging_target_path .* leads outside/);
  });

  it('refuses mount-flag and fsType injection, naming the field', async () => {
    for (const flag of ['rw,exec', ',suid', '--bind /', 'bind', 'remount', 'ro --bind']) {
      await refused(stack.driver.node.NodePublishVolume(publishReq({ volumeCapability: mountCap('ext4', [flag]) })), status.INVALID_ARGUMENT,
        /^volume_capability\.mount\.mount_flags /);
    }
    for (const fsType of ['ext4 -o exec', 'ext4;reboot', '../../bin/sh', 'ext4,bind', 'proc']) {
      await refused(stack.driver.node.NodeStageVolume({
        volumeId: b.volumeId, publishContext: b.publishContext, stagingTargetPath: join(work, 'staging', 'fs'),
        volumeCapability: mountCap(fsType),
      }), status.INVALID_ARGUMENT, /^volume_capability\.mount\.fs_type must be one of ext4, ext3, xfs; got /);
    }
  });

  it('refuses a 5 MiB message before any handler runs', async () => {
    await refused(stack.driver.node.NodeStageVolume({
      volumeId: b.volumeId, publishContext: b.publishContext, stagingTargetPath: join(work, 'staging', 'big'),
      volumeCapability: mountCap(), volumeContext: { blob: 'x'.repeat(5 * 1024 * 1024) },
    }), status.RESOURCE_EXHAUSTED, /larger than max/);
  });

  it('40 concurrent publishes of one volume at one target leave exactly one mount; each call is OK or ABORTED naming the volume', async () => {
    const target = join(work, 'pods', 'crowd', 'mount');
    const outcomes = await Promise.all(Array.from({ length: 40 }, async () => {
      try {
        await stack.driver.node.NodePublishVolume(publishReq({ targetPath: target }), 20_000);
        return 'OK';
      } catch (err) {
        const e = err as { code?: number; details?: string };
        assert.equal(e.code, status.ABORTED, `unexpected ${e.details ?? String(err)}`);
        assert.match(e.details ?? '', new RegExp(`volume:${a.volumeId}.*already in progress`));
        return 'ABORTED';
      }
    }));
    assert.ok(outcomes.includes('OK'), 'at least one publish went through');
    // The ABORTED ones retry, as kubelet does: all answer OK, and the mount is still single.
    for (let i = 0; i < outcomes.filter((o) => o === 'ABORTED').length; i++) await stack.driver.node.NodePublishVolume(publishReq({ targetPath: target }));
    assert.equal((await MountTable.read()).countAt(target), 1);
    await stack.driver.node.NodeUnpublishVolume({ volumeId: a.volumeId, targetPath: target });
    assert.equal((await MountTable.read()).at(target), undefined);
  });

  it('changed nothing outside its directories and logged no secret', async () => {
    assert.deepEqual(await mountsOutside(deviceNumbers, [stack.workDir, stack.stateDir]), [], 'no test device is mounted outside the test directories');
    assert.equal(await signatureOf(decoy), undefined, 'the decoy disk is still blank');
    assert.deepEqual(await listing('/etc'), etcBefore, '/etc has no new entry');
    assert.equal(await lstat(join(process.cwd(), 'relative')).catch(() => undefined), undefined, 'no relative path was created in the driver\'s directory');
    const log = stack.driver.output();
    assert.ok(!log.includes(SECRET), 'a secret reached the driver\'s log');
    assert.match(log, /"password":"\[REDACTED\]"/, 'requests with secrets were logged, redacted');
  });

  it('leaves the node plugin idle at 0 % CPU after all of it', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const share = await cpuShare(stack.driver.pid, 3000);
    console.log(`hostile suite: driver CPU while idle afterwards: ${(share * 100).toFixed(2)} % of a core over 3 s`);
    assert.ok(share < 0.02, `the driver burns ${(share * 100).toFixed(1)} % of a core while idle`);
  });
});
