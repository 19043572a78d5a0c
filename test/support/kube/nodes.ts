// Kubernetes Nodes for emulator instances, made the way a kubelet and node-driver-registrar would
// make them, minus the kubelet: the driver runs in node mode against a local IMDSv2 for the
// instance, NodeGetInfo tells its node id, topology and attach limit, and those become the Node's
// labels and the CSINode's driver entry. The Node is Ready, schedulable, untainted and marks
// attach/detach as controller-managed, so the scheduler places pods on it and the attach/detach
// controller creates VolumeAttachments for them.
import { join } from 'node:path';
import { startImds } from '../../../local/imds/index.js';
import { connectCsi } from '../csi-client.js';
import { driverMain } from '../driver.js';
import { emulatorEnv, REGION } from '../moto.js';
import { waitFor } from '../ports.js';
import type { KubeClient } from './client.js';
import type { Supervisor } from './processes.js';
import type { KubeObject } from './types.js';

export interface NodeInfo {
  readonly name: string;
  readonly instanceId: string;
  readonly zone: string;
  /** NodeGetInfo's accessible topology segments. */
  readonly segments: Readonly<Record<string, string>>;
  readonly maxVolumes: number;
}

/** Asks the driver in node mode, as that instance, for NodeGetInfo. */
export async function nodeGetInfo(supervisor: Supervisor, ec2Endpoint: string, instanceId: string, driverName: string): Promise<{ nodeId: string; segments: Record<string, string>; maxVolumes: number }> {
  const imds = await startImds({ emulator: ec2Endpoint, instanceId, region: REGION });
  const socket = join(supervisor.stateDir, `node-info-${instanceId}.sock`);
  const env: Record<string, string> = { ...emulatorEnv(ec2Endpoint), AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
  // The emulator settings switch instance metadata off (right for the controller); the node reads it.
  delete env.AWS_EC2_METADATA_DISABLED;
  const driver = supervisor.spawn({
    name: `node-info-${instanceId}`, file: process.execPath,
    args: [driverMain, 'node', `--endpoint=unix://${socket}`, `--driver-name=${driverName}`], env,
  });
  const csi = connectCsi(socket);
  try {
    await waitFor(`the node plugin for ${instanceId} to answer Probe`, async () => {
      if (!driver.running()) throw new Error(`the node plugin exited: ${driver.output()}`);
      return (await csi.identity.Probe({}, 2000)).ready?.value === true;
    }, 30_000);
    const info = await csi.node.NodeGetInfo({});
    return { nodeId: info.nodeId, segments: { ...(info.accessibleTopology?.segments ?? {}) }, maxVolumes: Number(info.maxVolumesPerNode) };
  } finally {
    csi.close();
    await driver.stop();
    await imds.stop();
  }
}

/** Creates the Node and CSINode of an emulator instance; the Node is named after the instance. */
export async function registerNode(admin: KubeClient, supervisor: Supervisor, ec2Endpoint: string, instanceId: string, driverName: string): Promise<NodeInfo> {
  const info = await nodeGetInfo(supervisor, ec2Endpoint, instanceId, driverName);
  if (info.nodeId !== instanceId) throw new Error(`NodeGetInfo answered node id ${info.nodeId} for instance ${instanceId}`);
  const zone = info.segments['topology.kubernetes.io/zone'];
  if (!zone) throw new Error(`NodeGetInfo of ${instanceId} has no topology.kubernetes.io/zone segment: ${JSON.stringify(info.segments)}`);
  const name = instanceId;
  const node = {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: { ...info.segments, 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/region': REGION },
      // What a kubelet sets by default: the attach/detach controller attaches for this node.
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { providerID: `aws:///${zone}/${instanceId}` },
  };
  await admin.create(node);
  // Admission taints a new Node not-ready until the (absent) node lifecycle controller sees it Ready.
  await admin.patch({ apiVersion: 'v1', kind: 'Node', name }, { spec: { taints: null } });
  const now = new Date().toISOString();
  const resources = { cpu: '4', memory: '16Gi', pods: '110' };
  await admin.patch({ apiVersion: 'v1', kind: 'Node', name }, {
    status: {
      capacity: resources, allocatable: resources,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'registered by the e2e harness', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  }, 'status');
  const csiNode: KubeObject & { spec: unknown } = {
    apiVersion: 'storage.k8s.io/v1', kind: 'CSINode',
    metadata: { name },
    spec: {
      drivers: [{
        name: driverName, nodeID: info.nodeId, topologyKeys: Object.keys(info.segments).sort(),
        ...(info.maxVolumes > 0 ? { allocatable: { count: info.maxVolumes } } : {}),
      }],
    },
  };
  await admin.create(csiNode);
  return { name, instanceId, zone, segments: info.segments, maxVolumes: info.maxVolumes };
}
