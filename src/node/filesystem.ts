// What is on a device and what to do about it: probe (blkid), format (mkfs), measure
// (blockdev, dumpe2fs, xfs_info) and grow (resize2fs, xfs_growfs). Every program runs
// through the exec wrapper.
import { checkCallerWaiting } from '../call-scope.js';
import { NodeError } from './errors.js';
import type { Exec } from './exec.js';
import type { FormatOptions, FsType } from '../filesystems.js';
import { mkfsCommand, type MkfsSettings } from './format-options.js';

export type ProbeResult =
  | { readonly kind: 'blank' }
  | { readonly kind: 'filesystem'; readonly fsType: string }
  /** A partition table, several signatures, or something blkid names without a filesystem type. */
  | { readonly kind: 'other'; readonly description: string };

export const BLKID_NOTHING_FOUND = 2;
export const BLKID_AMBIVALENT = 8;

/** Parses `blkid -o export` output (KEY=value lines). */
export function parseBlkidExport(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export function blkidArgs(device: string): string[] {
  // -p: read the device itself, not blkid's cache, which may predate the last write.
  return ['-p', '-s', 'TYPE', '-s', 'PTTYPE', '-o', 'export', device];
}

export function interpretBlkid(exitCode: number, stdout: string): ProbeResult {
  if (exitCode === BLKID_NOTHING_FOUND) return { kind: 'blank' };
  if (exitCode === BLKID_AMBIVALENT) return { kind: 'other', description: 'several conflicting signatures' };
  const fields = parseBlkidExport(stdout);
  if (fields.PTTYPE) return { kind: 'other', description: `a ${fields.PTTYPE} partition table` };
  if (fields.TYPE) return { kind: 'filesystem', fsType: fields.TYPE };
  return { kind: 'other', description: 'an unidentified signature' };
}

export class Filesystems {
  constructor(private readonly exec: Exec, private readonly mkfs: MkfsSettings = {}) {}

  // (Measured: reading the device's ends in-process to spot an all-zero disk was slower
  // than blkid, which reads only the few blocks where signatures live.)
  async probe(device: string): Promise<ProbeResult> {
    const { exitCode, stdout } = await this.exec('blkid', blkidArgs(device), {
      okExitCodes: [BLKID_NOTHING_FOUND, BLKID_AMBIVALENT], timeoutMs: 30_000,
    });
    return interpretBlkid(exitCode, stdout);
  }

  /** Runs mkfs. Only for a device that probe() has just reported blank (see stageFilesystem). */
  async format(device: string, fsType: FsType, options: FormatOptions): Promise<void> {
    checkCallerWaiting(`formatting ${device}`);
    const { command, args } = mkfsCommand(fsType, device, options, this.mkfs);
    await this.exec(command, args, { timeoutMs: 10 * 60_000 });
  }

  async deviceBytes(device: string): Promise<number> {
    const { stdout } = await this.exec('blockdev', ['--getsize64', device], { timeoutMs: 10_000 });
    const bytes = Number(stdout.trim());
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new NodeError('CommandFailed', `blockdev --getsize64 ${device} printed ${JSON.stringify(stdout.trim())}`);
    }
    return bytes;
  }

  /** Size of the filesystem (not the device) in bytes; mountPoint is needed for xfs. */
  async filesystemBytes(fsType: string, device: string, mountPoint: string): Promise<number> {
    if (fsType === 'xfs') {
      const { stdout } = await this.exec('xfs_info', [mountPoint], { timeoutMs: 30_000 });
      return parseXfsInfoBytes(stdout);
    }
    const { stdout } = await this.exec('dumpe2fs', ['-h', device], { timeoutMs: 30_000 });
    return parseDumpe2fsBytes(stdout);
  }

  /** Grows a mounted filesystem to fill its device (both tools work online). */
  async grow(fsType: string, device: string, mountPoint: string): Promise<void> {
    const { command, args } = growCommand(fsType, device, mountPoint);
    await this.exec(command, args, { timeoutMs: 10 * 60_000 });
  }

  /**
   * Grows when the device has at least one more filesystem block than the filesystem.
   * `knownDeviceBytes`: the device size when the caller has just measured it.
   */
  async growIfSmaller(fsType: string, device: string, mountPoint: string, knownDeviceBytes?: number): Promise<boolean> {
    const [deviceBytes, fsBytes] = await Promise.all([
      knownDeviceBytes ?? this.deviceBytes(device), this.filesystemBytes(fsType, device, mountPoint),
    ]);
    if (deviceBytes - fsBytes < 64 * 1024) return false;
    await this.grow(fsType, device, mountPoint);
    return true;
  }
}

export function growCommand(fsType: string, device: string, mountPoint: string): { command: string; args: string[] } {
  if (fsType === 'xfs') return { command: 'xfs_growfs', args: ['-d', mountPoint] };
  if (fsType === 'ext4' || fsType === 'ext3' || fsType === 'ext2') return { command: 'resize2fs', args: [device] };
  throw new NodeError('InvalidArgument', `cannot grow a ${fsType} filesystem: only ext2, ext3, ext4 and xfs can grow`);
}

export function notBlank(device: string, found: ProbeResult, wanted: string): NodeError {
  const what = found.kind === 'filesystem' ? `an ${found.fsType} filesystem` : found.kind === 'other' ? found.description : 'nothing';
  return new NodeError('DeviceNotBlank',
    `device ${device} holds ${what}, not ${wanted}; refusing to format it so that no data is lost`);
}

export function parseDumpe2fsBytes(stdout: string): number {
  const count = /^Block count:\s+(\d+)/m.exec(stdout)?.[1];
  const size = /^Block size:\s+(\d+)/m.exec(stdout)?.[1];
  if (!count || !size) throw new NodeError('CommandFailed', 'dumpe2fs -h printed no block count and size');
  return Number(count) * Number(size);
}

export function parseXfsInfoBytes(stdout: string): number {
  const match = /^data\s+=\s+bsize=(\d+)\s+blocks=(\d+)/m.exec(stdout);
  if (!match?.[1] || !match[2]) throw new NodeError('CommandFailed', 'xfs_info printed no data block size and count');
  return Number(match[1]) * Number(match[2]);
}
