import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMountInfoLine, type MountEntry } from '../../../src/node/mountinfo.js';
import { blockCondition, filesystemUsage, mountCondition } from '../../../src/node/volume-health.js';

function entry(line: string): MountEntry {
  const parsed = parseMountInfoLine(line);
  assert.ok(parsed);
  return parsed;
}

describe('volume condition', () => {
  let sys: string;
  before(async () => {
    sys = await mkdtemp(join(tmpdir(), 'ebs-health-'));
    await mkdir(join(sys, 'dev', 'block', '259:1'), { recursive: true });
    await writeFile(join(sys, 'dev', 'block', '259:1', 'uevent'), 'DEVNAME=nvme1n1\n');
  });
  after(async () => { await rm(sys, { recursive: true, force: true }); });

  it('is healthy when the device exists and the filesystem is writable', async () => {
    assert.deepEqual(await mountCondition(entry('1 1 259:1 / /m rw - ext4 /dev/nvme1n1 rw'), sys),
      { abnormal: false, message: 'volume is healthy' });
  });

  it('is abnormal when the device is gone', async () => {
    const condition = await mountCondition(entry('1 1 259:7 / /m rw - ext4 /dev/nvme7n1 rw'), sys);
    assert.equal(condition.abnormal, true);
    assert.match(condition.message, /device \/dev\/nvme7n1 \(259:7\) under \/m is gone/);
    assert.equal((await blockCondition('259:7', sys)).abnormal, true);
    assert.equal((await blockCondition('259:1', sys)).abnormal, false);
  });

  it('is abnormal when the filesystem went read-only under a writable mount', async () => {
    for (const superOptions of ['ro,errors=remount-ro', 'rw,abort,errors=remount-ro,emergency_ro']) {
      const condition = await mountCondition(entry(`1 1 259:1 / /m rw - ext4 /dev/nvme1n1 ${superOptions}`), sys);
      assert.equal(condition.abnormal, true, superOptions);
      assert.match(condition.message, /went read-only/);
    }
  });

  it('is healthy for a mount that was asked to be read-only', async () => {
    assert.equal((await mountCondition(entry('1 1 259:1 / /m ro - ext4 /dev/nvme1n1 ro'), sys)).abnormal, false);
  });

  it('reads bytes and inodes from statfs', async () => {
    const usage = await filesystemUsage(tmpdir());
    assert.ok(usage.bytes.total > 0 && usage.bytes.used + usage.bytes.available <= usage.bytes.total);
    assert.ok(usage.inodes.total >= usage.inodes.used);
  });
});
