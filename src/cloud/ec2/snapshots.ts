// Snapshots: create (tagged at creation, answered while still pending; the CO polls for
// readiness), delete (false when unknown), and the driver's own paginated listing.
import { CreateSnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, type Filter } from '@aws-sdk/client-ec2';
import { TAG_SNAPSHOT_NAME } from '../../tags.js';
import { isCloudError } from '../errors.js';
import type { Page, Snapshot, SnapshotOptions } from '../types.js';
import type { Ec2Caller } from './caller.js';
import { recordToTags, toSnapshot } from './convert.js';
import { isSnapshotId } from './ids.js';
import { pageOf } from './pagination.js';

const LIST_PAGE_SIZE = 1000;

export class SnapshotOps {
  constructor(private readonly ec2: Ec2Caller) {}

  async create(options: SnapshotOptions): Promise<Snapshot> {
    const tags = recordToTags(options.tags);
    const out = await this.ec2.send(new CreateSnapshotCommand({
      VolumeId: options.sourceVolumeId,
      ...(options.outpostArn !== undefined ? { OutpostArn: options.outpostArn } : {}),
      ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] } : {}),
    }), {
      subject: `snapshot "${options.name}" of volume ${options.sourceVolumeId}`,
      // CreateSnapshot has no client token: resending after a lost answer could make a second snapshot.
      idempotent: false,
    });
    return toSnapshot(out);
  }

  async delete(snapshotId: string): Promise<boolean> {
    if (!isSnapshotId(snapshotId)) return false;
    try {
      await this.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), { subject: `snapshot ${snapshotId}` });
      return true;
    } catch (err) {
      if (isCloudError(err, 'SnapshotNotFound')) return false;
      throw err;
    }
  }

  /**
   * The driver's snapshots (those carrying its CSIVolumeSnapshotName tag, which every snapshot it
   * creates has), optionally of one source volume; at most maxResults (0: all).
   */
  list(filter: { sourceVolumeId?: string }, maxResults: number, nextToken?: string): Promise<Page<Snapshot>> {
    const filters: Filter[] = [{ Name: 'tag-key', Values: [TAG_SNAPSHOT_NAME] }];
    if (filter.sourceVolumeId !== undefined) filters.push({ Name: 'volume-id', Values: [filter.sourceVolumeId] });
    return pageOf(async (NextToken) => {
      const out = await this.ec2.send(new DescribeSnapshotsCommand({ Filters: filters, OwnerIds: ['self'], MaxResults: LIST_PAGE_SIZE, NextToken }),
        { subject: filter.sourceVolumeId ? `snapshots of volume ${filter.sourceVolumeId}` : 'the driver\'s snapshots' });
      return { items: (out.Snapshots ?? []).map(toSnapshot), nextToken: out.NextToken };
    }, maxResults, nextToken);
  }
}
