// Waiting for EC2 to reach a state: probe, back off, give up with CloudError 'Timeout' at the
// deadline. Probes go through the coalesced lookups, so concurrent waits share Describe calls;
// the schedule is built to make that sharing likely and the wait short:
// - a first early look (a change can be quick, and an emulator answers at once);
// - then, when the caller knows how long the change usually takes (EBS: a volume is available
//   ~1.5 s after CreateVolume, an attachment changes in 1–2 s), nothing until then, and a look
//   every gridMs for as long as such a change usually lasts; then exponential backoff;
// - every look lands on a multiple of gridMs (wall clock), so waits that started at different
//   moments still probe at the same instants and one Describe answers them all.
import { CloudError } from '../errors.js';

export interface WaitPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly timeoutMs: number;
  /** Looks land on multiples of this (ms); 0 or unset: no alignment. */
  readonly gridMs?: number;
  /** With an expected duration: keep looking every gridMs until this long after the start. */
  readonly steadyMs?: number;
}

export const DEFAULT_WAIT_POLICY: WaitPolicy = {
  initialDelayMs: 250, maxDelayMs: 4_000, factor: 1.5, timeoutMs: 180_000, gridMs: 250, steadyMs: 5_000,
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollSpec<T> {
  /** What is awaited, for the timeout message: "volume vol-1 to become available". */
  readonly what: string;
  readonly probe: () => Promise<T>;
  /** True when done; may throw to stop waiting (e.g. the volume went to 'error'). */
  readonly isDone: (value: T) => boolean;
  /** The last observation, for the timeout message. */
  readonly describe: (value: T) => string;
  /** How long the change usually takes, when known: the second look waits for it. */
  readonly expectedMs?: number;
}

/** Offsets from the start at which to look: the schedule described at the top. */
export function* lookOffsets(policy: WaitPolicy, expectedMs?: number): Generator<number> {
  let at = policy.initialDelayMs;
  yield at;
  const grid = policy.gridMs ?? 0;
  if (expectedMs !== undefined && grid > 0) {
    at = Math.max(at + grid, expectedMs);
    yield at;
    for (; at + grid <= (policy.steadyMs ?? 0); ) yield (at += grid);
  }
  let delay = expectedMs !== undefined && grid > 0 ? grid : policy.initialDelayMs;
  for (;;) {
    delay = Math.min(delay * policy.factor, policy.maxDelayMs);
    yield (at += delay);
  }
}

export async function pollUntil<T>(spec: PollSpec<T>, policy: WaitPolicy): Promise<T> {
  const started = Date.now();
  const deadline = started + policy.timeoutMs;
  const grid = policy.gridMs ?? 0;
  let last: { value: T } | undefined;
  for (const offset of lookOffsets(policy, spec.expectedMs)) {
    const now = Date.now();
    const remaining = deadline - now;
    if (remaining <= 0) {
      const seen = last ? `; last seen: ${spec.describe(last.value)}` : '';
      throw new CloudError('Timeout', `timed out after ${Math.round((now - started) / 1000)} s waiting for ${spec.what}${seen}`);
    }
    // A look never lands in the past (a slow probe must not turn into a burst of probes).
    const target = Math.max(started + offset, now + 1);
    const at = grid > 0 ? Math.ceil(target / grid) * grid : target;
    await sleep(Math.min(Math.max(0, at - now), remaining));
    const value = await spec.probe();
    if (spec.isDone(value)) return value;
    last = { value };
  }
  throw new Error('unreachable: the look schedule is endless');
}
