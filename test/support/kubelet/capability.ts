// Whether this machine can run the kubelet tests' containers, checked piece by piece so that a
// skip says exactly what was looked at and what was missing. The checks are the preconditions
// of runc and the kubelet here: root, the namespaces runc makes, the overlay filesystem the
// snapshotter mounts, the cgroup controllers the kubelet accounts with, and the installed pieces.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../../../src/node/exec.js';
import { MountTable } from '../../../src/node/mountinfo.js';
import { toolPaths, which } from './tools.js';

export interface CheckResult {
  /** What was checked, in order, e.g. "containerd 1.6.x on PATH". */
  readonly checked: readonly string[];
  /** The checks that failed, each with what was found. */
  readonly missing: readonly string[];
}

/** The skip message of a failed check (undefined when everything was there). */
export function skipMessage(result: CheckResult): string | undefined {
  if (result.missing.length === 0) return undefined;
  return `cannot run containers here: ${result.missing.join('; ')} (checked: ${result.checked.join(', ')})`;
}

type Check = readonly [what: string, probe: () => Promise<string | undefined>];

const CGROUP_V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer'];

async function cgroupProblem(): Promise<string | undefined> {
  const mounts = (await MountTable.read()).entries;
  if (mounts.some((m) => m.fsType === 'cgroup2' && m.mountPoint === '/sys/fs/cgroup')) return undefined;
  const mounted = new Set(mounts.filter((m) => m.fsType === 'cgroup').flatMap((m) => m.superOptions));
  const absent = CGROUP_V1_CONTROLLERS.filter((c) => !mounted.has(c));
  return absent.length === 0 ? undefined : `cgroup controllers not mounted: ${absent.join(', ')}`;
}

async function versionProblem(tool: string, args: readonly string[], series: RegExp): Promise<string | undefined> {
  const path = await which(tool);
  if (!path) return `${tool} is not installed (scripts/install/container-runtime.sh)`;
  const { stdout } = await runCommand(path, args, { timeoutMs: 10_000 });
  return series.test(stdout) ? undefined : `${tool} reports "${stdout.trim().split('\n')[0] ?? ''}", not ${String(series)}`;
}

const fileProblem = (path: string, script: string) => (): Promise<string | undefined> =>
  Promise.resolve(existsSync(path) ? undefined : `${path} is missing (scripts/install/${script})`);

/** The checks for running containers with containerd (no kubelet). */
export const CONTAINER_CHECKS: readonly Check[] = [
  ['root', () => Promise.resolve(process.getuid?.() === 0 ? undefined : 'not running as root')],
  ['Linux', () => Promise.resolve(process.platform === 'linux' ? undefined : `platform is ${process.platform}`)],
  ['mount, pid, ipc and uts namespaces (unshare)', async () => {
    const { exitCode, stderr } = await runCommand('unshare', ['--mount', '--pid', '--ipc', '--uts', '--fork', 'true'],
      { timeoutMs: 10_000, okExitCodes: [1] }).catch((err: unknown) => ({ exitCode: 1, stderr: String(err) }));
    return exitCode === 0 ? undefined : `cannot make namespaces: ${stderr.trim()}`;
  }],
  ['overlay filesystem', async () => ((await readFile('/proc/filesystems', 'utf8')).includes('\toverlay\n')
    ? undefined : 'the kernel has no overlay filesystem')],
  ['cgroup controllers (v2, or v1 cpu/cpuacct/cpuset/memory/pids/devices/freezer)', cgroupProblem],
  ['containerd 1.6.x on PATH', () => versionProblem('containerd', ['--version'], /\s1\.6\.\d+/)],
  ['ctr on PATH', async () => ((await which('ctr')) ? undefined : 'ctr is not installed (scripts/install/container-runtime.sh)')],
  ['runc on PATH', () => versionProblem('runc', ['--version'], /runc version 1\./)],
  ['test images', fileProblem(join(toolPaths.images, 'images.json'), 'node-images.sh')],
];

/** The checks for the kubelet stage: containers, plus the kubelet and the node sidecars. */
export const KUBELET_CHECKS: readonly Check[] = [
  ...CONTAINER_CHECKS,
  ['kubelet', fileProblem(toolPaths.kubelet, 'kubernetes.sh')],
  ['node-driver-registrar', fileProblem(toolPaths.registrar, 'csi-node-sidecars.sh')],
  ['livenessprobe', fileProblem(toolPaths.livenessprobe, 'csi-node-sidecars.sh')],
];

export async function runChecks(checks: readonly Check[]): Promise<CheckResult> {
  const missing: string[] = [];
  for (const [what, probe] of checks) {
    const problem = await probe().catch((err: unknown) => `${what}: ${err instanceof Error ? err.message : String(err)}`);
    if (problem !== undefined) missing.push(problem);
  }
  return { checked: checks.map(([what]) => what), missing };
}
