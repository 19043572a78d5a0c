// Everything the Kubernetes e2e tests run, in one call: moto (the EC2 emulator) behind the
// counting, fault-injecting proxy; the control plane; a Node and CSINode per emulator instance;
// the snapshot CRDs and snapshot-controller; the chart rendered with test values and applied;
// and the chart's controller Deployment running as processes. One Supervisor owns every process
// and the state directory, so stop() (or any way the test process ends) leaves nothing behind.
// A test with a real kubelet (test/kube/kubelet) leaves the Nodes to it, turns the node lifecycle
// controller on, and puts the local data plane between the proxy and moto (ec2Front).
import type { EC2Client } from '@aws-sdk/client-ec2';
import { startEc2Proxy, type Ec2Proxy } from '../ec2-proxy.js';
import { emulatorOn, motoServerBinary, REGION, type Emulator } from '../moto.js';
import { freePort, waitFor } from '../ports.js';
import { applyAll, mergeValues, renderChart, type ChartValues, type RenderedChart } from './chart.js';
import type { KubeClient } from './client.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startControllerPod, waitForLeaders } from './controller.js';
import { registerNode, type NodeInfo } from './nodes.js';
import type { RunningPod } from './pod-runner.js';
import { Supervisor, type Supervised } from './processes.js';
import { installSnapshotCrds, startSnapshotController } from './snapshot-controller.js';

export const DRIVER_NAME = 'ebs.csi.aws.com';

export interface DriverClusterOptions {
  readonly version: string;
  /** One emulator instance, Node and CSINode per zone (default us-east-1a and us-east-1b). */
  readonly zones?: readonly string[];
  /**
   * Chart values on top of the harness's own (controller.env pointing the driver at the
   * emulator). Use keys both this chart and the reference chart have where possible.
   */
  readonly values?: ChartValues;
  /** Start the controller Deployment's containers (default true). */
  readonly controller?: boolean;
  /**
   * Make a Node and CSINode per instance as a kubelet and node-driver-registrar would (default
   * true); false when a real kubelet registers its Node and the driver on it.
   */
  readonly registerNodes?: boolean;
  /** Run kube-controller-manager's node lifecycle controller (default false; control-plane.ts). */
  readonly nodeLifecycle?: boolean;
  /** Start the snapshot-controller (default true; the snapshot CRDs are installed either way). */
  readonly snapshotController?: boolean;
  /**
   * Called once moto and the instances exist, before the chart is rendered. What it returns stands
   * between the counting proxy and moto (e.g. the local data plane, which gives volumes attached
   * to its instance a device on this host), and its chart values go on top of `values`.
   */
  readonly ec2Front?: (moto: Emulator, instances: readonly ClusterInstance[]) => Promise<Ec2Front>;
}

export interface ClusterInstance {
  readonly instanceId: string;
  readonly zone: string;
}

export interface Ec2Front {
  /** Where the proxy forwards EC2 calls instead of moto. */
  readonly endpoint: string;
  readonly values?: ChartValues;
  stop(): Promise<void>;
}

export interface DriverCluster {
  readonly version: string;
  readonly supervisor: Supervisor;
  readonly controlPlane: ControlPlane;
  readonly admin: KubeClient;
  readonly moto: Emulator;
  /** EC2 client straight to the emulator, for assertions. */
  readonly ec2: EC2Client;
  /** The proxy the driver reaches EC2 through: call counts and injected faults. */
  readonly proxy: Ec2Proxy;
  readonly chart: RenderedChart;
  /** The emulator instances, one per zone. */
  readonly instances: readonly ClusterInstance[];
  /** The Nodes the harness made (none with registerNodes: false). */
  readonly nodes: readonly NodeInfo[];
  readonly controller: RunningPod | undefined;
  readonly snapshotController: Supervised | undefined;
  stop(): Promise<void>;
}

