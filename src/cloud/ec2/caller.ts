// Every EC2 call of the adapter goes through Ec2Caller.send: one attempt = one metrics
// sample (ec2Calls{action,outcome}, ec2Duration{action}); each attempt first waits for a token
// of EC2's request bucket (request-pacing.ts); retries follow retry.ts; what finally fails
// leaves as a CloudError (error-codes.ts) naming the action and the resource.
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-ec2';
import { CallAbandoned, checkCallerWaiting, currentCallSignal } from '../../call-scope.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Ec2Api, Ec2Command } from './api.js';
import { awsErrorCode, isNetworkError, isRetryable, isThrottling, outcomeOf, toCloudError } from './error-codes.js';
import type { RequestPacer } from './request-pacing.js';
import { withRetry, type RetryPolicy } from './retry.js';

export interface SendOptions {
  /** Names the resource in error messages, e.g. "volume vol-1". */
  readonly subject?: string;
  /**
   * False for calls that would act twice if a lost response were retried (CreateSnapshot has
   * no client token): those are retried only after throttling, which EC2 rejected unprocessed.
   */
  readonly idempotent?: boolean;
}

/** "DescribeVolumes" from a DescribeVolumesCommand. */
export const actionOf = (command: object): string => command.constructor.name.replace(/Command$/, '');

/** Calls that only read; every other action changes something (or is a DryRun of a change). */
const READ_ONLY_ACTION = /^(Describe|Get|List)/;

export class Ec2Caller {
  constructor(
    private readonly api: Ec2Api,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly policy: RetryPolicy,
    /** Waits each call out until EC2's request bucket for it has a token (request-pacing.ts). */
    private readonly pacer?: RequestPacer,
  ) {}

  async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: Ec2Command<I, O>, options: SendOptions = {}): Promise<O> {
    const action = actionOf(command);
    const idempotent = options.idempotent ?? true;
    const changes = !READ_ONLY_ACTION.test(action);
    const step = `sending ${action}${options.subject ? ` for ${options.subject}` : ''}`;
    // A change waiting for a token leaves the queue when its caller goes (and its retry takes
    // its place); reads stay, as a read may be shared by calls other than the one that began it.
    const pacing = changes
      ? { signal: currentCallSignal(), key: options.subject === undefined ? undefined : `${action} ${options.subject}`, onAbandoned: () => new CallAbandoned(step) }
      : {};
    const attempt = async (): Promise<O> => {
      await this.pacer?.take(action, pacing);
      // A change (or its retry) is not sent for a caller that has gone: the CO's retry may
      // have moved on, and e.g. a late re-sent AttachVolume would undo its detach.
      if (changes) checkCallerWaiting(step);
      const started = performance.now();
      const seconds = (): number => (performance.now() - started) / 1000;
      try {
        const output = await this.api.send(command);
        this.metrics.recordEc2Attempt(action, seconds(), 'success', undefined);
        return output;
      } catch (err) {
        this.metrics.recordEc2Attempt(action, seconds(), outcomeOf(err), isNetworkError(err) ? undefined : awsErrorCode(err));
        throw err;
      }
    };
    try {
      return await withRetry(attempt, this.policy, {
        shouldRetry: (err) => !(err instanceof CallAbandoned) && (idempotent ? isRetryable(err) : isThrottling(err)),
        onRetry: (err, attemptNumber, retriesLeft) =>
          this.log.debug({ action, code: awsErrorCode(err), attempt: attemptNumber, retriesLeft }, 'EC2 call failed, retrying'),
      });
    } catch (err) {
      if (err instanceof CallAbandoned) throw err;
      throw toCloudError(err, action, options.subject);
    }
  }
}
