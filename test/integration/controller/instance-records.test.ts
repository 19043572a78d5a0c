// Publishes to one node share the instance's record for a while instead of each costing a
// DescribeInstances (src/cloud/ec2/recent-instances.ts). What a record can miss, a device name
// someone else attached meanwhile, is caught by EC2's own refusal: here the data plane's, which
// refuses a name in use as EC2 does (moto does not). Driver -> counting proxy -> data plane -> moto.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AttachVolumeCommand, CreateVolumeCommand, DeleteVolumeCommand, DetachVolumeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startDataPlane, type DataPlane } from '../../../local/dataplane/index.js';
import { createLogger } from '../../../src/logger.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';
import { IS_ROOT, NOT_ROOT_REASON } from '../e2e/local-stack.js';

const GiB = 1024 ** 3;
const ZONE = `${REGION}a`;
const mountCap = { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };

describe('instance records shared by publishes to one node', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let moto: Emulator;
  let stateDir: string;
  let dataPlane: DataPlane;
  let proxy: Ec2Proxy;
  let driver: DriverProcess;
  let ec2: EC2Client;
  let node: string;
  const published: string[] = [];
  let foreign: string | undefined;

  const createVolume = async (name: string): Promise<string> => (await driver.controller.CreateVolume({
    name: unique(name), capacityRange: { requiredBytes: GiB }, volumeCapabilities: [mountCap],
    accessibilityRequirements: { requisite: [{ segments: { 'topology.kubernetes.io/zone': ZONE } }] },
  })).volume?.volumeId ?? '';
  const publish = async (volumeId: string): Promise<string> => {
    const answer = await driver.controller.ControllerPublishVolume({ volumeId, nodeId: node, volumeCapability: mountCap });
    published.push(volumeId);
    return answer.publishContext.devicePath ?? '';
  };

  before(async () => {
    moto = await startMoto();
    node = await moto.runInstance(ZONE);
    stateDir = await mkdtemp(join(tmpdir(), 'ebs-records-'));
    dataPlane = await startDataPlane({ upstream: moto.endpoint, instanceId: node, stateDir, reconcileIntervalMs: 0, log: createLogger('json', 'error') });
    proxy = await startEc2Proxy(dataPlane.endpoint);
    driver = await startDriver({ mode: 'controller', env: { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint } });
    ec2 = new EC2Client({ endpoint: dataPlane.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  after(async () => {
    for (const volumeId of published) await driver?.controller.ControllerUnpublishVolume({ volumeId, nodeId: node }).catch(() => undefined);
    if (foreign) {
      await ec2.send(new DetachVolumeCommand({ VolumeId: foreign, InstanceId: node })).catch(() => undefined);
      await ec2.send(new DeleteVolumeCommand({ VolumeId: foreign })).catch(() => undefined);
    }
    for (const volumeId of published) await driver?.controller.DeleteVolume({ volumeId }).catch(() => undefined);
    await driver?.stop();
    await proxy?.stop();
    ec2?.destroy();
    await dataPlane?.stop();
    await moto?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('looks the node up once for publishes within the record age, and again when EC2 refuses a name someone else took', async () => {
    const volumes = [await createVolume('pvc-records-1'), await createVolume('pvc-records-2'), await createVolume('pvc-records-3')];
    const [first, second, third] = volumes as [string, string, string];
    proxy.resetCounts();

    assert.equal(await publish(first), '/dev/xvdaa');
    assert.equal(proxy.counts().DescribeInstances, 1);

    // Someone else attaches a volume as the name the driver would choose next.
    foreign = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: ZONE, Size: 1 }))).VolumeId ?? '';
    await ec2.send(new AttachVolumeCommand({ VolumeId: foreign, InstanceId: node, Device: '/dev/xvdab' }));

    assert.equal(await publish(second), '/dev/xvdac', 'xvdab was refused as in use, and the next free name taken');
    const tried = proxy.requests('AttachVolume').map((p) => `${p.get('VolumeId') ?? ''} ${p.get('Device') ?? ''}`);
    assert.deepEqual(tried, [`${first} /dev/xvdaa`, `${second} /dev/xvdab`, `${second} /dev/xvdac`]);
    assert.equal(proxy.counts().DescribeInstances, 2, 'the refusal made the driver look at the node again');

    assert.equal(await publish(third), '/dev/xvdad');
    assert.equal(proxy.counts().DescribeInstances, 2, 'the refreshed record served the third publish');
  });
});
