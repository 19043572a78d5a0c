// Benchmark: N concurrent create → publish → unpublish → delete lifecycles over the
// driver's UNIX socket, against moto behind a counting proxy. Prints EC2 calls per
// lifecycle by action, p50/p99 latency per RPC, idle and peak RSS, and start-up time
// to the first successful Probe; then the node plugin's idle RSS. Both run with the container
// image's node flags. Run: npm run bench (or node dist/test/bench/lifecycle.js --n 100).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectCsi } from '../support/csi-client.js';
import { driverMain, startDriver } from '../support/driver.js';
import { startEc2Proxy } from '../support/ec2-proxy.js';
import { REGION, startMoto } from '../support/moto.js';
import { startImds } from '../../local/imds/index.js';
import { imageRuntime } from '../support/image-runtime.js';
import { cpuSecondsOf, fmt, memoryOf, percentile } from './stats.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100' }, instances: { type: 'string', default: '4' }, 'idle-seconds': { type: 'string', default: '45' } } });
const N = Number(values.n);
const INSTANCES = Number(values.instances);
// V8 gives memory back only after a quiet spell (its memory reducer), so idle RSS is read after
// this long without requests, next to the figure right after start-up.
const IDLE_SECONDS = Number(values['idle-seconds']);
const ZONE = `${REGION}a`;
const RPCS = ['CreateVolume', 'ControllerPublishVolume', 'ControllerUnpublishVolume', 'DeleteVolume'] as const;
type Rpc = (typeof RPCS)[number];

async function timed<T>(samples: number[], call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await call();
  samples.push(performance.now() - t0);
  return out;
}

/**
 * Time from spawning the driver to its first successful Probe answer. The socket is polled
 * every 5 ms and the client connects only once it exists (a client that connects too early
 * waits out gRPC's reconnect backoff, which would be measured instead of the driver).
 */
