// Runs the containers of a rendered pod template as processes on this machine, doing for them
// what a kubelet would: each emptyDir becomes a directory, each hostPath volume the path under a
// directory standing for the host's root (the real root "/" for a pod beside a real kubelet; made
// when its type is DirectoryOrCreate or the root is the pod's own, required when Directory on the
// real host), and every mountPath in a container's arguments points there; an env fieldRef reads
// the pod's name, namespace, node or ServiceAccount; the pod's network becomes loopback
// (0.0.0.0:PORT listens on a free 127.0.0.1 port); the pod's ServiceAccount token becomes a
// kubeconfig; POD_NAMESPACE says the namespace the mounted namespace file would; env from an
// optional Secret or ConfigMap key is left out (the harness makes none of those, so a kubelet
// would leave it out too); and a container that exits is started again with a short back-off
// (restartPolicy Always), which is how sidecars recover from a driver restart. The processes
// share the host's mount namespace, which is what a Bidirectional mount propagation gives a
// container for the mounts it makes.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../ports.js';
import type { Supervisor, Supervised } from './processes.js';
import type { Container, PodSpec, Volume } from './types.js';

export interface ContainerCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Environment on top of the container's own env list. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface PodContext {
  /** Host directory of each pod volume, by volume name. */
  readonly volumes: ReadonlyMap<string, string>;
  /** kubeconfig holding a token of the pod's ServiceAccount. */
  readonly kubeconfig: string;
  /** The host directory a container's mountPath stands for, when it mounts a volume there. */
  hostPathOf(container: Container, mountPath: string): string | undefined;
}

/** How to run a container with its (translated) arguments; undefined: not run here (e.g. a kubelet probe helper). */
export type CommandFor = (container: Container, args: readonly string[], pod: PodContext) => ContainerCommand | undefined;

export interface PodRunOptions {
  readonly supervisor: Supervisor;
  /** Name for the state directory and process names, e.g. "ebs-csi-controller". */
  readonly name: string;
  readonly namespace: string;
  readonly spec: PodSpec;
  readonly kubeconfig: string;
  readonly commandFor: CommandFor;
  /** The Node the pod is bound to (spec.nodeName), for env fieldRefs; a DaemonSet pod has one. */
  readonly nodeName?: string;
  /**
   * The directory standing for the host's root, where hostPath volumes are (default: the pod's
   * own). Pods of one node share it; keep it short, as a UNIX socket path must stay under 108 bytes.
   * "/" is the machine itself, for a pod beside a real kubelet (whose hostPaths the test chose).
   */
  readonly hostRoot?: string;
}

