import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { parseModifyParameters } from '../../../src/csi/params/modifyParameters.js';
import { parseSnapshotClassParameters } from '../../../src/csi/params/snapshotClass.js';
import { keysByLowerCase, sortParameters, type ParameterKeys } from '../../../src/csi/params/sortParameters.js';
import { parseStorageClass } from '../../../src/csi/params/storageClass.js';
import { expectFailure } from './expect.js';

const keys: ParameterKeys<'type' | 'iopsPerGB', 'tagSpecs'> = {
  known: new Map([...keysByLowerCase(['type', 'iopsPerGB'] as const), ['blockexpress', null]]),
  families: { tagSpecs: /^tagspecification_\d+$/ },
  unknownKey: (key) => `unknown "${key}"`,
};

describe('sortParameters', () => {
  it('sorts case-insensitively into canonical keys and numbered families, in order, ignoring retired keys', () => {
    const sorted = sortParameters({ TYPE: 'io2', iopspergb: '50', tagSpecification_2: 'b=2', TagSpecification_1: 'a=1', blockExpress: 'true' }, keys);
    assert.deepEqual([...sorted.known], [['type', 'io2'], ['iopsPerGB', '50']]);
    assert.deepEqual(sorted.families.tagSpecs, [['tagSpecification_2', 'b=2'], ['TagSpecification_1', 'a=1']]);
  });

  it('refuses unknown keys with the caller\'s message', async () => {
    await expectFailure(() => sortParameters({ size: '1' }, keys), status.INVALID_ARGUMENT, /^unknown "size"$/);
  });

  it('refuses two spellings of one key in every kind of class, naming both', async () => {
    const twice = /parameters "(type|iops)" and "(TYPE|IOPS)" name the same parameter; give it once/;
    await expectFailure(() => parseStorageClass({ type: 'gp3', TYPE: 'io2' }), status.INVALID_ARGUMENT, twice);
    await expectFailure(() => parseModifyParameters({ iops: '4000', IOPS: '5000' }), status.INVALID_ARGUMENT, twice);
    await expectFailure(() => parseSnapshotClassParameters({ lockMode: 'governance', LOCKMODE: 'compliance' }), status.INVALID_ARGUMENT,
      /parameters "lockMode" and "LOCKMODE" name the same parameter/);
  });
});
