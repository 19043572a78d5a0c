// How the driver finds and authenticates to the API server: the pod's service account and
// kubeconfig files (YAML, relative paths, tokens, exec plugins), read from real files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfigError, fileTokenSource, inClusterConnection } from '../../../src/kube/connection.js';
import { kubeconfigConnection } from '../../../src/kube/kubeconfig.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'kube-conn-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('in-cluster service account', () => {
  it('reads the API address from the environment and the token and CA from the mounted folder', async () => {
    writeFileSync(join(dir, 'token'), 'tok-1\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
    const c = await inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(c.server.href, 'https://10.96.0.1/');
    assert.equal(c.ca?.toString(), 'CA PEM');
    assert.equal(await c.token?.(), 'tok-1');
    const v6 = await inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir);
    assert.equal(v6.server.host, '[fd00::1]:6443');
  });

  it('says what is missing', async () => {
    await assert.rejects(inClusterConnection({}, dir), /KUBERNETES_SERVICE_HOST is not set.*--kubeconfig/);
    await assert.rejects(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: 'http' }, dir), /KUBERNETES_SERVICE_PORT must be a port/);
    await assert.rejects(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'h' }, join(dir, 'nowhere')), /automountServiceAccountToken/);
  });

  it('reads a rotated token again after a minute, not before', async () => {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'old');
    let now = 0;
    const token = fileTokenSource(file, () => now);
    assert.equal(await token(), 'old');
    writeFileSync(file, 'new');
    now = 59_000;
    assert.equal(await token(), 'old');
    now = 61_000;
    assert.equal(await token(), 'new');
    writeFileSync(file, '  ');
    now = 200_000;
    await assert.rejects(token(), KubeConfigError);
  });
});

describe('--kubeconfig', () => {
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('takes the current context, with paths relative to the file', async () => {
    write('ca.pem', 'THE CA');
    write('sa-token', 'file-token\n');
    const file = write('config.yaml', `
apiVersion: v1
kind: Config
current-context: b
clusters:
  - name: one
    cluster: { server: "https://one.example:6443", insecure-skip-tls-verify: true }
  - name: two
    cluster:
      server: https://127.0.0.1:7443/prefix
      certificate-authority: ca.pem
      tls-server-name: api.internal
users:
  - name: u1
    user: { token: static }
  - name: u2
    user: { tokenFile: sa-token }
contexts:
  - name: a
    context: { cluster: one, user: u1 }
  - name: b
    context: { cluster: two, user: u2 }
`);
    const b = await kubeconfigConnection(file);
    assert.equal(b.server.href, 'https://127.0.0.1:7443/prefix');
    assert.equal(b.ca?.toString(), 'THE CA');
    assert.equal(b.tlsServerName, 'api.internal');
    assert.equal(b.insecureSkipTlsVerify, undefined);
    assert.equal(await b.token?.(), 'file-token');
    assert.match(b.description, /context b/);
    const a = await kubeconfigConnection(file, 'a');
    assert.equal(a.insecureSkipTlsVerify, true);
    assert.equal(await a.token?.(), 'static');
  });

  it('reads inline certificates and keys', async () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const file = write('certs.json', JSON.stringify({
      'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1', 'certificate-authority-data': b64('CA') } }],
      users: [{ name: 'admin', user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } }],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'admin' } }],
    }));
    const c = await kubeconfigConnection(file);
    assert.deepEqual([c.ca?.toString(), c.clientCert?.toString(), c.clientKey?.toString()], ['CA', 'CERT', 'KEY']);
    assert.equal(c.token, undefined);
  });

  it('runs an exec credential plugin by argv and keeps its token until it expires', async () => {
    const count = join(dir, 'exec-count');
    writeFileSync(count, '');
    // The plugin: node itself, appending to a file each run and printing an ExecCredential.
    const script = `require('fs').appendFileSync(${JSON.stringify(count)}, 'x');`
      + 'console.log(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", '
      + 'status: { token: "exec-" + process.env.EXTRA, expirationTimestamp: process.argv[1] } }))';
    const kubeconfig = (expiry: string): string => JSON.stringify({
      'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'e', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', script, expiry], env: [{ name: 'EXTRA', value: 'ok' }] } } }],
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'e' } }],
    });
    const later = await kubeconfigConnection(write('exec-later.json', kubeconfig(new Date(Date.now() + 3_600_000).toISOString())));
    assert.equal(await later.token?.(), 'exec-ok');
    assert.equal(await later.token?.(), 'exec-ok');
    assert.equal(readFileSync(count, 'utf8'), 'x', 'one run while the token is fresh');
    const expired = await kubeconfigConnection(write('exec-expired.json', kubeconfig(new Date(Date.now() - 1000).toISOString())));
    await expired.token?.();
    await expired.token?.();
    assert.equal(readFileSync(count, 'utf8'), 'xxx', 'an expired token makes the plugin run again');
  });

  it('refuses what it cannot honour, naming it', async () => {
    const base = { clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }] };
    await assert.rejects(kubeconfigConnection(write('no-ctx.json', JSON.stringify({ ...base, users: [] }))), /has no current-context/);
    await assert.rejects(kubeconfigConnection(write('bad-ctx.json', JSON.stringify({ ...base, 'current-context': 'zz', users: [] }))), /no context named "zz" \(contexts: c\)/);
    await assert.rejects(kubeconfigConnection(write('gcp.json', JSON.stringify({ ...base, 'current-context': 'c', users: [{ name: 'u', user: { 'auth-provider': { name: 'gcp' } } }] }))), /uses auth-provider/);
    await assert.rejects(kubeconfigConnection(write('half.json', JSON.stringify({ ...base, 'current-context': 'c', users: [{ name: 'u', user: { 'client-certificate-data': 'QQ==' } }] }))), /both a client certificate and its key/);
    await assert.rejects(kubeconfigConnection(write('ftp.json', JSON.stringify({ ...base, 'current-context': 'c', users: [{ name: 'u', user: {} }], clusters: [{ name: 'k', cluster: { server: 'ftp://x' } }] }))), /must be https:\/\//);
    await assert.rejects(kubeconfigConnection(write('yaml.yaml', 'a: [b')), /not valid YAML/);
    await assert.rejects(kubeconfigConnection(join(dir, 'absent')), /cannot read --kubeconfig/);
  });
});
