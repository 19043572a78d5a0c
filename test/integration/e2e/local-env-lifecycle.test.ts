// scripts/local-env.sh as a user runs it: stopping it — with Ctrl-C on `run`, or with
// `stop` after a run whose processes were all killed — must leave no process, loop
// device, mount or /dev link behind, and the next start must come up cleanly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { byIdLinkPath } from '../../../local/dataplane/device-links.js';
import { connectCsi } from '../../../local/client/csi-client.js';
import { VolumeWorkflow } from '../../../local/demo/volume-workflow.js';
import { MountTable } from '../../../src/node/mountinfo.js';
import { projectRoot } from '../../support/moto.js';
import { freePort, waitFor } from '../../support/ports.js';
import { IS_ROOT, NOT_ROOT_REASON, loopDevicesUnder } from './local-stack.js';

const SCRIPT = join(projectRoot, 'scripts/local-env.sh');
const PROCESSES = ['emulator', 'dataplane', 'imds', 'driver'] as const;

interface Environment {
  readonly stateDir: string;
  readonly env: Record<string, string>;
}

async function newEnvironment(): Promise<Environment> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ebs-local-env-'));
  return {
    stateDir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      EBS_LOCAL_STATE_DIR: stateDir,
      EBS_LOCAL_EMULATOR_PORT: String(await freePort()),
      EBS_LOCAL_DATAPLANE_PORT: String(await freePort()),
      EBS_LOCAL_IMDS_PORT: String(await freePort()),
    },
  };
}

function script(environment: Environment, command: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT, command], { env: environment.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function settings(environment: Environment): Record<string, string> {
  const text = readFileSync(join(environment.stateDir, 'env.sh'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

function pids(environment: Environment): number[] {
  return PROCESSES.flatMap((name) => {
    const file = join(environment.stateDir, 'pids', `${name}.pid`);
    return existsSync(file) ? [Number(readFileSync(file, 'utf8').trim())] : [];
  });
}

/** The program a process runs (its /proc exe link, resolved). */
function programOf(environment: Environment, name: (typeof PROCESSES)[number]): string {
  const pid = readFileSync(join(environment.stateDir, 'pids', `${name}.pid`), 'utf8').trim();
  return realpathSync(`/proc/${pid}/exe`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates a volume, attaches it and mounts it, and leaves it that way; returns its id. */
async function leaveVolumeMounted(environment: Environment, name: string): Promise<string> {
  const csi = connectCsi(settings(environment).CSI_ENDPOINT ?? '');
  try {
    const flow = new VolumeWorkflow(csi, join(environment.stateDir, 'kubelet'));
    const node = await flow.nodeFacts();
    const volume = await flow.createVolume(name, node, { sizeGiB: 1 });
    await flow.mount(volume, await flow.attach(volume, node), name);
    return volume.volumeId;
  } finally {
    csi.close();
  }
}

interface Leftovers {
  readonly loops: string[];
  readonly mounts: string[];
  readonly links: string[];
  readonly processes: number[];
}

async function leftovers(environment: Environment, volumeIds: readonly string[], processIds: readonly number[]): Promise<Leftovers> {
  const mounts = (await MountTable.read()).entries.map((e) => e.mountPoint).filter((p) => p.startsWith(`${environment.stateDir}/`));
  const links: string[] = [];
  for (const id of volumeIds) {
    const link = byIdLinkPath('/dev', id);
    if (await lstat(link).then(() => true, () => false)) links.push(link);
  }
  return {
    loops: await loopDevicesUnder(environment.stateDir), mounts, links, processes: processIds.filter(alive),
  };
}

const NOTHING: Leftovers = { loops: [], mounts: [], links: [], processes: [] };

describe('scripts/local-env.sh leaves nothing behind', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  const environments: Environment[] = [];

  after(async () => {
    // Whatever a failed assertion left running.
    for (const environment of environments) {
      await script(environment, 'stop');
      rmSync(environment.stateDir, { recursive: true, force: true });
    }
  });

  test('Ctrl-C on `run` stops every process and removes loop devices, mounts and links of a mounted volume', { timeout: 180_000 }, async () => {
    const environment = await newEnvironment();
    environments.push(environment);
    const run: ChildProcess = spawn('bash', [SCRIPT, 'run'], { env: environment.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    run.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    run.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    await waitFor('the environment to be ready', () => Promise.resolve(output.includes('running until Ctrl-C')), 120_000)
      .catch((err: unknown) => { throw new Error(`${String(err)}\n${output}`); });

    const volumeId = await leaveVolumeMounted(environment, 'lifecycle-ctrl-c');
    const started = pids(environment);
    assert.equal(started.length, 4, 'emulator, data plane, IMDS and driver must all be running');
    // The script runs `node` from PATH: the Node the tests run on (the test runner puts it first), never another one on the machine.
    for (const name of ['dataplane', 'imds', 'driver'] as const) assert.equal(programOf(environment, name), realpathSync(process.execPath), `${name} runs on the tests' Node`);
    const during = await leftovers(environment, [volumeId], started);
    assert.equal(during.loops.length, 1, 'the mounted volume must have a loop device');
    assert.ok(during.mounts.length >= 2, 'staging and publish mounts must exist');

    run.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.deepEqual(await leftovers(environment, [volumeId], started), NOTHING);
  });

  test('after every process of a run was killed, the next start comes up cleanly and stop leaves nothing', { timeout: 240_000 }, async () => {
    const environment = await newEnvironment();
    environments.push(environment);
    const first = await script(environment, 'start');
    assert.equal(first.code, 0, first.output);
    const crashedVolume = await leaveVolumeMounted(environment, 'lifecycle-crash');
    const crashed = pids(environment);
    for (const pid of crashed) process.kill(pid, 'SIGKILL');
    await waitFor('the killed processes to be gone', () => Promise.resolve(crashed.every((p) => !alive(p))));
    const wreck = await leftovers(environment, [crashedVolume], []);
    assert.equal(wreck.loops.length, 1, 'a killed data plane leaves its loop device (what the next start must clean)');

    const second = await script(environment, 'start');
    assert.equal(second.code, 0, second.output);
    const restarted = pids(environment);
    assert.equal((await leftovers(environment, [crashedVolume], [])).loops.length, 0, 'the crashed run\'s loop device must be gone');
    assert.deepEqual((await leftovers(environment, [crashedVolume], [])).mounts, [], 'the crashed run\'s mounts must be gone');
    const csi = connectCsi(settings(environment).CSI_ENDPOINT ?? '');
    try {
      assert.equal((await csi.identity.Probe({})).ready?.value, true, 'the restarted driver must answer');
    } finally {
      csi.close();
    }
    const freshVolume = await leaveVolumeMounted(environment, 'lifecycle-after-crash');

    const stop = await script(environment, 'stop');
    assert.equal(stop.code, 0, stop.output);
    assert.deepEqual(await leftovers(environment, [crashedVolume, freshVolume], [...crashed, ...restarted]), NOTHING);
  });
});
