// A containerd of a test's own: its root, state, socket, runc state and CNI folders all live
// in the folder it is given, its containers' cgroups under the cgroup name it is given, and
// the test images (tools.ts) are imported before it is handed over. `stop` removes what it
// ran: tasks, containers, shims, mounts (snapshots, sandbox shm) and the folder's contents.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type ExecResult } from '../../../src/node/exec.js';
import { logTail } from './log-tail.js';
import { waitWhileRunning } from './wait.js';
import { killAndWait, processesWithArgument, removeEmptyFolders, unmountUnder, type HostProcess } from './host.js';
import type { TestImages } from './tools.js';

/** The namespace the kubelet's CRI calls use; ctr must name it to see the kubelet's pods. */
export const CRI_NAMESPACE = 'k8s.io';

export interface ContainerdPaths {
  readonly dir: string;
  readonly socket: string;
  readonly root: string;
  readonly state: string;
  readonly runcRoot: string;
  readonly config: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    dir, socket: join(dir, 'containerd.sock'), root: join(dir, 'root'), state: join(dir, 'state'),
    runcRoot: join(dir, 'runc'), config: join(dir, 'config.toml'),
  };
}

const toml = (value: string): string => JSON.stringify(value);

/**
 * containerd 1.6's config (format version 2) for a kubelet on this kind of machine:
 * - sandbox_image names the locally imported pause image (anything else would be pulled);
 * - restrict_oom_score_adj: the kubelet asks for oom_score_adj values below the current one,
 *   which needs CAP_SYS_RESOURCE, missing here; containerd then clamps instead of failing;
 * - cgroupfs, not systemd, manages cgroups (no systemd runs here); the kubelet matches it;
 * - runc keeps its state and containerd its CNI folders inside `dir`, not under /run and /etc.
 */
export function containerdConfig(paths: ContainerdPaths, options: { sandboxImage: string; runc: string }): string {
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${toml(paths.root)}
state = ${toml(paths.state)}
# Snapshotters and tracing this machine has no use for; fewer plugins, quieter start.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${toml(paths.socket)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${toml(join(paths.dir, 'opt'))}

${cri}]
  sandbox_image = ${toml(options.sandboxImage)}
  restrict_oom_score_adj = true
  enable_selinux = false
  ${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    ${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      ${cri}.containerd.runtimes.runc.options]
        BinaryName = ${toml(options.runc)}
        Root = ${toml(paths.runcRoot)}
        SystemdCgroup = false
  ${cri}.cni]
    bin_dir = ${toml(join(paths.dir, 'cni', 'bin'))}
    conf_dir = ${toml(join(paths.dir, 'cni', 'net.d'))}
