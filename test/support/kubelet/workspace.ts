// A kubelet test's own corner of the host: one temporary folder (containerd's root, state and
// socket, the kubelet's root-dir, the plugin sockets, the volume files), one cgroup name, and
// the kernel settings as they were before. owner.json in the folder records them, so that a run
// killed before it could clean up is cleaned up by the next one (reapStaleWorkspaces).
// One workspace at a time per machine: the kernel settings are global, and so is the kubelet's
// idea of the host. The lock is a file made with O_EXCL that names its owner's pid.
// A few things land outside the folder whatever the configuration says (FIXED_HOST_PATHS and the
// kubelet's log links); the record says which of them the workspace made, and closing it removes
// exactly those. A local data plane whose state lives in the folder (DATA_PLANE_DIR) has its
// devices, device links and mounts removed too.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalHypervisor } from '../../../local/dataplane/hypervisor.js';
import { detachLoop, loopsBackedUnder } from '../../../local/dataplane/loop-devices.js';
import { createLogger } from '../../../src/logger.js';
import {
  FIXED_HOST_PATHS, isAlive, KUBELET_SYSCTLS, processesWithArgument, readSysctls, removeCgroupTree, restoreSysctls,
  unmountUnder, type SysctlValues,
} from './host.js';
import { onInterrupt } from '../interrupt.js';
import { killProcessesAndShimSockets } from './containerd.js';

const PREFIX = 'ebs-kubelet-';
const LOCK = join(tmpdir(), 'ebs-csi-kubelet.lock');
/** The kubelet's legacy container log links (see removeLogLinks). */
const LEGACY_LOG_LINKS_DIR = '/var/log/containers';
/** Where in a workspace a local data plane keeps its state (volume files, attachment records). */
export const DATA_PLANE_DIR = 'dataplane';

interface OwnerRecord {
  pid: number;
  cgroup: string;
  sysctls: SysctlValues;
  /** Of FIXED_HOST_PATHS, those that did not exist before: removed again (folders when empty). */
  madeHostPaths: string[];
  /** The same for workspaces made before the kubelet's paths were recorded (containerd's only). */
  madeRunDirs?: string[];
}

/**
 * The kubelet links every container's log as /var/log/containers/<pod>_<namespace>_<container>-<id>.log
 * (a constant of the kubelet) to its file under podLogsDir. Removes the links whose target `ours` claims.
 */
async function removeLogLinks(ours: (target: string) => boolean): Promise<void> {
  for (const name of await readdir(LEGACY_LOG_LINKS_DIR).catch(() => [] as string[])) {
    const link = join(LEGACY_LOG_LINKS_DIR, name);
    if (!(await lstat(link).catch(() => undefined))?.isSymbolicLink()) continue;
    if (ours(resolve(LEGACY_LOG_LINKS_DIR, await readlink(link)))) await unlink(link).catch(() => undefined);
  }
}

/** Removes the fixed host paths a workspace made, deepest first (a folder only once empty). */
async function removeMadeHostPaths(paths: readonly string[]): Promise<void> {
  for (const path of [...paths].reverse()) {
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory()) await rmdir(path).catch(() => undefined);
    else await unlink(path).catch(() => undefined);
  }
}

/** Takes away the devices, device links and mounts of a data plane whose state is in `stateDir`. */
async function removeDataPlaneDevices(stateDir: string): Promise<void> {
  if (!existsSync(stateDir)) return;
  const hypervisor = new LocalHypervisor({ stateDir, log: createLogger('json', 'silent') });
  await hypervisor.init();
  await hypervisor.removeAllDevices();
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
  await removeDataPlaneDevices(join(dir, DATA_PLANE_DIR)).catch((err: unknown) => problems.push(`data plane devices: ${String(err)}`));
  for (const loop of await loopsBackedUnder(dir)) {
    await detachLoop(loop.name).catch((err: unknown) => problems.push(`${loop.name}: ${String(err)}`));
  }
  if (record.sysctls) await restoreSysctls(record.sysctls).catch((err: unknown) => problems.push(`sysctls: ${String(err)}`));
  await removeLogLinks((target) => target.startsWith(`${dir}/`));
  await removeMadeHostPaths([...(record.madeRunDirs ?? []).reverse(), ...(record.madeHostPaths ?? [])]);
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
  // Log links into workspaces that are gone already (left by runs from before links were cleaned up).
  await removeLogLinks((target) => target.startsWith(join(tmpdir(), PREFIX)) && !existsSync(target));
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
      madeHostPaths: FIXED_HOST_PATHS.filter((p) => !existsSync(p)),
    };
    await writeFile(join(dir, 'owner.json'), JSON.stringify(record, null, 2));
    let closed: Promise<string[]> | undefined;
    // Interrupted (Ctrl-C, a runner's timeout): clean up before going, as the test's after() would.
    const forget = onInterrupt(() => close());
    const close = (): Promise<string[]> => {
      forget();
      closed ??= cleanWorkspace(dir).finally(releaseLock);
      return closed;
    };
    return { dir, cgroup, path: (...parts) => join(dir, ...parts), close };
  } catch (err) {
    await releaseLock();
    throw err;
  }
}
