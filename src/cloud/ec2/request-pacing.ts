// EC2 limits each account's request rate per region with a token bucket per API action, sized
// by the action's class (ebs-facts.md, "API throttling"); a call over the limit is refused with
// RequestLimitExceeded and has to be sent again after a backoff. A burst of a thousand volumes
// would be refused hundreds of times, each refusal a wasted call that also drains the bucket
// other clients of the account share. So the driver keeps its own copy of EC2's default buckets
// and waits for a token before every call (retries and DryRun probes included): its own bursts
// queue here, first come first served per action, instead of at EC2. Calls of other clients
// still count against the account's buckets; a throttled call is retried (retry.ts).

export interface BucketLimit {
  /** Tokens when full: the burst EC2 allows. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

export interface RequestLimits {
  /** Describe* (the driver always filters, so the smaller unfiltered bucket never applies). */
  readonly describe: BucketLimit;
  /** Actions that create or delete a resource. */
  readonly resourceChanging: BucketLimit;
  readonly tags: BucketLimit;
  /** Every other changing action (AttachVolume, DetachVolume, ModifyVolume...). */
  readonly mutating: BucketLimit;
}

/** EC2's default request buckets (ebs-facts.md). */
export const EC2_DEFAULT_REQUEST_LIMITS: RequestLimits = {
  describe: { capacity: 100, refillPerSecond: 20 },
  resourceChanging: { capacity: 100, refillPerSecond: 5 },
  tags: { capacity: 100, refillPerSecond: 10 },
  mutating: { capacity: 50, refillPerSecond: 5 },
};

const RESOURCE_CHANGING = new Set(['CreateVolume', 'DeleteVolume', 'CreateSnapshot', 'DeleteSnapshot', 'CopyVolumes']);
const TAGS = new Set(['CreateTags', 'DeleteTags']);

export function limitClassOf(action: string): keyof RequestLimits {
  if (action.startsWith('Describe')) return 'describe';
  if (RESOURCE_CHANGING.has(action)) return 'resourceChanging';
  if (TAGS.has(action)) return 'tags';
  return 'mutating';
}

/**
 * A call in a bucket's queue. A waiter whose caller has gone (its RPC answered at the deadline)
 * is an orphan: it is skipped when it reaches the head and takes no token, so the calls behind
 * it are not held up by work nobody waits for. Until then it keeps its place for the caller's
 * retry of the same request (same `key`), which takes it over instead of queueing at the back.
 */
interface Waiter {
  readonly key: string | undefined;
  go: (() => void) | undefined;
}

interface Bucket {
  readonly limit: BucketLimit;
  tokens: number;
  at: number;
  readonly queue: Waiter[];
  /** Orphans still in the queue, by key, for a retry to take over. */
  readonly orphans: Map<string, Waiter>;
  timer: NodeJS.Timeout | undefined;
}

/** What a caller passes to take() to leave the queue when it goes. */
export interface TakeOptions {
  /** Aborted when the caller has gone: the wait ends with `onAbandoned()`'s error and no token. */
  readonly signal?: AbortSignal | undefined;
  /** Errors a waiter leaves with when `signal` aborts. */
  readonly onAbandoned?: () => Error;
  /** Names the request (action and subject): a retry with the same key takes over an orphan's place. */
  readonly key?: string | undefined;
}

/**
 * The share of each bucket's burst the driver leaves unused. Calls leave the driver paced but
 * may reach EC2 bunched (waiting for a connection, or a slow first byte), and a bucket that the
 * driver empties exactly would refuse the bunched ones: measured with npm run bench, one
 * throttled AttachVolume in a batch of 100 without this slack, none with it.
 */
export const DEFAULT_HEADROOM = 0.1;

export class RequestPacer {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: RequestLimits = EC2_DEFAULT_REQUEST_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly headroom = DEFAULT_HEADROOM,
  ) {}

  /**
   * Resolves when a call of `action` may go to EC2 without exceeding its bucket. With a signal,
   * a caller that goes while waiting leaves without a token: a burst longer than the CO's
   * deadline would otherwise spend its tokens on calls that are then never sent, while the
   * CO's retries queue again at the back (measured: 613 of 1000 lifecycles failed that way).
   */
  take(action: string, options: TakeOptions = {}): Promise<void> {
    const bucket = this.bucketOf(action);
    this.refill(bucket);
    const { signal, key } = options;
    const orphan = key === undefined ? undefined : bucket.orphans.get(key);
    if (!orphan && bucket.tokens >= 1) {
      this.dropOrphansAtHead(bucket);
      if (bucket.queue.length === 0) {
        bucket.tokens -= 1;
        return Promise.resolve();
      }
    }
    if (signal?.aborted) return Promise.reject(abandoned(options));
    return new Promise((resolve, reject) => {
      // The retry of a request whose caller gave up takes the place its first attempt held.
      const waiter: Waiter = orphan ?? { key, go: undefined };
      if (orphan) bucket.orphans.delete(orphan.key as string);
      else bucket.queue.push(waiter);
      const onAbort = (): void => {
        waiter.go = undefined;
        if (waiter.key !== undefined) bucket.orphans.set(waiter.key, waiter);
        reject(abandoned(options));
      };
      waiter.go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.schedule(bucket);
    });
  }

  /** Calls waiting for a token, over all actions (orphans not counted). */
  get waiting(): number {
    let n = 0;
    for (const b of this.#buckets.values()) for (const w of b.queue) if (w.go) n += 1;
    return n;
  }

  private bucketOf(action: string): Bucket {
    let bucket = this.#buckets.get(action);
    if (!bucket) {
      const ec2 = this.limits[limitClassOf(action)];
      const limit = { capacity: Math.max(1, Math.floor(ec2.capacity * (1 - this.headroom))), refillPerSecond: ec2.refillPerSecond };
      bucket = { limit, tokens: limit.capacity, at: this.now(), queue: [], orphans: new Map(), timer: undefined };
      this.#buckets.set(action, bucket);
    }
    return bucket;
  }

  private refill(bucket: Bucket): void {
    const now = this.now();
    bucket.tokens = Math.min(bucket.limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * bucket.limit.refillPerSecond);
    bucket.at = now;
  }

  /** Called with a token free: orphans at the head would be served now, but nobody waits for them, so they go without it. */
  private dropOrphansAtHead(bucket: Bucket): void {
    for (let head = bucket.queue[0]; head && !head.go; head = bucket.queue[0]) {
      bucket.queue.shift();
      if (head.key !== undefined && bucket.orphans.get(head.key) === head) bucket.orphans.delete(head.key);
    }
  }

  private schedule(bucket: Bucket): void {
    if (bucket.timer) return;
    const wait = Math.max(0, ((1 - bucket.tokens) / bucket.limit.refillPerSecond) * 1000);
    bucket.timer = setTimeout(() => {
      bucket.timer = undefined;
      this.refill(bucket);
      while (bucket.tokens >= 1) {
        this.dropOrphansAtHead(bucket);
        const next = bucket.queue.shift();
        if (!next) break;
        bucket.tokens -= 1;
        next.go?.();
      }
      if (bucket.queue.length > 0) this.schedule(bucket);
    }, Math.ceil(wait));
    // Waiting calls belong to RPCs that keep the process alive; shutdown must not wait for tokens.
    bucket.timer.unref();
  }
}

function abandoned(options: TakeOptions): Error {
  return options.onAbandoned?.() ?? new Error('the caller has gone');
}
