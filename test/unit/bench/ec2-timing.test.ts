// The bench proxy's EC2 pace (ec2-timing.ts) and request buckets (ec2-buckets.ts) on a fake
// clock: what a driver sees of a volume, an attachment and a snapshot while EC2 is still
// working on them, what EC2 refuses meanwhile, and when a call is throttled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketClassOf, RequestBuckets } from '../../support/ec2-buckets.js';
import { Ec2Timing, type LatencyProfile } from '../../support/ec2-timing.js';
import { childText, editList, withChildText } from '../../support/ec2-xml.js';

const PROFILE: LatencyProfile = {
  name: 'test', describeCallMs: [10, 10], mutateCallMs: [20, 20],
  volumeCreateMs: [1500, 1500], attachMs: [1000, 1000], detachMs: [2000, 2000], snapshotMs: [4000, 4000],
};

const VOLUME = 'vol-0123456789abcdef0';
const INSTANCE = 'i-0123456789abcdef0';

const created = `<?xml version="1.0" encoding="UTF-8"?>
<CreateVolumeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><volumeId>${VOLUME}</volumeId><size>1</size><status>available</status><tagSet><item><key>CSIVolumeName</key><value>pvc-1</value></item></tagSet></CreateVolumeResponse>`;

const attachment = (status: string): string =>
  `<item><volumeId>${VOLUME}</volumeId><instanceId>${INSTANCE}</instanceId><device>/dev/xvdaa</device><status>${status}</status><attachTime>2026-01-01T00:00:00Z</attachTime><deleteOnTermination>false</deleteOnTermination></item>`;

