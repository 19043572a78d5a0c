// A kubelet test's own corner of the host: one temporary folder (containerd's root, state and
// socket, the kubelet's root-dir, the plugin sockets, the volume files), one cgroup name, and
// the kernel settings as they were before. owner.json in the folder records them, so that a run
// killed before it could clean up is cleaned up by the next one (reapStaleWorkspaces).
// One workspace at a time per machine: the kernel settings are global, and so is the kubelet's
// idea of the host. The lock is a file made with O_EXCL that names its owner's pid.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detachLoop, loopsBackedUnder } from '../../../local/dataplane/loop-devices.js';
import {
  isAlive, KUBELET_SYSCTLS, processesWithArgument, readSysctls, removeCgroupTree, restoreSysctls,
  unmountUnder, type SysctlValues,
} from './host.js';
import { killProcessesAndShimSockets } from './containerd.js';

const PREFIX = 'ebs-kubelet-';
const LOCK = join(tmpdir(), 'ebs-csi-kubelet.lock');
// Folders containerd makes at fixed places whatever its config says (its shims' sockets).
const FIXED_RUN_DIRS = ['/run/containerd/s', '/run/containerd'];

interface OwnerRecord {
  pid: number;
  cgroup: string;
  sysctls: SysctlValues;
  /** Of FIXED_RUN_DIRS, those that did not exist before: removed again when empty. */
  madeRunDirs: string[];
}

export interface Workspace {
  readonly dir: string;
  /** The top-level cgroup every container and pod of this test lives in (all hierarchies). */
  readonly cgroup: string;
  path(...parts: string[]): string;
  /** Cleans everything up (see cleanWorkspace); returns what could not be removed. */
  close(): Promise<string[]>;
}

async function takeLock(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await writeFile(LOCK, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(LOCK, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      // Its owner is gone: take the file away (whoever wins the next O_EXCL create owns it).
      await unlink(LOCK).catch(() => undefined);
      continue;
    }
    if (Date.now() > until) throw new Error(`another kubelet test (pid ${owner}) holds ${LOCK}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function releaseLock(): Promise<void> {
  const owner = Number((await readFile(LOCK, 'utf8').catch(() => '')).trim());
  if (owner === process.pid) await unlink(LOCK).catch(() => undefined);
}

/**
 * Stops and removes everything a workspace holds, in dependency order: processes started
 * from it (their arguments name its folder), its cgroups, its mounts, loop devices backed by
 * files in it, the kernel settings, the folder. Returns what could not be removed.
 */
export async function cleanWorkspace(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const record = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8').catch(() => '{}')) as Partial<OwnerRecord>;
  // `${dir}/`: a path inside this workspace, never one of another workspace whose name starts alike.
  await killProcessesAndShimSockets(await processesWithArgument(`${dir}/`));
  if (record.cgroup) problems.push(...await removeCgroupTree(record.cgroup));
  problems.push(...(await unmountUnder(dir)).map((m) => `mount ${m}`));
  for (const loop of await loopsBackedUnder(dir)) {
    await detachLoop(loop.name).catch((err: unknown) => problems.push(`${loop.name}: ${String(err)}`));
  }
  if (record.sysctls) await restoreSysctls(record.sysctls).catch((err: unknown) => problems.push(`sysctls: ${String(err)}`));
  for (const runDir of record.madeRunDirs ?? []) await rmdir(runDir).catch(() => undefined);
  if (problems.length === 0) await rm(dir, { recursive: true, force: true });
  return problems;
}

/** Cleans up after runs that died holding a workspace (their owner pid is gone). */
export async function reapStaleWorkspaces(): Promise<string[]> {
  const problems: string[] = [];
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const record = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8').catch(() => '{}')) as Partial<OwnerRecord>;
    if (typeof record.pid === 'number' && isAlive(record.pid)) continue;
    problems.push(...await cleanWorkspace(dir));
  }
  return problems;
}

/** Takes the machine's kubelet-test lock (waiting up to `lockTimeoutMs` for another run) and makes a workspace. */
export async function openWorkspace(lockTimeoutMs = 20 * 60_000): Promise<Workspace> {
  await takeLock(lockTimeoutMs);
  try {
    const stale = await reapStaleWorkspaces();
    if (stale.length > 0) throw new Error(`a crashed kubelet test left things that would not go: ${stale.join('; ')}`);
    const dir = await mkdtemp(join(tmpdir(), PREFIX));
    const cgroup = `${PREFIX}${randomBytes(4).toString('hex')}`;
    const record: OwnerRecord = {
      pid: process.pid, cgroup, sysctls: await readSysctls(KUBELET_SYSCTLS),
      madeRunDirs: FIXED_RUN_DIRS.filter((d) => !existsSync(d)),
    };
    await writeFile(join(dir, 'owner.json'), JSON.stringify(record, null, 2));
    let closed: Promise<string[]> | undefined;
    const close = (): Promise<string[]> => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      closed ??= cleanWorkspace(dir).finally(releaseLock);
      return closed;
    };
    // Interrupted (Ctrl-C, a runner's timeout): clean up before going, as the test's after() would.
    const onSignal = (signal: NodeJS.Signals): void => {
      void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return { dir, cgroup, path: (...parts) => join(dir, ...parts), close };
  } catch (err) {
    await releaseLock();
    throw err;
  }
}
