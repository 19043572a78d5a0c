// Entry point of the EC2 adapter: createEc2Cloud builds the Cloud the driver uses.
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Cloud } from '../types.js';
import { createSdkApi, type Ec2Api } from './api.js';
import { DEFAULT_TUNING, Ec2Cloud, type Ec2Tuning } from './ec2-cloud.js';

export type { Ec2Api, Ec2Command } from './api.js';
export type { Ec2Tuning } from './ec2-cloud.js';
export { DEFAULT_TUNING } from './ec2-cloud.js';

export interface Ec2CloudOptions {
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Else AWS_REGION / AWS_DEFAULT_REGION, else the SDK's own configuration. */
  readonly region?: string;
  /** Appended to the SDK's user agent. */
  readonly userAgentExtra?: string;
  /** --aws-sdk-debug-log: the SDK logs every request and response into the driver's log. */
  readonly sdkDebugLog?: boolean;
  /** Injected in unit tests; production talks to EC2 through the SDK. */
  readonly api?: Ec2Api;
  /** Coalescing window, retry and wait policies; defaults suit production. */
  readonly tuning?: Partial<Ec2Tuning>;
}

export function createEc2Cloud(options: Ec2CloudOptions): Cloud {
  const sdkLog = options.log.child({ component: 'aws-sdk' });
  const say = (level: 'info' | 'warn' | 'error') => (...content: unknown[]): void => {
    sdkLog[level]({ sdk: content.length === 1 ? content[0] : content }, 'AWS SDK');
  };
  const api = options.api ?? createSdkApi({
    region: options.region, userAgentExtra: options.userAgentExtra,
    ...(options.sdkDebugLog ? { logger: { debug: say('info'), info: say('info'), warn: say('warn'), error: say('error') } } : {}),
  });
  return new Ec2Cloud(api, options.metrics, options.log.child({ component: 'ec2' }), { ...DEFAULT_TUNING, ...options.tuning });
}
