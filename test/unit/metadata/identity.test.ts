// Node identity: IMDSv2 against a small local metadata server (the SDK client is real),
// the Kubernetes Node object through an injected GET, and the fallback between them.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { countExtraBootVolumes, countNetworkInterfaces, identityFromImds } from '../../../src/metadata/imds.js';
import { identityFromKubernetes, identityFromNodeObject, parseProviderId } from '../../../src/metadata/kubernetes.js';
import { NodeIdentityError, resolveNodeIdentity } from '../../../src/metadata/resolve.js';

const TOKEN = 'test-token-123';

interface FakeImds { server: Server; endpoint: string; paths: Record<string, string>; requests: string[] }

async function startImds(paths: Record<string, string>): Promise<FakeImds> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      res.writeHead(req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ? 200 : 400).end(TOKEN);
      return;
    }
    // IMDSv2 only: a read without the session token is refused.
    if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) {
      res.writeHead(401).end();
      return;
    }
    const body = paths[req.url ?? ''];
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}`, paths, requests };
}

const document = JSON.stringify({
  instanceId: 'i-0123456789abcdef0', instanceType: 'm7i.large', availabilityZone: 'eu-west-1c', region: 'eu-west-1',
});

describe('identity from IMDSv2', () => {
  let imds: FakeImds;
  before(async () => {
    imds = await startImds({
      '/latest/dynamic/instance-identity/document': document,
      '/latest/meta-data/block-device-mapping/': 'ami\nebs1\nebs2\nroot',
      '/latest/meta-data/network/interfaces/macs/': '0a:00:00:00:00:01/\n0a:00:00:00:00:02/\n',
    });
  });
  after(() => { imds.server.close(); });

  it('reads the identity document, boot volumes and interfaces with one token', async () => {
    const identity = await identityFromImds({ endpoint: imds.endpoint });
    assert.deepEqual(identity, {
      source: 'imds', instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1c', region: 'eu-west-1',
      instanceType: 'm7i.large', extraBootVolumes: 2, networkInterfaces: 2,
    });
    assert.equal(imds.requests.filter((r) => r.startsWith('PUT')).length, 1, 'one token for all reads');
  });

  it('reports an Outpost ARN when IMDS has one', async () => {
    imds.paths['/latest/meta-data/outpost-arn'] = 'arn:aws:outposts:eu-west-1:123456789012:outpost/op-0abc';
    assert.equal((await identityFromImds({ endpoint: imds.endpoint })).outpostArn, 'arn:aws:outposts:eu-west-1:123456789012:outpost/op-0abc');
    delete imds.paths['/latest/meta-data/outpost-arn'];
  });

  it('honours AWS_EC2_METADATA_SERVICE_ENDPOINT', async () => {
    const saved = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.endpoint;
    try {
      assert.equal((await identityFromImds()).instanceId, 'i-0123456789abcdef0');
    } finally {
      if (saved === undefined) delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
      else process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = saved;
    }
  });

  it('counts listings', () => {
    assert.equal(countExtraBootVolumes('ami\nroot\nephemeral0\nebs1\nebs12\n'), 2);
    assert.equal(countNetworkInterfaces('a/\nb/\n\n'), 2);
  });
});

describe('identity from the Kubernetes Node object', () => {
  const node = {
    metadata: { labels: { 'topology.kubernetes.io/zone': 'us-east-2a', 'node.kubernetes.io/instance-type': 'c7i.xlarge' } },
    spec: { providerID: 'aws:///us-east-2a/i-0fedcba9876543210' },
  };

  it('parses AWS provider ids', () => {
    assert.deepEqual(parseProviderId('aws:///us-east-2a/i-0fedcba9876543210'), { zone: 'us-east-2a', instanceId: 'i-0fedcba9876543210' });
    assert.deepEqual(parseProviderId('aws:///i-0fedcba9876543210'), { instanceId: 'i-0fedcba9876543210' });
    assert.equal(parseProviderId('gce://project/zone/name'), undefined);
  });

  it('takes the instance id from providerID and zone and type from labels', () => {
    assert.deepEqual(identityFromNodeObject(node, 'n1'), {
      source: 'kubernetes', instanceId: 'i-0fedcba9876543210', availabilityZone: 'us-east-2a', region: 'us-east-2', instanceType: 'c7i.xlarge',
    });
    assert.throws(() => identityFromNodeObject({ spec: { providerID: 'kind://x' } }, 'n1'), /Node n1 has no AWS providerID/);
  });

  it('reads HyperPod names and counts', () => {
    const hyperPod = {
      metadata: { labels: {
        'topology.kubernetes.io/zone': 'us-east-2b', 'node.kubernetes.io/instance-type': 'ml.p5.48xlarge',
        'sagemaker.amazonaws.com/num-eni-attachments': '4', 'sagemaker.amazonaws.com/num-block-device-mappings': '2',
      } },
      spec: { providerID: 'aws:///us-east-2b/i-0fedcba9876543210' },
    };
    assert.deepEqual(identityFromNodeObject(hyperPod, 'hyperpod-i-0fedcba9876543210'), {
      source: 'kubernetes', instanceId: 'i-0fedcba9876543210', availabilityZone: 'us-east-2b', region: 'us-east-2',
      instanceType: 'p5.48xlarge', networkInterfaces: 4, extraBootVolumes: 2,
    });
  });

  it('GETs the node named by CSI_NODE_NAME', async () => {
    const asked: string[] = [];
    const client = (): Promise<{ get: (path: string) => Promise<unknown> }> =>
      Promise.resolve({ get: (path: string) => { asked.push(path); return Promise.resolve(node); } });
    const identity = await identityFromKubernetes({ env: { CSI_NODE_NAME: 'ip-10-0-0-1.ec2.internal' }, client });
    assert.deepEqual(asked, ['/api/v1/nodes/ip-10-0-0-1.ec2.internal']);
    assert.equal(identity.instanceId, 'i-0fedcba9876543210');
    await assert.rejects(identityFromKubernetes({ env: {}, client }), /CSI_NODE_NAME is not set/);
    const noCluster = (): Promise<never> => Promise.reject(new Error('KUBERNETES_SERVICE_HOST is not set'));
    await assert.rejects(identityFromKubernetes({ env: { CSI_NODE_NAME: 'n' }, client: noCluster }), /KUBERNETES_SERVICE_HOST is not set/);
  });
});

describe('resolving the identity at start-up', () => {
  const log = pino({ level: 'silent' });
  const nodeObject = (object: unknown) => () => Promise.resolve({ get: () => Promise.resolve(object) });
  const noKubernetes = (): Promise<never> => Promise.reject(new Error('KUBERNETES_SERVICE_HOST is not set'));
  // A port nothing listens on: IMDS fails fast with "connection refused".
  const deadImds = { endpoint: 'http://127.0.0.1:9', timeoutMs: 300 };

  it('falls back to the Kubernetes Node object when IMDS is unreachable', async () => {
    const started = Date.now();
    const identity = await resolveNodeIdentity({
      log, env: { CSI_NODE_NAME: 'n1' }, imds: deadImds,
      kubeClient: nodeObject({ metadata: { labels: { 'topology.kubernetes.io/zone': 'us-east-1f' } }, spec: { providerID: 'aws:///us-east-1f/i-0aaaaaaaaaaaaaaaa' } }),
    });
    assert.equal(identity.source, 'kubernetes');
    assert.equal(identity.instanceId, 'i-0aaaaaaaaaaaaaaaa');
    assert.ok(Date.now() - started < 5000, 'start-up stays quick');
  });

  it('skips IMDS when AWS_EC2_METADATA_DISABLED is true', async () => {
    const identity = await resolveNodeIdentity({
      log, env: { AWS_EC2_METADATA_DISABLED: 'true', CSI_NODE_NAME: 'n1' }, imds: { endpoint: 'http://192.0.2.1', timeoutMs: 60_000 },
      kubeClient: nodeObject({ spec: { providerID: 'aws:///us-east-1f/i-0aaaaaaaaaaaaaaaa' } }),
    });
    assert.equal(identity.availabilityZone, 'us-east-1f');
  });

  it('tries only the sources named, in their order', async () => {
    let asked = 0;
    const counting = (): Promise<{ get: () => Promise<unknown> }> => {
      asked += 1;
      return Promise.resolve({ get: () => Promise.resolve({ spec: { providerID: 'aws:///us-east-1f/i-0bbbbbbbbbbbbbbbb' } }) });
    };
    const k8sFirst = await resolveNodeIdentity({ log, env: { CSI_NODE_NAME: 'n1' }, sources: ['kubernetes', 'imds'], imds: deadImds, kubeClient: counting });
    assert.equal(k8sFirst.source, 'kubernetes');
    assert.equal(asked, 1);
    await assert.rejects(resolveNodeIdentity({ log, env: { CSI_NODE_NAME: 'n1' }, sources: ['imds'], imds: deadImds, kubeClient: counting }),
      /\(--metadata-sources=imds\)\. IMDS: .+To fix: allow IMDSv2 .+ or add "kubernetes" to --metadata-sources/);
    assert.equal(asked, 1, 'the Kubernetes source is not tried when not named');
  });

  it('does not ask IMDS on a SageMaker HyperPod node', async () => {
    const identity = await resolveNodeIdentity({
      log, env: { CSI_NODE_NAME: 'hyperpod-i-0aaaaaaaaaaaaaaaa' }, imds: { endpoint: 'http://192.0.2.1', timeoutMs: 60_000 },
      kubeClient: nodeObject({ spec: { providerID: 'aws:///us-east-1f/i-0aaaaaaaaaaaaaaaa' } }),
    });
    assert.equal(identity.source, 'kubernetes');
  });

  it('names both failures when neither source works', async () => {
    await assert.rejects(resolveNodeIdentity({ log, env: {}, imds: deadImds, kubeClient: noKubernetes }), (err: unknown) => {
      assert.ok(err instanceof NodeIdentityError);
      assert.match(err.message, /IMDS: .+\. Kubernetes: CSI_NODE_NAME is not set/);
      return true;
    });
  });
});
