// The driver binary started with the command lines the reference chart (2.63) gives its
// containers, as Kubernetes expands them ($(CSI_ENDPOINT) included): it must start, honour
// what it has the behaviour for, and name in one line what has no effect here. The controller
// runs against moto, the node against the local IMDSv2 endpoint of a moto instance.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { startImds, type RunningImds } from '../../../local/imds/index.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { freePort, waitFor } from '../../support/ports.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';

const GiB = 1024 ** 3;

/** The reference chart's controller arguments with enableMetrics and the EKS override's values. */
const controllerArgs = (socket: string, metricsPort: number): string[] => [
  'controller', `--endpoint=unix://${socket}`,
  '--extra-tags=environment=production,team=storage', '--k8s-tag-cluster-id=prod-eks-1', `--http-endpoint=0.0.0.0:${metricsPort}`,
  '--batching=true', '--logging-format=text', '--user-agent-extra=helm', '--v=2',
];

/** The reference chart's node arguments: its endpoint form, the mount prefix it always passes, an attach limit. */
const nodeArgs = (socket: string): string[] => [
  'node', `--endpoint=unix:${socket}`, '--csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/',
  '--volume-attach-limit=31', '--logging-format=text', '--v=2',
];

/** Lines of the text log that carry a warning. */
const warnings = (output: string): string[] => output.split('\n').filter((l) => / WARN /.test(l));

/**
 * The warnings once the flags line has been read from the driver's stdout: Probe answers over
 * the socket, so a loaded machine can serve it before the pipe's earlier lines reach the test.
 */
async function startupWarnings(driver: DriverProcess): Promise<string[]> {
  await waitFor('the driver\'s start-up warning line', () => Promise.resolve(/flags of the reference driver/.test(driver.output())), 10_000)
    .catch(() => undefined);
  return warnings(driver.output());
}

void describe('the driver started with the reference chart\'s arguments', () => {
  let moto: Emulator;

  before(async () => { moto = await startMoto(); });
  after(async () => { await moto?.stop(); });

  void it('controller: starts, tags volumes as the reference does and serves its metric names', async () => {
    const metricsPort = await freePort();
    const driver: DriverProcess = await startDriver({ mode: 'controller', env: moto.env, argv: (socket) => controllerArgs(socket, metricsPort) });
    try {
      assert.deepEqual(warnings(driver.output()), [], 'every flag given has an effect here');
      const name = unique('pvc-reference-args');
      const res = await driver.controller.CreateVolume({
        name, capacityRange: { requiredBytes: GiB }, volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
        parameters: { type: 'gp3', 'csi.storage.k8s.io/pvc/namespace': 'shop-prod-eu', tagSpecification_1: 'tier={{ .PVCNamespace | field "-" 1 | toUpper }}' },
      });
      const [volume] = (await moto.ec2.send(new DescribeVolumesCommand({ VolumeIds: [res.volume?.volumeId ?? ''] }))).Volumes ?? [];
      const tags = Object.fromEntries((volume?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      assert.equal(tags.Name, `prod-eks-1-dynamic-${name}`);
      assert.equal(tags['kubernetes.io/cluster/prod-eks-1'], 'owned');
      assert.equal(tags['ebs.csi.aws.com/cluster-name'], 'prod-eks-1');
      assert.equal(tags.team, 'storage');
      assert.equal(tags.environment, 'production');
      assert.equal(tags.tier, 'PROD');
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(metrics, /^aws_ebs_csi_api_request_duration_seconds_count\{request="CreateVolume"\} [1-9]/m);
      assert.match(metrics, /^aws_ebs_csi_api_request_duration_seconds_bucket\{le="0\.005",request="DescribeVolumes"\}/m);
    } finally {
      assert.equal(await driver.stop(), 0);
    }
  });

  void it('controller: accepts the reference\'s other switches and names those without effect in one warning line', async () => {
    const driver = await startDriver({
      mode: 'controller', env: moto.env,
      argv: (socket) => [...controllerArgs(socket, 0).filter((a) => !a.startsWith('--http-endpoint')), '--aws-sdk-debug-log=true',
        '--enable-otel-tracing=true', '--enable-node-local-volumes=true', '--v=7'],
    });
    try {
      const lines = await startupWarnings(driver);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0] ?? '', /flags of the reference driver that have no effect here: --enable-otel-tracing \(no OpenTelemetry tracing\), --enable-node-local-volumes/);
      // --aws-sdk-debug-log: the SDK's own request log reaches the driver's log.
      await driver.controller.ControllerGetCapabilities({});
      await waitFor('the SDK\'s request log', () => Promise.resolve(/AWS SDK/.test(driver.output())), 10_000).catch(() => undefined);
      assert.match(driver.output(), /AWS SDK/);
    } finally {
      await driver.stop();
    }
  });

  void it('node: starts with the reference chart\'s endpoint form, reports the attach limit, warns once about the NVMe metrics prefix', async () => {
    const instanceId = await moto.runInstance(`${REGION}a`);
    const imds: RunningImds = await startImds({ emulator: moto.endpoint, instanceId });
    try {
      const driver = await startDriver({
        mode: 'node', env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }, argv: nodeArgs,
      });
      try {
        const info = await driver.node.NodeGetInfo({});
        assert.equal(info.nodeId, instanceId);
        assert.equal(Number(info.maxVolumesPerNode), 31);
        const lines = await startupWarnings(driver);
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0] ?? '', /--csi-mount-point-prefix \(no NVMe performance metrics\)/);
      } finally {
        assert.equal(await driver.stop(), 0);
      }
    } finally {
      await imds.stop();
    }
  });
});
