// The adapter's only retry policy: exponential backoff with jitter around one EC2 call.
// The SDK's own retries are off (api.ts), so every attempt is visible to the metrics.
import pRetry from 'p-retry';

export interface RetryPolicy {
  /** Attempts after the first one. */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
}

// About 0.25 s, 0.5 s, 1 s, 2 s, 4 s (each ×1–2 jitter): long enough for a drained
// token bucket (refill 5–20/s) to recover, short enough to stay inside a CO timeout.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 5, minDelayMs: 250, maxDelayMs: 8_000, factor: 2 };

export interface RetryHooks {
  /** Whether this failure may succeed when tried again. */
  readonly shouldRetry: (err: unknown) => boolean;
  /** Called before each retry (for logging). */
  readonly onRetry?: (err: unknown, attemptNumber: number, retriesLeft: number) => void;
}

export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  return pRetry(attempt, {
    retries: policy.retries,
    minTimeout: policy.minDelayMs,
    maxTimeout: policy.maxDelayMs,
    factor: policy.factor,
    // Jitter spreads the retries of many concurrent callers that failed together.
    randomize: true,
    shouldRetry: ({ error }) => hooks.shouldRetry(error),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0 && hooks.shouldRetry(error)) hooks.onRetry?.(error, attemptNumber, retriesLeft);
    },
  });
}
