// The driver as a user runs it: the real binary, its command line, its socket, its
// metrics endpoint and its logs, against moto (behind the fault-injecting proxy).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { connectCsi, expectStatus } from '../../support/csi-client.js';
import { driverMain, startDriver, type DriverProcess } from '../../support/driver.js';
import { startEc2Proxy, type Ec2Proxy } from '../../support/ec2-proxy.js';
import { startMoto, type Emulator } from '../../support/moto.js';
import { freePort, waitFor } from '../../support/ports.js';

const run = promisify(execFile);

async function runCli(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [driverMain, ...args], { timeout: 10_000, ...(env ? { env: { PATH: process.env.PATH ?? '', ...env } } : {}) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('command line', () => {
  it('prints usage with --help and the version with --version', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: ebs-csi-driver \[controller\|node\|all\|pre-stop-hook\]/);
    assert.match(help.stdout, /--k8s-tag-cluster-id/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^ebs-csi-driver \d+\.\d+\.\d+/);
  });

  for (const args of [['--bogus'], ['sideways'], ['--logging-format=xml'], ['--extra-tags=CSIVolumeName=x'], ['--http-endpoint=nope'], ['--http-endpoint=:70000']]) {
    it(`exits non-zero with a one-line reason for ${args.join(' ')}`, async () => {
      const out = await runCli(args);
      assert.equal(out.code, 2);
      assert.equal(out.stderr.trim().split('\n').length, 1, `one line, got: ${out.stderr}`);
      assert.match(out.stderr, /^ebs-csi-driver: .+\(see --help\)/);
    });
  }
});

