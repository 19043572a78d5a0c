// A scratch area for node integration tests: sparse files on loop devices inside one
// temporary directory. Each volume's file is <dir>/volumes/<volume id>.img, the layout of
// the local data plane, so the handlers (built with that directory as their emulated
// volume directory) can prove the loop device is the volume, as they must before
// formatting anything. A loop device made with loose() is backed by a file of no volume:
// the driver must refuse it. cleanup() unmounts everything mounted below that directory
// (deepest first), detaches every loop device it made and removes the directory; it
// runs from after() hooks, so it runs whether the tests passed or failed.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, realpath, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { MountTable } from '../../../src/node/mountinfo.js';
import type { CallContext } from '../../../src/server/pipeline.js';
import type { NodeHandlers } from '../../../src/generated/csi/v1/Node.js';
import type { VolumeCapability__Output } from '../../../src/generated/csi/v1/VolumeCapability.js';
import { nodeHandlers } from '../../../src/csi/node/index.js';
import { DeviceFinder } from '../../../src/node/device-discovery.js';
import { runCommand } from '../../../src/node/exec.js';
import { Filesystems } from '../../../src/node/filesystem.js';
import { Mounter } from '../../../src/node/mounter.js';
import type { AsyncHandlers } from '../../../src/server/pipeline.js';
import { status } from '@grpc/grpc-js';
import type { CsiCode } from '../../../src/errors.js';
import { toGrpcFailure } from '../../../src/server/errors.js';
import type { _csi_v1_VolumeCapability_AccessMode_Mode__Output as AccessMode } from '../../../src/generated/csi/v1/VolumeCapability.js';

const run = promisify(execFile);
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

export async function sh(command: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(command, [...args], { env: { ...process.env, PATH } });
  return stdout;
}

