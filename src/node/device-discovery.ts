// Finds the block device of an attached EBS volume, and only a device proven to be it
// (device-identity.ts). On Nitro instances the device name EC2 reports (e.g. /dev/xvdba)
// usually does not exist; the volume shows up as an NVMe namespace whose controller serial
// is the volume id without its dash. We look in order:
//   1. publish_context devicePath, when it names a block device under /dev;
//   2. the udev link /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<hex>;
//   3. the serial of every NVMe namespace in sysfs, which works without udev;
//   4. with an emulated data plane only: the loop device backed by the volume's file.
// Every candidate must pass identify(); one that does not is remembered, so the NOT_FOUND
// answer says what was there instead. The roots (/dev, /sys) are injectable for tests.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { NodeError } from './errors.js';
import {
  ec2DeviceNames, identify, nvmeSerialOf, realEmulatedDir, type AttachmentHints, type IdentityContext,
} from './device-identity.js';
import { MountTable } from './mountinfo.js';
import { isInside } from './paths.js';

export { nvmeSerialOf, type AttachmentHints } from './device-identity.js';

export interface DeviceRoots {
  readonly dev: string;
  readonly sys: string;
}

export const HOST_ROOTS: DeviceRoots = { dev: '/dev', sys: '/sys' };

export interface DiscoveryOptions {
  readonly roots?: DeviceRoots;
  /** Total time to wait for a device that is still appearing (default 3 s). */
  readonly waitMs?: number;
  /** First pause between looks; doubles each time (default 50 ms). */
  readonly firstDelayMs?: number;
  /** Whether a path is a block device; tests replace it to use regular files. */
  readonly isBlockDevice?: (path: string) => Promise<boolean>;
  /**
   * The local environment's volume directory: loop devices backed by <dir>/<volume id>.img
   * count as that volume. Unset on real nodes, where no loop device is ever a volume.
   */
  readonly emulatedVolumesDir?: string;
  /** The mount table (tests give a fixed one). */
  readonly mounts?: () => Promise<MountTable>;
}

export interface FoundDevice {
  readonly path: string;
  readonly via: 'publish-context' | 'by-id' | 'sysfs';
  /** What proved the device to be the volume (for the log). */
  readonly proof: string;
  /** Set when the path is a partition of the volume (a static PV's "partition" attribute). */
  readonly partition?: number;
}

export interface LookResult {
  readonly found?: FoundDevice;
  /** Devices seen and refused, each as a sentence. */
  readonly refused: readonly string[];
}

const EBS_BY_ID_PREFIX = 'nvme-Amazon_Elastic_Block_Store_';
const NVME_NAMESPACE = /^nvme\d+n\d+$/;
const LOOP = /^loop\d+$/;
const EBS_VOLUME_ID = /^vol-[0-9a-f]{8,32}$/;

async function hostIsBlockDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isBlockDevice();
  } catch {
    return false;
  }
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

export class DeviceFinder {
  readonly #roots: DeviceRoots;
  readonly #waitMs: number;
  readonly #firstDelayMs: number;
  readonly #isBlockDevice: (path: string) => Promise<boolean>;
  readonly #emulatedDir: string | undefined;
  readonly #mounts: () => Promise<MountTable>;

  constructor(options: DiscoveryOptions = {}) {
    this.#roots = options.roots ?? HOST_ROOTS;
    this.#waitMs = options.waitMs ?? 3000;
    this.#firstDelayMs = options.firstDelayMs ?? 50;
    this.#isBlockDevice = options.isBlockDevice ?? hostIsBlockDevice;
    this.#emulatedDir = options.emulatedVolumesDir;
    this.#mounts = options.mounts ?? (() => MountTable.read());
  }

