// The chart's node DaemonSet pod for one Node, run as processes: the driver container (the bundle,
// started as the image starts it) with exactly the arguments and environment the rendered
// DaemonSet gives it, authenticated with a token of the DaemonSet's ServiceAccount, so the chart's
// node ClusterRole is what allows or refuses each call; and its preStop hook, run the way kubelet
// runs an exec hook (the container's command and environment). Without a kubelet the registrar
// and livenessprobe sidecars, kubelet's helpers, are left out and a test plays kubelet's part of
// the registration by writing the CSINode (registerOnCsiNode); beside a real kubelet
// (test/support/kubelet/node-plugin.ts) the caller runs them (`sidecars`) on the real host (`hostRoot`).
import { join } from 'node:path';
import { connectCsi, type CsiClients } from '../csi-client.js';
import { driverMain } from '../driver.js';
import { imageRuntime } from '../image-runtime.js';
import type { KubeClient } from './client.js';
import type { ControlPlane } from './control-plane.js';
import { DRIVER_CONTAINER } from './controller.js';
import { runPod, type CommandFor, type RunningPod } from './pod-runner.js';
import type { Supervised, Supervisor } from './processes.js';
import type { Container, KubeObject, Workload } from './types.js';

/** Where the image keeps the bundle its ENTRYPOINT runs (Dockerfile, chart's ebs.driverCommand). */
const IMAGE_BUNDLE = '/app/dist/bundle/ebs-csi-driver.mjs';

export interface NodePluginOptions {
  readonly controlPlane: ControlPlane;
  readonly supervisor: Supervisor;
  /** The chart's rendered node DaemonSet. */
  readonly daemonSet: Workload;
  /** The Node this pod runs on (the DaemonSet's spec.nodeName, hence CSI_NODE_NAME). */
  readonly nodeName: string;
  /**
   * What the machine gives the container that the chart cannot know: here the endpoint of the
   * node's own metadata service (each EC2 instance sees its own at one link-local address).
   */
  readonly hostEnv?: Readonly<Record<string, string>>;
  /** Wait until the plugin answers Probe (default true; false for a plugin expected to fail). */
  readonly waitReady?: boolean;
  /** Where the pod's hostPath volumes are (default a short folder of the test's own; "/" beside a real kubelet). */
  readonly hostRoot?: string;
  /** How to run the containers other than the driver (default: none of them runs). */
  readonly sidecars?: CommandFor;
}

export interface NodePlugin {
  readonly pod: RunningPod;
  readonly csi: CsiClients;
  /** What the driver container printed so far. */
  output(): string;
  /** Starts the container's preStop hook as kubelet would; resolves once it is running. */
  preStop(): PreStopRun;
  stop(): Promise<void>;
}

export interface PreStopRun {
  readonly process: Supervised;
  /** Date.now() when it was started. */
  readonly startedAt: number;
  /** Resolves with the exit code and Date.now() at exit. */
  readonly done: Promise<{ readonly code: number | null; readonly at: number }>;
}

function driverContainer(daemonSet: Workload): Container {
  const container = daemonSet.spec.template.spec.containers.find((c) => c.name === DRIVER_CONTAINER);
  if (!container) throw new Error(`the node DaemonSet has no ${DRIVER_CONTAINER} container`);
  return container;
}

/**
 * The image's command line for a hook or command the chart gives as the image's own ENTRYPOINT
 * followed by the driver's arguments → those arguments. Fails when the chart's command is not the
 * image's, since then this would run something else than a cluster runs.
 */
export function driverArgsOf(command: readonly string[]): readonly string[] {
  const image = imageRuntime();
  const entrypoint = ['node', ...image.nodeArgs, IMAGE_BUNDLE];
  if (JSON.stringify(command.slice(0, entrypoint.length)) !== JSON.stringify(entrypoint)) {
    throw new Error(`the command ${JSON.stringify(command)} does not start with the image's ENTRYPOINT ${JSON.stringify(entrypoint)}`);
  }
  return command.slice(entrypoint.length);
}

/** Short host directories (n1, n2 …): the plugin's socket path must stay under 108 bytes. */
let hosts = 0;

