import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  checkVolumeCapabilities, malformedCapability, unsupportedCapability, type CapabilityInput,
} from '../../../src/csi/params/capabilities.js';
import { expectFailure } from './expect.js';

const mount = (mode: string, fsType = ''): CapabilityInput => ({ accessType: 'mount', mount: { fsType }, accessMode: { mode } });
const block = (mode: string): CapabilityInput => ({ accessType: 'block', block: {}, accessMode: { mode } });

describe('volume capabilities', () => {
  it('accepts every single-node mode, for mount and block', () => {
    for (const mode of ['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER']) {
      const summary = checkVolumeCapabilities([mount(mode, 'xfs'), block(mode)], 'volume_capabilities');
      assert.deepEqual(summary, { block: true, mount: true, fsTypes: ['xfs'], multiAttach: false });
    }
  });

  it('accepts MULTI_NODE_MULTI_WRITER for block only, as Multi-Attach', async () => {
    assert.equal(checkVolumeCapabilities([block('MULTI_NODE_MULTI_WRITER')], 'volume_capabilities').multiAttach, true);
    await expectFailure(() => checkVolumeCapabilities([mount('MULTI_NODE_MULTI_WRITER')], 'volume_capabilities'), status.INVALID_ARGUMENT,
      /volume_capabilities\[0\]: access mode MULTI_NODE_MULTI_WRITER is offered only for raw block volumes/);
  });

  it('refuses multi-node reader and single-writer modes, listing the supported ones', async () => {
    for (const mode of ['MULTI_NODE_READER_ONLY', 'MULTI_NODE_SINGLE_WRITER']) {
      await expectFailure(() => checkVolumeCapabilities([mount('SINGLE_NODE_WRITER'), mount(mode)], 'volume_capabilities'), status.INVALID_ARGUMENT,
        new RegExp(`volume_capabilities\\[1\\]: access mode ${mode} is not supported`), /SINGLE_NODE_WRITER, SINGLE_NODE_READER_ONLY/);
    }
  });

  it('requires capabilities, an access mode and an access type', async () => {
    await expectFailure(() => checkVolumeCapabilities([], 'volume_capabilities'), status.INVALID_ARGUMENT, /^volume_capabilities is required$/);
    await expectFailure(() => checkVolumeCapabilities(undefined, 'volume_capability'), status.INVALID_ARGUMENT, /^volume_capability is required$/);
    await expectFailure(() => checkVolumeCapabilities([{ accessType: 'mount', mount: {} }], 'volume_capability'), status.INVALID_ARGUMENT,
      /^volume_capability\.access_mode is missing or unknown/);
    await expectFailure(() => checkVolumeCapabilities([{ accessMode: { mode: 'UNKNOWN' }, mount: {} }], 'volume_capabilities'), status.INVALID_ARGUMENT,
      /volume_capabilities\[0\]\.access_mode is missing/);
    await expectFailure(() => checkVolumeCapabilities([{ accessMode: { mode: 'SINGLE_NODE_WRITER' } }], 'volume_capabilities'), status.INVALID_ARGUMENT,
      /volume_capabilities\[0\] needs an access type: mount or block/);
  });

  it('refuses filesystems the node cannot format', async () => {
    await expectFailure(() => checkVolumeCapabilities([mount('SINGLE_NODE_WRITER', 'ntfs')], 'volume_capabilities'), status.INVALID_ARGUMENT,
      /volume_capabilities\[0\]\.mount\.fs_type "ntfs" is not supported; use one of ext4, ext3, xfs/);
  });

  it('reads numeric access modes and the oneof without its discriminator', () => {
    assert.equal(malformedCapability({ mount: {}, accessMode: { mode: 1 } }, 'c'), undefined);
    assert.equal(checkVolumeCapabilities([{ block: {}, accessMode: { mode: 5 } }], 'c').multiAttach, true);
  });

  it('knows Multi-Attach is fixed at creation', () => {
    assert.match(unsupportedCapability(block('MULTI_NODE_MULTI_WRITER'), 'c', { multiAttachEnabled: false }) ?? '', /needs a volume created with Multi-Attach/);
    assert.equal(unsupportedCapability(block('MULTI_NODE_MULTI_WRITER'), 'c', { multiAttachEnabled: true }), undefined);
    assert.equal(unsupportedCapability(mount('SINGLE_NODE_WRITER'), 'c', { multiAttachEnabled: true }), undefined);
  });
});
