// The one seam between the adapter and the AWS SDK: anything with EC2Client's `send`.
// Unit tests inject a stub here; production builds a real EC2Client configured the
// standard SDK way (region, credentials chain, AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL).
import { EC2Client } from '@aws-sdk/client-ec2';
import { resolveRegion } from '../region.js';
import type { $Command, EC2ClientResolvedConfig, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-ec2';

export type Ec2Command<I extends ServiceInputTypes, O extends ServiceOutputTypes> =
  $Command<I, O, EC2ClientResolvedConfig, ServiceInputTypes, ServiceOutputTypes>;

export interface Ec2Api {
  send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: Ec2Command<I, O>): Promise<O>;
}

/** Where the SDK's own request/response log goes (--aws-sdk-debug-log). */
export interface SdkLogger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

export interface SdkClientOptions {
  readonly region?: string;
  readonly userAgentExtra?: string;
  readonly logger?: SdkLogger;
}

export { resolveRegion } from '../region.js';

export function createSdkApi(options: SdkClientOptions): Ec2Api {
  const client = new EC2Client({
    region: resolveRegion(options.region),
    // One retry policy (retry.ts) owns retrying; the SDK's own would multiply attempts
    // and hide throttling from the metrics.
    maxAttempts: 1,
    // Without a request timeout a half-open connection would hang an RPC forever.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    ...(options.userAgentExtra ? { customUserAgent: options.userAgentExtra } : {}),
    // The SDK logs each command's input and output (with its sensitive fields masked).
    ...(options.logger ? { logger: options.logger } : {}),
  });
  // The SDK's logger middleware runs the sensitive-data filters over every input and output to
  // hand them to a logger, even the no-op one the driver leaves it; Ec2Caller logs and counts
  // every call itself. Measured with npm run bench: ~2% of the controller's CPU time.
  client.middlewareStack.remove('loggerMiddleware');
  return { send: (command) => client.send(command) };
}
