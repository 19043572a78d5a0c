// The EC2 metrics under the reference driver's names, labels and buckets, scraped in the
// Prometheus text format a dashboard reads, after calls through the real EC2 adapter (the
// SDK client stubbed: throttling and error codes on demand).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Ec2Cloud } from '../../../src/cloud/ec2/ec2-cloud.js';
import { Metrics } from '../../../src/metrics/registry.js';
import { awsError, fastTuning, StubEc2 } from '../cloud/stub-ec2.js';

async function scrape(deprecatedNames: boolean): Promise<string> {
  const stub = new StubEc2()
    .on('DeleteVolume', (_input, nth) => {
      if (nth <= 2) throw awsError('RequestLimitExceeded', 'slow down', 503);
      return {};
    })
    .on('DetachVolume', () => { throw awsError('IncorrectState', 'not attached'); })
    .on('CreateTags', () => { throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }); });
  const metrics = new Metrics({ processMetrics: false, deprecatedNames });
  const cloud = new Ec2Cloud(stub, metrics, pino({ level: 'silent' }), { ...fastTuning(), retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2, factor: 1 } });
  await cloud.deleteDisk('vol-0abcdef0123456789');
  await cloud.detachDisk('vol-0abcdef0123456789', 'i-0abcdef0123456789').catch(() => undefined);
  await cloud.createTags('vol-0abcdef0123456789', { a: 'b' }).catch(() => undefined);
  return metrics.registry.metrics();
}

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

void describe('reference metric names', () => {
  void it('observe successful EC2 calls in aws_ebs_csi_api_request_duration_seconds{request} with Prometheus\' default buckets', async () => {
    const text = await scrape(false);
    assert.match(text, /# TYPE aws_ebs_csi_api_request_duration_seconds histogram/);
    const buckets = [...text.matchAll(/^aws_ebs_csi_api_request_duration_seconds_bucket\{le="([^"]+)",request="DeleteVolume"\}/gm)].map((m) => m[1]);
    assert.deepEqual(buckets, ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    assert.equal(value(text, 'aws_ebs_csi_api_request_duration_seconds_count{request="DeleteVolume"}'), 1, 'only the successful attempt');
    // Series of the common operations exist from start-up, at zero.
    assert.equal(value(text, 'aws_ebs_csi_api_request_duration_seconds_count{request="CreateVolume"}'), 0);
  });

  void it('count throttled attempts by operation_name and failed ones by request and code', async () => {
    const text = await scrape(false);
    assert.equal(value(text, 'aws_ebs_csi_api_request_throttles_total{operation_name="DeleteVolume"}'), 2);
    assert.ok((value(text, 'aws_ebs_csi_api_request_errors_total{request="DetachVolume",code="IncorrectState"}') ?? 0) >= 1);
    assert.doesNotMatch(text, /request_errors_total\{request="CreateTags"/, 'a call that got no answer has no error code to count');
    assert.doesNotMatch(text, /cloudprovider_aws_/, 'the deprecated names only with --deprecated-metrics');
    // Our own names stay beside them.
    assert.match(text, /^ec2_api_calls_total\{action="DeleteVolume",outcome="throttled"\} 2$/m);
  });

  void it('also export the cloudprovider_aws_* names with --deprecated-metrics', async () => {
    const text = await scrape(true);
    assert.equal(value(text, 'cloudprovider_aws_api_request_duration_seconds_count{request="DeleteVolume"}'), 1);
    assert.equal(value(text, 'cloudprovider_aws_api_throttled_requests_total{operation_name="DeleteVolume"}'), 2);
    assert.match(text, /^cloudprovider_aws_api_request_errors\{request="DetachVolume",code="IncorrectState"\} \d+$/m);
  });
});
