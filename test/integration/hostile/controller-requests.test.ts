// Hostile and careless controller requests over the driver's socket (controller mode,
// moto): topology naming zones the region does not have or keys the driver never reports,
// a publish to a node that does not exist, and secrets that must stay out of the log.
// Each refusal names the field, comes before any EC2 mutation, and leaves the driver
// answering Probe. Findings are those of issue 9.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';
import { expectRefused } from './hostile-rig.js';

const GIB = 1024 ** 3;
const SECRET = 'hunter2-controller-9c1e';
const ZONE = 'topology.kubernetes.io/zone';
const mountCap = { mount: { fsType: 'ext4', mountFlags: [] }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
const zoneSegment = (segments: Record<string, string>) => ({ segments });

describe('hostile controller requests over the socket', () => {
  let moto: Emulator;
  let proxy: Ec2Proxy;
  let driver: DriverProcess;
  let node: string;

  // DryRun calls change nothing, and the start-up permission check sends nine of them in the
  // background, which may land while the first test runs (seen in CI: "9 !== 0").
  const mutations = (): number => Object.entries(proxy.counts())
    .filter(([action]) => /^(Create|Delete|Attach|Detach|Modify)/.test(action) && !action.endsWith(':DryRun')).reduce((n, [, c]) => n + c, 0);
  const volumeNames = async (): Promise<string[]> => {
    const out = await moto.ec2.send(new DescribeVolumesCommand({}));
    return (out.Volumes ?? []).flatMap((v) => (v.Tags ?? []).filter((t) => t.Key === 'CSIVolumeName').map((t) => t.Value ?? ''));
  };

  before(async () => {
    moto = await startMoto();
    proxy = await startEc2Proxy(moto.endpoint);
    // --v=4: a successful RPC's whole request (with its secrets) is logged only at debug, so the
    // secrets check below sees what redaction does to it; at the default level it is not logged.
    driver = await startDriver({ mode: 'controller', env: { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint }, args: ['--v=4'] });
    node = await moto.runInstance('us-east-1a');
  });
  after(async () => {
    await driver?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  it('finding 4: a zone the region does not have is INVALID_ARGUMENT naming it and the region\'s zones; no volume is made', async () => {
    const before = mutations();
    for (const where of ['requisite', 'preferred'] as const) {
      await expectRefused(driver, driver.controller.CreateVolume({
        name: unique(`pvc-mars-${where}`), capacityRange: { requiredBytes: GIB }, volumeCapabilities: [mountCap],
        accessibilityRequirements: { [where]: [zoneSegment({ [ZONE]: 'mars-1a' })] },
      }), status.INVALID_ARGUMENT, /^accessibility_requirements names no zone of this region \(mars-1a\); this region's zones are us-east-1a \(use1-az\d\), us-east-1b/);
    }
    assert.equal(mutations(), before, 'no EC2 mutation for a refused request');
    assert.ok(!(await volumeNames()).some((n) => n === unique('pvc-mars-requisite') || n === unique('pvc-mars-preferred')), 'no volume was created');
  });

  it('finding 4: a requisite with only keys the driver never reports is INVALID_ARGUMENT listing the keys it understands', async () => {
    await expectRefused(driver, driver.controller.CreateVolume({
      name: unique('pvc-rack'), capacityRange: { requiredBytes: GIB }, volumeCapabilities: [mountCap],
      accessibilityRequirements: { requisite: [zoneSegment({ 'example.com/rack': 'r7' })] },
    }), status.INVALID_ARGUMENT, /^accessibility_requirements\.requisite\[0\] has none of the topology keys this driver understands \(topology\.kubernetes\.io\/zone, topology\.ebs\.csi\.aws\.com\/zone, .*\); got example\.com\/rack$/);
  });

  it('finding 4: ControllerPublishVolume to a node that does not exist is NOT_FOUND naming it, even when the volume is attached elsewhere', async () => {
    const created = await driver.controller.CreateVolume({
      name: unique('pvc-attached'), capacityRange: { requiredBytes: GIB }, volumeCapabilities: [mountCap],
      accessibilityRequirements: { requisite: [zoneSegment({ [ZONE]: 'us-east-1a' })] }, secrets: { token: SECRET },
    });
    const volumeId = created.volume?.volumeId ?? '';
    const published = await driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: mountCap, secrets: { token: SECRET } });
    await expectRefused(driver, driver.controller.ControllerPublishVolume({ volumeId, nodeId: 'i-0ffffffffffffffff', volumeCapability: mountCap }),
      status.NOT_FOUND, /^node i-0ffffffffffffffff does not exist$/);
    await expectRefused(driver, driver.controller.ControllerPublishVolume({ volumeId, nodeId: 'not-an-instance', volumeCapability: mountCap }),
      status.NOT_FOUND, /^node not-an-instance does not exist$/);
    assert.match(published.publishContext.devicePath ?? '', /^\/dev\//);
    assert.equal(published.publishContext.volumeSizeGiB, '1', 'the node gets the size a Xen device is checked against');
  });

  it('keeps secrets out of its log', () => {
    const log = driver.output();
    assert.ok(!log.includes(SECRET), 'a secret reached the driver\'s log');
    assert.match(log, /"token":"\[REDACTED\]"/, 'requests with secrets were logged, redacted');
  });
});