export interface RunningPod {
  readonly name: string;
  /** Containers that run here, by name. */
  readonly containers: readonly string[];
  readonly volumes: ReadonlyMap<string, string>;
  /** The current process of a container. */
  process(container: string): Supervised;
  /** The arguments a container was started with (mount paths and listen addresses translated). */
  args(container: string): readonly string[];
  /** How often a container has been started again after it exited. */
  restarts(container: string): number;
  /** Everything a container printed, across its restarts (the last 256 KiB of each run). */
  output(container: string): string;
  /** The environment a container runs with (its env list, fieldRefs resolved), e.g. for an exec hook. */
  env(container: string): Readonly<Record<string, string>>;
  /** Signals a container's current process; the pod starts it again when it exits. */
  kill(container: string, signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

const RESTART_BACKOFF_MS = [500, 1000, 2000, 4000];

/** Replaces a container path (a mountPath) at the start of an argument value by its host directory. */
function mapMounts(arg: string, mounts: readonly { readonly from: string; readonly to: string }[]): string {
  let out = arg;
  for (const { from, to } of mounts) {
    out = out.replace(new RegExp(`(^|=|unix://)${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|$)`), `$1${to}`);
  }
  return out;
}

async function translateArgs(container: Container, volumes: ReadonlyMap<string, string>): Promise<string[]> {
  const mounts = (container.volumeMounts ?? []).map((m) => {
    const to = volumes.get(m.name);
    if (!to) throw new Error(`container ${container.name} mounts volume ${m.name}, which the pod does not define`);
    return { from: m.mountPath, to };
  });
  const args: string[] = [];
  for (const arg of container.args ?? []) {
    let mapped = mapMounts(arg, mounts);
    // The pod's own network: a wildcard listener becomes a free loopback port.
    const wildcard = /0\.0\.0\.0:\d+/.exec(mapped);
    if (wildcard) mapped = mapped.replace(wildcard[0], `127.0.0.1:${await freePort()}`);
    args.push(mapped);
  }
  return args;
}

function containerEnv(container: Container, fields: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    const fieldPath = from?.fieldRef?.fieldPath;
    const value = e.value ?? (fieldPath !== undefined ? fields[fieldPath] : undefined);
    if (value !== undefined) env[e.name] = value;
    // No node runs this pod (spec.nodeName) and no optional Secret or ConfigMap exists here: left out.
    else if (fieldPath === 'spec.nodeName' || from?.secretKeyRef?.optional === true || from?.configMapKeyRef?.optional === true) continue;
    else {
      throw new Error(`container ${container.name}: env ${e.name} is neither a literal value, a fieldRef the pod runner knows `
        + `(${Object.entries(fields).filter(([, v]) => v !== undefined).map(([k]) => k).join(', ')}) nor an optional key`);
    }
  }
  return env;
}

/**
 * The host directory of a pod volume: a fresh folder for an emptyDir; for a hostPath, the path
 * under `hostRoot`. Under a root of the pod's own every folder is made; on the real host ("/")
 * only a DirectoryOrCreate one, and a Directory one must exist, as the kubelet checks.
 */
function volumeDir(podName: string, root: string, hostRoot: string, v: Volume): string {
  if (v.emptyDir !== undefined) {
    const dir = join(root, v.name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  if (v.hostPath) {
    const { path, type = '' } = v.hostPath;
    const dir = join(hostRoot, path).replace(/(.)\/+$/, '$1');
    if (hostRoot !== '/' || type === 'DirectoryOrCreate') mkdirSync(dir, { recursive: true });
    else if (type === 'Directory' && !(existsSync(dir) && statSync(dir).isDirectory())) {
      throw new Error(`pod ${podName}: hostPath volume ${v.name} needs the directory ${dir}, which does not exist (as the kubelet would refuse it)`);
    } else if (type !== '' && type !== 'Directory') {
      throw new Error(`pod ${podName}: hostPath volume ${v.name} has type ${type}; the pod runner supports Directory and DirectoryOrCreate`);
    }
    return dir;
  }
  throw new Error(`pod ${podName}: volume ${v.name} is neither an emptyDir nor a hostPath; the pod runner supports only those`);
}

export async function runPod(options: PodRunOptions): Promise<RunningPod> {
  const { supervisor, spec } = options;
  const root = join(supervisor.stateDir, options.name);
  const volumes = new Map<string, string>();
  for (const v of spec.volumes ?? []) volumes.set(v.name, volumeDir(options.name, root, options.hostRoot ?? join(root, 'host'), v));
  const context: PodContext = {
    volumes, kubeconfig: options.kubeconfig,
    hostPathOf: (container, mountPath) => {
      const mount = (container.volumeMounts ?? []).find((m) => m.mountPath.replace(/\/+$/, '') === mountPath.replace(/\/+$/, ''));
      return mount ? volumes.get(mount.name) : undefined;
    },
  };
  const fields = {
    'metadata.name': options.name, 'metadata.namespace': options.namespace, 'spec.nodeName': options.nodeName,
    'spec.serviceAccountName': spec.serviceAccountName,
  };
  const envOf = (container: Container): Record<string, string> => ({ POD_NAMESPACE: options.namespace, ...containerEnv(container, fields) });

  interface Slot { process: Supervised; args: readonly string[]; restarts: number; previous: string; timer?: NodeJS.Timeout }
  const slots = new Map<string, Slot>();
  let stopping = false;

  const start = async (container: Container): Promise<void> => {
    const args = await translateArgs(container, volumes);
    const command = options.commandFor(container, args, context);
    if (!command) return;
    const launch = (): Supervised => {
      const child = supervisor.spawn({
        name: `${options.name}-${container.name}`,
        file: command.file,
        args: command.args,
        env: { ...envOf(container), ...command.env },
      });
      void child.exited.then(() => {
        const slot = slots.get(container.name);
        if (stopping || !slot || slot.process !== child) return;
        const delay = RESTART_BACKOFF_MS[Math.min(slot.restarts, RESTART_BACKOFF_MS.length - 1)] ?? 4000;
        slot.timer = setTimeout(() => {
          if (stopping || supervisor.stopped) return;
          slot.previous = (slot.previous + child.output()).slice(-1024 * 1024);
          slot.restarts += 1;
          slot.process = launch();
        }, delay);
      });
      return child;
    };
    slots.set(container.name, { process: launch(), args: command.args, restarts: 0, previous: '' });
  };
  for (const container of spec.containers) await start(container);

  const slot = (container: string): Slot => {
    const s = slots.get(container);
    if (!s) throw new Error(`pod ${options.name} runs no container ${container} (it runs ${[...slots.keys()].join(', ')})`);
    return s;
  };
  return {
    name: options.name,
    containers: [...slots.keys()],
    volumes,
    process: (c) => slot(c).process,
    args: (c) => slot(c).args,
    restarts: (c) => slot(c).restarts,
    output: (c) => slot(c).previous + slot(c).process.output(),
    env: (c) => {
      const container = spec.containers.find((k) => k.name === c);
      if (!container) throw new Error(`pod ${options.name} has no container ${c}`);
      return envOf(container);
    },
    kill: (c, signal) => slot(c).process.kill(signal),
    stop: async () => {
      stopping = true;
      for (const s of slots.values()) clearTimeout(s.timer);
      await Promise.all([...slots.values()].map((s) => s.process.stop()));
    },
  };
}
