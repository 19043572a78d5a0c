// A real kubelet joined to the e2e control plane, with the driver on both sides: the chart's
// controller Deployment (kube harness) talks to EC2 through the local data plane, which backs the
// volumes EC2 attaches to the kubelet's instance with loop devices and NVMe-style by-id links;
// the kubelet (containerd, runc, the local images) registers its Node with the start-up taint;
// the chart's node DaemonSet pod (node-plugin.ts) registers the driver through the kubelet's
// plugin registry. Everything that lands on the host goes into one kubelet workspace
// (workspace.ts): the kubelet's root directory, containerd's state, the data plane's volume files
// and device records. `stop` takes it all down in dependency order and returns what would not go.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { startDataPlane, type DataPlane } from '../../../local/dataplane/index.js';
import { startImds, type RunningImds } from '../../../local/imds/index.js';
import type { ExecResult } from '../../../src/node/exec.js';
import type { ChartValues } from '../kube/chart.js';
import { refOf, type KubeClient } from '../kube/client.js';
import { DRIVER_NAME, startDriverCluster, type DriverCluster } from '../kube/cluster.js';
import { writeKubeconfig } from '../kube/kubeconfig.js';
import { issueNodeCertificate } from '../kube/pki.js';
import type { RunningPod } from '../kube/pod-runner.js';
import type { KubeObject, ObjectRef } from '../kube/types.js';
import { REGION } from '../moto.js';
import { waitFor } from '../ports.js';
import { httpsGet, type HttpsAnswer } from './https-get.js';
import { startTestNode, type TestNode } from './node.js';
import { startNodePluginPod } from './node-plugin.js';
import { KUBELET_VERSION } from './tools.js';
import type { Taint } from './kubelet-config.js';
import { DATA_PLANE_DIR, openWorkspace, type Workspace } from './workspace.js';

/** The start-up taint operators put on new nodes (docs/helm.md); the kubelet registers its Node with it. */
export const STARTUP_TAINT: Taint = { key: 'ebs.csi.aws.com/agent-not-ready', effect: 'NoExecute' };

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface KubeNodeObject extends KubeObject {
  readonly spec?: { readonly taints?: readonly NodeTaint[]; readonly providerID?: string };
  readonly status?: {
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
    readonly volumesAttached?: readonly { readonly name: string; readonly devicePath?: string }[];
    readonly volumesInUse?: readonly string[];
  };
}

export interface CsiNodeObject extends KubeObject {
  readonly spec: {
    readonly drivers?: readonly {
      readonly name: string;
      readonly nodeID: string;
      readonly topologyKeys?: readonly string[];
      readonly allocatable?: { readonly count?: number };
    }[];
  };
}

/** What the API server showed, polled every 100 ms, from the kubelet's start to the taint's removal. */
export interface RegistrationTimeline {
  /** Milliseconds since the kubelet started when its Node first showed, and that Node's taints then. */
  nodeSeenAtMs?: number;
  taintsAtRegistration?: readonly NodeTaint[];
  /** When the CSINode first listed the driver (the kubelet registered it). */
  driverRegisteredAtMs?: number;
  /** When the Node first showed without the start-up taint, having had it. */
  taintGoneAtMs?: number;
  /** When the node plugin's processes were started. */
  pluginStartedAtMs?: number;
}

export interface SeenDevice {
  readonly volumeId: string;
  readonly loopDevice: string;
  readonly links: readonly string[];
}

export interface KubeletClusterOptions {
  /** Chart values on top of the harness's (storage classes, say). */
  readonly values?: ChartValues;
  readonly zone?: string;
}

export interface KubeletCluster {
  readonly cluster: DriverCluster;
  readonly admin: KubeClient;
  readonly workspace: Workspace;
  readonly node: TestNode;
  readonly nodeName: string;
  readonly instanceId: string;
  readonly zone: string;
  readonly dataPlane: DataPlane;
  readonly nodePlugin: RunningPod;
  readonly registration: RegistrationTimeline;
  /** Every device the data plane gave a volume during the run (loop device and links), for the leak check. */
  devicesSeen(): readonly SeenDevice[];
  /** Resolves once the start-up taint is gone (or rejects after `timeoutMs`). */
  taintGone(timeoutMs: number): Promise<void>;
  /** A GET on the kubelet's own API as the cluster admin (client certificate), e.g. /metrics. */
  kubeletGet(path: string): Promise<HttpsAnswer>;
  /** Runs a command in a pod's container through the test containerd (`kubectl exec` cannot reach a loopback kubelet). */
  execInPod(ref: ObjectRef, argv: readonly string[], options?: { container?: string; okExitCodes?: readonly number[] }): Promise<ExecResult>;
  /** The tail of the logs of the kubelet, the node plugin's containers and the data plane, for failure messages. */
  diagnostics(): string;
  /** Stops everything; resolves what could not be cleaned up (nothing, normally). */
  stop(): Promise<string[]>;
}

