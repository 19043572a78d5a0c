// The two drivers the benchmark runs side by side, each the way it ships: ours as the container
// image runs it (this Node, which bench.sh makes the image's Node major, with the Dockerfile's
// node flags and environment) and the reference (kubernetes-sigs/aws-ebs-csi-driver, built by
// scripts/reference-driver.sh) with its Helm chart's default arguments. Both get the same EC2
// endpoint, region and credentials, and a local IMDSv2 in node mode.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCsi, type CsiClients } from '../support/csi-client.js';
import { driverMain } from '../support/driver.js';
import type { ImageRuntime } from '../support/image-runtime.js';

export type ContenderName = 'ours' | 'reference';
export type PluginMode = 'controller' | 'node';

export interface Contender {
  readonly name: ContenderName;
  /** argv[0] and the arguments before the mode's own. */
  readonly command: (mode: PluginMode, socket: string) => { file: string; args: string[] };
  /** Environment for a plugin that talks to EC2 at `ec2` and (node mode) IMDS at `imds`. */
  readonly env: (ec2: string, imds?: string) => Record<string, string>;
}

export interface Ec2Settings {
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Our driver, run as the image runs it (chart defaults: text logs at --v=2). `extraNodeArgs`
 * adds node flags after the image's, to profile (--cpu-prof) or to try a flag before it goes
 * into the Dockerfile; figures taken with them are not the shipped runtime's.
 */
export function ours(image: ImageRuntime, settings: Ec2Settings, extraNodeArgs: readonly string[] = []): Contender {
  return {
    name: 'ours',
    command: (mode, socket) => ({
      file: process.execPath,
      args: [...image.nodeArgs, ...extraNodeArgs, driverMain, mode, `--endpoint=unix://${socket}`, '--logging-format=text', '--v=2'],
    }),
    env: (ec2, imds) => ({
      ...image.env,
      AWS_REGION: settings.region,
      AWS_ACCESS_KEY_ID: settings.accessKeyId,
      AWS_SECRET_ACCESS_KEY: settings.secretAccessKey,
      AWS_ENDPOINT_URL_EC2: ec2,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(imds ? { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds } : { AWS_EC2_METADATA_DISABLED: 'true' }),
    }),
  };
}

/**
 * The reference driver with its chart's default arguments: controller `--batching=true`,
 * text logs at --v=2. Its only EC2 endpoint setting is AWS_EC2_ENDPOINT (test-rig.md).
 */
export function reference(binary: string, settings: Ec2Settings): Contender {
  return {
    name: 'reference',
    command: (mode, socket) => ({
      file: binary,
      args: [mode, `--endpoint=unix://${socket}`, ...(mode === 'controller' ? ['--batching=true'] : []), '--logging-format=text', '--v=2'],
    }),
    env: (ec2, imds) => ({
      AWS_REGION: settings.region,
      AWS_ACCESS_KEY_ID: settings.accessKeyId,
      AWS_SECRET_ACCESS_KEY: settings.secretAccessKey,
      AWS_EC2_ENDPOINT: ec2,
      ...(imds ? { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds } : { AWS_EC2_METADATA_DISABLED: 'true' }),
    }),
  };
}

export interface RunningPlugin {
  readonly contender: ContenderName;
  readonly pid: number;
  readonly clients: CsiClients;
  /** Spawn to the first Probe answered OK (ready not false), ms. */
  readonly startupMs: number;
  /** The tail of what it printed. */
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a plugin on a fresh socket and times it to its first OK Probe. The socket is polled
 * every 2 ms and the client connects only once it exists: a client that connects too early
 * waits out gRPC's reconnect backoff, which would be measured instead of the driver.
 */
export async function launch(contender: Contender, mode: PluginMode, ec2: string, imds?: string): Promise<RunningPlugin> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${contender.name}-`));
  const socket = join(dir, 'csi.sock');
  const { file, args } = contender.command(mode, socket);
  const t0 = performance.now();
  const child = spawn(file, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...contender.env(ec2, imds) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Drained as a log collector would; only the tail is kept, for error reports.
  const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let clients: CsiClients | undefined;
  const cleanup = async (): Promise<void> => {
    clients?.close();
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = t0 + 30_000;
    while (!existsSync(socket)) {
      if (child.exitCode !== null) throw new Error(`${contender.name} ${mode} exited with ${child.exitCode}`);
      if (performance.now() > deadline) throw new Error(`${contender.name} ${mode} opened no socket within 30 s`);
      await sleep(2);
    }
    clients = connectCsi(socket);
    let startupMs = NaN;
    while (Number.isNaN(startupMs)) {
      if (performance.now() > deadline) throw new Error(`${contender.name} ${mode} answered no OK Probe within 30 s`);
      const ok = await clients.identity.Probe({}, 5000).then((r) => r.ready?.value !== false, () => false);
      if (ok) startupMs = performance.now() - t0;
      else await sleep(2);
    }
    const ready = clients;
    return {
      contender: contender.name, pid: child.pid ?? 0, clients: ready, startupMs,
      output: () => output,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${contender.name} output ---\n${output}`);
  }
}
