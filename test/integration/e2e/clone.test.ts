// Volume cloning end to end through the driver's CSI socket, on the local environment (moto
// behind the data plane, real loop devices): a clone holds the files of its source, staged
// and published like any volume; repeats are idempotent; answers lost after EC2 acted make
// no second volume; and a name whose volume is gone can be provisioned again.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { status } from '@grpc/grpc-js';
import { writeDurably } from '../../../local/demo/durable-write.js';
import { GIB, VolumeWorkflow, type NodeFacts } from '../../../local/demo/volume-workflow.js';
import { expectStatus } from '../../support/csi-client.js';
import { unique } from '../../support/names.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { waitFor } from '../../support/ports.js';
import { IS_ROOT, NOT_ROOT_REASON, driverEnv, loopDevicesUnder, startLocalStack, type LocalStack } from './local-stack.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const ZONE_KEY = 'topology.kubernetes.io/zone';

describe('volume cloning through the driver on the local environment', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let stack: LocalStack;
  let node: NodeFacts;
  let flow: VolumeWorkflow;

  /** Volumes in the emulator (asked directly) carrying the CO name. */
  const volumesNamed = async (name: string): Promise<string[]> => {
    const out = await stack.moto.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:CSIVolumeName', Values: [name] }] }));
    return (out.Volumes ?? []).map((v) => v.VolumeId ?? '');
  };

  before(async () => {
    stack = await startLocalStack();
    flow = new VolumeWorkflow(stack.driver, stack.workDir);
    node = await flow.nodeFacts();
  });

  after(async () => {
    const failed = await flow?.teardown();
    const stateDir = stack?.stateDir;
    await stack?.stop();
    assert.deepEqual(failed ?? [], [], 'clean-up steps failed');
    if (stateDir) assert.deepEqual(await loopDevicesUnder(stateDir), [], 'loop devices left behind');
  });

  test('a clone of a volume holding a file holds that file, staged and published like any volume', async () => {
    const source = await flow.createVolume(unique('clone-source'), node, { sizeGiB: 1 });
    const mounted = await flow.mount(source, await flow.attach(source, node), 'clone-source');
    const payload = randomBytes(2 * 1024 * 1024);
    await writeDurably(join(mounted.targetPath, 'data.bin'), payload);

    // Cloned while the source is mounted and in use, as Kubernetes does for a PVC data source.
    const clone = await flow.createVolume(unique('clone-copy'), node, { sizeGiB: 2, fromVolume: source.volumeId });
    assert.notEqual(clone.volumeId, source.volumeId);
    assert.equal(clone.clonedFrom, source.volumeId, 'content_source names the source volume');
    assert.equal(clone.capacityBytes, 2 * GIB);
    const copy = await flow.mount(clone, await flow.attach(clone, node), 'clone-copy');
    assert.equal(sha256(await readFile(join(copy.targetPath, 'data.bin'))), sha256(payload), 'the clone holds the source\'s file');

    const later = randomBytes(4096);
    await writeDurably(join(copy.targetPath, 'data.bin'), later);
    assert.equal(sha256(await readFile(join(mounted.targetPath, 'data.bin'))), sha256(payload), 'writes to the clone leave the source alone');
    await flow.unmount(copy);
    await flow.unmount(mounted);
  });

  test('a repeat answers the same clone; the name with another source is ALREADY_EXISTS; a missing source NOT_FOUND', async () => {
    const source = await flow.createVolume(unique('repeat-source'), node, { sizeGiB: 1 });
    const other = await flow.createVolume(unique('repeat-other'), node, { sizeGiB: 1 });
    const request = {
      name: unique('repeat-clone'), capacityRange: { requiredBytes: GIB },
      volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } }],
      parameters: { type: 'gp3' }, volumeContentSource: { volume: { volumeId: source.volumeId } },
    };
    const first = await stack.driver.controller.CreateVolume(request);
    const again = await stack.driver.controller.CreateVolume(request);
    assert.equal(again.volume?.volumeId, first.volume?.volumeId);
    assert.deepEqual(again.volume?.contentSource?.volume, { volumeId: source.volumeId });
    assert.deepEqual(await volumesNamed(request.name), [first.volume?.volumeId]);
    await expectStatus(stack.driver.controller.CreateVolume({ ...request, volumeContentSource: { volume: { volumeId: other.volumeId } } }),
      status.ALREADY_EXISTS, new RegExp(`source volume is ${source.volumeId}, requested ${other.volumeId}`));
    await expectStatus(stack.driver.controller.CreateVolume({ ...request, name: unique('no-source'), volumeContentSource: { volume: { volumeId: 'vol-0123456789abcdef0' } } }),
      status.NOT_FOUND, /source volume vol-0123456789abcdef0 does not exist/);
    const zone = node.topology?.segments[ZONE_KEY] ?? '';
    await expectStatus(stack.driver.controller.CreateVolume({
      ...request, name: unique('elsewhere'), accessibilityRequirements: { requisite: [{ segments: { [ZONE_KEY]: 'us-east-1f' } }] },
    }), status.RESOURCE_EXHAUSTED, new RegExp(`${zone}.*us-east-1f`));
    await stack.driver.controller.DeleteVolume({ volumeId: first.volume?.volumeId ?? '' });
  });

  test('answers lost after EC2 acted make no second volume: the retry\'s token finds the first', async () => {
    const proxy: Ec2Proxy = await startEc2Proxy(stack.dataPlane.endpoint);
    let controller: DriverProcess | undefined;
    try {
      controller = await startDriver({ mode: 'controller', env: { ...driverEnv(stack.moto, stack.dataPlane, stack.imds), AWS_ENDPOINT_URL_EC2: proxy.endpoint } });
      // The start-up permission check sends DryRun creates; they must have gone by before answers are lost.
      await waitFor('the controller\'s permission check', () => Promise.resolve(
        (proxy.counts()['CreateVolume:DryRun'] ?? 0) > 0 && (proxy.counts()['CopyVolumes:DryRun'] ?? 0) > 0));
      const source = await flow.createVolume(unique('lost-source'), node, { sizeGiB: 1 });
      proxy.setFault('CreateVolume', { dropAnswer: true, remaining: 1 });
      proxy.setFault('CopyVolumes', { dropAnswer: true, remaining: 1 });
      const capability = { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
      const made = await controller.controller.CreateVolume({ name: unique('lost-fresh'), capacityRange: { requiredBytes: GIB }, volumeCapabilities: [capability] });
      const copied = await controller.controller.CreateVolume({
        name: unique('lost-copy'), capacityRange: { requiredBytes: GIB }, volumeCapabilities: [capability],
        volumeContentSource: { volume: { volumeId: source.volumeId } },
      });
      assert.equal(proxy.counts().CreateVolume, 2, 'the lost CreateVolume was sent again');
      assert.equal(proxy.counts().CopyVolumes, 2, 'the lost CopyVolumes was sent again');
      assert.deepEqual(await volumesNamed(unique('lost-fresh')), [made.volume?.volumeId], 'one volume for the name');
      assert.deepEqual(await volumesNamed(unique('lost-copy')), [copied.volume?.volumeId], 'one copy for the name');
      for (const volumeId of [made.volume?.volumeId ?? '', copied.volume?.volumeId ?? '']) await controller.controller.DeleteVolume({ volumeId });
    } finally {
      await controller?.stop();
      await proxy.stop();
    }
  });

  test('a name whose volume was deleted is provisioned again, though EC2 still remembers its first token', async () => {
    const first = await flow.createVolume(unique('reused-name'), node, { sizeGiB: 1 });
    await stack.driver.controller.DeleteVolume({ volumeId: first.volumeId });
    const second = await flow.createVolume(unique('reused-name'), node, { sizeGiB: 1 });
    assert.notEqual(second.volumeId, first.volumeId, 'a new volume, not the deleted one');
    assert.deepEqual(await volumesNamed(unique('reused-name')), [second.volumeId]);
  });
});
