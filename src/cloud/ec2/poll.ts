// Waiting for EC2 to reach a state: probe, back off exponentially (with a little jitter so
// many waiters do not poll in lockstep), give up with CloudError 'Timeout' at the deadline.
// Probes go through the coalesced lookups, so many concurrent waits share each Describe call.
import { CloudError } from '../errors.js';

export interface WaitPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly timeoutMs: number;
}

export const DEFAULT_WAIT_POLICY: WaitPolicy = { initialDelayMs: 300, maxDelayMs: 4_000, factor: 1.8, timeoutMs: 180_000 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollSpec<T> {
  /** What is awaited, for the timeout message: "volume vol-1 to become available". */
  readonly what: string;
  readonly probe: () => Promise<T>;
  /** True when done; may throw to stop waiting (e.g. the volume went to 'error'). */
  readonly isDone: (value: T) => boolean;
  /** The last observation, for the timeout message. */
  readonly describe: (value: T) => string;
}

export async function pollUntil<T>(spec: PollSpec<T>, policy: WaitPolicy): Promise<T> {
  const started = Date.now();
  const deadline = started + policy.timeoutMs;
  let delay = policy.initialDelayMs;
  let last: { value: T } | undefined;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const seen = last ? `; last seen: ${spec.describe(last.value)}` : '';
      throw new CloudError('Timeout', `timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${spec.what}${seen}`);
    }
    await sleep(Math.min(delay * (0.9 + Math.random() * 0.2), remaining));
    const value = await spec.probe();
    if (spec.isDone(value)) return value;
    last = { value };
    delay = Math.min(delay * policy.factor, policy.maxDelayMs);
  }
}
