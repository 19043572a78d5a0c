// Finds the block device of an attached EBS volume. On Nitro instances the device name
// EC2 reports (e.g. /dev/xvdba) usually does not exist; the volume shows up as an NVMe
// namespace whose controller serial is the volume id without its dash. We look in order:
//   1. publish_context.devicePath, when it is a block device (and, if it is an NVMe
//      namespace, one whose serial names this volume: a stale hint must not win);
//   2. the udev link /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<hex>;
//   3. the serial of every NVMe namespace in sysfs, which works without udev.
// The roots (/dev, /sys) are injectable so tests can build fake trees.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { NodeError } from './errors.js';
import { isInside } from './paths.js';

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
  readonly signal?: AbortSignal;
}

export interface FoundDevice {
  readonly path: string;
  readonly via: 'publish-context' | 'by-id' | 'sysfs';
  /** Set when the path is a partition of the volume (a static PV's "partition" attribute). */
  readonly partition?: number;
}

const EBS_BY_ID_PREFIX = 'nvme-Amazon_Elastic_Block_Store_';
const NVME_NAMESPACE = /^nvme\d+n\d+$/;
const EBS_VOLUME_ID = /^vol-[0-9a-f]{8,32}$/;

async function hostIsBlockDevice(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isBlockDevice();
  } catch {
    return false;
  }
}

/** "vol-0abc" → "vol0abc": the form in NVMe serials and udev links. */
export function nvmeSerialOf(volumeId: string): string {
  return volumeId.replace(/^vol-/, 'vol');
}

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
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

  constructor(options: Omit<DiscoveryOptions, 'signal'> = {}) {
    this.#roots = options.roots ?? HOST_ROOTS;
    this.#waitMs = options.waitMs ?? 3000;
    this.#firstDelayMs = options.firstDelayMs ?? 50;
    this.#isBlockDevice = options.isBlockDevice ?? hostIsBlockDevice;
  }

  /** Looks once in every place; undefined when the device is not (yet) there. */
  async lookOnce(volumeId: string, devicePathHint?: string): Promise<FoundDevice | undefined> {
    const serial = nvmeSerialOf(volumeId);
    if (devicePathHint) {
      const fromHint = await this.#fromHint(devicePathHint, serial);
      if (fromHint) return { path: fromHint, via: 'publish-context' };
    }
    // Only a well-formed id may become part of a path we look up.
    if (!EBS_VOLUME_ID.test(volumeId)) return undefined;
    const byId = await this.#blockDeviceUnderDev(join(this.#roots.dev, 'disk', 'by-id', EBS_BY_ID_PREFIX + serial));
    if (byId) return { path: byId, via: 'by-id' };
    const bySerial = await this.#scanSerials(serial);
    if (bySerial) return { path: bySerial, via: 'sysfs' };
    return undefined;
  }

  /** Looks repeatedly with doubling pauses until the budget is spent; NOT_FOUND then. */
  async find(volumeId: string, devicePathHint?: string, signal?: AbortSignal): Promise<FoundDevice> {
    const deadline = Date.now() + this.#waitMs;
    let delay = this.#firstDelayMs;
    for (;;) {
      const found = await this.lookOnce(volumeId, devicePathHint);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay *= 2;
    }
    const serial = nvmeSerialOf(volumeId);
    const hint = devicePathHint ? ` (publish_context devicePath ${devicePathHint} is not it)` : '';
    throw new NodeError('DeviceNotFound',
      `no block device found for volume ${volumeId} after ${this.#waitMs} ms: looked for ${EBS_BY_ID_PREFIX}${serial} `
      + `in ${join(this.#roots.dev, 'disk', 'by-id')} and for NVMe serial ${serial} in ${join(this.#roots.sys, 'block')}${hint}; `
      + 'is the volume attached to this instance?');
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

  async #fromHint(hint: string, serial: string): Promise<string | undefined> {
    // Only device names are acceptable hints; anything else is ignored, not followed.
    if (!hint.startsWith('/dev/') || hint.split('/').includes('..')) return undefined;
    const device = await this.#blockDeviceUnderDev(join(this.#roots.dev, posix.relative('/dev', hint)));
    if (!device) return undefined;
    const name = basename(device);
    if (NVME_NAMESPACE.test(name)) {
      const actual = await readTrimmed(join(this.#roots.sys, 'block', name, 'device', 'serial'));
      if (actual !== undefined && actual.toLowerCase() !== serial.toLowerCase()) return undefined;
    }
    return device;
  }

  async #scanSerials(serial: string): Promise<string | undefined> {
    let names: string[];
    try {
      names = (await readdir(join(this.#roots.sys, 'block'))).filter((n) => NVME_NAMESPACE.test(n)).sort();
    } catch {
      return undefined;
    }
    for (const name of names) {
      const actual = await readTrimmed(join(this.#roots.sys, 'block', name, 'device', 'serial'));
      if (actual?.toLowerCase() === serial.toLowerCase()) {
        const device = await this.#blockDeviceUnderDev(join(this.#roots.dev, name));
        if (device) return device;
      }
    }
    return undefined;
  }
}
