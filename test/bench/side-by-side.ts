// npm run bench: our driver and the reference driver, side by side in one run against the same
// moto, measured the way each ships (contenders.ts). Two EC2 profiles:
// - instant: moto's own answers, no limits: the drivers' own overhead, and how each loads an
//   emulator that is the bottleneck (ours paces its calls to EC2's default request rate even
//   here, as it cannot tell an emulator from EC2);
// - realistic: EC2 as a cluster meets it, played by the bench proxy: its pace (ec2-timing.ts:
//   round trips, volumes creating ~1.5 s, attach/detach 1–2 s) and its request-rate buckets
//   (ec2-buckets.ts, calls over them answered RequestLimitExceeded). At N = 1000 this is the
//   1000-volume burst of the issue.
// In both, RPCs have the sidecars' deadlines and are retried as the sidecars do.
// Per profile and N a fresh controller of each driver runs a cold and a warm batch of N
// concurrent lifecycles (workload.ts); repeats alternate which driver goes first; from
// --big-n up, one cold batch per driver (each takes minutes). Then start-up to the first OK
// Probe and idle memory of both controllers and node plugins. Prints ours, the reference and the
// ratio (min / median / max over repeats) and writes every sample to a JSON file. Not a test:
// nothing here passes or fails on time.
//   node dist/test/bench/side-by-side.js [--n 20,100,300,1000] [--repeats 3] [--profiles instant,realistic]
//        [--big-n 1000] [--instances 50] [--startups 10] [--idle-seconds 45] [--reference PATH] [--out FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startImds } from '../../local/imds/index.js';
import { RequestBuckets } from '../support/ec2-buckets.js';
import { startEc2Proxy, type Ec2Proxy } from '../support/ec2-proxy.js';
import { Ec2Timing, REALISTIC_EC2 } from '../support/ec2-timing.js';
import { imageRuntime, warmCompileCache } from '../support/image-runtime.js';
import { REGION, startMoto } from '../support/moto.js';
import { launch, ours, reference, type Contender, type PluginMode } from './contenders.js';
import { printReport } from './report.js';
import { percentilesByRpc, type BatchSample, type BenchRun, type Phase } from './results.js';
import { cpuSecondsOf, memoryOf } from './stats.js';
import { runBatch, SIDECAR_RETRY, type RetryPolicy } from './workload.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20,100,300,1000' },
    repeats: { type: 'string', default: '3' },
    profiles: { type: 'string', default: 'instant,realistic' },
    instances: { type: 'string', default: '50' },
    startups: { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '45' },
    'big-n': { type: 'string', default: '1000' },
    reference: { type: 'string' },
    // Node flags added to the image's for our driver (e.g. --cpu-prof); such figures are not the shipped runtime's.
    'ours-node-args': { type: 'string', default: '' },
    out: { type: 'string', default: `bench-results-${new Date().toISOString().replace(/[:.]/g, '-')}.json` },
  },
});
const NS = values.n.split(',').map(Number).filter((n) => n > 0);
const REPEATS = Number(values.repeats);
const PROFILES = values.profiles.split(',').filter((p) => p !== '');
const INSTANCES = Number(values.instances);
const STARTUPS = Number(values.startups);
const IDLE_SECONDS = Number(values['idle-seconds']);
const BIG_N = Number(values['big-n']);
const ZONE = `${REGION}a`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`); };
const load = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);

interface Profile {
  readonly name: string;
  readonly proxy: Ec2Proxy;
  readonly buckets?: RequestBuckets;
  readonly retry?: RetryPolicy;
}

async function startProfile(name: string, emulator: string): Promise<Profile> {
  // Both profiles retry a failed RPC as the sidecars do: moto now and then answers a call with an
  // internal error under load, and a CO would simply send it again.
  if (name === 'instant') return { name, proxy: await startEc2Proxy(emulator, { dropTagsOfDeleted: true, oneAtATime: true }), retry: SIDECAR_RETRY };
  if (name !== 'realistic') throw new Error(`unknown profile ${name}: instant or realistic`);
  const buckets = new RequestBuckets();
  return { name, proxy: await startEc2Proxy(emulator, { timing: new Ec2Timing(REALISTIC_EC2), buckets, dropTagsOfDeleted: true, oneAtATime: true }), buckets, retry: SIDECAR_RETRY };
}

/** Alternates which contender goes first, repeat by repeat. */
const inOrder = (contenders: readonly Contender[], repeat: number): Contender[] => (repeat % 2 === 0 ? [...contenders] : [...contenders].reverse());

interface Rig {
  readonly nodes: readonly string[];
  readonly imds: string;
  readonly run: BenchRun;
}

/** A fresh controller: a cold batch (its start-up calls counted with it), then a warm one. */
async function controllerBatches(rig: Rig, contender: Contender, profile: Profile, n: number, repeat: number): Promise<void> {
  const { proxy, retry } = profile;
  // Full buckets for each driver: it meets EC2 as it would after a quiet spell.
  profile.buckets?.reset();
  proxy.resetCounts();
  const plugin = await launch(contender, 'controller', proxy.endpoint);
  try {
    const phases: readonly Phase[] = n >= BIG_N ? ['cold'] : ['cold', 'warm'];
    for (const phase of phases) {
      const cpu0 = cpuSecondsOf(plugin.pid);
      const result = await runBatch(plugin.clients, {
        n, zone: ZONE, nodes: rig.nodes, prefix: `${contender.name}-${profile.name}-${n}-${repeat}-${phase}`, ...(retry ? { retry } : {}),
      });
      const cpuSeconds = cpuSecondsOf(plugin.pid) - cpu0;
      const calls = proxy.counts();
      const throttled = proxy.throttled();
      const emulatorMeanMs = Object.fromEntries(Object.entries(proxy.emulatorTime()).map(([a, t]) => [a, Math.round(t.totalMs / t.calls)]));
      proxy.resetCounts();
      const { p50, p99 } = percentilesByRpc(result.latency);
      const sample: BatchSample = {
        contender: contender.name, profile: profile.name, n, repeat, phase, wallMs: result.wallMs, p50, p99, calls, throttled, emulatorMeanMs, cpuSeconds,
        peakRssMiB: memoryOf(plugin.pid).peakMiB, failures: result.failures.length, firstFailures: result.failures.slice(0, 3),
        rpcRetries: result.rpcRetries,
      };
      rig.run.batches.push(sample);
      log(`${profile.name} N=${n} #${repeat} ${contender.name} ${phase}: wall ${(result.wallMs / 1000).toFixed(2)} s, `
        + `${result.failures.length} failed, cpu ${cpuSeconds.toFixed(2)} s, peak ${sample.peakRssMiB.toFixed(1)} MiB`);
      for (const f of result.failures.slice(0, 3)) log(`  ${f}`);
    }
  } finally {
    await plugin.stop();
  }
}

