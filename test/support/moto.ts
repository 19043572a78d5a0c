// Starts moto's EC2 server (installed by scripts/install/moto.sh into .venv-moto) on a free
// loopback port for a test file, and gives an EC2 client for test set-up (instances, checks).
// Set EC2_ENDPOINT to use an emulator that is already running instead (e.g. LocalStack on :4566).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { freePort, waitFor } from './ports.js';

export const projectRoot = join(import.meta.dirname, '../../..');
export const REGION = 'us-east-1';

export interface Emulator {
  readonly endpoint: string;
  /** Environment for a process that should talk to this emulator through the standard SDK settings. */
  readonly env: Readonly<Record<string, string>>;
  readonly ec2: EC2Client;
  /** Starts a running instance (the CSI node) in the zone; returns its id. */
  runInstance(zone?: string): Promise<string>;
  /** Clears all state (moto only). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export function emulatorEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // Keep the SDK from looking for real instance metadata or profiles on a developer's machine.
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK's notice that its 2027 releases need Node 22 would repeat in every test's output.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** An Emulator for moto (or LocalStack) answering at `endpoint`; `stop` ends whatever serves it. */
export function emulatorOn(endpoint: string, stop: () => Promise<void>): Emulator {
  const ec2 = new EC2Client({
    endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  let imageId: string | undefined;
  return {
    endpoint,
    env: emulatorEnv(endpoint),
    ec2,
    async runInstance(zone = `${REGION}a`) {
      imageId ??= (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
      if (!imageId) throw new Error('the emulator offers no machine image to start an instance from');
      const out = await ec2.send(new RunInstancesCommand({
        ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 'm5.large', Placement: { AvailabilityZone: zone },
      }));
      const id = out.Instances?.[0]?.InstanceId;
      if (!id) throw new Error('RunInstances returned no instance');
      return id;
    },
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: async () => { ec2.destroy(); await stop(); },
  };
}

/** moto's server program, installed by scripts/install/moto.sh; throws with the fix when missing. */
export function motoServerBinary(): string {
  const bin = join(projectRoot, '.venv-moto/bin/moto_server');
  if (!existsSync(bin)) throw new Error(`moto is not installed at ${bin}: run scripts/install/moto.sh (npm test does it for you)`);
  return bin;
}

export async function startMoto(): Promise<Emulator> {
  const external = process.env.EC2_ENDPOINT;
  if (external) return emulatorOn(external, () => Promise.resolve());
  const bin = motoServerBinary();
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(`moto on ${endpoint}`, async () => {
      if (child.exitCode !== null) throw new Error(`moto exited: ${stderr}`);
      return (await fetch(`${endpoint}/moto-api/data.json`)).ok;
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return emulatorOn(endpoint, async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  });
}
