// Proves that a block device is a given EBS volume before anything formats, mounts or
// exposes it. What counts as proof depends on the kind of device:
//   - an NVMe namespace (Nitro): its controller serial is the volume id without the dash;
//   - a Xen device (/dev/xvdX on older instance types): there is no serial, so only the very
//     name the controller's attachment reported for this volume (publish_context
//     devicePath), and only when that device is a whole disk (not a partition, loop,
//     device-mapper or md device of something else), is used by nothing else (no holders,
//     not mounted except at this volume's own staging path), and is as large as the volume;
//   - a loop device: never, unless the operator named the directory of an emulated data
//     plane (the local environment), and then only the loop backed by <dir>/<volume id>.img.
// Anything else is refused with a sentence saying what it was, for the NOT_FOUND message.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { MountTable } from './mountinfo.js';

export const GIB = 1024 ** 3;
const NVME_NAMESPACE = /^nvme\d+n\d+$/;
const LOOP = /^loop\d+$/;
/** Device names EC2 hands out for Linux attachments; Xen kernels show sdX as xvdX. */
const EC2_DEVICE_NAME = /^\/dev\/(xvd|sd)([a-z]{1,2})$/;
const EBS_VOLUME_ID = /^vol-[0-9a-f]{8,32}$/;

/** What the controller's attachment told the node about the volume (publish_context). */
export interface AttachmentHints {
  /** The device name EC2 was given at attach time. */
  readonly devicePath?: string;
  /** The volume's size when it was attached; it may only have grown since. */
  readonly sizeGiB?: number;
  /** Where this volume may legitimately be mounted already: its staging path. */
  readonly ownMountPoint?: string;
}

export interface IdentityContext {
  /** Root of sysfs ("/sys" on a host). */
  readonly sysRoot: string;
  /** Real path of the emulated data plane's volume directory, when the operator enabled it. */
  readonly emulatedVolumesDir?: string;
  readonly mounts: () => Promise<MountTable>;
}

export type Identity = { readonly ok: true; readonly proof: string } | { readonly ok: false; readonly why: string };

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

async function entries(path: string): Promise<string[]> {
  return readdir(path).catch(() => []);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** The names a device reported as `hint` may carry in the kernel: the name itself and its Xen alias. */
export function ec2DeviceNames(hint: string | undefined): string[] {
  const m = hint === undefined ? null : EC2_DEVICE_NAME.exec(hint);
  if (!m?.[2]) return [];
  return m[1] === 'sd' ? [`sd${m[2]}`, `xvd${m[2]}`] : [`xvd${m[2]}`];
}

const sysBlock = (ctx: IdentityContext, name: string): string => join(ctx.sysRoot, 'class', 'block', name);

async function nvmeIdentity(ctx: IdentityContext, volumeId: string, device: string, name: string): Promise<Identity> {
  const serial = await readTrimmed(join(sysBlock(ctx, name), 'device', 'serial'));
  if (serial !== undefined && serial.toLowerCase() === nvmeSerialOf(volumeId).toLowerCase()) {
    return { ok: true, proof: `NVMe serial ${serial}` };
  }
  return { ok: false, why: `${device} is an NVMe namespace with serial ${serial === undefined ? '(unreadable)' : JSON.stringify(serial)}` };
}

async function loopIdentity(ctx: IdentityContext, volumeId: string, device: string, name: string): Promise<Identity> {
  const backing = (await readTrimmed(join(sysBlock(ctx, name), 'loop', 'backing_file')))?.replace(/ \(deleted\)$/, '');
  const what = `${device} is a loop device${backing ? ` backed by ${backing}` : ''}`;
  if (ctx.emulatedVolumesDir === undefined) return { ok: false, why: `${what}, never an EBS volume` };
  const expected = join(ctx.emulatedVolumesDir, `${volumeId}.img`);
  if (EBS_VOLUME_ID.test(volumeId) && backing === expected) return { ok: true, proof: `emulated volume file ${expected}` };
  return { ok: false, why: `${what}, not by the emulated volume file ${expected}` };
}

/** What makes a whole-disk device unusable as a volume: it is a part of, or a layer over, something else. */
async function derivedFrom(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, 'partition'))) return 'a partition';
  if (await exists(join(dir, 'loop'))) return 'a loop device';
  if (await exists(join(dir, 'dm'))) return 'a device-mapper device';
  if (await exists(join(dir, 'md'))) return 'an md RAID device';
  const slaves = await entries(join(dir, 'slaves'));
  return slaves.length > 0 ? `built on ${slaves.join(', ')}` : undefined;
}

async function xenIdentity(ctx: IdentityContext, volumeId: string, device: string, name: string, hints: AttachmentHints): Promise<Identity> {
  const dir = sysBlock(ctx, name);
  const derived = await derivedFrom(dir);
  if (derived !== undefined) return { ok: false, why: `${device} is ${derived}` };
  const holders = await entries(join(dir, 'holders'));
  if (holders.length > 0) return { ok: false, why: `${device} is in use by ${holders.join(', ')}` };
  const number = await readTrimmed(join(dir, 'dev'));
  if (number === undefined) return { ok: false, why: `${device} has no ${join(dir, 'dev')}` };
  const table = await ctx.mounts();
  const mountedAt = table.entries.filter((e) => e.device === number).map((e) => e.mountPoint);
  // Mounted at its own staging path it is this volume staged earlier (its publishes bind that mount).
  if (mountedAt.length > 0 && (hints.ownMountPoint === undefined || table.at(hints.ownMountPoint)?.device !== number)) {
    return { ok: false, why: `${device} is mounted at ${mountedAt.join(', ')}` };
  }
  if (hints.sizeGiB === undefined) {
    return { ok: false, why: `${device} has no NVMe serial, and publish_context carries no volume size to check it against` };
  }
  const sectors = Number(await readTrimmed(join(dir, 'size')));
  const bytes = sectors * 512;
  const wanted = hints.sizeGiB * GIB;
  // EBS sizes are whole GiB and only grow: larger is this volume expanded since the attach.
  if (!Number.isSafeInteger(bytes) || bytes < wanted || bytes % GIB !== 0) {
    return { ok: false, why: `${device} is ${Number.isSafeInteger(bytes) ? `${bytes} bytes` : 'of unknown size'}, but volume ${volumeId} has ${hints.sizeGiB} GiB` };
  }
  return { ok: true, proof: `attachment device name ${hints.devicePath ?? ''}, ${bytes / GIB} GiB, unused` };
}

/**
 * Judges one block device (its real path) as volume `volumeId`. `fromHint` says the device
 * was reached through publish_context devicePath, the only route on which a Xen name counts.
 */
export async function identify(
  ctx: IdentityContext, volumeId: string, device: string, hints: AttachmentHints, fromHint: boolean,
): Promise<Identity> {
  const name = basename(device);
  if (NVME_NAMESPACE.test(name)) return nvmeIdentity(ctx, volumeId, device, name);
  if (LOOP.test(name)) return loopIdentity(ctx, volumeId, device, name);
  if (fromHint && ec2DeviceNames(hints.devicePath).includes(name)) return xenIdentity(ctx, volumeId, device, name, hints);
  return { ok: false, why: `${device} is neither an NVMe namespace with this volume's serial nor the Xen device the attachment named` };
}

/** The real path of the emulated volume directory, or undefined when emulation is off or the directory is gone. */
export async function realEmulatedDir(dir: string | undefined): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  return realpath(dir).catch(() => undefined);
}
