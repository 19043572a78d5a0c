// Device discovery against fake /dev and /sys trees in a temporary directory. Regular
// files stand in for device nodes (the block-device test is injected).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeviceFinder, nvmeSerialOf, type DeviceRoots } from '../../../src/node/device-discovery.js';
import { NodeError } from '../../../src/node/errors.js';

const VOLUME = 'vol-0123456789abcdef0';

async function fakeTree(): Promise<{ base: string; roots: DeviceRoots }> {
  const base = await mkdtemp(join(tmpdir(), 'ebs-discovery-'));
  const roots = { dev: join(base, 'dev'), sys: join(base, 'sys') };
  await mkdir(join(roots.dev, 'disk', 'by-id'), { recursive: true });
  await mkdir(join(roots.sys, 'block'), { recursive: true });
  return { base, roots };
}

async function addNamespace(roots: DeviceRoots, name: string, serial: string | undefined): Promise<void> {
  await writeFile(join(roots.dev, name), '');
  await mkdir(join(roots.sys, 'block', name, 'device'), { recursive: true });
  if (serial !== undefined) await writeFile(join(roots.sys, 'block', name, 'device', 'serial'), `${serial}   \n`);
}

// In the fake tree a regular file plays a device node.
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function finder(roots: DeviceRoots, waitMs = 0): DeviceFinder {
  return new DeviceFinder({ roots, waitMs, firstDelayMs: 10, isBlockDevice: isRegularFile });
}

describe('device discovery', () => {
  let base: string;
  let roots: DeviceRoots;
  before(async () => { ({ base, roots } = await fakeTree()); });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('derives the NVMe serial from the volume id', () => {
    assert.equal(nvmeSerialOf('vol-0123abc'), 'vol0123abc');
  });

  it('finds the volume through the udev by-id link', async () => {
    await addNamespace(roots, 'nvme1n1', 'vol0aaaaaaaaaaaaaaaa');
    await symlink('../../nvme1n1', join(roots.dev, 'disk', 'by-id', 'nvme-Amazon_Elastic_Block_Store_vol0aaaaaaaaaaaaaaaa'));
    const found = await finder(roots).find('vol-0aaaaaaaaaaaaaaaa');
    assert.deepEqual(found, { path: join(roots.dev, 'nvme1n1'), via: 'by-id' });
  });

  it('finds the volume by NVMe serial in sysfs when udev made no link', async () => {
    await addNamespace(roots, 'nvme2n1', 'vol0bbbbbbbbbbbbbbbb');
    await addNamespace(roots, 'nvme3n1', VOLUME.replace('-', ''));
    const found = await finder(roots).find(VOLUME);
    assert.deepEqual(found, { path: join(roots.dev, 'nvme3n1'), via: 'sysfs' });
  });

  it('prefers a publish_context devicePath that exists', async () => {
    await writeFile(join(roots.dev, 'xvdba'), '');
    const found = await finder(roots).find(VOLUME, '/dev/xvdba');
    assert.deepEqual(found, { path: join(roots.dev, 'xvdba'), via: 'publish-context' });
  });

  it('ignores a devicePath that is an NVMe namespace of another volume', async () => {
    const found = await finder(roots).find(VOLUME, '/dev/nvme2n1');
    assert.deepEqual(found, { path: join(roots.dev, 'nvme3n1'), via: 'sysfs' });
  });

  it('ignores a devicePath outside /dev or with ".." in it', async () => {
    await writeFile(join(base, 'outside'), '');
    assert.equal((await finder(roots).find(VOLUME, `${base}/outside`)).via, 'sysfs');
    assert.equal((await finder(roots).find(VOLUME, '/dev/../outside')).via, 'sysfs');
  });

  it('does not follow a by-id link that leads out of /dev', async () => {
    await writeFile(join(base, 'not-a-device'), '');
    await symlink(join(base, 'not-a-device'), join(roots.dev, 'disk', 'by-id', 'nvme-Amazon_Elastic_Block_Store_vol0cccccccccccccccc'));
    await assert.rejects(finder(roots).find('vol-0cccccccccccccccc'), (err: unknown) => err instanceof NodeError && err.kind === 'DeviceNotFound');
  });

  it('never builds a path from a malformed volume id', async () => {
    await writeFile(join(roots.dev, 'disk', 'nvme-Amazon_Elastic_Block_Store_x'), '');
    assert.equal(await finder(roots).lookOnce('../x'), undefined);
    assert.equal(await finder(roots).lookOnce('fake-vol-id'), undefined);
  });

  it('waits with backoff for a device that is still appearing', async () => {
    const id = 'vol-0dddddddddddddddd';
    setTimeout(() => { void addNamespace(roots, 'nvme9n1', id.replace('-', '')); }, 60);
    const started = Date.now();
    const found = await finder(roots, 2000).find(id);
    assert.equal(found.path, join(roots.dev, 'nvme9n1'));
    assert.ok(Date.now() - started >= 50, 'it had to wait');
  });

  it('fails with DeviceNotFound naming the volume and where it looked', async () => {
    const started = Date.now();
    await assert.rejects(finder(roots, 150).find('vol-0eeeeeeeeeeeeeeee'), (err: unknown) => {
      assert.ok(err instanceof NodeError);
      assert.equal(err.kind, 'DeviceNotFound');
      assert.match(err.message, /vol-0eeeeeeeeeeeeeeee/);
      assert.match(err.message, /nvme-Amazon_Elastic_Block_Store_vol0eeeeeeeeeeeeeeee/);
      return true;
    });
    assert.ok(Date.now() - started >= 140, 'it used its wait budget');
  });
});

describe('partitions of a static PV (volume_context partition)', () => {
  let base: string;
  let roots: DeviceRoots;
  before(async () => { ({ base, roots } = await fakeTree()); });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('finds the partition the way the kernel names it: nvme1n1p2, xvdf2', async () => {
    await addNamespace(roots, 'nvme4n1', 'vol0cccccccccccccccc');
    await writeFile(join(roots.dev, 'nvme4n1p2'), '');
    await writeFile(join(roots.dev, 'xvdf'), '');
    await writeFile(join(roots.dev, 'xvdf1'), '');
    const f = finder(roots);
    const disk = await f.find('vol-0cccccccccccccccc');
    assert.deepEqual(await f.partitionOf(disk, 2), { path: join(roots.dev, 'nvme4n1p2'), via: 'sysfs', partition: 2 });
    assert.equal((await f.partitionOf({ path: join(roots.dev, 'xvdf'), via: 'publish-context' }, 1)).path, join(roots.dev, 'xvdf1'));
  });

  it('answers DeviceNotFound, naming the partition, when the disk has no such partition', async () => {
    await assert.rejects(finder(roots).partitionOf({ path: join(roots.dev, 'nvme4n1'), via: 'by-id' }, 3),
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
