// The controller's region without AWS_REGION (IMDS, else its Node's region label), in the order
// --metadata-sources gives, through --kubeconfig: a local HTTP server plays the API server and
// checks the credentials the kubeconfig names; a small IMDSv2 server plays the metadata service.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createKubeClient } from '../../../src/kube/index.js';
import { regionFromNodeObject } from '../../../src/metadata/kubernetes.js';
import { discoverRegion, resolveNodeIdentity } from '../../../src/metadata/resolve.js';

const silent = pino({ level: 'silent' });
const TOKEN = 'kubeconfig-token';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const node = {
  metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/region': 'eu-west-3', 'topology.kubernetes.io/zone': 'eu-west-3b' } },
  spec: { providerID: 'aws:///eu-west-3b/i-0123456789abcdef0' },
};

void describe('region discovery and --kubeconfig', () => {
  let dir = '';
  let api: Server;
  let apiUrl = '';
  let imds: Server;
  let imdsUrl = '';
  const seen: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    api = createServer((req, res) => {
      seen.push(`${req.url ?? ''} ${req.headers.authorization ?? ''}`);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) { res.writeHead(401).end('{"reason":"Unauthorized"}'); return; }
      if (req.url === '/api/v1/nodes/node-a') { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(node)); return; }
      res.writeHead(404).end('{}');
    });
    apiUrl = await listen(api);
    imds = createServer((req, res) => {
      if (req.method === 'PUT') { res.writeHead(200).end('t'); return; }
      if (req.url === '/latest/dynamic/instance-identity/document') {
        res.writeHead(200).end(JSON.stringify({ instanceId: 'i-0aaaaaaaaaaaaaaaa', availabilityZone: 'ap-south-1a', region: 'ap-south-1' }));
        return;
      }
      res.writeHead(404).end();
    });
    imdsUrl = await listen(imds);
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    await writeFile(join(dir, 'config'), [
      'apiVersion: v1', 'kind: Config', 'current-context: test',
      'contexts:', '- name: test', '  context: {cluster: local, user: driver}',
      'clusters:', '- name: local', `  cluster: {server: "${apiUrl}/"}`,
      'users:', '- name: driver', '  user: {tokenFile: token}', '',
    ].join('\n'));
  });
  after(async () => {
    api.close();
    imds.close();
    await rm(dir, { recursive: true, force: true });
  });

  const env = { CSI_NODE_NAME: 'node-a' };
  const kubeClient = () => createKubeClient({ kubeconfig: join(dir, 'config') });
  const deadImds = { endpoint: 'http://127.0.0.1:9', timeoutMs: 200 };

  void it('finds the controller\'s region in IMDS first', async () => {
    const region = await discoverRegion({ log: silent, env, imds: { endpoint: imdsUrl }, kubeClient });
    assert.equal(region, 'ap-south-1');
  });

  void it('falls back to the topology.kubernetes.io/region label of its Node, through --kubeconfig', async () => {
    seen.length = 0;
    const region = await discoverRegion({ log: silent, env, imds: deadImds, kubeClient });
    assert.equal(region, 'eu-west-3');
    assert.deepEqual(seen, [`/api/v1/nodes/node-a Bearer ${TOKEN}`]);
  });

  void it('follows --metadata-sources: kubernetes first, and never IMDS when it is not listed', async () => {
    assert.equal(await discoverRegion({ log: silent, env, sources: ['kubernetes', 'imds'], imds: { endpoint: imdsUrl }, kubeClient }), 'eu-west-3');
    const identity = await resolveNodeIdentity({ log: silent, env, sources: ['kubernetes'], imds: { endpoint: imdsUrl }, kubeClient });
    assert.deepEqual([identity.source, identity.instanceId, identity.region], ['kubernetes', 'i-0123456789abcdef0', 'eu-west-3']);
  });

  void it('gives up with undefined (the SDK decides) when no source answers', async () => {
    assert.equal(await discoverRegion({ log: silent, env: { AWS_EC2_METADATA_DISABLED: 'true' }, sources: ['imds'], kubeClient }), undefined);
    assert.equal(await discoverRegion({ log: silent, env: {}, imds: deadImds, kubeClient }), undefined, 'no CSI_NODE_NAME, no Node to read');
  });

  void it('reads the region label, or the zone without its letter', () => {
    assert.equal(regionFromNodeObject(node, 'n'), 'eu-west-3');
    assert.equal(regionFromNodeObject({ metadata: { labels: { 'topology.kubernetes.io/zone': 'us-east-2c' } } }, 'n'), 'us-east-2');
    assert.throws(() => regionFromNodeObject({ metadata: {} }, 'n'), /Node n has no topology\.kubernetes\.io\/region/);
  });
});