async function startupMs(env: Record<string, string>, nodeArgs: readonly string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const socket = join(dir, 'csi.sock');
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, driverMain, 'controller', `--endpoint=unix://${socket}`], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  try {
    while (!existsSync(socket)) {
      if (child.exitCode !== null) throw new Error(`the driver exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const clients = connectCsi(socket);
    try {
      const res = await clients.identity.Probe({}, 5000);
      if (res.ready?.value !== true) throw new Error('Probe answered not ready');
      return performance.now() - t0;
    } finally {
      clients.close();
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

interface IdleMemory {
  readonly started: ReturnType<typeof memoryOf>;
  readonly idle: ReturnType<typeof memoryOf>;
  /** RSS each second after start-up, MiB. */
  readonly trace: readonly number[];
}

async function idleMemory(pid: number): Promise<IdleMemory> {
  const started = memoryOf(pid);
  const trace: number[] = [];
  for (let s = 0; s < IDLE_SECONDS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    trace.push(memoryOf(pid).rssMiB);
  }
  return { started, idle: memoryOf(pid), trace };
}

function describeIdle({ started, idle, trace }: IdleMemory): string {
  const every5 = trace.filter((_, i) => (i + 1) % 5 === 0).map((v, i) => `${(i + 1) * 5}s ${fmt(v)}`).join(', ');
  return `right after start-up ${fmt(started.rssMiB)} MiB; idle after ${IDLE_SECONDS} s without requests ${fmt(idle.rssMiB)} MiB `
    + `(private ${fmt(idle.privateMiB)} MiB${every5 === '' ? '' : `; ${every5}`})`;
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const proxy = await startEc2Proxy(moto.endpoint);
  const nodes = await Promise.all(Array.from({ length: INSTANCES }, () => moto.runInstance(ZONE)));
  // The container image's node flags and environment (read from the Dockerfile), so memory is
  // what a cluster sees. BENCH_NODE_ARGS="..." runs other flags, to compare.
  const image = imageRuntime();
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? image.nodeArgs;
  const env = { ...moto.env, ...image.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint };

  const startups: number[] = [];
  for (let i = 0; i < 5; i++) startups.push(await startupMs(env, nodeArgs));
  startups.sort((a, b) => a - b);
  // Let the killed start-up runs' last DryRun calls land before counting anew.
  await new Promise((r) => setTimeout(r, 1000));
  proxy.resetCounts();
  const driver = await startDriver({ mode: 'controller', env, nodeArgs });
  // Let the start-up permission check (DryRun calls, in the background) finish before counting.
  await new Promise((r) => setTimeout(r, 1500));
  const startupCalls = proxy.counts();
  const idle = await idleMemory(driver.pid);
  proxy.resetCounts();
  const cpu0 = cpuSecondsOf(driver.pid);

  const latency: Record<Rpc, number[]> = { CreateVolume: [], ControllerPublishVolume: [], ControllerUnpublishVolume: [], DeleteVolume: [] };
  const failures: string[] = [];
  const wall0 = performance.now();
  await Promise.all(Array.from({ length: N }, async (_, i) => {
    try {
      const c = driver.controller;
      const created = await timed(latency.CreateVolume, () => c.CreateVolume({
        name: `bench-${i}`, capacityRange: { requiredBytes: 1024 ** 3 },
        volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
        parameters: { type: 'gp3' }, accessibilityRequirements: { requisite: [{ segments: { 'topology.kubernetes.io/zone': ZONE } }] },
      }));
      const volumeId = created.volume?.volumeId ?? '';
      const nodeId = nodes[i % nodes.length] ?? '';
      await timed(latency.ControllerPublishVolume, () => c.ControllerPublishVolume({
        volumeId, nodeId, volumeCapability: { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } },
      }));
      await timed(latency.ControllerUnpublishVolume, () => c.ControllerUnpublishVolume({ volumeId, nodeId }));
      await timed(latency.DeleteVolume, () => c.DeleteVolume({ volumeId }));
    } catch (err) {
      failures.push(`lifecycle ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }));
  const wallMs = performance.now() - wall0;
  const peak = memoryOf(driver.pid);
  const cpuSeconds = cpuSecondsOf(driver.pid) - cpu0;
  const calls = proxy.counts();
  await driver.stop();
  await proxy.stop();

  // The node plugin, which never loads the EC2 SDK, against a local IMDSv2 for one instance.
  let nodeIdle: IdleMemory;
  const imds = await startImds({ emulator: moto.endpoint, instanceId: nodes[0] ?? '' });
  try {
    // The test emulator's settings switch IMDS off; the node plugin needs it.
    const nodeEnv: Record<string, string> = { ...env, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
    delete nodeEnv.AWS_EC2_METADATA_DISABLED;
    const nodePlugin = await startDriver({ mode: 'node', env: nodeEnv, nodeArgs });
    nodeIdle = await idleMemory(nodePlugin.pid);
    await nodePlugin.stop();
  } finally {
    await imds.stop();
    await moto.stop();
  }

  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  console.log(`\n== controller lifecycle benchmark: N=${N} concurrent lifecycles, ${INSTANCES} instances, moto behind a counting proxy`);
  console.log(`wall time ${fmt(wallMs / 1000, 2)} s, failures ${failures.length}`);
  for (const f of failures.slice(0, 5)) console.log(`  ${f}`);
  console.log(`EC2 calls per lifecycle: ${fmt(total / N, 2)} (target ≤ 5)`);
  for (const [action, count] of Object.entries(calls).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${action.padEnd(28)} ${String(count).padStart(5)} total  ${fmt(count / N, 2).padStart(6)} per lifecycle`);
  }
  console.log('RPC latency (ms):');
  for (const rpc of RPCS) {
    const s = [...latency[rpc]].sort((a, b) => a - b);
    console.log(`  ${rpc.padEnd(28)} p50 ${fmt(percentile(s, 50)).padStart(8)}   p99 ${fmt(percentile(s, 99)).padStart(8)}   (${s.length} calls)`);
  }
  console.log(`start-up to first ready Probe: median ${fmt(percentile(startups, 50), 0)} ms of 5 (min ${fmt(startups[0] ?? NaN, 0)}, max ${fmt(startups.at(-1) ?? NaN, 0)}; target ≤ 500)`);
  console.log(`EC2 calls of the start-up permission check (in the background; Probe does not wait): ${JSON.stringify(startupCalls)}`);
  console.log(`process settings (${process.env.BENCH_NODE_ARGS === undefined ? "the image's, from the Dockerfile" : 'node flags from BENCH_NODE_ARGS'}): node ${nodeArgs.join(' ')}; env ${Object.entries(image.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  console.log(`driver CPU time for the ${N} lifecycles: ${fmt(cpuSeconds, 2)} s (${fmt((cpuSeconds / (wallMs / 1000)) * 100, 0)}% of one core over the wall time)`);
  console.log(`controller RSS ${describeIdle(idle)} (target ≤ 64)`);
  console.log(`controller RSS peak ${fmt(peak.peakMiB)} MiB (target ≤ 128)`);
  console.log(`node plugin RSS ${describeIdle(nodeIdle)}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
