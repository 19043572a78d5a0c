// Helpers for the hostile-input suites: a refusal check that also proves the driver still
// answers Probe, the driver's CPU use read from /proc/<pid>/stat, and a look at the host
// outside the test's own directories (mounts of the test's devices, a decoy disk, paths a
// hostile request named) so each suite can assert that nothing there changed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { status } from '@grpc/grpc-js';
import { MountTable } from '../../../src/node/mountinfo.js';
import { isInside } from '../../../src/node/paths.js';
import type { CsiClients } from '../../support/csi-client.js';
import { expectStatus } from '../../support/csi-client.js';

const run = promisify(execFile);

/**
 * Awaits a call that must be refused with `code` and a message matching every pattern
 * (the field it names first of all), then checks the driver still answers Probe.
 */
export async function expectRefused(clients: CsiClients, call: Promise<unknown>, code: status, ...patterns: RegExp[]): Promise<string> {
  const [first, ...rest] = patterns;
  const err = await expectStatus(call, code, first);
  for (const p of rest) assert.match(err.details, p);
  const probe = await clients.identity.Probe({}, 5000);
  assert.equal(probe.ready?.value, true, 'the driver still answers Probe, ready');
  return err.details;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
async function clockTicks(): Promise<number> {
  const { stdout } = await run('getconf', ['CLK_TCK']);
  const ticks = Number(stdout.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
}

/** utime + stime of a process, in seconds. */
async function cpuSeconds(pid: number, ticks: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** The share of one core a process used over `windowMs` (0.02 = 2 %). */
export async function cpuShare(pid: number, windowMs: number): Promise<number> {
  const ticks = await clockTicks();
  const before = await cpuSeconds(pid, ticks);
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, windowMs));
  const after = await cpuSeconds(pid, ticks);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return (after - before) / elapsed;
}

/** "major:minor" of a block device, as mountinfo shows it. */
export async function deviceNumberOf(device: string): Promise<string> {
  const { stdout } = await run('stat', ['-L', '-c', '%t:%T', device]);
  const [major, minor] = stdout.trim().split(':').map((h) => parseInt(h, 16));
  return `${major}:${minor}`;
}

/** Mount points of these devices that lie outside every one of `inside`. */
export async function mountsOutside(deviceNumbers: readonly string[], inside: readonly string[]): Promise<string[]> {
  const table = await MountTable.read();
  return table.entries
    .filter((e) => deviceNumbers.includes(e.device) && !inside.some((dir) => isInside(e.mountPoint, dir)))
    .map((e) => `${e.mountPoint} (${e.device})`);
}

/** What blkid finds on a device; undefined when it is blank. */
export async function signatureOf(device: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('blkid', ['-p', '-o', 'export', device], { env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Names in a directory (sorted), to compare before and after. */
export async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}
