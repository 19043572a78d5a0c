// Merges lookups that arrive close together into one batched fetch: the first key starts a
// short window; when it closes, every key gathered so far goes out in one call (chunks of
// maxBatch). At most maxInFlight fetches per coalescer run at once: keys arriving while that
// many are out wait and then go out together, so a slow or throttled EC2 gets fewer, larger
// calls. More than one may run because a lookup that must wait for a large, slow fetch (a
// poll of hundreds of volumes) to finish would wait for nothing of its own: with one at a time,
// publish latency grew with the number of volumes being polled (npm run bench, N = 300).
// A key is never answered from a fetch that started before it was asked for.

export interface CoalescerOptions {
  readonly windowMs: number;
  readonly maxBatch: number;
  /** Fetches running at once (default 4). */
  readonly maxInFlight?: number;
}

const DEFAULT_MAX_IN_FLIGHT = 4;

interface Waiter<V> {
  readonly resolve: (value: V | undefined) => void;
  readonly reject: (err: unknown) => void;
}

export type BatchFetch<V> = (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;

export class Coalescer<V> {
  private pending = new Map<string, Waiter<V>[]>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly fetch: BatchFetch<V>,
    private readonly options: CoalescerOptions,
  ) {}

  get(key: string): Promise<V | undefined> {
    // Batches of one (--batching=false): each lookup is its own call, concurrently.
    if (this.options.maxBatch <= 1) return this.fetch([key]).then((found) => found.get(key));
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= (this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.windowMs);
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight += 1;
    const keys = [...batch.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += this.options.maxBatch) chunks.push(keys.slice(i, i + this.options.maxBatch));
    await Promise.all(chunks.map(async (chunk) => {
      try {
        const found = await this.fetch(chunk);
        for (const key of chunk) for (const w of batch.get(key) ?? []) w.resolve(found.get(key));
      } catch (err) {
        for (const key of chunk) for (const w of batch.get(key) ?? []) w.reject(err);
      }
    }));
    this.inFlight -= 1;
    if (this.pending.size > 0) this.schedule();
  }
}