interface PodStatusView extends KubeObject {
  readonly status?: { readonly containerStatuses?: readonly { readonly name: string; readonly containerID?: string }[] };
}

function startRegistrationWatch(admin: KubeClient, nodeName: string, startedAt: number, timeline: RegistrationTimeline): { stop(): void; done: Promise<void> } {
  let stopped = false;
  const done = (async () => {
    while (!stopped && timeline.taintGoneAtMs === undefined) {
      const at = Date.now() - startedAt;
      const [node, csiNode] = await Promise.all([
        admin.find<KubeNodeObject>({ apiVersion: 'v1', kind: 'Node', name: nodeName }).catch(() => undefined),
        admin.find<CsiNodeObject>({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', name: nodeName }).catch(() => undefined),
      ]);
      const taints = node?.spec?.taints ?? [];
      if (node && timeline.nodeSeenAtMs === undefined) {
        timeline.nodeSeenAtMs = at;
        timeline.taintsAtRegistration = taints;
      }
      if (timeline.driverRegisteredAtMs === undefined && csiNode?.spec.drivers?.some((d) => d.name === DRIVER_NAME)) timeline.driverRegisteredAtMs = at;
      if (node && timeline.taintsAtRegistration?.some((t) => t.key === STARTUP_TAINT.key) && !taints.some((t) => t.key === STARTUP_TAINT.key)) {
        timeline.taintGoneAtMs = at;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { stop: () => { stopped = true; }, done };
}

export async function startKubeletCluster(options: KubeletClusterOptions = {}): Promise<KubeletCluster> {
  const zone = options.zone ?? `${REGION}a`;
  // First the machine's kubelet-test lock (another run may hold it), then everything else.
  const workspace = await openWorkspace();
  const undo: (() => Promise<unknown>)[] = [];
  const problems: string[] = [];
  const stop = async (): Promise<string[]> => {
    while (undo.length > 0) {
      await undo.pop()?.().catch((err: unknown) => problems.push(err instanceof Error ? err.message : String(err)));
    }
    return [...problems, ...await workspace.close()];
  };
  try {
    const rootDir = workspace.path('kubelet');
    const dataPlaneLog = workspace.path('dataplane.log');
    let dataPlane: DataPlane | undefined;
    let imds: RunningImds | undefined;
    const cluster = await startDriverCluster({
      version: KUBELET_VERSION,
      zones: [zone],
      registerNodes: false,
      nodeLifecycle: true,
      snapshotController: false,
      ...(options.values ? { values: options.values } : {}),
      ec2Front: async (moto, instances) => {
        const instanceId = instances[0]?.instanceId ?? '';
        dataPlane = await startDataPlane({
          upstream: moto.endpoint, instanceId, stateDir: workspace.path(DATA_PLANE_DIR), reconcileIntervalMs: 1000,
          // A Nitro node: each volume gets only its by-id link, which names it. The /dev/xvdXX names are
          // machine-wide, and another test's data plane on this host may point them at its own volumes.
          deviceNameLinks: false,
          log: pino({ level: 'info', base: undefined }, pino.destination({ dest: dataPlaneLog, sync: true, mkdir: true })),
        });
        imds = await startImds({ emulator: moto.endpoint, instanceId, region: REGION });
        const [plane, metadata] = [dataPlane, imds];
        return {
          endpoint: plane.endpoint,
          values: {
            node: {
              // The kubelet's root directory is the workspace's: the DaemonSet's hostPaths follow it.
              kubeletPath: rootDir,
              env: [
                { name: 'AWS_EC2_METADATA_SERVICE_ENDPOINT', value: metadata.endpoint },
                // The node plugin takes a loop device for a volume only when it is backed by the
                // data plane's file of that volume (the local environment's volume directory).
                { name: 'EBS_LOCAL_VOLUMES_DIR', value: plane.hypervisor.store.volumesDir },
              ],
            },
          },
          stop: async () => {
            await metadata.stop();
            await plane.stop();
          },
        };
      },
    });
    undo.push(() => cluster.stop());
    if (!dataPlane || !imds) throw new Error('the cluster started without its data plane');
    const seen = new Map<string, SeenDevice>();
    const hypervisor = dataPlane.hypervisor;
    const recordDevices = (): void => {
      for (const volumeId of hypervisor.attachedVolumes()) {
        const r = hypervisor.record(volumeId);
        if (r) seen.set(`${volumeId} ${r.loopDevice}`, { volumeId, loopDevice: r.loopDevice, links: r.links });
      }
    };
    const deviceTimer = setInterval(recordDevices, 200);
    undo.push(() => Promise.resolve(clearInterval(deviceTimer)));
    const instanceId = cluster.instances[0]?.instanceId ?? '';
    // The Node is named as on EKS, after the instance's private DNS name; the CSINode maps it to the instance.
    const nodeName = imds.facts.privateDnsName || `ip-${randomBytes(3).toString('hex')}.ec2.internal`;
    const { admin, controlPlane } = cluster;

    const credentials = await issueNodeCertificate(controlPlane.pki, nodeName);
    const kubeconfig = writeKubeconfig(workspace.path('kubelet.kubeconfig'), controlPlane.server, controlPlane.pki.ca,
      { clientCertificate: credentials.cert, clientKey: credentials.key });
    const startedAt = Date.now();
    const timeline: RegistrationTimeline = {};
    const watch = startRegistrationWatch(admin, nodeName, startedAt, timeline);
    undo.push(async () => { watch.stop(); await watch.done; });
    const node = await startTestNode({
      workspace, nodeName, kubeconfig, clientCAFile: controlPlane.pki.ca,
      providerID: `aws:///${zone}/${instanceId}`, registerWithTaints: [STARTUP_TAINT],
    });
    undo.push(async () => { problems.push(...await node.stop()); });

    // As a DaemonSet's pod would be: bound to the Node once the kubelet has registered it.
    await waitFor(`the kubelet to register Node ${nodeName}`, () => Promise.resolve(timeline.nodeSeenAtMs !== undefined), 60_000)
      .catch((err: unknown) => { throw new Error(`${String(err)}\n--- kubelet (tail) ---\n${node.kubelet.output().slice(-4000)}`); });
    timeline.pluginStartedAtMs = Date.now() - startedAt;
    // Resolves once the driver answers Probe on its socket.
    const plugin = await startNodePluginPod({ controlPlane, supervisor: cluster.supervisor, daemonSet: cluster.chart.node, nodeName });
    undo.push(() => plugin.stop());
    const nodePlugin = plugin.pod;

    const tls = await node.kubelet.servingTls();
    const [adminCert, adminKey] = await Promise.all([readFile(controlPlane.pki.admin.cert, 'utf8'), readFile(controlPlane.pki.admin.key, 'utf8')]);
    const diagnostics = (): string => [
      ...nodePlugin.containers.map((c) => `--- ${c} (restarts ${nodePlugin.restarts(c)}, tail) ---\n${nodePlugin.output(c).slice(-2500)}`),
      `--- kubelet (tail) ---\n${node.kubelet.output().slice(-5000)}`,
    ].join('\n');
    return {
      cluster, admin, workspace, node, nodeName, instanceId, zone, dataPlane, nodePlugin, registration: timeline,
      devicesSeen: () => { recordDevices(); return [...seen.values()]; },
      taintGone: (timeoutMs) => waitFor('the start-up taint to be removed', () => Promise.resolve(timeline.taintGoneAtMs !== undefined), timeoutMs),
      kubeletGet: (path) => httpsGet(`${node.kubelet.url}${path}`, { ...tls, cert: adminCert, key: adminKey }),
      async execInPod(ref, argv, execOptions = {}) {
        const pod = await admin.get<PodStatusView>(ref);
        const statuses = pod.status?.containerStatuses ?? [];
        const status = execOptions.container ? statuses.find((s) => s.name === execOptions.container) : statuses[0];
        const id = status?.containerID?.replace(/^containerd:\/\//, '');
        if (!id) throw new Error(`pod ${ref.namespace ?? ''}/${ref.name} has no running container${execOptions.container ? ` ${execOptions.container}` : ''}`);
        return node.containerd.ctr(['tasks', 'exec', '--exec-id', `test-${randomBytes(4).toString('hex')}`, id, ...argv],
          { timeoutMs: 60_000, ...(execOptions.okExitCodes ? { okExitCodes: execOptions.okExitCodes } : {}) });
      },
      diagnostics,
      stop,
    };
  } catch (err) {
    const left = await stop();
    const e = err instanceof Error ? err : new Error(String(err));
    if (left.length > 0) e.message += `\n(cleaning up after the failed start: ${left.join('; ')})`;
    throw e;
  }
}

/** Deletes the objects and waits until they are gone (pods go once the kubelet has torn their volumes down). */
export async function deleteAndWait(admin: KubeClient, objects: readonly KubeObject[], timeoutMs = 120_000): Promise<void> {
  for (const o of objects) await admin.delete(refOf(o), { gracePeriodSeconds: 0 });
  for (const o of objects) await admin.waitGone(refOf(o), `${o.kind} ${o.metadata.name} to be deleted`, timeoutMs);
}

export const nodeRootPath = (cluster: KubeletCluster, ...parts: string[]): string => join(cluster.node.rootDir, ...parts);
