// Benchmark: N concurrent create → publish → unpublish → delete lifecycles over the
// driver's UNIX socket, against moto behind a counting proxy. Prints EC2 calls per
// lifecycle by action, p50/p99 latency per RPC, idle and peak RSS, and start-up time
// to the first successful Probe. Run: npm run bench (or node dist/test/bench/lifecycle.js --n 100).
import { parseArgs } from 'node:util';
import { startDriver } from '../support/driver.js';
import { startEc2Proxy } from '../support/ec2-proxy.js';
import { REGION, startMoto } from '../support/moto.js';
import { fmt, memoryOf, percentile } from './stats.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100' }, instances: { type: 'string', default: '4' } } });
const N = Number(values.n);
const INSTANCES = Number(values.instances);
const ZONE = `${REGION}a`;
const RPCS = ['CreateVolume', 'ControllerPublishVolume', 'ControllerUnpublishVolume', 'DeleteVolume'] as const;
type Rpc = (typeof RPCS)[number];

async function timed<T>(samples: number[], call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await call();
  samples.push(performance.now() - t0);
  return out;
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const proxy = await startEc2Proxy(moto.endpoint);
  const nodes = await Promise.all(Array.from({ length: INSTANCES }, () => moto.runInstance(ZONE)));
  // MALLOC_ARENA_MAX as in the container image (Dockerfile), so RSS is what a cluster sees.
  const env = { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint, MALLOC_ARENA_MAX: '2' };

  const t0 = performance.now();
  const driver = await startDriver({ mode: 'controller', env });
  const startupMs = performance.now() - t0;
  // Let the start-up permission check (DryRun calls, in the background) finish before counting.
  await new Promise((r) => setTimeout(r, 1500));
  const startupCalls = proxy.counts();
  const idle = memoryOf(driver.pid);
  proxy.resetCounts();

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
  const calls = proxy.counts();
  await driver.stop();
  await proxy.stop();
  await moto.stop();

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
  console.log(`start-up to first ready Probe: ${fmt(startupMs, 0)} ms (target ≤ 500), EC2 calls at start-up: ${JSON.stringify(startupCalls)}`);
  console.log(`RSS idle ${fmt(idle.rssMiB)} MiB (target ≤ 64), peak ${fmt(peak.peakMiB)} MiB (target ≤ 128)`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
