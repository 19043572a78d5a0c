// Device discovery and identity against fake /dev and /sys trees in a temporary directory.
// Regular files stand in for device nodes (the block-device test is injected); the sysfs
// attributes identity reads (serial, dev, size, partition, loop/backing_file, holders,
// slaves) are plain files and directories as the kernel lays them out.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeviceFinder, nvmeSerialOf, type DeviceRoots, type DiscoveryOptions } from '../../../src/node/device-discovery.js';
import { NodeError } from '../../../src/node/errors.js';
import { MountTable, type MountEntry } from '../../../src/node/mountinfo.js';

const VOLUME = 'vol-0123456789abcdef0';
const GIB = 1024 ** 3;

async function fakeTree(): Promise<{ base: string; roots: DeviceRoots }> {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'ebs-discovery-')));
  const roots = { dev: join(base, 'dev'), sys: join(base, 'sys') };
  await mkdir(join(roots.dev, 'disk', 'by-id'), { recursive: true });
  await mkdir(join(roots.sys, 'class', 'block'), { recursive: true });
  return { base, roots };
}

const sysDir = (roots: DeviceRoots, name: string): string => join(roots.sys, 'class', 'block', name);

async function addDisk(roots: DeviceRoots, name: string, opts: { dev?: string; gib?: number; serial?: string; backing?: string; partition?: boolean; holders?: string[] } = {}): Promise<void> {
  await writeFile(join(roots.dev, name), '');
  const dir = sysDir(roots, name);
  await mkdir(join(dir, 'holders'), { recursive: true });
  await mkdir(join(dir, 'slaves'), { recursive: true });
  await writeFile(join(dir, 'dev'), `${opts.dev ?? '202:0'}\n`);
  await writeFile(join(dir, 'size'), `${((opts.gib ?? 1) * GIB) / 512}\n`);
  if (opts.serial !== undefined) {
    await mkdir(join(dir, 'device'), { recursive: true });
    await writeFile(join(dir, 'device', 'serial'), `${opts.serial}   \n`);
  }
  if (opts.backing !== undefined) {
    await mkdir(join(dir, 'loop'), { recursive: true });
    await writeFile(join(dir, 'loop', 'backing_file'), `${opts.backing}\n`);
  }
  if (opts.partition) await writeFile(join(dir, 'partition'), '1\n');
  for (const h of opts.holders ?? []) await mkdir(join(dir, 'holders', h));
}

// In the fake tree a regular file plays a device node.
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function mountOf(device: string, mountPoint: string): MountEntry {
  return { mountId: 1, parentId: 0, device, root: '/', mountPoint, mountOptions: ['rw'], fsType: 'ext4', source: '/dev/x', superOptions: [] };
}

function finder(roots: DeviceRoots, waitMs = 0, extra: Partial<DiscoveryOptions> = {}): DeviceFinder {
  return new DeviceFinder({ roots, waitMs, firstDelayMs: 10, isBlockDevice: isRegularFile, mounts: () => Promise.resolve(new MountTable([])), ...extra });
}

const notFound = (...patterns: RegExp[]) => (err: unknown): boolean => {
  assert.ok(err instanceof NodeError, String(err));
  assert.equal(err.kind, 'DeviceNotFound');
  for (const p of patterns) assert.match(err.message, p);
  return true;
};

