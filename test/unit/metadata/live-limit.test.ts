// NodeGetInfo's limit follows the interfaces attached after boot, keeps the last count while
// IMDS does not answer, and reads nothing when --volume-attach-limit fixes it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { LiveAttachLimit } from '../../../src/metadata/live-limit.js';

const log = pino({ level: 'silent' });
const identity = { source: 'imds', instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: 'm5.large', networkInterfaces: 1 } as const;

describe('the live attach limit', () => {
  it('drops a slot per interface attached on shared-limit types', async () => {
    let interfaces = 1;
    const limit = new LiveAttachLimit({ identity, log, networkInterfaces: () => Promise.resolve(interfaces) });
    assert.equal(limit.value, 26);
    interfaces = 3;
    assert.equal(await limit.current(), 24);
    assert.equal(limit.value, 24);
  });

  it('keeps the last count when the interface count cannot be read', async () => {
    let fail = false;
    const limit = new LiveAttachLimit({ identity, log, networkInterfaces: () => (fail ? Promise.reject(new Error('IMDS down')) : Promise.resolve(2)) });
    assert.equal(await limit.current(), 25);
    fail = true;
    assert.equal(await limit.current(), 25);
  });

  it('ignores interfaces on dedicated types and reads nothing under --volume-attach-limit', async () => {
    const dedicated = new LiveAttachLimit({ identity: { ...identity, instanceType: 'm7i.large' }, log, networkInterfaces: () => Promise.resolve(5) });
    assert.equal(await dedicated.current(), 31);
    let reads = 0;
    const fixed = new LiveAttachLimit({ identity, log, volumeAttachLimit: 12, networkInterfaces: () => { reads += 1; return Promise.resolve(4); } });
    assert.equal(await fixed.current(), 12);
    assert.equal(reads, 0);
  });
});