  /** Looks once in every place; `found` is unset when no device proven to be the volume is there (yet). */
  async lookOnce(volumeId: string, hints: AttachmentHints = {}): Promise<LookResult> {
    const emulatedVolumesDir = await realEmulatedDir(this.#emulatedDir);
    const ctx: IdentityContext = {
      sysRoot: this.#roots.sys, mounts: this.#mounts, ...(emulatedVolumesDir !== undefined ? { emulatedVolumesDir } : {}),
    };
    const refused: string[] = [];
    const tried = new Set<string>();
    const judge = async (device: string | undefined, via: FoundDevice['via']): Promise<FoundDevice | undefined> => {
      if (device === undefined || tried.has(device)) return undefined;
      tried.add(device);
      const identity = await identify(ctx, volumeId, device, hints, via === 'publish-context');
      if (identity.ok) return { path: device, via, proof: identity.proof };
      refused.push(identity.why);
      return undefined;
    };
    const hint = hints.devicePath;
    // Only device names are acceptable hints; anything else is ignored, not followed.
    if (hint && hint.startsWith('/dev/') && !hint.split('/').includes('..')) {
      // A Xen kernel shows the /dev/sdX EC2 was given as /dev/xvdX.
      const names = [posix.relative('/dev', hint), ...ec2DeviceNames(hint).filter((n) => `/dev/${n}` !== hint)];
      for (const name of names) {
        const found = await judge(await this.#blockDeviceUnderDev(join(this.#roots.dev, name)), 'publish-context');
        if (found) return { found, refused };
      }
    }
    // Only a well-formed id may become part of a path we look up.
    if (!EBS_VOLUME_ID.test(volumeId)) return { refused };
    const serial = nvmeSerialOf(volumeId);
    const byId = await judge(await this.#blockDeviceUnderDev(join(this.#roots.dev, 'disk', 'by-id', EBS_BY_ID_PREFIX + serial)), 'by-id');
    if (byId) return { found: byId, refused };
    for (const device of await this.#scanSysfs(serial, ctx.emulatedVolumesDir, volumeId)) {
      const found = await judge(device, 'sysfs');
      if (found) return { found, refused };
    }
    return { refused };
  }

  /** Looks repeatedly with doubling pauses until the budget is spent; NOT_FOUND then, saying what was seen. */
  async find(volumeId: string, hints: AttachmentHints = {}, signal?: AbortSignal): Promise<FoundDevice> {
    const deadline = Date.now() + this.#waitMs;
    let delay = this.#firstDelayMs;
    let last: LookResult;
    for (;;) {
      last = await this.lookOnce(volumeId, hints);
      if (last.found) return last.found;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay *= 2;
    }
    throw new NodeError('DeviceNotFound', this.describeMissing(volumeId, hints, last.refused));
  }

  describeMissing(volumeId: string, hints: AttachmentHints, refused: readonly string[]): string {
    const serial = nvmeSerialOf(volumeId);
    const seen = refused.length > 0 ? `; found instead: ${refused.join('; ')}` : '';
    const hint = hints.devicePath ? ` and publish_context devicePath ${hints.devicePath}` : '';
    return `no block device proven to be volume ${volumeId} after ${this.#waitMs} ms: looked for ${EBS_BY_ID_PREFIX}${serial} `
      + `in ${join(this.#roots.dev, 'disk', 'by-id')}, for NVMe serial ${serial} in ${join(this.#roots.sys, 'class', 'block')}${hint}${seen}; `
      + 'is the volume attached to this instance?';
  }

  /**
   * Partition `n` of a volume's whole-disk device, as the kernel names it: a "p" goes
   * between a name ending in a digit and the number (nvme1n1p2), none otherwise (xvdf2).
   */
  async partitionOf(disk: FoundDevice, n: number): Promise<FoundDevice> {
    const name = basename(disk.path);
    const partName = `${name}${/\d$/.test(name) ? 'p' : ''}${n}`;
    const device = await this.#blockDeviceUnderDev(join(dirname(disk.path), partName));
    if (!device) {
      throw new NodeError('DeviceNotFound', `volume_context partition ${n}: volume device ${disk.path} has no partition ${partName}`);
    }
    return { ...disk, path: device, partition: n };
  }

  async #blockDeviceUnderDev(path: string): Promise<string | undefined> {
    const real = await realpathOrUndefined(path);
    const devRoot = (await realpathOrUndefined(this.#roots.dev)) ?? this.#roots.dev;
    if (!real || !isInside(real, devRoot)) return undefined;
    return (await this.#isBlockDevice(real)) ? real : undefined;
  }

  /** Devices whose sysfs entry names this volume: NVMe serials, and (emulated only) loop backing files. */
  async #scanSysfs(serial: string, emulatedDir: string | undefined, volumeId: string): Promise<string[]> {
    const dir = join(this.#roots.sys, 'class', 'block');
    const names = (await readdir(dir).catch(() => [] as string[])).sort();
    const out: string[] = [];
    for (const name of names) {
      let matches = false;
      if (NVME_NAMESPACE.test(name)) {
        matches = (await readTrimmed(join(dir, name, 'device', 'serial')))?.toLowerCase() === serial.toLowerCase();
      } else if (emulatedDir !== undefined && LOOP.test(name)) {
        matches = (await readTrimmed(join(dir, name, 'loop', 'backing_file'))) === join(emulatedDir, `${volumeId}.img`);
      }
      if (!matches) continue;
      const device = await this.#blockDeviceUnderDev(join(this.#roots.dev, name));
      if (device) out.push(device);
    }
    return out;
  }
}

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}