export async function hasCommand(command: string): Promise<boolean> {
  for (const dir of PATH.split(':').filter((d) => d.length > 0)) {
    try {
      await access(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Why the integration tests cannot run here, or undefined when they can. */
export async function skipReason(needed: readonly string[]): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'node integration tests need root (loop devices, mkfs, mount); run them as root';
  const missing: string[] = [];
  for (const tool of needed) if (!(await hasCommand(tool))) missing.push(tool);
  return missing.length > 0 ? `missing tools: ${missing.join(', ')}; run scripts/install/node-tools.sh` : undefined;
}

/**
 * Whether this process may grow a mounted ext4 filesystem: the kernel wants
 * CAP_SYS_RESOURCE for it, which some sandboxes withhold even from root.
 */
export async function canResizeExt4Online(): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8');
  const effective = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  const CAP_SYS_RESOURCE = 24n;
  return effective !== undefined && ((BigInt(`0x${effective}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

export interface LoopVolume {
  readonly file: string;
  readonly device: string;
}

export function testContext(): CallContext {
  return { log: pino({ level: 'silent' }), signal: new AbortController().signal };
}

export class LoopRig {
  readonly #loops: LoopVolume[] = [];

  private constructor(readonly dir: string) {}

  static async create(): Promise<LoopRig> {
    const rig = new LoopRig(await realpath(await mkdtemp(join(tmpdir(), 'ebs-node-it-'))));
    await mkdir(rig.volumesDir);
    return rig;
  }

  /** Where the emulated volumes' files are (the handlers' EBS_LOCAL_VOLUMES_DIR). */
  get volumesDir(): string {
    return this.path('volumes');
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** The emulated volume `volumeId`: a sparse file of the given size on a fresh loop device. */
  volume(volumeId: string, mib: number): Promise<LoopVolume> {
    return this.#loop(join(this.volumesDir, `${volumeId}.img`), mib);
  }

  /** A loop device over a file that is no volume's (what the driver must never format). */
  loose(name: string, mib: number): Promise<LoopVolume> {
    return this.#loop(this.path(`${name}.img`), mib);
  }

  async #loop(file: string, mib: number): Promise<LoopVolume> {
    await rm(file, { force: true });
    await run('truncate', ['-s', `${mib}M`, file]);
    const device = (await sh('losetup', ['--find', '--show', file])).trim();
    const loop = { file, device };
    this.#loops.push(loop);
    return loop;
  }

  /** Grows the backing file and tells the loop driver (what an EBS resize looks like to the node). */
  async grow(loop: LoopVolume, mib: number): Promise<void> {
    await truncate(loop.file, mib * 1024 * 1024);
    await sh('losetup', ['-c', loop.device]);
  }

  async cleanup(): Promise<void> {
    const errors: string[] = [];
    for (let pass = 0; pass < 8; pass++) {
      const mounts = (await MountTable.read()).entries
        .filter((e) => e.mountPoint === this.dir || e.mountPoint.startsWith(`${this.dir}/`))
        .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.mountId - a.mountId);
      if (mounts.length === 0) break;
      for (const m of mounts) {
        try {
          await sh('umount', [m.mountPoint]);
        } catch {
          // A test left something busy: detach it lazily so the loop device can go.
          await sh('umount', ['-l', m.mountPoint]).catch((e: unknown) => errors.push(String(e)));
        }
      }
    }
    for (const loop of this.#loops.splice(0)) {
      await sh('losetup', ['-d', loop.device]).catch((e: unknown) => errors.push(String(e)));
    }
    await rm(this.dir, { recursive: true, force: true }).catch((e: unknown) => errors.push(String(e)));
    if (errors.length > 0) throw new Error(`cleanup left things behind: ${errors.join('; ')}`);
  }
}

// ---- building handlers and requests -------------------------------------------------

export type Handlers = AsyncHandlers<NodeHandlers>;

/** The real node handlers on this host, taking the rig's loop devices as emulated volumes. */
export function hostHandlers(rig: LoopRig): Handlers {
  return nodeHandlers({
    devices: new DeviceFinder({ waitMs: 200, emulatedVolumesDir: rig.volumesDir }),
    mounter: new Mounter(runCommand),
    filesystems: new Filesystems(runCommand),
    sysRoot: '/sys',
    identity: { source: 'imds', instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: 'm5.large' },
    maxVolumesPerNode: 25,
  });
}

export function mountCapability(fsType = 'ext4', mountFlags: string[] = [], mode = 'SINGLE_NODE_WRITER'): VolumeCapability__Output {
  return {
    accessType: 'mount',
    mount: { fsType, mountFlags, volumeMountGroup: '' },
    accessMode: { mode: mode as AccessMode },
  };
}

export function blockCapability(mode = 'SINGLE_NODE_WRITER'): VolumeCapability__Output {
  return {
    accessType: 'block',
    block: {},
    accessMode: { mode: mode as AccessMode },
  };
}

export interface StageArgs {
  volumeId: string;
  device: string;
  stagingPath: string;
  capability: VolumeCapability__Output | null;
  volumeContext?: Record<string, string>;
}

export function stageRequest(a: StageArgs): Parameters<Handlers['NodeStageVolume']>[0] {
  return {
    volumeId: a.volumeId, publishContext: { devicePath: a.device }, stagingTargetPath: a.stagingPath,
    volumeCapability: a.capability, secrets: {}, volumeContext: a.volumeContext ?? {},
  };
}

export function publishRequest(a: StageArgs & { targetPath: string; readonly?: boolean }): Parameters<Handlers['NodePublishVolume']>[0] {
  return {
    volumeId: a.volumeId, publishContext: { devicePath: a.device }, stagingTargetPath: a.stagingPath,
    targetPath: a.targetPath, volumeCapability: a.capability, readonly: a.readonly ?? false, secrets: {},
    volumeContext: a.volumeContext ?? {},
  };
}

/**
 * An assert.rejects matcher: an error the pipeline answers with this gRPC code (mapped by
 * the one error mapping in src/server/errors.ts, as a real call would be), message matching.
 */
export function csiError(code: CsiCode, message?: RegExp): (err: unknown) => boolean {
  return (err) => {
    const failure = toGrpcFailure(err);
    if (failure.code !== status[code]) throw new Error(`expected ${code}, got ${status[failure.code]}: ${failure.message}`);
    if (message && !message.test(failure.message)) throw new Error(`message ${JSON.stringify(failure.message)} does not match ${String(message)}`);
    return true;
  };
}

/** What blkid sees on the device: the filesystem type and UUID, or undefined when blank. */
export async function probeDevice(device: string): Promise<{ type: string; uuid: string } | undefined> {
  try {
    const out = await sh('blkid', ['-p', '-o', 'export', device]);
    const fields = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { type: fields.TYPE ?? '', uuid: fields.UUID ?? '' };
  } catch {
    return undefined;
  }
}