`;
}

/** The pod network's name in the CNI configuration (see hostNetworkOnlyCni). */
export const HOST_NETWORK_ONLY = 'host-network-only';

/**
 * The CNI configuration of a node whose pods all use the host's network. containerd reports its
 * runtime network ready, and the kubelet its Node Ready, only once a CNI configuration is loaded;
 * without one the Node stays NotReady, the node lifecycle controller taints it and the scheduler
 * places nothing there. hostNetwork pods never call CNI, so the plugin it names is never run: it
 * does not exist (bin_dir is the workspace's empty folder), and a pod that asks for a network of
 * its own fails at sandbox set-up with "failed to find plugin \"host-network-only\"". No bridge,
 * address or route is made on the host.
 */
export function hostNetworkOnlyCni(): string {
  return `${JSON.stringify({ cniVersion: '1.0.0', name: HOST_NETWORK_ONLY, plugins: [{ type: HOST_NETWORK_ONLY }] }, null, 2)}\n`;
}

export interface Containerd {
  readonly paths: ContainerdPaths;
  readonly socket: string;
  /** The CRI endpoint the kubelet is given. */
  readonly endpoint: string;
  readonly pid: number;
  /** Runs ctr against this containerd (namespace k8s.io unless the args name another). */
  ctr(args: readonly string[], options?: { namespace?: string; timeoutMs?: number; okExitCodes?: readonly number[] }): Promise<ExecResult>;
  /** What containerd logged so far. */
  output(): string;
  /** Removes every container and task, stops containerd and its shims, unmounts what they left. */
  stop(): Promise<void>;
}

export interface ContainerdOptions {
  readonly dir: string;
  readonly images: TestImages;
  readonly containerd: string;
  readonly ctr: string;
  readonly runc: string;
}

/**
 * Host folders containerd 1.6 makes whatever its config says: the shims' sockets and CRI's
 * stdio FIFOs. Those a run made, it removes once they are empty again (found on a new machine,
 * where the first run left /run/containerd behind).
 */
const HOST_FOLDERS = ['/run/containerd', '/run/containerd/s', '/run/containerd/fifo'] as const;

export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  const paths = containerdPaths(options.dir);
  const madeByThisRun = HOST_FOLDERS.filter((folder) => !existsSync(folder));
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.config, containerdConfig(paths, { sandboxImage: options.images.pause.name, runc: options.runc }));
  const cniConfDir = join(paths.dir, 'cni', 'net.d');
  await mkdir(cniConfDir, { recursive: true });
  await mkdir(join(paths.dir, 'cni', 'bin'), { recursive: true });
  await writeFile(join(cniConfDir, `10-${HOST_NETWORK_ONLY}.conflist`), hostNetworkOnlyCni());
  // A log file, not a pipe: a Go program writing to a pipe nobody reads dies of SIGPIPE, and
  // containerd must outlive a killed test exactly as it would in a cluster, to be cleaned up.
  const log = join(paths.dir, 'containerd.log');
  const logFd = openSync(log, 'a');
  const child = spawn(options.containerd, ['--config', paths.config, '--log-level', 'info'], {
    stdio: ['ignore', logFd, logFd],
    // Its own process group: a test runner's Ctrl-C reaches the test, which stops containerd in order.
    detached: true,
  });
  closeSync(logFd);
  const output = (): string => logTail(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ctr: Containerd['ctr'] = (args, ctrOptions = {}) => runCommand(options.ctr,
    ['--address', paths.socket, '--namespace', ctrOptions.namespace ?? CRI_NAMESPACE, ...args],
    { timeoutMs: ctrOptions.timeoutMs ?? 60_000, ...(ctrOptions.okExitCodes ? { okExitCodes: ctrOptions.okExitCodes } : {}) });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await removeAllContainers(ctr).catch(() => undefined);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      // A shim outlives containerd by design; ours carry our socket in their arguments.
      await killProcessesAndShimSockets(await processesWithArgument(paths.socket));
      const left = await unmountUnder(paths.dir);
      if (left.length > 0) throw new Error(`containerd left mounts that would not unmount: ${left.join(', ')}`);
      await removeEmptyFolders(madeByThisRun);
    })();
    return stopped;
  };

  try {
    await waitWhileRunning(`containerd on ${paths.socket}`,
      async () => (await ctr(['version'], { timeoutMs: 5000, okExitCodes: [1] })).exitCode === 0,
      exited, () => `containerd exited with ${String(child.exitCode ?? child.signalCode)}`, 30_000);
    for (const image of [options.images.pause, options.images.busybox]) {
      await ctr(['images', 'import', '--all-platforms', image.archive], { timeoutMs: 120_000 });
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- containerd output ---\n${output().slice(-4000)}`);
  }
  return {
    paths, socket: paths.socket, endpoint: `unix://${paths.socket}`, pid: child.pid ?? 0,
    ctr, output, stop,
  };
}

const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);

/** Kills every task and deletes every container in every namespace of this containerd. */
async function removeAllContainers(ctr: Containerd['ctr']): Promise<void> {
  for (const namespace of lines((await ctr(['namespaces', 'list', '--quiet'])).stdout)) {
    for (const task of lines((await ctr(['tasks', 'list', '--quiet'], { namespace })).stdout)) {
      await ctr(['tasks', 'kill', '--all', '--signal', 'SIGKILL', task], { namespace, okExitCodes: [1] });
      await ctr(['tasks', 'delete', '--force', task], { namespace, okExitCodes: [1] });
    }
    for (const container of lines((await ctr(['containers', 'list', '--quiet'], { namespace })).stdout)) {
      await ctr(['containers', 'delete', container], { namespace, okExitCodes: [1] });
    }
  }
}

/**
 * Where a runc shim listens: containerd 1.6 puts every shim's socket in /run/containerd/s,
 * whatever its config says, named by the SHA-256 of "<containerd address>/<namespace>/<id>".
 * A shim removes it when it exits normally; a killed one leaves it.
 */
export function shimSocketOf(argv: readonly string[]): string | undefined {
  if (!/containerd-shim/.test(argv[0] ?? '')) return undefined;
  const flag = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const [namespace, id, address] = [flag('-namespace'), flag('-id'), flag('-address')];
  if (!namespace || !id || !address) return undefined;
  return `/run/containerd/s/${createHash('sha256').update(join(address, namespace, id)).digest('hex')}`;
}

/** SIGKILLs the processes and removes the sockets the shims among them leave behind. */
export async function killProcessesAndShimSockets(processes: readonly HostProcess[]): Promise<void> {
  const sockets = processes.flatMap((p) => shimSocketOf(p.argv) ?? []);
  await killAndWait(processes.map((p) => p.pid));
  for (const socket of sockets) await rm(socket, { force: true });
}