describe('device discovery', () => {
  let base: string;
  let roots: DeviceRoots;
  before(async () => { ({ base, roots } = await fakeTree()); });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('derives the NVMe serial from the volume id', () => {
    assert.equal(nvmeSerialOf('vol-0123abc'), 'vol0123abc');
  });

  it('finds the volume through the udev by-id link, proven by its NVMe serial', async () => {
    await addDisk(roots, 'nvme1n1', { dev: '259:1', serial: 'vol0aaaaaaaaaaaaaaaa' });
    await symlink('../../nvme1n1', join(roots.dev, 'disk', 'by-id', 'nvme-Amazon_Elastic_Block_Store_vol0aaaaaaaaaaaaaaaa'));
    const found = await finder(roots).find('vol-0aaaaaaaaaaaaaaaa');
    assert.deepEqual(found, { path: join(roots.dev, 'nvme1n1'), via: 'by-id', proof: 'NVMe serial vol0aaaaaaaaaaaaaaaa' });
  });

  it('does not take a by-id link at its word: the namespace behind it must carry the serial', async () => {
    await addDisk(roots, 'nvme5n1', { dev: '259:5', serial: 'vol0999999999999999a' });
    await symlink('../../nvme5n1', join(roots.dev, 'disk', 'by-id', 'nvme-Amazon_Elastic_Block_Store_vol0ababababababababa'));
    await assert.rejects(finder(roots).find('vol-0ababababababababa'), notFound(/nvme5n1 is an NVMe namespace with serial "vol0999999999999999a"/));
  });

  it('finds the volume by NVMe serial in sysfs when udev made no link', async () => {
    await addDisk(roots, 'nvme2n1', { dev: '259:2', serial: 'vol0bbbbbbbbbbbbbbbb' });
    await addDisk(roots, 'nvme3n1', { dev: '259:3', serial: VOLUME.replace('-', '') });
    const found = await finder(roots).find(VOLUME);
    assert.equal(found.path, join(roots.dev, 'nvme3n1'));
    assert.equal(found.via, 'sysfs');
  });

  it('ignores a devicePath that is an NVMe namespace of another volume', async () => {
    const found = await finder(roots).find(VOLUME, { devicePath: '/dev/nvme2n1' });
    assert.equal(found.path, join(roots.dev, 'nvme3n1'));
    assert.equal(found.via, 'sysfs');
  });

  it('ignores a devicePath outside /dev or with ".." in it', async () => {
    await writeFile(join(base, 'outside'), '');
    assert.equal((await finder(roots).find(VOLUME, { devicePath: `${base}/outside` })).via, 'sysfs');
    assert.equal((await finder(roots).find(VOLUME, { devicePath: '/dev/../outside' })).via, 'sysfs');
  });

  it('does not follow a by-id link that leads out of /dev', async () => {
    await writeFile(join(base, 'not-a-device'), '');
    await symlink(join(base, 'not-a-device'), join(roots.dev, 'disk', 'by-id', 'nvme-Amazon_Elastic_Block_Store_vol0cccccccccccccccc'));
    await assert.rejects(finder(roots).find('vol-0cccccccccccccccc'), notFound(/vol-0cccccccccccccccc/));
  });

  it('never builds a path from a malformed volume id', async () => {
    await writeFile(join(roots.dev, 'disk', 'nvme-Amazon_Elastic_Block_Store_x'), '');
    assert.equal((await finder(roots).lookOnce('../x')).found, undefined);
    assert.equal((await finder(roots).lookOnce('fake-vol-id')).found, undefined);
  });

  it('waits with backoff for a device that is still appearing', async () => {
    const id = 'vol-0dddddddddddddddd';
    setTimeout(() => { void addDisk(roots, 'nvme9n1', { dev: '259:9', serial: id.replace('-', '') }); }, 60);
    const started = Date.now();
    const found = await finder(roots, 2000).find(id);
    assert.equal(found.path, join(roots.dev, 'nvme9n1'));
    assert.ok(Date.now() - started >= 50, 'it had to wait');
  });

  it('fails with DeviceNotFound naming the volume and where it looked', async () => {
    const started = Date.now();
    await assert.rejects(finder(roots, 150).find('vol-0eeeeeeeeeeeeeeee'),
      notFound(/vol-0eeeeeeeeeeeeeeee/, /nvme-Amazon_Elastic_Block_Store_vol0eeeeeeeeeeeeeeee/));
    assert.ok(Date.now() - started >= 140, 'it used its wait budget');
  });
});

