// EBS cards. Some instance types have more than one (DescribeInstanceTypes
// EbsInfo.MaximumEbsCards), each with its own bandwidth and IOPS; AttachVolume then takes an
// EbsCardIndex, and volumes spread over the cards get the instance's full EBS performance
// (left out, EC2 puts every volume on card 0). An instance type's card count never changes,
// so it is asked once per type; a failed lookup counts as one card (the attach works as
// before) and is asked again after a while.
import { DescribeInstanceTypesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import type { Ec2Caller } from './caller.js';

const RETRY_FAILED_LOOKUP_MS = 5 * 60_000;

/**
 * The card for the next volume: the one with the fewest volumes (those attached and those
 * being attached), the lowest index on a tie; undefined on a one-card instance, where
 * AttachVolume takes no index.
 */
export function chooseEbsCard(cardCount: number, cardsInUse: readonly number[]): number | undefined {
  if (cardCount <= 1) return undefined;
  const counts = new Array<number>(cardCount).fill(0);
  for (const card of cardsInUse) if (card >= 0 && card < cardCount) counts[card] = (counts[card] ?? 0) + 1;
  let best = 0;
  for (let card = 1; card < cardCount; card++) if ((counts[card] ?? 0) < (counts[best] ?? 0)) best = card;
  return best;
}

export class EbsCardCounts {
  private readonly known = new Map<string, Promise<number>>();

  constructor(private readonly ec2: Ec2Caller, private readonly log: Logger, private readonly retryFailedAfterMs = RETRY_FAILED_LOOKUP_MS) {}

  /** How many EBS cards instances of this type have (1 when unknown). Concurrent asks share one call. */
  cardCount(instanceType: string): Promise<number> {
    if (instanceType === '') return Promise.resolve(1);
    let count = this.known.get(instanceType);
    if (!count) {
      count = this.lookup(instanceType);
      this.known.set(instanceType, count);
    }
    return count;
  }

  private async lookup(instanceType: string): Promise<number> {
    try {
      const out = await this.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }),
        { subject: `instance type ${instanceType}` });
      const cards = out.InstanceTypes?.[0]?.EbsInfo?.MaximumEbsCards ?? 1;
      return cards > 1 ? cards : 1;
    } catch (err) {
      this.log.warn({ instanceType, err: err instanceof Error ? err.message : String(err) },
        'could not look up the EBS cards of the instance type; attaching without a card index');
      // Keep the answer for a while, so a missing permission costs one call per period, not per attach.
      setTimeout(() => this.known.delete(instanceType), this.retryFailedAfterMs).unref();
      return 1;
    }
  }
}