async function startups(rig: Rig, contenders: readonly Contender[], ec2: string): Promise<void> {
  for (let repeat = 0; repeat < STARTUPS; repeat++) {
    for (const contender of inOrder(contenders, repeat)) {
      for (const mode of ['controller', 'node'] as const) {
        const plugin = await launch(contender, mode, ec2, mode === 'node' ? rig.imds : undefined);
        rig.run.points.push({ contender: contender.name, metric: `${mode} start-up to first OK Probe (ms)`, repeat, value: plugin.startupMs });
        await plugin.stop();
      }
    }
  }
  // Let the killed controllers' last start-up calls land before anything is counted.
  await sleep(1000);
}

/** All four plugins started together, then left alone: V8 and Go give memory back only after a quiet spell. */
async function idleMemory(rig: Rig, contenders: readonly Contender[], ec2: string, repeat: number): Promise<void> {
  const modes: readonly PluginMode[] = ['controller', 'node'];
  const plugins = [];
  try {
    for (const contender of inOrder(contenders, repeat)) {
      for (const mode of modes) plugins.push({ mode, plugin: await launch(contender, mode, ec2, mode === 'node' ? rig.imds : undefined) });
    }
    const started = plugins.map(({ plugin }) => memoryOf(plugin.pid).rssMiB);
    await sleep(IDLE_SECONDS * 1000);
    plugins.forEach(({ mode, plugin }, i) => {
      const m = memoryOf(plugin.pid);
      const add = (metric: string, value: number): void => { rig.run.points.push({ contender: plugin.contender, metric, repeat, value }); };
      add(`${mode} RSS right after start-up (MiB)`, started[i] ?? NaN);
      add(`${mode} idle RSS after ${IDLE_SECONDS} s (MiB)`, m.rssMiB);
      add(`${mode} idle private memory (MiB)`, m.privateMiB);
    });
  } finally {
    await Promise.all(plugins.map(({ plugin }) => plugin.stop()));
  }
}

