// The chart's controller Deployment, run as processes: the driver (the bundle, started the way the
// image's ENTRYPOINT and ENV start it) and each CSI sidecar with exactly the arguments and
// environment the rendered Deployment gives that container, authenticated with a token of the
// Deployment's ServiceAccount, so the chart's RBAC is what allows or refuses each call.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { driverMain } from '../driver.js';
import { imageRuntime } from '../image-runtime.js';
import type { KubeClient } from './client.js';
import type { ControlPlane } from './control-plane.js';
import { runPod, type CommandFor, type RunningPod } from './pod-runner.js';
import type { Supervisor } from './processes.js';
import type { KubeObject, Workload } from './types.js';
import { requireBinary, SIDECAR_BINARIES } from './versions.js';

const execFileAsync = promisify(execFile);

/** The driver's container in the chart's pods. */
export const DRIVER_CONTAINER = 'ebs-plugin';
/** Containers the kubelet would use but this harness has no kubelet for. */
const KUBELET_HELPERS = new Set(['liveness-probe']);

/** "registry/x/csi-provisioner:v6.3.0" → "v6.3.0". */
const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);

/** Checks that each sidecar binary is the version the Deployment's image tag names. */
async function checkSidecarVersions(deployment: Workload): Promise<void> {
  for (const c of deployment.spec.template.spec.containers) {
    const binary = SIDECAR_BINARIES[c.name];
    if (!binary) continue;
    requireBinary(binary, 'scripts/install/csi-sidecars.sh');
    const { stdout, stderr } = await execFileAsync(binary, ['--version']);
    const reported = `${stdout}${stderr}`.trim();
    if (!reported.includes(tagOf(c.image))) {
      throw new Error(`${binary} reports "${reported}" but the chart's ${c.name} image is ${c.image}: run scripts/install/csi-sidecars.sh`);
    }
  }
}

export async function startControllerPod(controlPlane: ControlPlane, supervisor: Supervisor, deployment: Workload): Promise<RunningPod> {
  await checkSidecarVersions(deployment);
  const spec = deployment.spec.template.spec;
  const namespace = deployment.metadata.namespace ?? 'default';
  if (!spec.serviceAccountName) throw new Error('the controller Deployment names no serviceAccountName');
  const kubeconfig = await controlPlane.serviceAccountKubeconfig(namespace, spec.serviceAccountName);
  const image = imageRuntime();
  const commandFor: CommandFor = (container, args, pod) => {
    if (container.name === DRIVER_CONTAINER) {
      return { file: process.execPath, args: [...image.nodeArgs, driverMain, ...args], env: image.env };
    }
    const binary = SIDECAR_BINARIES[container.name];
    if (binary) return { file: binary, args: [...args, `--kubeconfig=${pod.kubeconfig}`] };
    if (KUBELET_HELPERS.has(container.name)) return undefined;
    throw new Error(`the controller Deployment has a container ${container.name} the e2e harness does not know how to run`);
  };
  return runPod({ supervisor, name: `${deployment.metadata.name}-${controlPlane.version}`, namespace, spec, kubeconfig, commandFor });
}

interface Lease extends KubeObject {
  readonly spec?: { readonly holderIdentity?: string };
}

/**
 * Waits until each leader-electing sidecar holds its Lease: it has connected to the driver, learnt
 * its name, and may act. Resolves the Lease names.
 */
export async function waitForLeaders(client: KubeClient, pod: RunningPod, deployment: Workload, timeoutMs = 60_000): Promise<string[]> {
  const namespace = deployment.metadata.namespace ?? 'default';
  const containers = deployment.spec.template.spec.containers;
  const electing = containers
    .filter((c) => pod.containers.includes(c.name) && (c.args ?? []).includes('--leader-election=true')).map((c) => c.name);
  // Sidecars name their Lease after the driver, dots made dashes ("ebs-csi-aws-com", "external-attacher-leader-ebs-csi-aws-com");
  // the API server keeps Leases of its own in kube-system.
  const driverName = /--driver-name=(\S+)/.exec(containers.find((c) => c.name === DRIVER_CONTAINER)?.args?.join(' ') ?? '')?.[1] ?? 'ebs.csi.aws.com';
  const leaseKey = driverName.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const until = Date.now() + timeoutMs;
  for (;;) {
    const held = (await client.list<Lease>('coordination.k8s.io/v1', 'Lease', { namespace }))
      .filter((l) => l.spec?.holderIdentity && l.metadata.name.includes(leaseKey)).map((l) => l.metadata.name);
    if (held.length >= electing.length) return held;
    if (Date.now() > until) {
      const tails = electing.map((c) => `--- ${c} (tail) ---\n${pod.output(c).slice(-3000)}`).join('\n');
      throw new Error(`timed out waiting for ${electing.length} sidecars (${electing.join(', ')}) to hold their Leases; held: ${held.join(', ') || 'none'}\n${tails}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
