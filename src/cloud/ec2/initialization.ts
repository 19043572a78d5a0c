// Volume initialization from DescribeVolumeStatus, for many volumes in one call. That call
// takes ids (it has no volume-id filter), and one id EC2 does not know fails the whole
// request: after such a failure the ids that still exist are found with one DescribeVolumes
// and asked again, so one deleted volume cannot fail the lookups of the others. An endpoint without DescribeVolumeStatus (moto) reports every
// volume initialized, said once in the log, since nothing would ever end the wait otherwise.
import { DescribeVolumeStatusCommand } from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import { isCloudError } from '../errors.js';
import type { VolumeInitialization } from '../types.js';
import type { Ec2Caller } from './caller.js';
import { toVolumeInitialization } from './convert.js';
import { isNotImplementedError } from './error-codes.js';
import { allPages } from './pagination.js';

const NOT_REPORTED: VolumeInitialization = { initialized: true };

export class InitializationLookup {
  private warned = false;

  constructor(
    private readonly ec2: Ec2Caller,
    /** The ids among these that name existing volumes. */
    private readonly existing: (ids: readonly string[]) => Promise<readonly string[]>,
    private readonly log: Logger,
  ) {}

  /** Initialization of each id EC2 knows; ids it does not know are left out. */
  async fetch(ids: readonly string[]): Promise<ReadonlyMap<string, VolumeInitialization>> {
    try {
      return await this.describe(ids);
    } catch (err) {
      if (isNotImplementedError(err)) return this.notReported(ids, err);
      if (!isCloudError(err, 'VolumeNotFound')) throw err;
    }
    const known = await this.existing(ids);
    return known.length > 0 ? this.describe(known) : new Map();
  }

  private async describe(ids: readonly string[]): Promise<Map<string, VolumeInitialization>> {
    const found = new Map<string, VolumeInitialization>();
    const statuses = await allPages(async (token) => {
      // MaxResults may not be combined with VolumeIds; EC2 pages on its own if it must.
      const out = await this.ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [...ids], NextToken: token }),
        { subject: ids.length === 1 ? `volume ${ids[0] ?? ''}` : `${ids.length} volumes` });
      return { items: out.VolumeStatuses ?? [], ...(out.NextToken !== undefined ? { nextToken: out.NextToken } : {}) };
    });
    for (const item of statuses) {
      if (item.VolumeId !== undefined) found.set(item.VolumeId, toVolumeInitialization(item));
    }
    // A volume EC2 knows but lists no status for (still being created) has nothing to wait for.
    for (const id of ids) if (!found.has(id)) found.set(id, NOT_REPORTED);
    return found;
  }

  private notReported(ids: readonly string[], err: unknown): Map<string, VolumeInitialization> {
    if (!this.warned) {
      this.warned = true;
      this.log.warn({ error: err instanceof Error ? err.message : String(err) },
        'the EC2 endpoint does not offer DescribeVolumeStatus: volumes count as initialized, so blockAttachUntilInitialized cannot hold attaches');
    }
    return new Map(ids.map((id) => [id, NOT_REPORTED]));
  }
}
