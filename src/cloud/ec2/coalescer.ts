// Merges lookups that arrive close together into one batched fetch: the first key starts a
// short window; when it closes, every key gathered so far goes out in one call (chunks of
// maxBatch). At most one fetch per coalescer is in flight: keys arriving meanwhile wait for
// it to finish and then go out together, so a slow or throttled EC2 gets fewer, larger calls.
// A key is never answered from a fetch that started before it was asked for.

export interface CoalescerOptions {
  readonly windowMs: number;
  readonly maxBatch: number;
}

interface Waiter<V> {
  readonly resolve: (value: V | undefined) => void;
  readonly reject: (err: unknown) => void;
}

export type BatchFetch<V> = (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;

export class Coalescer<V> {
  private pending = new Map<string, Waiter<V>[]>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

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
    if (this.inFlight || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.windowMs);
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight = true;
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
    this.inFlight = false;
    if (this.pending.size > 0) this.schedule();
  }
}