const described = (status: string, attachments: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><volumeSet><item><volumeId>${VOLUME}</volumeId><size>1</size><status>${status}</status><attachmentSet>${attachments}</attachmentSet><tagSet><item><key>k</key><value>v</value></item></tagSet></item></volumeSet></DescribeVolumesResponse>`;

/** The volume item's own status and its attachments' statuses, from a DescribeVolumes answer. */
function seen(xml: string): { status: string | undefined; attachments: (string | undefined)[] } {
  let item = '';
  editList(xml, 'volumeSet', (i) => { item = i; return [i]; });
  const attachments: (string | undefined)[] = [];
  editList(item, 'attachmentSet', (a) => { attachments.push(childText(a, 'status')); return [a]; });
  return { status: childText(item, 'status'), attachments };
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const form = (fields: Record<string, string>): URLSearchParams => new URLSearchParams(fields);

describe('EC2 XML edits', () => {
  test('reads and sets direct children only, not the same name deeper down', () => {
    const item = described('in-use', attachment('attached')).replace(/^[\s\S]*?<volumeSet>(<item>[\s\S]*<\/item>)<\/volumeSet>[\s\S]*$/, '$1');
    assert.equal(childText(item, 'status'), 'in-use');
    const changed = withChildText(item, 'status', 'creating');
    assert.equal(childText(changed, 'status'), 'creating');
    assert.match(changed, /<status>attached<\/status>/, 'the attachment keeps its own status');
  });

  test('rewrites, drops and adds list items, creating a missing list', () => {
    const xml = described('available', '');
    assert.deepEqual(seen(editList(xml, 'volumeSet', (i) => [editList(i, 'attachmentSet', () => [], [attachment('detaching')])])).attachments, ['detaching']);
    assert.match(editList(xml, 'volumeSet', () => []), /<volumeSet><\/volumeSet>/);
    assert.match(editList('<A><b>1</b></A>', 'itemSet', () => [], ['<item>x</item>']), /<A><b>1<\/b><itemSet><item>x<\/item><\/itemSet><\/A>/);
  });
});

describe('EC2 pace over an instant emulator', () => {
  test('a new volume is creating until its time is up, and cannot be attached meanwhile', () => {
    const c = clock();
    const timing = new Ec2Timing(PROFILE, c.now, () => 0.5);
    assert.equal(childText(timing.answer('CreateVolume', form({}), created), 'status'), 'creating');
    assert.equal(seen(timing.answer('DescribeVolumes', form({}), described('available', ''))).status, 'creating');
    assert.equal(timing.refusal('AttachVolume', form({ VolumeId: VOLUME, InstanceId: INSTANCE }))?.code, 'IncorrectState');
    c.advance(1500);
    assert.equal(seen(timing.answer('DescribeVolumes', form({}), described('available', ''))).status, 'available');
    assert.equal(timing.refusal('AttachVolume', form({ VolumeId: VOLUME, InstanceId: INSTANCE })), undefined);
  });

  test('an attachment is attaching for the attach time, then attached', () => {
    const c = clock();
    const timing = new Ec2Timing(PROFILE, c.now, () => 0.5);
    const call = form({ VolumeId: VOLUME, InstanceId: INSTANCE, Device: '/dev/xvdaa' });
    assert.equal(childText(timing.answer('AttachVolume', call, `<AttachVolumeResponse><status>attached</status></AttachVolumeResponse>`), 'status'), 'attaching');
    assert.deepEqual(seen(timing.answer('DescribeVolumes', form({}), described('in-use', attachment('attached')))), { status: 'in-use', attachments: ['attaching'] });
    c.advance(999);
    assert.deepEqual(seen(timing.answer('DescribeVolumes', form({}), described('in-use', attachment('attached')))).attachments, ['attaching']);
    c.advance(1);
    assert.deepEqual(seen(timing.answer('DescribeVolumes', form({}), described('in-use', attachment('attached')))).attachments, ['attached']);
  });

  test('a detaching attachment stays visible and blocks delete and re-attach until it is gone', () => {
    const c = clock();
    const timing = new Ec2Timing(PROFILE, c.now, () => 0.5);
    const call = form({ VolumeId: VOLUME, InstanceId: INSTANCE });
    const answer = timing.answer('DetachVolume', call, `<DetachVolumeResponse><volumeId>${VOLUME}</volumeId><instanceId>${INSTANCE}</instanceId><device>/dev/xvdaa</device><status>detached</status></DetachVolumeResponse>`);
    assert.equal(childText(answer, 'status'), 'detaching');
    // The emulator has already dropped the attachment; EC2 would still show it.
    assert.deepEqual(seen(timing.answer('DescribeVolumes', form({}), described('available', ''))), { status: 'in-use', attachments: ['detaching'] });
    assert.equal(timing.refusal('DeleteVolume', form({ VolumeId: VOLUME }))?.code, 'VolumeInUse');
    assert.equal(timing.refusal('AttachVolume', call)?.code, 'VolumeInUse');
    c.advance(2000);
    assert.deepEqual(seen(timing.answer('DescribeVolumes', form({}), described('available', ''))), { status: 'available', attachments: [] });
    assert.equal(timing.refusal('DeleteVolume', form({ VolumeId: VOLUME })), undefined);
  });

  test('a snapshot is pending with growing progress, then as the emulator says', () => {
    const c = clock();
    const timing = new Ec2Timing(PROFILE, c.now, () => 0.5);
    const snap = (status: string): string => `<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId><status>${status}</status><progress>100%</progress></item></snapshotSet></DescribeSnapshotsResponse>`;
    assert.equal(childText(timing.answer('CreateSnapshot', form({}), '<CreateSnapshotResponse><snapshotId>snap-1</snapshotId><status>completed</status></CreateSnapshotResponse>'), 'status'), 'pending');
    c.advance(1000);
    let item = '';
    editList(timing.answer('DescribeSnapshots', form({}), snap('completed')), 'snapshotSet', (i) => { item = i; return [i]; });
    assert.equal(childText(item, 'status'), 'pending');
    assert.equal(childText(item, 'progress'), '25%');
    c.advance(3000);
    editList(timing.answer('DescribeSnapshots', form({}), snap('completed')), 'snapshotSet', (i) => { item = i; return [i]; });
    assert.equal(childText(item, 'status'), 'completed');
  });

  test('call round trips follow the profile by kind', () => {
    const timing = new Ec2Timing(PROFILE, Date.now, () => 0.5);
    assert.equal(timing.callDelayMs('DescribeVolumes'), 10);
    assert.equal(timing.callDelayMs('AttachVolume'), 20);
  });
});

describe("EC2's request-rate buckets", () => {
  test('classes: create/delete, tags, other mutating, filtered and unfiltered Describe', () => {
    assert.equal(bucketClassOf('CreateVolume', form({})), 'resourceChanging');
    assert.equal(bucketClassOf('CreateTags', form({})), 'tags');
    assert.equal(bucketClassOf('AttachVolume', form({})), 'mutating');
    assert.equal(bucketClassOf('DescribeVolumes', form({ 'Filter.1.Name': 'volume-id' })), 'describe');
    assert.equal(bucketClassOf('DescribeVolumes', form({})), 'unfilteredDescribe');
    assert.equal(bucketClassOf('DescribeAvailabilityZones', form({})), 'describe');
  });

  test('a full bucket allows its burst, then only its refill rate; each action has its own', () => {
    const c = clock();
    const buckets = new RequestBuckets(undefined, c.now);
    const attach = (): boolean => buckets.take('AttachVolume', form({}));
    for (let i = 0; i < 50; i++) assert.ok(attach(), `call ${i + 1} of the burst of 50`);
    assert.equal(attach(), false, 'the 51st call in the same instant is throttled');
    assert.ok(buckets.take('DetachVolume', form({})), 'another action has its own bucket');
    c.advance(200);
    assert.ok(attach(), 'one token after 1/5 s at 5 per second');
    assert.equal(attach(), false);
    buckets.reset();
    assert.ok(attach(), 'reset fills the buckets');
  });
});