describe('a metrics port already in use', () => {
  it('stops start-up with exit 1 and leaves no CSI socket behind', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    const socket = join(mkdtempSync(join(tmpdir(), 'ebs-csi-')), 'csi.sock');
    try {
      // Region and credentials only: the process must end before it would talk to EC2.
      const out = await runCli(['controller', `--endpoint=unix://${socket}`, `--http-endpoint=127.0.0.1:${port}`],
        { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' });
      assert.equal(out.code, 1, `${out.stdout}${out.stderr}`);
      assert.match(out.stdout, /the driver could not start/);
      assert.match(out.stdout, /EADDRINUSE/);
      assert.equal(existsSync(socket), false, 'the CSI socket was not opened');
    } finally {
      busy.close();
    }
  });
});

describe('controller process against moto', () => {
  let moto: Emulator;
  let proxy: Ec2Proxy;
  let driver: DriverProcess;
  let metricsPort: number;

  before(async () => {
    moto = await startMoto();
    proxy = await startEc2Proxy(moto.endpoint);
    metricsPort = await freePort();
    driver = await startDriver({
      mode: 'controller', env: { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint },
      args: [`--http-endpoint=127.0.0.1:${metricsPort}`],
    });
  });
  after(async () => {
    await driver?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  it('answers identity calls', async () => {
    const info = await driver.identity.GetPluginInfo({});
    assert.equal(info.name, 'ebs.csi.aws.com');
    assert.match(info.vendorVersion, /^\d+\.\d+\.\d+/);
    const caps = await driver.identity.GetPluginCapabilities({});
    const services = caps.capabilities.map((c) => c.service?.type).filter(Boolean);
    assert.deepEqual(services.sort(), ['CONTROLLER_SERVICE', 'VOLUME_ACCESSIBILITY_CONSTRAINTS']);
    assert.equal((await driver.identity.Probe({})).ready?.value, true);
  });

  it('checked its permissions with DryRun calls at start-up and counts EC2 calls in /metrics', async () => {
    // The check runs in the background (Probe does not wait for it): poll until it is counted.
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const createProbe = /ec2_api_calls_total\{action="CreateVolume",outcome="dry_run"\} 1\n/;
    await waitFor('the CreateVolume DryRun probe in /metrics', async () => createProbe.test(await scrape()), 15_000);
    const body = await scrape();
    assert.match(body, createProbe);
    assert.doesNotMatch(body, /ec2_api_calls_total\{action="CreateVolume",outcome="success"\}/, 'the probe created nothing');
    assert.match(body, /csi_rpc_duration_seconds_count\{method="Probe",code="OK"\} \d+/);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200);
  });

  it('never writes a csi_secret value to its log', async () => {
    await driver.controller.DeleteVolume({ volumeId: 'vol-0123456789abcdef0', secrets: { password: 'hunter2-do-not-log' } });
    // A failed call's line carries its whole request: the secret's key, never its value.
    await expectStatus(driver.controller.ControllerPublishVolume({
      volumeId: 'vol-0123456789abcdef0', nodeId: 'not-an-instance', secrets: { password: 'hunter2-do-not-log' },
      volumeCapability: { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } },
    }), status.NOT_FOUND);
    await waitFor('both log lines', () => Promise.resolve(driver.output().includes('Controller.DeleteVolume')
      && driver.output().includes('Controller.ControllerPublishVolume')), 5000);
    assert.ok(!driver.output().includes('hunter2-do-not-log'), 'secret value leaked into the log');
    assert.match(driver.output(), /"password":"\[REDACTED\]"/);
  });

  it('reports a missing permission by name: in the log, in /metrics, and as Probe not-ready', async () => {
    proxy.setFault('AttachVolume', { errorCode: 'UnauthorizedOperation' });
    const d2Metrics = await freePort();
    const d2 = await startDriver({
      mode: 'controller', env: { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint }, waitReady: false,
      args: [`--http-endpoint=127.0.0.1:${d2Metrics}`],
    });
    try {
      await waitFor('the permission check to finish', () => Promise.resolve(d2.output().includes('missing EC2 permissions')), 10_000);
      assert.equal((await d2.identity.Probe({})).ready?.value, false);
      assert.match(d2.output(), /"missing":\["AttachVolume"\]/);
      const metrics = await (await fetch(`http://127.0.0.1:${d2Metrics}/metrics`)).text();
      assert.match(metrics, /ebs_csi_missing_permissions\{action="AttachVolume"\} 1/);
    } finally {
      proxy.setFault('AttachVolume', undefined);
      await d2.stop();
    }
  });

  it('stops gracefully on SIGTERM and removes its socket', async () => {
    const d3 = await startDriver({ mode: 'controller', env: { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint } });
    assert.ok(existsSync(d3.socket));
    const code = await d3.stop();
    assert.equal(code, 0);
    assert.equal(existsSync(d3.socket), false);
  });
});

describe('stale socket', () => {
  it('replaces a socket left behind by a killed driver', async () => {
    const moto = await startMoto();
    const dir = mkdtempSync(join(tmpdir(), 'stale-'));
    const socket = join(dir, 'csi.sock');
    const args = [driverMain, 'controller', `--endpoint=unix://${socket}`];
    const env = { PATH: process.env.PATH ?? '', ...moto.env };
    try {
      const first = spawn(process.execPath, args, { env, stdio: 'ignore' });
      await waitFor('the first driver socket', () => Promise.resolve(existsSync(socket)));
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      assert.ok(lstatSync(socket).isSocket(), 'SIGKILL leaves the socket file behind');
      const second = spawn(process.execPath, args, { env, stdio: 'ignore' });
      const clients = connectCsi(socket);
      try {
        await waitFor('the second driver to answer', async () => (await clients.identity.GetPluginInfo({}, 1000)).name === 'ebs.csi.aws.com');
        await assert.rejects(clients.controller.CreateVolume({ name: '' }), (e: { code?: number }) => e.code === status.INVALID_ARGUMENT);
      } finally {
        clients.close();
        second.kill('SIGTERM');
        await new Promise((r) => second.once('exit', r));
      }
    } finally {
      await moto.stop();
    }
  });
});