async function main(): Promise<void> {
  const shipped = imageRuntime();
  // The image ships a compile cache made at build time; make one the same way, for this node.
  const cacheDir = shipped.env.NODE_COMPILE_CACHE === undefined ? undefined : mkdtempSync(join(tmpdir(), 'bench-compile-cache-'));
  if (cacheDir) warmCompileCache(cacheDir, shipped);
  const image = cacheDir ? { ...shipped, env: { ...shipped.env, NODE_COMPILE_CACHE: cacheDir } } : shipped;
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== image.nodeMajor) {
    log(`WARNING: this is Node ${process.versions.node} but the image ships Node ${image.nodeMajor}: these figures are not the shipped runtime's`);
  }
  const moto = await startMoto();
  const settings = { region: REGION, accessKeyId: 'testing', secretAccessKey: 'testing' };
  const extraNodeArgs = values['ours-node-args'].split(' ').filter((a) => a !== '');
  if (extraNodeArgs.length > 0) log(`WARNING: our driver runs with extra node flags ${extraNodeArgs.join(' ')}: not the shipped runtime`);
  const contenders: Contender[] = [ours(image, settings, extraNodeArgs)];
  if (values.reference) contenders.push(reference(values.reference, settings));
  else log('no --reference given: measuring our driver alone');
  const proxies: Ec2Proxy[] = [];
  let imds: Awaited<ReturnType<typeof startImds>> | undefined;
  const run: BenchRun = {
    startedAt: new Date().toISOString(), node: process.version, shippedNodeMajor: image.nodeMajor, nodeArgs: [...image.nodeArgs, ...extraNodeArgs], env: shipped.env,
    ...(values.reference ? { referenceBinary: values.reference } : {}),
    loadAverage: { start: load() }, instances: INSTANCES, batches: [], points: [],
  };
  const save = (): void => writeFileSync(values.out, `${JSON.stringify(run, null, 1)}\n`);
  try {
    log(`starting ${INSTANCES} instances in ${ZONE}; load average ${load().join(' ')}`);
    const nodes: string[] = [];
    for (let i = 0; i < INSTANCES; i++) nodes.push(await moto.runInstance(ZONE));
    imds = await startImds({ emulator: moto.endpoint, instanceId: nodes[0] ?? '' });
    const rig: Rig = { nodes, imds: imds.endpoint, run };
    const instant = await startEc2Proxy(moto.endpoint, { dropTagsOfDeleted: true, oneAtATime: true });
    proxies.push(instant);

    log(`start-up: ${STARTUPS} launches of each plugin, alternating`);
    await startups(rig, contenders, instant.endpoint);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      log(`idle memory, repeat ${repeat + 1}/${REPEATS}: ${IDLE_SECONDS} s`);
      await idleMemory(rig, contenders, instant.endpoint, repeat);
    }
    save();

    for (const name of PROFILES) {
      const profile = await startProfile(name, moto.endpoint);
      proxies.push(profile.proxy);
      for (const n of NS) {
        const repeats = n >= BIG_N ? 1 : REPEATS;
        for (let repeat = 0; repeat < repeats; repeat++) {
          for (const contender of inOrder(contenders, repeat)) await controllerBatches(rig, contender, profile, n, repeat);
          save();
        }
      }
    }
    run.loadAverage.end = load();
    save();
    printReport(run);
    log(`every sample: ${values.out}`);
  } finally {
    for (const p of proxies) await p.stop();
    await imds?.stop();
    await moto.stop();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
