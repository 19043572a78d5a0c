// The EC2 metrics under the reference driver's names, labels and buckets, beside our own,
// so dashboards and alerts built for it keep working:
//   aws_ebs_csi_api_request_duration_seconds{request}   successful calls, Prometheus' default buckets
//   aws_ebs_csi_api_request_errors_total{request,code}  failed calls by EC2 error code (not throttling)
//   aws_ebs_csi_api_request_throttles_total{operation_name}
// and, with --deprecated-metrics, the same under the old cloudprovider_aws_* names.
// As in the reference, one sample per attempt, and the duration series of the common
// operations exist from start-up (at zero), so rate() queries have a series to work on.
import { Counter, Histogram, type Registry } from 'prom-client';

/** Prometheus' default histogram buckets, which the reference's duration histogram uses. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Operations whose duration series the reference creates at start-up. */
export const PRE_REGISTERED_OPERATIONS = [
  'CreateVolume', 'DeleteVolume', 'AttachVolume', 'DetachVolume', 'ModifyVolume', 'DescribeVolumes', 'DescribeVolumesModifications',
  'CreateSnapshot', 'DeleteSnapshot', 'DescribeSnapshots', 'DescribeInstances', 'DescribeAvailabilityZones', 'DescribeTags',
  'CreateTags', 'DeleteTags', 'EnableFastSnapshotRestores',
] as const;

interface Names {
  readonly duration: string;
  readonly errors: string;
  readonly throttles: string;
  readonly note: string;
}

const CURRENT: Names = {
  duration: 'aws_ebs_csi_api_request_duration_seconds',
  errors: 'aws_ebs_csi_api_request_errors_total',
  throttles: 'aws_ebs_csi_api_request_throttles_total',
  note: '',
};

const DEPRECATED: Names = {
  duration: 'cloudprovider_aws_api_request_duration_seconds',
  errors: 'cloudprovider_aws_api_request_errors',
  throttles: 'cloudprovider_aws_api_throttled_requests_total',
  note: ' (deprecated)',
};

class ApiMetricSet {
  readonly duration: Histogram<'request'>;
  readonly errors: Counter<'request' | 'code'>;
  readonly throttles: Counter<'operation_name'>;

  constructor(names: Names, registry: Registry) {
    this.duration = new Histogram({
      name: names.duration, help: `AWS SDK API request duration by request type in seconds${names.note}`,
      labelNames: ['request'] as const, buckets: DEFAULT_BUCKETS, registers: [registry],
    });
    this.errors = new Counter({
      name: names.errors, help: `Total number of AWS SDK API errors by error code and request type${names.note}`,
      labelNames: ['request', 'code'] as const, registers: [registry],
    });
    this.throttles = new Counter({
      name: names.throttles, help: `Total number of throttled AWS SDK API requests per request type${names.note}`,
      labelNames: ['operation_name'] as const, registers: [registry],
    });
    for (const request of PRE_REGISTERED_OPERATIONS) this.duration.zero({ request });
  }
}

/** How one EC2 attempt ended, in the reference's terms. */
export type AttemptResult =
  | { readonly kind: 'success'; readonly seconds: number }
  | { readonly kind: 'throttled' }
  /** An error EC2 answered with a code; calls that never got an answer are not counted, as in the reference. */
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'uncounted' };

export class ReferenceEc2Metrics {
  private readonly sets: readonly ApiMetricSet[];

  constructor(registry: Registry, deprecated: boolean) {
    this.sets = [new ApiMetricSet(CURRENT, registry), ...(deprecated ? [new ApiMetricSet(DEPRECATED, registry)] : [])];
  }

  record(action: string, result: AttemptResult): void {
    for (const set of this.sets) {
      if (result.kind === 'success') set.duration.observe({ request: action }, result.seconds);
      else if (result.kind === 'throttled') set.throttles.inc({ operation_name: action });
      else if (result.kind === 'error') set.errors.inc({ request: action, code: result.code });
    }
  }
}
