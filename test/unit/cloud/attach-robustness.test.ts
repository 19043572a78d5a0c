// Attachment behaviour of real EC2 no emulator shows: attachments stuck in "attaching", and
// instance types with more than one EBS card.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Volume } from '@aws-sdk/client-ec2';
import { status } from '@grpc/grpc-js';
import { chooseEbsCard } from '../../../src/cloud/ec2/ebs-cards.js';
import { isCloudError } from '../../../src/cloud/errors.js';
import { toGrpcFailure } from '../../../src/server/errors.js';
import { awsError, fastTuning, instance, makeCloud, newVolumeId, StubEc2, volume } from './stub-ec2.js';

const NODE = 'i-0123456789abcdef0';
const secondsAgo = (s: number): Date => new Date(Date.now() - s * 1000);

describe('an attachment stuck in "attaching"', () => {
  function stuckStub(attachment: () => Volume['Attachments']): StubEc2 {
    return new StubEc2()
      .on('DescribeVolumes', (input) => ({ Volumes: [volume({ VolumeId: input.Filters?.[0]?.Values?.[0] ?? '', Attachments: attachment() })] }))
      .on('DescribeInstances', () => ({ Reservations: [{ Instances: [instance(NODE)] }] }))
      .on('DescribeInstanceTypes', () => ({ InstanceTypes: [{ InstanceType: 'm5.large', EbsInfo: {} }] }))
      .on('DetachVolume', () => ({ State: 'detaching' }));
  }

  it('is detached after 90 s by EC2\'s attach time, and the publish fails retryably naming the volume and the instance', async () => {
    const id = newVolumeId();
    let attached = false;
    const stub = stuckStub(() => (attached ? [{ InstanceId: NODE, Device: '/dev/xvdaa', State: 'attaching', AttachTime: secondsAgo(91) }] : []))
      .on('AttachVolume', (input) => {
        attached = true;
        return { VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attaching' };
      });
    const { cloud } = makeCloud(stub, fastTuning(5_000));
    const err = await cloud.attachDisk(id, NODE).catch((e: unknown) => e);
    assert.ok(isCloudError(err, 'AttachmentStuck'), String(err));
    assert.match(err.message, new RegExp(`volume ${id} was stuck attaching to instance ${NODE} as /dev/xvdaa for more than 90 s; it was detached`));
    assert.equal(toGrpcFailure(err).code, status.UNAVAILABLE, 'the CO retries it');
    assert.deepEqual(stub.inputsOf('DetachVolume'), [{ VolumeId: id, InstanceId: NODE }]);
  });

  it('is left alone while it is younger than 90 s', async () => {
    const id = newVolumeId();
    let looks = 0;
    const stub = stuckStub(() => {
      looks++;
      return looks < 2 ? [] : [{ InstanceId: NODE, Device: '/dev/xvdaa', State: looks < 4 ? 'attaching' : 'attached', AttachTime: secondsAgo(80) }];
    }).on('AttachVolume', (input) => ({ VolumeId: id, InstanceId: NODE, Device: input.Device, State: 'attaching' }));
    const { cloud } = makeCloud(stub, fastTuning(5_000));
    assert.equal(await cloud.attachDisk(id, NODE), '/dev/xvdaa');
    assert.equal(stub.count('DetachVolume'), 0);
  });

  it('found on a repeat publish is detached too, timed from the first look when EC2 gives no attach time', async () => {
    const id = newVolumeId();
    const stub = stuckStub(() => [{ InstanceId: NODE, Device: '/dev/xvdab', State: 'attaching' }]);
    const { cloud } = makeCloud(stub, { ...fastTuning(5_000), stuckAttachingMs: 30 });
    await assert.rejects(cloud.attachDisk(id, NODE), (err: unknown) => isCloudError(err, 'AttachmentStuck') && err.message.includes(NODE));
    assert.equal(stub.count('AttachVolume'), 0, 'the attachment in flight was waited on, not started again');
    assert.equal(stub.count('DetachVolume'), 1);
  });

  it('still fails retryably, saying so, when the detach fails as well', async () => {
    const id = newVolumeId();
    const stub = stuckStub(() => [{ InstanceId: NODE, Device: '/dev/xvdab', State: 'attaching', AttachTime: secondsAgo(300) }])
      .on('DetachVolume', () => { throw awsError('IncorrectState', 'The volume is busy'); });
    const { cloud } = makeCloud(stub, fastTuning(5_000));
    await assert.rejects(cloud.attachDisk(id, NODE), (err: unknown) => isCloudError(err, 'AttachmentStuck') && /detaching it failed too/.test(err.message));
  });
});

describe('EBS cards', () => {
  it('picks the card with the fewest volumes, the lowest on a tie, and none on a one-card instance', () => {
    assert.equal(chooseEbsCard(1, [0, 0]), undefined);
    assert.equal(chooseEbsCard(0, []), undefined);
    assert.equal(chooseEbsCard(2, []), 0);
    assert.equal(chooseEbsCard(2, [0]), 1);
    assert.equal(chooseEbsCard(2, [0, 1]), 0);
    assert.equal(chooseEbsCard(4, [0, 0, 1, 2, 3, 3]), 1);
    assert.equal(chooseEbsCard(2, [5, 5, 0]), 1, 'indexes beyond the type\'s cards are not counted');
  });

  function cardStub(cards: number | Error, mappedCards: readonly number[]): StubEc2 {
    return new StubEc2()
      .on('DescribeVolumes', (input) => ({ Volumes: (input.Filters?.[0]?.Values ?? []).map((VolumeId) => volume({ VolumeId })) }))
      .on('DescribeInstances', () => ({
        Reservations: [{ Instances: [{ ...instance(NODE, ['/dev/xvda', '/dev/xvdb'], 'us-east-1a', mappedCards), InstanceType: 'r8gb.48xlarge' }] }],
      }))
      .on('DescribeInstanceTypes', () => {
        if (cards instanceof Error) throw cards;
        return { InstanceTypes: [{ InstanceType: 'r8gb.48xlarge', EbsInfo: { MaximumEbsCards: cards } }] };
      })
      .on('AttachVolume', (input) => ({ VolumeId: input.VolumeId, InstanceId: NODE, Device: input.Device, State: 'attached', EbsCardIndex: input.EbsCardIndex }));
  }

  it('spreads concurrent attaches over the cards of a multi-card instance, asking for the type once', async () => {
    const stub = cardStub(2, [0, 0]);
    const { cloud } = makeCloud(stub);
    const ids = [newVolumeId(), newVolumeId(), newVolumeId()];
    await Promise.all(ids.map((id) => cloud.attachDisk(id, NODE)));
    const cards = stub.inputsOf('AttachVolume').map((i) => i.EbsCardIndex).sort();
    assert.deepEqual(cards, [0, 1, 1], 'card 0 holds the two mapped volumes: the first two new ones go to card 1');
    assert.equal(stub.count('DescribeInstanceTypes'), 1);
    assert.deepEqual(stub.inputsOf('DescribeInstanceTypes')[0]?.InstanceTypes, ['r8gb.48xlarge']);
    await cloud.attachDisk(newVolumeId(), NODE);
    assert.equal(stub.count('DescribeInstanceTypes'), 1, 'the card count is remembered');
  });

  it('sends no card index on a one-card type, nor when the type cannot be looked up', async () => {
    for (const stub of [cardStub(1, []), cardStub(awsError('UnauthorizedOperation', 'not allowed', 403), [])]) {
      const { cloud } = makeCloud(stub);
      await cloud.attachDisk(newVolumeId(), NODE);
      assert.ok(!('EbsCardIndex' in (stub.inputsOf('AttachVolume')[0] ?? {})));
    }
  });
});
