// Runs the containers of a rendered pod template as processes on this machine, doing for them
// what a kubelet would: each emptyDir becomes a directory and every mountPath in a container's
// arguments points there; the pod's network becomes loopback (0.0.0.0:PORT listens on a free
// 127.0.0.1 port); the pod's ServiceAccount token becomes a kubeconfig; POD_NAMESPACE says the
// namespace the mounted namespace file would; env from the pod's own fields is filled in, and env
// from an optional Secret or ConfigMap key is left out (the harness makes none of those, so a
// kubelet would leave it out too); and a container that exits is started again with a
// short back-off (restartPolicy Always), which is how sidecars recover from a driver restart.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../ports.js';
import type { Supervisor, Supervised } from './processes.js';
import type { Container, PodSpec } from './types.js';

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
}

export interface RunningPod {
  readonly name: string;
  /** Containers that run here, by name. */
  readonly containers: readonly string[];
  readonly volumes: ReadonlyMap<string, string>;
  /** The current process of a container. */
  process(container: string): Supervised;
  /** How often a container has been started again after it exited. */
  restarts(container: string): number;
  /** Everything a container printed, across its restarts (the last 256 KiB of each run). */
  output(container: string): string;
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

function containerEnv(container: Container, pod: { readonly name: string; readonly namespace: string }): Record<string, string> {
  const env: Record<string, string> = {};
  const fields: Readonly<Record<string, string>> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace };
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (from?.fieldRef && fields[from.fieldRef.fieldPath] !== undefined) env[e.name] = fields[from.fieldRef.fieldPath] ?? '';
    // No node runs this pod (spec.nodeName) and no optional Secret or ConfigMap exists here: left out.
    else if (from?.fieldRef?.fieldPath === 'spec.nodeName' || from?.secretKeyRef?.optional === true || from?.configMapKeyRef?.optional === true) continue;
    else throw new Error(`container ${container.name}: env ${e.name} has no value the pod runner can give (a literal, the pod's own fields, or an optional key)`);
  }
  return env;
}

export async function runPod(options: PodRunOptions): Promise<RunningPod> {
  const { supervisor, spec } = options;
  const root = join(supervisor.stateDir, options.name);
  const volumes = new Map<string, string>();
  for (const v of spec.volumes ?? []) {
    if (v.emptyDir === undefined) throw new Error(`pod ${options.name}: volume ${v.name} is not an emptyDir; the pod runner supports only those`);
    const dir = join(root, v.name);
    mkdirSync(dir, { recursive: true });
    volumes.set(v.name, dir);
  }
  const context: PodContext = { volumes, kubeconfig: options.kubeconfig };

  interface Slot { process: Supervised; restarts: number; previous: string; timer?: NodeJS.Timeout }
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
        env: { POD_NAMESPACE: options.namespace, ...containerEnv(container, { name: options.name, namespace: options.namespace }), ...command.env },
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
    slots.set(container.name, { process: launch(), restarts: 0, previous: '' });
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
    restarts: (c) => slot(c).restarts,
    output: (c) => slot(c).previous + slot(c).process.output(),
    kill: (c, signal) => slot(c).process.kill(signal),
    stop: async () => {
      stopping = true;
      for (const s of slots.values()) clearTimeout(s.timer);
      await Promise.all([...slots.values()].map((s) => s.process.stop()));
    },
  };
}
