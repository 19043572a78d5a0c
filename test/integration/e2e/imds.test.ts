// The local IMDSv2 endpoint, read the way the node reads it: the AWS SDK's metadata client
// with AWS_EC2_METADATA_SERVICE_ENDPOINT-style configuration. It must tell the emulator
// instance's identity, refuse reads without a session token, and list directories.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { startImds, type RunningImds } from '../../../local/imds/index.js';
import { REGION, startMoto, type Emulator } from '../../support/moto.js';

describe('local instance metadata service (IMDSv2)', () => {
  let moto: Emulator;
  let instanceId: string;
  let imds: RunningImds;
  let metadata: MetadataService;

  before(async () => {
    moto = await startMoto();
    instanceId = await moto.runInstance(`${REGION}b`);
    imds = await startImds({ emulator: moto.endpoint, instanceId });
    metadata = new MetadataService({ endpoint: imds.endpoint, ec2MetadataV1Disabled: true, retries: 0 });
  });

  after(async () => {
    await imds?.stop();
    await moto?.stop();
  });

  test('answers the instance\'s identity through the SDK client', async () => {
    assert.equal(await metadata.request('/latest/meta-data/instance-id', {}), instanceId);
    assert.equal(await metadata.request('/latest/meta-data/instance-type', {}), 'm5.large');
    assert.equal(await metadata.request('/latest/meta-data/placement/availability-zone', {}), `${REGION}b`);
    assert.equal(await metadata.request('/latest/meta-data/placement/region', {}), REGION);
    const document = JSON.parse(await metadata.request('/latest/dynamic/instance-identity/document', {})) as Record<string, unknown>;
    assert.equal(document.instanceId, instanceId);
    assert.equal(document.availabilityZone, `${REGION}b`);
    assert.equal(document.region, REGION);
    assert.equal(document.instanceType, 'm5.large');
  });

  test('lists network interfaces and launch-time block-device mappings', async () => {
    const mac = await metadata.request('/latest/meta-data/mac', {});
    assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(await metadata.request('/latest/meta-data/network/interfaces/macs/', {}), `${mac}/`);
    assert.equal(await metadata.request(`/latest/meta-data/network/interfaces/macs/${mac}/device-number`, {}), '0');
    const mappings = (await metadata.request('/latest/meta-data/block-device-mapping/', {})).split('\n');
    assert.deepEqual(mappings, ['ami', 'root']);
    assert.equal(await metadata.request('/latest/meta-data/block-device-mapping/root', {}), imds.facts.rootDeviceName);
  });

  test('refuses reads without a valid token, and bad token requests', async () => {
    assert.equal((await fetch(`${imds.endpoint}/latest/meta-data/instance-id`)).status, 401);
    const forged = await fetch(`${imds.endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': 'forged' } });
    assert.equal(forged.status, 401);
    const noTtl = await fetch(`${imds.endpoint}/latest/api/token`, { method: 'PUT' });
    assert.equal(noTtl.status, 400);
    const tooLong = await fetch(`${imds.endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21601' } });
    assert.equal(tooLong.status, 400);
    const token = await (await fetch(`${imds.endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    const ok = await fetch(`${imds.endpoint}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': token } });
    assert.equal(await ok.text(), instanceId);
  });

  test('answers 404 for what an instance outside an Outpost does not have', async () => {
    await assert.rejects(metadata.request('/latest/meta-data/outpost-arn', {}), /404/);
  });
});