export async function startNodePlugin(options: NodePluginOptions): Promise<NodePlugin> {
  const { controlPlane, supervisor, daemonSet, nodeName } = options;
  const spec = daemonSet.spec.template.spec;
  const namespace = daemonSet.metadata.namespace ?? 'default';
  if (!spec.serviceAccountName) throw new Error('the node DaemonSet names no serviceAccountName');
  const kubeconfig = await controlPlane.serviceAccountKubeconfig(namespace, spec.serviceAccountName);
  const image = imageRuntime();
  const hostEnv = options.hostEnv ?? {};
  const pod = await runPod({
    supervisor, name: `${daemonSet.metadata.name}-${nodeName}`, namespace, spec, kubeconfig, nodeName,
    hostRoot: options.hostRoot ?? join(supervisor.stateDir, `n${hosts += 1}`),
    // The pod's token reaches the driver as a kubeconfig, as for every container the harness runs.
    commandFor: (container, args, context) => (container.name === DRIVER_CONTAINER
      ? { file: process.execPath, args: [...image.nodeArgs, driverMain, ...args, `--kubeconfig=${kubeconfig}`], env: { ...image.env, ...hostEnv } }
      : options.sidecars?.(container, args, context)),
  });
  const pluginDir = pod.volumes.get('plugin-dir');
  if (!pluginDir) throw new Error('the node DaemonSet has no plugin-dir volume');
  const csi = connectCsi(join(pluginDir, 'csi.sock'));
  const output = (): string => pod.output(DRIVER_CONTAINER);
  const stop = async (): Promise<void> => {
    csi.close();
    await pod.stop();
  };
  if (options.waitReady !== false) {
    // Fails at the first exit (the pod would start it again and again) rather than at the timeout.
    const until = Date.now() + 30_000;
    let problem: string | undefined;
    for (;;) {
      if (pod.restarts(DRIVER_CONTAINER) > 0 || !pod.process(DRIVER_CONTAINER).running()) problem = 'the node plugin exited';
      else if ((await csi.identity.Probe({}, 2000).catch(() => undefined))?.ready?.value === true) break;
      else if (Date.now() > until) problem = 'timed out after 30 s waiting for the node plugin to answer Probe';
      if (problem !== undefined) {
        const text = `${nodeName}: ${problem}\n--- ${DRIVER_CONTAINER} output (tail) ---\n${output().slice(-4000)}`;
        await stop();
        throw new Error(text);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const preStop = (): PreStopRun => {
    const command = driverContainer(daemonSet).lifecycle?.preStop?.exec?.command;
    if (!command) throw new Error('the node DaemonSet\'s driver container has no preStop exec hook');
    const startedAt = Date.now();
    const child = supervisor.spawn({
      name: `${daemonSet.metadata.name}-${nodeName}-pre-stop-${startedAt}`,
      file: process.execPath,
      args: [...image.nodeArgs, driverMain, ...driverArgsOf(command), `--kubeconfig=${kubeconfig}`],
      env: { ...pod.env(DRIVER_CONTAINER), ...image.env, ...hostEnv },
    });
    return { process: child, startedAt, done: child.exited.then((e) => ({ code: e.code, at: Date.now() })) };
  };
  return { pod, csi, output, preStop, stop };
}

/**
 * kubelet's part of a plugin registration: once node-driver-registrar has told it about the
 * plugin, kubelet calls NodeGetInfo and writes the driver into the Node's CSINode (creating the
 * CSINode when the Node has none yet).
 */
export async function registerOnCsiNode(admin: KubeClient, nodeName: string, driver: { readonly name: string; readonly nodeId: string; readonly topologyKeys: readonly string[]; readonly count?: number }): Promise<void> {
  const entry = { name: driver.name, nodeID: driver.nodeId, topologyKeys: [...driver.topologyKeys], ...(driver.count !== undefined ? { allocatable: { count: driver.count } } : {}) };
  const ref = { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', name: nodeName };
  const existing = await admin.find<KubeObject & { spec?: { drivers?: unknown[] } }>(ref);
  if (!existing) {
    await admin.create({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: nodeName }, spec: { drivers: [entry] } } as KubeObject);
    return;
  }
  await admin.patch(ref, { spec: { drivers: [...(existing.spec?.drivers ?? []), entry] } });
}
