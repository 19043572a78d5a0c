import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICE_NAMES, DeviceNameAllocator, deviceKey } from '../../../src/cloud/ec2/device-names.js';
import { isCloudError } from '../../../src/cloud/errors.js';

describe('DEVICE_NAMES', () => {
  it('lists the documented ranges in order, without duplicates', () => {
    assert.equal(DEVICE_NAMES[0], '/dev/xvdaa');
    assert.equal(DEVICE_NAMES[25], '/dev/xvdaz');
    assert.equal(DEVICE_NAMES[26], '/dev/xvdba');
    assert.equal(DEVICE_NAMES[51], '/dev/xvdbz');
    assert.equal(DEVICE_NAMES[52], '/dev/xvdda');
    assert.equal(DEVICE_NAMES[75], '/dev/xvddx');
    assert.equal(DEVICE_NAMES[76], '/dev/xvdb');
    assert.equal(DEVICE_NAMES[100], '/dev/xvdz');
    assert.equal(DEVICE_NAMES[101], '/dev/sdb');
    assert.equal(DEVICE_NAMES.at(-1), '/dev/sdz');
    assert.equal(DEVICE_NAMES.length, 26 + 26 + 24 + 25 + 25);
    assert.equal(new Set(DEVICE_NAMES).size, DEVICE_NAMES.length);
    assert.ok(!DEVICE_NAMES.includes('/dev/xvddy') && !DEVICE_NAMES.includes('/dev/xvdca') && !DEVICE_NAMES.includes('/dev/sda'));
  });

  it('compares names with or without /dev/', () => {
    assert.equal(deviceKey('/dev/xvdf'), deviceKey('xvdf'));
    assert.notEqual(deviceKey('/dev/sdf'), deviceKey('/dev/xvdf'), 'the list holds both as distinct names, like the reference driver');
  });
});

describe('DeviceNameAllocator', () => {
  it('hands out names in list order', () => {
    const devices = new DeviceNameAllocator();
    const a = devices.reserve('i-1', []);
    const b = devices.reserve('i-1', []);
    assert.equal(a.name, '/dev/xvdaa');
    assert.equal(b.name, '/dev/xvdab');
  });

  it('skips names in the block-device mappings', () => {
    const devices = new DeviceNameAllocator();
    const r = devices.reserve('i-1', ['/dev/xvda', '/dev/xvdaa', 'xvdab']);
    assert.equal(r.name, '/dev/xvdac');
    const before = DEVICE_NAMES.slice(0, DEVICE_NAMES.indexOf('/dev/xvdb'));
    assert.equal(new DeviceNameAllocator().reserve('i-2', [...before, 'xvdb']).name, '/dev/xvdc');
  });

  it('keeps in-flight reservations per instance and frees them on release', () => {
    const devices = new DeviceNameAllocator();
    const first = devices.reserve('i-1', []);
    assert.equal(devices.reserve('i-2', []).name, '/dev/xvdaa', 'another instance is not affected');
    assert.equal(devices.reserve('i-1', []).name, '/dev/xvdab');
    first.release('unused');
    assert.equal(devices.reserve('i-1', []).name, '/dev/xvdaa', 'an unused name is free again');
  });

  it('keeps an assigned name off-limits until it is detached or its memory expires', () => {
    let now = 1_000;
    const devices = new DeviceNameAllocator({ assignedNameMemoryMs: 60_000, now: () => now });
    devices.reserve('i-1', []).release('assigned');
    assert.equal(devices.reserve('i-1', []).name, '/dev/xvdab', 'a Describe that does not show xvdaa yet must not hand it out');
    devices.markDetached('i-1', '/dev/xvdaa');
    assert.equal(devices.reserve('i-2', []).name, '/dev/xvdaa');
    const later = new DeviceNameAllocator({ assignedNameMemoryMs: 60_000, now: () => now });
    later.reserve('i-3', []).release('assigned');
    now += 60_000;
    assert.equal(later.reserve('i-3', []).name, '/dev/xvdaa');
  });

  it('tries a name EC2 refused last', () => {
    const devices = new DeviceNameAllocator();
    devices.markFailed('i-1', '/dev/xvdaa');
    assert.equal(devices.reserve('i-1', []).name, '/dev/xvdab');
    // Once everything else is taken, the refused name is still offered rather than failing.
    const others = DEVICE_NAMES.filter((n) => n !== '/dev/xvdaa');
    assert.equal(new DeviceNameAllocator().reserve('i-9', others).name, '/dev/xvdaa');
    const withFailure = new DeviceNameAllocator();
    withFailure.markFailed('i-9', '/dev/xvdaa');
    assert.equal(withFailure.reserve('i-9', others).name, '/dev/xvdaa');
  });

  it('throws AttachmentLimitExceeded when all names are taken', () => {
    const devices = new DeviceNameAllocator();
    const held = DEVICE_NAMES.slice(0, -1);
    const last = devices.reserve('i-1', held);
    assert.equal(last.name, DEVICE_NAMES.at(-1));
    assert.throws(() => devices.reserve('i-1', held), (err: unknown) => isCloudError(err, 'AttachmentLimitExceeded') && /i-1/.test(err.message));
    last.release('unused');
    assert.equal(devices.reserve('i-1', held).name, DEVICE_NAMES.at(-1));
  });
});
