// Loop devices: the emulated "disks" the data plane hands to the node service. All
// work goes through losetup(8) with argv arrays via the node layer's exec wrapper.
import { runCommand } from '../../src/node/exec.js';

export interface LoopDevice {
  /** e.g. /dev/loop3 */
  readonly name: string;
  /** The backing file, as the kernel records it (empty when it was deleted). */
  readonly backFile: string;
}

interface LosetupJson {
  loopdevices?: { name?: string; 'back-file'?: string | null }[];
}

/** Backs `file` with the first free loop device; returns its path. */
export async function attachLoop(file: string): Promise<string> {
  const { stdout } = await runCommand('losetup', ['--find', '--show', file], { timeoutMs: 30_000 });
  const device = stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup answered "${device}" instead of a loop device for ${file}`);
  return device;
}

/**
 * Detaches a loop device. While something still holds it open (a mount), the kernel only
 * marks it to vanish on last close, which is why callers unmount first.
 */
export async function detachLoop(device: string): Promise<void> {
  // Exit status 1 with "No such device" means it is already gone: that is the goal.
  const { exitCode, stderr } = await runCommand('losetup', ['--detach', device], { timeoutMs: 30_000, okExitCodes: [1] });
  if (exitCode !== 0 && !/No such device|not a loop|failed to use device/i.test(stderr)) {
    throw new Error(`losetup --detach ${device} failed: ${stderr.trim()}`);
  }
}

/** Makes the kernel re-read the backing file's size after it grew (what EBS does on resize). */
export async function refreshLoopCapacity(device: string): Promise<void> {
  await runCommand('losetup', ['--set-capacity', device], { timeoutMs: 30_000 });
}

/** Every loop device in use, with its backing file. */
export async function listLoops(): Promise<LoopDevice[]> {
  const { stdout } = await runCommand('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE'], { timeoutMs: 30_000 });
  if (stdout.trim() === '') return [];
  const parsed = JSON.parse(stdout) as LosetupJson;
  return (parsed.loopdevices ?? []).flatMap((d) => (d.name ? [{ name: d.name, backFile: d['back-file'] ?? '' }] : []));
}

/** The loop devices whose backing file lies under `dir` (the kernel appends " (deleted)" to removed files). */
export async function loopsBackedUnder(dir: string): Promise<LoopDevice[]> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return (await listLoops()).filter((d) => d.backFile.replace(/ \(deleted\)$/, '').startsWith(prefix));
}
