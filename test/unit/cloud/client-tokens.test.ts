import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ClientTokens, clientTokenFor } from '../../../src/cloud/ec2/client-tokens.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('client tokens', () => {
  it('start as the sha256 of the name, which every controller derives alike', () => {
    const tokens = new ClientTokens();
    assert.equal(tokens.tokenFor('pvc-1'), sha256('pvc-1'));
    assert.equal(clientTokenFor('pvc-1'), sha256('pvc-1'));
    assert.equal(tokens.tokenFor('pvc-1').length, 64);
  });

  it('rotate per name, one generation at a time', () => {
    const tokens = new ClientTokens();
    tokens.rotate('pvc-1');
    assert.equal(tokens.tokenFor('pvc-1'), sha256('pvc-1-2'));
    tokens.rotate('pvc-1');
    assert.equal(tokens.tokenFor('pvc-1'), sha256('pvc-1-3'));
    assert.equal(tokens.tokenFor('pvc-2'), sha256('pvc-2'), 'other names keep theirs');
  });

  it('forget a rotation after the memory time, and keep at most maxEntries', () => {
    let now = 0;
    const tokens = new ClientTokens({ memoryMs: 1000, maxEntries: 2, now: () => now });
    tokens.rotate('a');
    now = 999;
    assert.equal(tokens.tokenFor('a'), sha256('a-2'));
    now = 1000;
    assert.equal(tokens.tokenFor('a'), sha256('a'), 'EC2 has forgotten the old token by then too');
    tokens.rotate('a');
    tokens.rotate('b');
    tokens.rotate('c');
    assert.equal(tokens.tokenFor('a'), sha256('a'), 'the oldest entry made room');
    assert.equal(tokens.tokenFor('b'), sha256('b-2'));
    assert.equal(tokens.tokenFor('c'), sha256('c-2'));
  });
});
