// Waiting helpers for the lifecycle loops: an abortable sleep and a capped doubling delay.

/** Resolves after ms, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** 1 s, 2 s, 4 s … up to maxMs; reset() after a success. */
export class Backoff {
  private next: number;
  constructor(private readonly firstMs = 1000, private readonly maxMs = 30_000) {
    this.next = firstMs;
  }

  delay(): number {
    const current = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return current;
  }

  reset(): void {
    this.next = this.firstMs;
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
