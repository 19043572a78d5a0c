// The chart's node DaemonSet pod beside a real kubelet: main's node-plugin harness
// (test/support/kube/node-plugin.ts: the driver in node mode with the DaemonSet's arguments,
// environment and ServiceAccount token) on the real host, its hostPaths the kubelet's own (the
// test points kubeletPath at the kubelet's root directory), and with the two sidecars that
// harness leaves out, node-driver-registrar and livenessprobe, built from the archives. The
// processes live in the host's mount namespace, which is what the plugin's Bidirectional mount of
// the kubelet's directory gives it in a cluster. The registrar's registration folder is a default
// (/registration), not an argument: it gets --plugin-registration-path naming the host folder the
// DaemonSet mounts there.
import type { ControlPlane } from '../kube/control-plane.js';
import { startNodePlugin, type NodePlugin } from '../kube/node-plugin.js';
import type { CommandFor, RunningPod } from '../kube/pod-runner.js';
import type { Supervisor } from '../kube/processes.js';
import type { Workload } from '../kube/types.js';
import { LIVENESSPROBE_VERSION, REGISTRAR_VERSION, toolPaths } from './tools.js';

export const REGISTRAR_CONTAINER = 'node-driver-registrar';
export const LIVENESS_CONTAINER = 'liveness-probe';

/** The registrar's registration folder inside its container (its --plugin-registration-path default). */
const REGISTRATION_MOUNT = '/registration';

/** The version each node sidecar binary was built at (csi-node-sidecars.sh keeps one folder per version). */
const NODE_SIDECARS: Readonly<Record<string, { readonly binary: string; readonly version: string }>> = {
  [REGISTRAR_CONTAINER]: { binary: toolPaths.registrar, version: REGISTRAR_VERSION },
  [LIVENESS_CONTAINER]: { binary: toolPaths.livenessprobe, version: LIVENESSPROBE_VERSION },
};

/** "registry/x/livenessprobe:v2.19.0" → "v2.19.0". */
const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);

/** Each node sidecar must be the version the DaemonSet's image tag names (livenessprobe has no --version). */
function checkSidecarVersions(daemonSet: Workload): void {
  for (const c of daemonSet.spec.template.spec.containers) {
    const sidecar = NODE_SIDECARS[c.name];
    if (sidecar && tagOf(c.image) !== sidecar.version) {
      throw new Error(`the chart's ${c.name} image is ${c.image} but the tests build ${sidecar.version}: `
        + 'update test/support/kubelet/tools.ts and scripts/install/csi-node-sidecars.sh');
    }
  }
}

export interface NodePluginOptions {
  readonly controlPlane: ControlPlane;
  readonly supervisor: Supervisor;
  readonly daemonSet: Workload;
  /** The Node the pod is bound to (spec.nodeName). */
  readonly nodeName: string;
}

export async function startNodePluginPod(options: NodePluginOptions): Promise<NodePlugin> {
  checkSidecarVersions(options.daemonSet);
  const sidecars: CommandFor = (container, args, pod) => {
    if (container.name === REGISTRAR_CONTAINER) {
      const registration = pod.hostPathOf(container, REGISTRATION_MOUNT);
      if (!registration) throw new Error(`the DaemonSet's ${container.name} mounts nothing at ${REGISTRATION_MOUNT}`);
      return { file: toolPaths.registrar, args: [...args, `--plugin-registration-path=${registration}`] };
    }
    if (container.name === LIVENESS_CONTAINER) return { file: toolPaths.livenessprobe, args };
    throw new Error(`the node DaemonSet has a container ${container.name} the kubelet harness does not know how to run`);
  };
  return startNodePlugin({ ...options, hostRoot: '/', sidecars });
}

/** The loopback address a container listens on, from its translated `--http-endpoint=` argument. */
export function httpEndpointOf(pod: RunningPod, container: string): string {
  const arg = pod.args(container).find((a) => a.startsWith('--http-endpoint='));
  if (!arg) throw new Error(`${container} was started without --http-endpoint`);
  return `http://${arg.slice('--http-endpoint='.length)}`;
}
