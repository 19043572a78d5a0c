// The "hypervisor" of the local instance: it turns attachments the emulator reports into
// block devices on this host, and gives snapshots, restores, resizes and deletes their
// effect on the bytes. Attached volume = loop device over the volume's sparse file, plus
// the by-id link udev makes on Nitro and the requested /dev/xvdXX name.
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../src/logger.js';
import { AttachmentRecords, type AttachmentRecord } from './attachment-records.js';
import { BackingStore, GIB } from './backing-store.js';
import { byIdLinkPath, linkToLoop, pointsToLoop, requestedLinkPath, unlinkIfPointsTo } from './device-links.js';
import { attachLoop, detachLoop, listLoops, loopsBackedUnder, refreshLoopCapacity } from './loop-devices.js';
import { unmountLoops } from './loop-mounts.js';

export interface HypervisorOptions {
  /** Holds volumes/, snapshots/ and the attachment records. */
  readonly stateDir: string;
  /** Where device links go; /dev unless a test wants a private tree. */
  readonly devRoot?: string;
  /**
   * Also link the device name the attach asked for (/dev/xvdba), as on Xen instances (default
   * true). Off, only the by-id link is made, as on Nitro, where the requested name never appears:
   * those names are few and machine-wide, and two data planes on one host would take each
   * other's, while a by-id link names its volume.
   */
  readonly deviceNameLinks?: boolean;
  readonly log: Logger;
}

export class LocalHypervisor {
  readonly store: BackingStore;
  readonly #records: AttachmentRecords;
  readonly #devRoot: string;
  readonly #deviceNameLinks: boolean;
  readonly #log: Logger;

  constructor(options: HypervisorOptions) {
    this.store = new BackingStore(options.stateDir);
    this.#records = new AttachmentRecords(options.stateDir);
    this.#devRoot = options.devRoot ?? '/dev';
    this.#deviceNameLinks = options.deviceNameLinks ?? true;
    this.#log = options.log;
  }

  async init(): Promise<void> {
    await this.store.init();
    await this.#records.load();
  }

  /** Volume ids with a device on this host right now. */
  attachedVolumes(): string[] {
    return this.#records.all().map((r) => r.volumeId);
  }

  record(volumeId: string): AttachmentRecord | undefined {
    return this.#records.get(volumeId);
  }

  /** Gives the volume a device on this host (idempotent); returns the loop device. */
  async attach(volumeId: string, device: string, sizeGiB: number): Promise<string> {
    const existing = this.#records.get(volumeId);
    if (existing) return existing.loopDevice;
    const file = await this.store.ensureVolume(volumeId, sizeGiB * GIB);
    const loopDevice = await attachLoop(file);
    const links: string[] = [];
    // Record the loop before linking: if we die in between, cleanup still finds it.
    await this.#records.put({ volumeId, loopDevice, device, links });
    const requested = this.#deviceNameLinks ? requestedLinkPath(this.#devRoot, device) : undefined;
    for (const path of [byIdLinkPath(this.#devRoot, volumeId), requested]) {
      if (path === undefined) continue;
      if (await linkToLoop(path, loopDevice)) links.push(path);
      else this.#log.warn({ volumeId, path }, 'not creating a device link: something that is not ours is already there');
    }
    await this.#records.put({ volumeId, loopDevice, device, links });
    this.#log.info({ volumeId, loopDevice, device, links }, 'volume attached to the local instance');
    return loopDevice;
  }

  /** Removes the volume's device and links; its file (its data) stays for the next attach. */
  async detach(volumeId: string): Promise<void> {
    const record = this.#records.get(volumeId);
    if (!record) return;
    for (const link of record.links) await unlinkIfPointsTo(link, record.loopDevice);
    await detachLoop(record.loopDevice);
    await this.#records.remove(volumeId);
    this.#log.info({ volumeId, loopDevice: record.loopDevice }, 'volume detached from the local instance');
  }

  async snapshot(volumeId: string, snapshotId: string): Promise<void> {
    await this.store.snapshotVolume(volumeId, snapshotId);
    this.#log.info({ volumeId, snapshotId }, 'snapshot holds the volume\'s bytes');
  }

  async restore(snapshotId: string, volumeId: string, sizeGiB: number): Promise<void> {
    await this.store.restoreVolume(snapshotId, volumeId, sizeGiB * GIB);
    this.#log.info({ snapshotId, volumeId }, 'volume restored from snapshot');
  }

  async copy(sourceVolumeId: string, volumeId: string, sizeGiB: number): Promise<void> {
    await this.store.copyVolume(sourceVolumeId, volumeId, sizeGiB * GIB);
    this.#log.info({ sourceVolumeId, volumeId }, 'volume copied');
  }

  /** Grows the volume; an attached one sees its new size at once, like EBS on modify. */
  async resize(volumeId: string, sizeGiB: number): Promise<void> {
    const grown = await this.store.growVolume(volumeId, sizeGiB * GIB);
    const record = this.#records.get(volumeId);
    if (grown && record) await refreshLoopCapacity(record.loopDevice);
    if (grown) this.#log.info({ volumeId, sizeGiB, attached: record !== undefined }, 'volume grown');
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await this.detach(volumeId);
    await this.store.deleteVolume(volumeId);
    this.#log.info({ volumeId }, 'volume file deleted');
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await this.store.deleteSnapshot(snapshotId);
  }

  /**
   * Removes every device this data plane (or a crashed earlier one with the same state
   * directory) left on the host: mounts of our loop devices, our links, the loop devices.
   * The kernel's own list of loop devices is the truth; the records add the links.
   */
  async removeAllDevices(): Promise<void> {
    const ours = (await loopsBackedUnder(this.store.volumesDir)).map((d) => d.name);
    const unmounted = await unmountLoops(ours);
    if (unmounted.length > 0) this.#log.warn({ mounts: unmounted }, 'unmounted what was still mounted from emulated volumes');
    const backed = new Set((await listLoops()).map((d) => d.name));
    const recordedLinks = this.#records.all().flatMap((r) => r.links);
    for (const link of [...recordedLinks, ...(await this.#scanLinks())]) {
      const target = await pointsToLoop(link);
      // Ours when it names one of our loops, or when we recorded it and its loop is gone.
      if (target && (ours.includes(target) || (recordedLinks.includes(link) && !backed.has(target)))) {
        await unlinkIfPointsTo(link, target);
      }
    }
    for (const loop of ours) await detachLoop(loop);
    for (const record of this.#records.all()) await this.#records.remove(record.volumeId);
    // Hosts without udev had no /dev/disk/by-id until we made it; leave them as we found them.
    for (const dir of [join(this.#devRoot, 'disk', 'by-id'), join(this.#devRoot, 'disk')]) await rmdir(dir).catch(() => undefined);
    if (ours.length > 0) this.#log.info({ loopDevices: ours }, 'emulated volumes removed from the host');
  }

  /** Candidate links: EBS by-id links and plain device names in the dev root. */
  async #scanLinks(): Promise<string[]> {
    const byIdDir = join(this.#devRoot, 'disk', 'by-id');
    const byId = (await readdir(byIdDir).catch(() => [] as string[]))
      .filter((n) => n.startsWith('nvme-Amazon_Elastic_Block_Store_')).map((n) => join(byIdDir, n));
    const named = (await readdir(this.#devRoot).catch(() => [] as string[]))
      .filter((n) => /^(xvd[a-z]{1,2}|sd[a-z]{1,2}[0-9]?)$/.test(n)).map((n) => join(this.#devRoot, n));
    return [...byId, ...named];
  }
}
