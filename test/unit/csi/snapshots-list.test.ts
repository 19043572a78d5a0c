// ListSnapshots, GetSnapshot and DeleteSnapshot against a stubbed cloud, including paging
// over a backend that pages by itself (EC2, at least 5 per page) and one that does not (moto).
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CloudError } from '../../../src/cloud/errors.js';
import { snapshotHandlers } from '../../../src/csi/controller/snapshots.js';
import { decodeToken, encodeToken } from '../../../src/csi/controller/snapshots-pagination.js';
import { callContext, expectFailure } from './expect.js';
import { mutatingCalls, snapshotModifyCloud, type SnapshotModifyCloud } from './snapshot-modify-cloud.js';

const ctx = callContext();
let cloud: SnapshotModifyCloud;
let handlers: ReturnType<typeof snapshotHandlers>;
const VOL_A = 'vol-0000000000000000a';
const VOL_B = 'vol-0000000000000000b';

const list = (req: { maxEntries?: number; startingToken?: string; sourceVolumeId?: string; snapshotId?: string }): ReturnType<typeof handlers.ListSnapshots> =>
  handlers.ListSnapshots({ maxEntries: 0, startingToken: '', sourceVolumeId: '', snapshotId: '', secrets: {}, ...req }, ctx);

async function listAll(maxEntries: number, sourceVolumeId = ''): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let token = '';
  let pages = 0;
  do {
    const res = await list({ maxEntries, startingToken: token, sourceVolumeId });
    assert.ok((res.entries ?? []).length <= maxEntries, `page of ${res.entries?.length} entries exceeds ${maxEntries}`);
    ids.push(...(res.entries ?? []).map((e) => String(e.snapshot?.snapshotId)));
    token = String(res.nextToken ?? '');
    pages++;
  } while (token !== '' && pages < 50);
  return { ids, pages };
}

beforeEach(() => {
  cloud = snapshotModifyCloud();
  handlers = snapshotHandlers({ cloud, driverName: 'ebs.csi.aws.com', extraTags: {} });
  for (let i = 0; i < 7; i++) cloud.addSnapshot({ sourceVolumeId: i < 4 ? VOL_A : VOL_B, state: i === 0 ? 'pending' : 'completed' });
});

describe('ListSnapshots', () => {
  it('lists every snapshot in one page when max_entries is 0', async () => {
    const res = await list({});
    assert.equal(res.entries?.length, 7);
    assert.equal(res.nextToken, '');
    assert.equal(res.entries?.[0]?.snapshot?.readyToUse, false);
    assert.equal(res.entries?.[1]?.snapshot?.readyToUse, true);
  });

  for (const ignoreMaxResults of [false, true]) {
    it(`pages exactly by max_entries when the backend ${ignoreMaxResults ? 'ignores' : 'honours'} the page size`, async () => {
      cloud.ignoreMaxResults = ignoreMaxResults;
      const all = [...cloud.snapshots.keys()];
      for (const max of [1, 2, 3, 6, 7, 8]) {
        const { ids, pages } = await listAll(max);
        assert.deepEqual(ids, all, `max_entries ${max}`);
        assert.ok(pages >= Math.ceil(all.length / max), `max_entries ${max} gave ${pages} pages`);
      }
    });
  }

  it('filters by source volume, with paging', async () => {
    const { ids } = await listAll(3, VOL_B);
    assert.deepEqual(ids, [...cloud.snapshots.values()].filter((s) => s.sourceVolumeId === VOL_B).map((s) => s.snapshotId));
    assert.equal(ids.length, 3);
    assert.deepEqual((await list({ sourceVolumeId: 'fake-vol' })).entries, []);
  });

  it('finds one snapshot by id, honouring a source volume filter', async () => {
    const [first] = [...cloud.snapshots.values()];
    assert.ok(first);
    assert.deepEqual((await list({ snapshotId: first.snapshotId })).entries?.map((e) => e.snapshot?.snapshotId), [first.snapshotId]);
    assert.deepEqual((await list({ snapshotId: first.snapshotId, sourceVolumeId: VOL_B })).entries, []);
    assert.deepEqual((await list({ snapshotId: 'snap-0123456789abcdef0' })).entries, []);
    assert.deepEqual((await list({ snapshotId: 'fake-snapshot-id' })).entries, []);
  });

  it('answers ABORTED for a token it did not issue, and for one the cloud rejects', async () => {
    await expectFailure(() => list({ startingToken: 'not-a-token!' }), status.ABORTED, /starting_token/);
    await expectFailure(() => list({ startingToken: encodeToken({ offset: 0, cloudToken: 'bogus' }) }), status.ABORTED);
  });

  it('refuses a negative max_entries', async () => {
    await expectFailure(() => list({ maxEntries: -1 }), status.INVALID_ARGUMENT, /max_entries/);
  });

  it('round-trips its tokens', () => {
    assert.deepEqual(decodeToken(encodeToken({ offset: 12, cloudToken: 'abc:def' })), { offset: 12, cloudToken: 'abc:def' });
    assert.deepEqual(decodeToken(encodeToken({ offset: 3 })), { offset: 3 });
  });
});

describe('GetSnapshot', () => {
  it('returns a known snapshot and NOT_FOUND otherwise', async () => {
    const [first] = [...cloud.snapshots.values()];
    assert.ok(first);
    const res = await handlers.GetSnapshot({ snapshotId: first.snapshotId, secrets: {} }, ctx);
    assert.equal(res.snapshot?.snapshotId, first.snapshotId);
    assert.equal(res.snapshot?.sizeBytes, 10 * 1024 ** 3);
    await expectFailure(() => handlers.GetSnapshot({ snapshotId: 'snap-0123456789abcdef0', secrets: {} }, ctx), status.NOT_FOUND, /snap-0123456789abcdef0/);
    await expectFailure(() => handlers.GetSnapshot({ snapshotId: '', secrets: {} }, ctx), status.INVALID_ARGUMENT, /snapshot_id/);
  });
});

describe('DeleteSnapshot', () => {
  it('deletes a snapshot, and succeeds for unknown or impossible ids', async () => {
    const [first] = [...cloud.snapshots.values()];
    assert.ok(first);
    await handlers.DeleteSnapshot({ snapshotId: first.snapshotId, secrets: {} }, ctx);
    assert.equal(cloud.snapshots.has(first.snapshotId), false);
    await handlers.DeleteSnapshot({ snapshotId: first.snapshotId, secrets: {} }, ctx);
    await handlers.DeleteSnapshot({ snapshotId: 'fake-snapshot-id', secrets: {} }, ctx);
    assert.deepEqual(mutatingCalls(cloud), ['deleteSnapshot', 'deleteSnapshot']);
    cloud.failures.deleteSnapshot = new CloudError('SnapshotNotFound', 'gone', 'InvalidSnapshot.NotFound');
    await handlers.DeleteSnapshot({ snapshotId: first.snapshotId, secrets: {} }, ctx);
  });

  it('passes other failures on, and requires snapshot_id', async () => {
    cloud.failures.deleteSnapshot = new CloudError('IncorrectState', 'snapshot is in use by a volume being created', 'InvalidSnapshot.InUse');
    await expectFailure(() => handlers.DeleteSnapshot({ snapshotId: 'snap-0123456789abcdef0', secrets: {} }, ctx), status.FAILED_PRECONDITION, /in use/);
    await expectFailure(() => handlers.DeleteSnapshot({ snapshotId: '', secrets: {} }, ctx), status.INVALID_ARGUMENT, /snapshot_id/);
  });
});
