// Benchmark: time to stage a blank, sparse 10 GiB volume on a loop device through
// NodeStageVolume (probe, format, mount) versus the same mkfs + mount run by hand through
// the same exec wrapper, for ext4 and xfs. Prints the medians and their ratio (target
// ≤ 1.2×). Needs root. Everything it creates lives in one temporary directory and is
// unmounted, detached and removed on every exit path.
// Run: npm run build && node dist/test/bench/node-stage.js [--runs 5] [--size-gib 10]
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { nodeHandlers } from '../../src/csi/node/index.js';
import { DeviceFinder } from '../../src/node/device-discovery.js';
import { runCommand } from '../../src/node/exec.js';
import { blkidArgs, Filesystems } from '../../src/node/filesystem.js';
import type { FsType } from '../../src/filesystems.js';
import { mkfsCommand } from '../../src/node/format-options.js';
import { filesystemMountOptions, Mounter, mountArgs } from '../../src/node/mounter.js';
import { MountTable } from '../../src/node/mountinfo.js';
import { fmt, percentile } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'size-gib': { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);
const SIZE_GIB = Number(values['size-gib']);

const dir = await mkdtemp(join(tmpdir(), 'ebs-node-bench-'));
// The handler stages only a device proven to be the volume: here, the emulated volume's
// loop device (backed by <volumes>/<volume id>.img, as the local data plane makes them).
const volumesDir = join(dir, 'volumes');
await mkdir(volumesDir);
const VOLUME_ID = 'vol-0123456789abcdef0';
const loops: string[] = [];
const ctx = { log: pino({ level: 'silent' }), signal: new AbortController().signal };
const handlers = nodeHandlers({
  devices: new DeviceFinder({ waitMs: 0, emulatedVolumesDir: volumesDir }),
  mounter: new Mounter(runCommand),
  filesystems: new Filesystems(runCommand),
  sysRoot: '/sys',
  identity: { source: 'imds', instanceId: 'i-0123456789abcdef0', availabilityZone: 'bench-1a' },
  maxVolumesPerNode: 25,
});

async function blankDevice(file: string): Promise<string> {
  await runCommand('truncate', ['-s', `${SIZE_GIB}G`, file]);
  const device = (await runCommand('losetup', ['--find', '--show', file])).stdout.trim();
  loops.push(device);
  return device;
}

async function releaseDevice(device: string, file: string): Promise<void> {
  await runCommand('losetup', ['-d', device]);
  loops.splice(loops.indexOf(device), 1);
  await rm(file, { force: true });
}

async function viaHandler(fsType: FsType, run: number): Promise<number> {
  const name = `handler-${fsType}-${run}`;
  const file = join(volumesDir, `${VOLUME_ID}.img`);
  const device = await blankDevice(file);
  const staging = join(dir, name);
  const t0 = performance.now();
  await handlers.NodeStageVolume({
    volumeId: VOLUME_ID, publishContext: { devicePath: device }, stagingTargetPath: staging,
    volumeCapability: { accessType: 'mount', mount: { fsType, mountFlags: [], volumeMountGroup: '' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } },
    secrets: {}, volumeContext: {},
  }, ctx);
  const ms = performance.now() - t0;
  await handlers.NodeUnstageVolume({ volumeId: VOLUME_ID, stagingTargetPath: staging }, ctx);
  await releaseDevice(device, file);
  return ms;
}

/** mkfs + mount by hand; with `probe`, also the blkid check the handler makes first. */
async function byHand(fsType: FsType, run: number, probe: boolean): Promise<number> {
  const name = `hand-${probe ? 'probe-' : ''}${fsType}-${run}`;
  const device = await blankDevice(join(dir, `${name}.img`));
  const target = join(dir, name);
  const t0 = performance.now();
  if (probe) await runCommand('blkid', blkidArgs(device), { okExitCodes: [2] });
  const { command, args } = mkfsCommand(fsType, device, {});
  await runCommand(command, args);
  await mkdir(target, { recursive: true });
  await runCommand('mount', mountArgs(device, target, fsType, filesystemMountOptions(fsType, [], false)));
  const ms = performance.now() - t0;
  await runCommand('umount', [target]);
  await rm(target, { recursive: true });
  await releaseDevice(device, join(dir, `${name}.img`));
  return ms;
}

async function cleanup(): Promise<void> {
  const mounts = (await MountTable.read()).entries.filter((e) => e.mountPoint.startsWith(`${dir}/`));
  for (const m of mounts.reverse()) await runCommand('umount', [m.mountPoint]).catch(() => runCommand('umount', ['-l', m.mountPoint]));
  for (const device of loops.splice(0)) await runCommand('losetup', ['-d', device]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(`node staging: blank sparse ${SIZE_GIB} GiB loop device, median of ${RUNS} runs`);
  for (const fsType of ['ext4', 'xfs'] as const) {
    const handler: number[] = [];
    const hand: number[] = [];
    const handWithProbe: number[] = [];
    const steps: (() => Promise<void>)[] = [
      async () => { handler.push(await viaHandler(fsType, handler.length)); },
      async () => { hand.push(await byHand(fsType, hand.length, false)); },
      async () => { handWithProbe.push(await byHand(fsType, handWithProbe.length, true)); },
    ];
    // Rotate the order each run so no variant always runs on a warmer cache.
    for (let run = 0; run < RUNS; run++) {
      for (let i = 0; i < steps.length; i++) await steps[(run + i) % steps.length]?.();
    }
    const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
    const h = median(handler);
    const m = median(hand);
    const p = median(handWithProbe);
    const ratio = h / m;
    console.log(`  ${fsType.padEnd(4)} NodeStageVolume ${fmt(h)} ms | mkfs+mount by hand ${fmt(m)} ms: ratio ${ratio.toFixed(2)}x `
      + `${ratio <= 1.2 ? '(≤ 1.2x target met)' : '(above the 1.2x target)'} | blkid+mkfs+mount by hand ${fmt(p)} ms: ratio ${(h / p).toFixed(2)}x`);
  }
}

const onSignal = (): void => { void cleanup().finally(() => process.exit(130)); };
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
process.once('unhandledRejection', (err) => {
  console.error(err);
  void cleanup().finally(() => process.exit(1));
});
try {
  await main();
} finally {
  await cleanup();
}
