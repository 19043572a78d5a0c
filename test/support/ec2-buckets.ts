// EC2's request-rate limits, enforced by the bench proxy (ec2-proxy.ts): each API action has its
// own token bucket, sized by the action's class (ebs-facts.md, "API throttling"); a call finding
// its bucket empty is answered RequestLimitExceeded, as EC2 does, and never reaches the emulator.
// This table is EC2's published default, written down independently of the driver's own pacing
// so the benchmark checks the driver rather than agreeing with it.

export interface BucketSpec {
  /** Tokens the bucket holds when full (the burst allowed). */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

export type BucketClass = 'describe' | 'unfilteredDescribe' | 'mutating' | 'resourceChanging' | 'tags';

export const EC2_DEFAULT_BUCKETS: Readonly<Record<BucketClass, BucketSpec>> = {
  describe: { capacity: 100, refillPerSecond: 20 },
  unfilteredDescribe: { capacity: 50, refillPerSecond: 10 },
  mutating: { capacity: 50, refillPerSecond: 5 },
  resourceChanging: { capacity: 100, refillPerSecond: 5 },
  tags: { capacity: 100, refillPerSecond: 10 },
};

const RESOURCE_CHANGING = new Set(['CreateVolume', 'DeleteVolume', 'CreateSnapshot', 'DeleteSnapshot', 'CopyVolumes']);
const TAGS = new Set(['CreateTags', 'DeleteTags']);
const UNFILTERED_CLASS = new Set(['DescribeVolumes', 'DescribeInstances', 'DescribeSnapshots']);

/** The class of one call: Describe calls without filters, ids or paging cost the smaller bucket. */
export function bucketClassOf(action: string, form: URLSearchParams): BucketClass {
  if (RESOURCE_CHANGING.has(action)) return 'resourceChanging';
  if (TAGS.has(action)) return 'tags';
  if (!action.startsWith('Describe')) return 'mutating';
  if (!UNFILTERED_CLASS.has(action)) return 'describe';
  const narrowed = [...form.keys()].some((k) => /^(Filter\.|VolumeId\.|InstanceId\.|SnapshotId\.|MaxResults$|NextToken$)/.test(k));
  return narrowed ? 'describe' : 'unfilteredDescribe';
}

export class RequestBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly specs: Readonly<Record<BucketClass, BucketSpec>> = EC2_DEFAULT_BUCKETS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for the call; false when EC2 would answer RequestLimitExceeded. */
  take(action: string, form: URLSearchParams): boolean {
    const cls = bucketClassOf(action, form);
    const spec = this.specs[cls];
    // EC2 keeps one bucket per API; the small unfiltered bucket is apart from the filtered one.
    const id = cls === 'unfilteredDescribe' ? `${action}:unfiltered` : action;
    const now = this.now();
    const bucket = this.buckets.get(id) ?? { tokens: spec.capacity, at: now };
    bucket.tokens = Math.min(spec.capacity, bucket.tokens + ((now - bucket.at) / 1000) * spec.refillPerSecond);
    bucket.at = now;
    this.buckets.set(id, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Fills every bucket again. */
  reset(): void {
    this.buckets.clear();
  }
}