describe('device identity of devices without a serial', () => {
  let base: string;
  let roots: DeviceRoots;
  const id = 'vol-0f0f0f0f0f0f0f0f0';
  before(async () => {
    ({ base, roots } = await fakeTree());
    await addDisk(roots, 'xvdba', { dev: '202:0', gib: 8 });
    await addDisk(roots, 'xvdbb', { dev: '202:16', gib: 8, partition: true });
    await addDisk(roots, 'xvdbc', { dev: '202:32', gib: 8, holders: ['dm-0'] });
    await addDisk(roots, 'loop7', { dev: '7:7', gib: 8, backing: '/tmp/unrelated.img' });
    await mkdir(join(base, 'emulated'));
    await addDisk(roots, 'loop8', { dev: '7:8', gib: 8, backing: join(base, 'emulated', `${id}.img`) });
    await symlink('loop7', join(roots.dev, 'xvdbd'));
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('takes a Xen device by the name the attachment reported, when unused and as large as the volume', async () => {
    const found = await finder(roots).find(id, { devicePath: '/dev/xvdba', sizeGiB: 8 });
    assert.equal(found.path, join(roots.dev, 'xvdba'));
    assert.equal(found.via, 'publish-context');
    assert.match(found.proof, /attachment device name \/dev\/xvdba, 8 GiB/);
    assert.equal((await finder(roots).find(id, { devicePath: '/dev/sdba', sizeGiB: 8 })).path, join(roots.dev, 'xvdba'), 'sdX is xvdX on Xen');
    assert.equal((await finder(roots).find(id, { devicePath: '/dev/xvdba', sizeGiB: 4 })).path, join(roots.dev, 'xvdba'), 'grown since the attach');
  });

  it('refuses a Xen device that is smaller than the volume, or whose size cannot be checked', async () => {
    await assert.rejects(finder(roots).find(id, { devicePath: '/dev/xvdba', sizeGiB: 16 }),
      notFound(new RegExp(`no block device proven to be volume ${id}`), /xvdba is 8589934592 bytes, but volume .* has 16 GiB/));
    await assert.rejects(finder(roots).find(id, { devicePath: '/dev/xvdba' }), notFound(/publish_context carries no volume size/));
  });

  it('refuses a Xen device mounted anywhere but at this volume\'s own staging path', async () => {
    const mounted = (at: string): Partial<DiscoveryOptions> => ({ mounts: () => Promise.resolve(new MountTable([mountOf('202:0', at)])) });
    await assert.rejects(finder(roots, 0, mounted('/mnt/other')).find(id, { devicePath: '/dev/xvdba', sizeGiB: 8, ownMountPoint: '/stage/mine' }),
      notFound(/xvdba is mounted at \/mnt\/other/));
    const found = await finder(roots, 0, mounted('/stage/mine')).find(id, { devicePath: '/dev/xvdba', sizeGiB: 8, ownMountPoint: '/stage/mine' });
    assert.equal(found.path, join(roots.dev, 'xvdba'));
  });

  it('refuses partitions, devices held by another layer, and names the attachment did not report', async () => {
    await assert.rejects(finder(roots).find(id, { devicePath: '/dev/xvdbb', sizeGiB: 8 }), notFound(/xvdbb is a partition/));
    await assert.rejects(finder(roots).find(id, { devicePath: '/dev/xvdbc', sizeGiB: 8 }), notFound(/xvdbc is in use by dm-0/));
    // /dev/xvdbd is a link to a loop device: the name matches, the device is not a Xen disk.
    await assert.rejects(finder(roots).find(id, { devicePath: '/dev/xvdbd', sizeGiB: 8 }), notFound(/loop7 is a loop device backed by \/tmp\/unrelated\.img, never an EBS volume/));
  });

  it('never takes a loop device named by devicePath for a volume (finding 2)', async () => {
    await assert.rejects(finder(roots).find('vol-0000000000000dead', { devicePath: '/dev/loop7', sizeGiB: 8 }),
      notFound(/volume vol-0000000000000dead/, /loop7 is a loop device backed by \/tmp\/unrelated\.img, never an EBS volume/));
  });

  it('takes an emulated volume\'s loop device only when emulation is on and the loop is backed by that volume\'s file', async () => {
    const emulated = { emulatedVolumesDir: join(base, 'emulated') };
    await assert.rejects(finder(roots).find(id, {}), notFound(new RegExp(id)));
    const found = await finder(roots, 0, emulated).find(id, {});
    assert.equal(found.path, join(roots.dev, 'loop8'));
    assert.match(found.proof, /emulated volume file .*emulated\/vol-0f0f0f0f0f0f0f0f0\.img/);
    assert.equal((await finder(roots, 0, emulated).find(id, { devicePath: '/dev/loop8' })).via, 'publish-context');
    await assert.rejects(finder(roots, 0, emulated).find('vol-0000000000000beef', { devicePath: '/dev/loop8' }),
      notFound(/loop8 is a loop device backed by .*vol-0f0f0f0f0f0f0f0f0\.img, not by the emulated volume file .*vol-0000000000000beef\.img/));
  });
});

describe('partitions of a static PV (volume_context partition)', () => {
  let base: string;
  let roots: DeviceRoots;
  before(async () => { ({ base, roots } = await fakeTree()); });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('finds the partition the way the kernel names it: nvme1n1p2, xvdf2', async () => {
    await addDisk(roots, 'nvme4n1', { dev: '259:4', serial: 'vol0cccccccccccccccc' });
    await writeFile(join(roots.dev, 'nvme4n1p2'), '');
    await writeFile(join(roots.dev, 'xvdf'), '');
    await writeFile(join(roots.dev, 'xvdf1'), '');
    const f = finder(roots);
    const disk = await f.find('vol-0cccccccccccccccc');
    assert.deepEqual(await f.partitionOf(disk, 2), { ...disk, path: join(roots.dev, 'nvme4n1p2'), partition: 2 });
    assert.equal(disk.via, 'sysfs');
    assert.equal((await f.partitionOf({ path: join(roots.dev, 'xvdf'), via: 'publish-context', proof: 'test' }, 1)).path, join(roots.dev, 'xvdf1'));
  });

  it('answers DeviceNotFound, naming the partition, when the disk has no such partition', async () => {
    await assert.rejects(finder(roots).partitionOf({ path: join(roots.dev, 'nvme4n1'), via: 'by-id', proof: 'test' }, 3),
      (err: unknown) => err instanceof NodeError && err.kind === 'DeviceNotFound' && /partition 3: .*has no partition nvme4n1p3/.test(err.message));
  });

  it('reads the partition number like the reference ("0" is the whole disk) and refuses anything but a number', async () => {
    const { partitionOf } = await import('../../../src/csi/node/device.js');
    assert.equal(partitionOf({}), undefined);
    assert.equal(partitionOf({ partition: '0' }), undefined);
    assert.equal(partitionOf({ partition: '3' }), 3);
    for (const bad of ['-1', 'p1', '../../sda', '129', '']) {
      assert.throws(() => partitionOf({ partition: bad }), (err: unknown) => err instanceof NodeError && err.kind === 'InvalidArgument', bad);
    }
  });
});
