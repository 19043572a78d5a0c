// The host state a kubelet test changes and must put back: mounts below its own folder,
// cgroups under its own name, the kernel settings the kubelet rewrites, and processes that
// outlive their parent (containerd's shims). Every function here acts only on what the caller
// names (a folder, a cgroup name, an argument its own processes carry), never on the host at large.
import { lstat, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../src/node/exec.js';
import { MountTable, type MountEntry } from '../../../src/node/mountinfo.js';

const isUnder = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

export async function mountsUnder(dir: string): Promise<MountEntry[]> {
  return (await MountTable.read()).entries.filter((e) => isUnder(e.mountPoint, dir));
}

/**
 * Unmounts everything mounted at or below `dir`, newest and deepest first, repeating while
 * anything is left (stacked mounts, and mounts that propagated in while we worked). A busy
 * mount is detached lazily. Returns what could still not be removed.
 */
export async function unmountUnder(dir: string): Promise<string[]> {
  for (let pass = 0; pass < 10; pass++) {
    const mounts = (await mountsUnder(dir)).sort((a, b) => b.mountId - a.mountId);
    if (mounts.length === 0) return [];
    for (const m of mounts) {
      const { exitCode } = await runCommand('umount', [m.mountPoint], { timeoutMs: 60_000, okExitCodes: [1, 32] });
      if (exitCode !== 0) await runCommand('umount', ['--lazy', m.mountPoint], { timeoutMs: 60_000, okExitCodes: [1, 32] });
    }
  }
  return (await mountsUnder(dir)).map((m) => m.mountPoint);
}

/**
 * Removes each folder that is empty, deepest first; a folder something was put in stays (rmdir,
 * never a recursive delete: what is in it may not be ours).
 */
export async function removeEmptyFolders(folders: readonly string[]): Promise<void> {
  for (const folder of [...folders].sort((a, b) => b.length - a.length)) {
    await rmdir(folder).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    });
  }
}

/** The mount points of every cgroup hierarchy (v1 controllers, named ones and the v2 tree). */
export async function cgroupHierarchies(): Promise<string[]> {
  return (await MountTable.read()).entries
    .filter((e) => e.fsType === 'cgroup' || e.fsType === 'cgroup2')
    .map((e) => e.mountPoint);
}

/** The folders named `name` at the top of each cgroup hierarchy that exist now. */
export async function cgroupsNamed(name: string): Promise<string[]> {
  const found: string[] = [];
  for (const hierarchy of await cgroupHierarchies()) {
    const dir = join(hierarchy, name);
    if (await readdir(dir).then(() => true, () => false)) found.push(dir);
  }
  return found;
}

/**
 * Makes the cgroup `name` at the top of every hierarchy (the kubelet wants its cgroupRoot to
 * exist in each). A new cpuset cgroup starts with no CPUs and no memory nodes, which no
 * process can join: it gets its parent's.
 */
export async function createCgroupTree(name: string): Promise<void> {
  for (const hierarchy of await cgroupHierarchies()) {
    const dir = join(hierarchy, name);
    await mkdir(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = await readFile(join(hierarchy, file), 'utf8').catch(() => undefined);
      if (parent !== undefined) await writeFile(join(dir, file), parent.trim() || '\n');
    }
  }
}

async function removeCgroupDir(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeCgroupDir(join(dir, e.name));
  // Anything still in it was started under our cgroup, by our kubelet or containerd.
  const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const pid of procs.split('\n').filter((p) => /^\d+$/.test(p))) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await rmdir(dir);
}

/** Kills what is left in the cgroup subtree `name` of every hierarchy and removes it. */
export async function removeCgroupTree(name: string): Promise<string[]> {
  const failed: string[] = [];
  for (const dir of await cgroupsNamed(name)) {
    await removeCgroupDir(dir).catch((err: unknown) => failed.push(`${dir}: ${err instanceof Error ? err.message : String(err)}`));
  }
  return failed;
}

/**
 * The kernel settings the kubelet's container manager rewrites at start-up (it does unless
 * protectKernelDefaults is set, which would instead refuse to start on this host's values).
 */
export const KUBELET_SYSCTLS = [
  'vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes',
] as const;

export type SysctlValues = Readonly<Record<string, string>>;

export async function readSysctls(names: readonly string[]): Promise<SysctlValues> {
  const values: Record<string, string> = {};
  for (const name of names) values[name] = (await readFile(join('/proc/sys', name), 'utf8')).trim();
  return values;
}

/** Writes back the values that differ now; returns the names it changed. */
export async function restoreSysctls(saved: SysctlValues): Promise<string[]> {
  const now = await readSysctls(Object.keys(saved));
  const changed = Object.keys(saved).filter((name) => now[name] !== saved[name]);
  for (const name of changed) await writeFile(join('/proc/sys', name), `${saved[name]}\n`);
  return changed;
}

export interface HostProcess {
  readonly pid: number;
  readonly argv: readonly string[];
}

/** Processes whose command line contains `needle` as one argument or inside one (e.g. our socket path). */
export async function processesWithArgument(needle: string): Promise<HostProcess[]> {
  const found: HostProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const raw = await readFile(join('/proc', entry, 'cmdline'), 'utf8').catch(() => '');
    const argv = raw.split('\0').filter((a) => a.length > 0);
    if (argv.some((a) => a.includes(needle))) found.push({ pid: Number(entry), argv });
  }
  return found;
}

/** SIGKILLs each process and waits (up to 10 s) until none of them exists any more. */
export async function killAndWait(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  const until = Date.now() + 10_000;
  while (Date.now() < until && pids.some(isAlive)) await new Promise((r) => setTimeout(r, 50));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Host-wide facts a kubelet test must leave as it found them (its own leftovers are checked by folder). */
export interface HostSnapshot {
  readonly sysctls: SysctlValues;
  /** The top-level cgroups of every hierarchy, as "<hierarchy>/<name>". */
  readonly topCgroups: readonly string[];
  readonly runContainerd: boolean;
  /** The shim sockets in /run/containerd/s (a killed shim leaves its socket). */
  readonly shimSockets: readonly string[];
  /** Which of the paths the kubelet and containerd write outside their configured folders exist. */
  readonly fixedPaths: Readonly<Record<string, boolean>>;
}

/**
 * Paths containerd and the kubelet write whatever their configuration says, parents first:
 * containerd's shim sockets, the kubelet's device-plugin socket and checkpoint (a constant of the
 * device-plugin API) and its legacy container log links (a constant of the kubelet).
 */
export const FIXED_HOST_PATHS = [
  '/run/containerd', '/run/containerd/s',
  '/var/lib/kubelet', '/var/lib/kubelet/device-plugins',
  '/var/lib/kubelet/device-plugins/kubelet.sock', '/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint',
  '/var/log/containers',
] as const;

export async function hostSnapshot(): Promise<HostSnapshot> {
  const topCgroups: string[] = [];
  for (const hierarchy of await cgroupHierarchies()) {
    for (const e of await readdir(hierarchy, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) topCgroups.push(`${hierarchy}/${e.name}`);
    }
  }
  const fixedPaths: Record<string, boolean> = {};
  for (const path of FIXED_HOST_PATHS) fixedPaths[path] = await lstat(path).then(() => true, () => false);
  return {
    sysctls: await readSysctls(KUBELET_SYSCTLS),
    topCgroups: topCgroups.sort(),
    runContainerd: await readdir('/run/containerd').then(() => true, () => false),
    shimSockets: (await readdir('/run/containerd/s').catch(() => [] as string[])).sort(),
    fixedPaths,
  };
}
