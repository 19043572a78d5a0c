import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientTokenMemory } from '../../../local/dataplane/client-token-memory.js';

const params = (entries: Record<string, string>) => new URLSearchParams({ Action: 'CreateVolume', Version: '2016-11-15', ...entries });
const answer = (volumeId: string) => ({ status: 200, contentType: 'text/xml', body: `<CreateVolumeResponse><volumeId>${volumeId}</volumeId></CreateVolumeResponse>` });

describe('the data plane\'s ClientToken memory', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'tokens-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('replays the same parameters, refuses others, and ignores calls without a token, DryRuns and other actions', async () => {
    const memory = new ClientTokenMemory(dir, 'i-1');
    await memory.load();
    const request = params({ ClientToken: 't1', Size: '1', AvailabilityZone: 'us-east-1a' });
    assert.deepEqual(memory.verdict('CreateVolume', request), { kind: 'new' });
    await memory.remember('CreateVolume', request, 'vol-1', answer('vol-1'));
    const reordered = new URLSearchParams([['AvailabilityZone', 'us-east-1a'], ['Size', '1'], ['ClientToken', 't1'], ['Action', 'CreateVolume']]);
    assert.deepEqual(memory.verdict('CreateVolume', reordered), { kind: 'replay', volumeId: 'vol-1', answer: answer('vol-1') });
    assert.deepEqual(memory.verdict('CreateVolume', params({ ClientToken: 't1', Size: '2', AvailabilityZone: 'us-east-1a' })), { kind: 'mismatch', token: 't1' });
    assert.deepEqual(memory.verdict('CopyVolumes', params({ ClientToken: 't1', Size: '1', AvailabilityZone: 'us-east-1a' })), { kind: 'new' }, 'tokens are per action');
    assert.deepEqual(memory.verdict('CreateVolume', params({ Size: '1', AvailabilityZone: 'us-east-1a' })), { kind: 'new' });
    assert.deepEqual(memory.verdict('CreateVolume', params({ ClientToken: 't1', Size: '2', DryRun: 'true' })), { kind: 'new' });
    assert.deepEqual(memory.verdict('AttachVolume', params({ ClientToken: 't1' })), { kind: 'new' }, 'EC2 takes no token for AttachVolume');
  });

  it('survives a restart of the same emulator world and is dropped for another', async () => {
    const request = params({ ClientToken: 't1', Size: '1', AvailabilityZone: 'us-east-1a' });
    const same = new ClientTokenMemory(dir, 'i-1');
    await same.load();
    assert.equal(same.verdict('CreateVolume', request).kind, 'replay');
    const other = new ClientTokenMemory(dir, 'i-2');
    await other.load();
    assert.equal(other.verdict('CreateVolume', request).kind, 'new');
    assert.match(await readFile(join(dir, 'client-tokens.json'), 'utf8'), /"epoch":"i-1"/);
  });

  it('forgets a token after EC2 would have', async () => {
    let now = 0;
    const memory = new ClientTokenMemory(await mkdtemp(join(dir, 'ttl-')), 'i-1', { memoryMs: 1000, now: () => now });
    await memory.load();
    const request = params({ ClientToken: 't9', Size: '1' });
    await memory.remember('CreateVolume', request, 'vol-9', answer('vol-9'));
    now = 999;
    assert.equal(memory.verdict('CreateVolume', request).kind, 'replay');
    now = 1000;
    assert.equal(memory.verdict('CreateVolume', request).kind, 'new');
  });
});
