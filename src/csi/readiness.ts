// Checks at start-up, and again on Probe when the last answer is stale, that the
// credentials may call every EC2 action the driver needs (via DryRun). A missing
// permission is named in the log, in a metric and in Probe's answer, instead of
// surfacing hours later as a bare UnauthorizedOperation in the middle of an attach.
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/registry.js';

export interface Readiness {
  readonly ready: boolean;
  readonly reason?: string;
}

/**
 * Probe never waits for EC2: it answers from the last completed check and refreshes a stale
 * one in the background. The livenessprobe sidecar gives Probe about a second, and a dozen
 * DryRun calls under throttling can take longer; a slow answer would restart a healthy
 * controller. Until the first check completes, the driver serves calls, so it is ready.
 */
export class PermissionReadiness {
  #last: Readiness = { ready: true, reason: 'permission check under way' };
  #checkedAt = 0;
  #running: Promise<Readiness> | undefined;

  constructor(
    private readonly check: () => Promise<readonly string[]>,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly maxAgeMs = 5 * 60_000,
  ) {}

  /** The latest answer; starts a fresh check in the background (one at a time) when stale. */
  current(): Promise<Readiness> {
    if (Date.now() - this.#checkedAt >= this.maxAgeMs) void this.refresh();
    return Promise.resolve(this.#last);
  }

  /** Runs a check now (or joins the one under way) and resolves its answer. */
  refresh(): Promise<Readiness> {
    this.#running ??= this.run().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  private async run(): Promise<Readiness> {
    try {
      const missing = await this.check();
      this.metrics.setMissingPermissions(missing);
      if (missing.length > 0) {
        this.#last = { ready: false, reason: `the driver's credentials lack EC2 permissions: ${missing.join(', ')}` };
        this.log.error({ missing }, 'missing EC2 permissions; grant them in the IAM policy of the controller');
      } else {
        if (!this.#last.ready || this.#checkedAt === 0) this.log.info('EC2 permission check passed');
        this.#last = { ready: true };
      }
      this.#checkedAt = Date.now();
    } catch (err) {
      // A failed check (network, endpoint down) says nothing about permissions: report
      // not-ready with the reason, and try again on the next Probe.
      const reason = `could not check EC2 permissions: ${err instanceof Error ? err.message : String(err)}`;
      this.log.warn({ error: reason }, 'permission check failed');
      this.#last = { ready: false, reason };
    }
    return this.#last;
  }
}
