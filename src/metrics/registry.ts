// The driver's Prometheus metrics, in one registry so tests and the HTTP endpoint
// see the same counters. Names follow the Prometheus conventions (unit suffixes).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ReferenceEc2Metrics, type AttemptResult } from './reference.js';

export interface MetricsOptions {
  /** Node.js process metrics (off in unit tests). */
  readonly processMetrics?: boolean;
  /** --deprecated-metrics: also the reference's old cloudprovider_aws_* names. */
  readonly deprecatedNames?: boolean;
}

export type Ec2Outcome = 'success' | 'throttled' | 'client_error' | 'server_error' | 'dry_run';

export class Metrics {
  readonly registry = new Registry();

  readonly rpcDuration = new Histogram({
    name: 'csi_rpc_duration_seconds',
    help: 'Latency of CSI RPCs by method and gRPC status code.',
    labelNames: ['method', 'code'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  readonly rpcErrors = new Counter({
    name: 'csi_rpc_errors_total',
    help: 'CSI RPCs that ended in an error, by method and gRPC status code.',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly ec2Calls = new Counter({
    name: 'ec2_api_calls_total',
    help: 'EC2 API calls by action and outcome (success, throttled, client_error, server_error, dry_run).',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly ec2Duration = new Histogram({
    name: 'ec2_api_duration_seconds',
    help: 'Latency of EC2 API calls by action.',
    labelNames: ['action'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly missingPermissions = new Gauge({
    name: 'ebs_csi_missing_permissions',
    help: 'EC2 actions the driver needs but its credentials may not call (1 per missing action).',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  /** The same EC2 calls under the reference driver's metric names. */
  readonly reference: ReferenceEc2Metrics;

  constructor(options: MetricsOptions | boolean = {}) {
    const { processMetrics = true, deprecatedNames = false } = typeof options === 'boolean' ? { processMetrics: options } : options;
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    this.reference = new ReferenceEc2Metrics(this.registry, deprecatedNames);
  }

  /** One EC2 attempt, into our series and the reference's. */
  recordEc2Attempt(action: string, seconds: number, outcome: Ec2Outcome, code: string | undefined): void {
    this.ec2Duration.observe({ action }, seconds);
    this.ec2Calls.inc({ action, outcome });
    const result: AttemptResult = outcome === 'success' ? { kind: 'success', seconds }
      : outcome === 'throttled' ? { kind: 'throttled' }
        // A DryRun permission probe that would succeed is no error to alert on.
        : outcome !== 'dry_run' && code !== undefined ? { kind: 'error', code }
          : { kind: 'uncounted' };
    this.reference.record(action, result);
  }

  /** Replaces the missing-permission series with the latest check's result. */
  setMissingPermissions(actions: readonly string[]): void {
    this.missingPermissions.reset();
    for (const action of actions) this.missingPermissions.set({ action }, 1);
  }
}