/** moto under the supervisor, or the emulator EC2_ENDPOINT names (e.g. LocalStack), as the other suites do. */
async function startSupervisedMoto(supervisor: Supervisor): Promise<Emulator> {
  const external = process.env.EC2_ENDPOINT;
  if (external) return emulatorOn(external, () => Promise.resolve());
  const port = await freePort();
  const child = supervisor.spawn({ name: 'moto', file: motoServerBinary(), args: ['-H', '127.0.0.1', '-p', String(port)] });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(`moto on ${endpoint}`, async () => {
    if (!child.running()) throw new Error(`moto exited: ${child.output()}`);
    return (await fetch(`${endpoint}/moto-api/data.json`)).ok;
  }, 30_000);
  return emulatorOn(endpoint, async () => { await child.stop(); });
}

/** The driver container's environment for the emulator, as chart values (controller.env). */
export function emulatorControllerEnv(ec2Endpoint: string): { name: string; value: string }[] {
  return [
    { name: 'AWS_REGION', value: REGION },
    { name: 'AWS_ENDPOINT_URL_EC2', value: ec2Endpoint },
    { name: 'AWS_ACCESS_KEY_ID', value: 'testing' },
    { name: 'AWS_SECRET_ACCESS_KEY', value: 'testing' },
    { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
    { name: 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', value: 'true' },
  ];
}

export async function startDriverCluster(options: DriverClusterOptions): Promise<DriverCluster> {
  const supervisor = Supervisor.create(`ebs-csi-kube-${options.version}`);
  let proxy: Ec2Proxy | undefined;
  let moto: Emulator | undefined;
  let controlPlane: ControlPlane | undefined;
  let controller: RunningPod | undefined;
  let front: Ec2Front | undefined;
  const stop = async (): Promise<void> => {
    // The pod first, so that it does not start its containers again as they stop.
    await controller?.stop();
    await controlPlane?.stop();
    await proxy?.stop();
    await front?.stop();
    await moto?.stop();
    await supervisor.stopAll();
  };
  try {
    const emulator = await startSupervisedMoto(supervisor);
    moto = emulator;
    const instances = await Promise.all((options.zones ?? [`${REGION}a`, `${REGION}b`])
      .map(async (zone): Promise<ClusterInstance> => ({ instanceId: await emulator.runInstance(zone), zone })));
    const [plane, madeFront] = await Promise.all([
      startControlPlane({ version: options.version, supervisor, ...(options.nodeLifecycle ? { nodeLifecycle: true } : {}) }),
      options.ec2Front?.(emulator, instances).then((f) => { front = f; return f; }),
    ]);
    controlPlane = plane;
    proxy = await startEc2Proxy(madeFront?.endpoint ?? emulator.endpoint);
    const admin = plane.admin;

    const given = mergeValues(options.values ?? {}, madeFront?.values ?? {});
    const givenController = (given.controller ?? {}) as { env?: unknown[] };
    const values: ChartValues = {
      ...given,
      controller: { ...givenController, env: [...emulatorControllerEnv(proxy.endpoint), ...(givenController.env ?? [])] },
    };
    // The snapshot CRDs first: helm then finds their API on the server, as on a cluster that has them.
    await installSnapshotCrds(admin);
    const chart = await renderChart(supervisor.stateDir, options.version, values, { discoverFrom: plane.adminKubeconfig });
    await applyAll(admin, chart.applied);
    const nodes = options.registerNodes === false ? []
      : await Promise.all(instances.map((i) => registerNode(admin, supervisor, emulator.endpoint, i.instanceId, DRIVER_NAME)));

    const snapshotController = options.snapshotController === false ? undefined : await startSnapshotController(plane, supervisor);
    if (options.controller !== false) {
      controller = await startControllerPod(plane, supervisor, chart.controller);
      await waitForLeaders(admin, controller, chart.controller);
    }
    return {
      version: options.version, supervisor, controlPlane: plane, admin, moto: emulator, ec2: emulator.ec2, proxy, chart, instances, nodes,
      controller, snapshotController, stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
