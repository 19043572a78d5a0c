// What the kubelet flows create as an application team would (claims and pods that really run,
// from the local busybox image), and how they read the outcome on the kubelet's side: the pod's
// phase, a command's output inside its container, and the host's mounts under the kubelet's
// directory.
import { basename } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { KubeClient } from '../../support/kube/client.js';
import type { KubeEvent, KubeObject, ObjectRef, PersistentVolume, PersistentVolumeClaim } from '../../support/kube/types.js';
import { ec2Volume, volumeIdOf } from '../objects.js';
import { mountsUnder } from '../../support/kubelet/host.js';
import { testImages } from '../../support/kubelet/tools.js';
import type { KubeletCluster } from '../../support/kubelet/cluster.js';
import { MountTable, type MountEntry } from '../../../src/node/mountinfo.js';

export const NAMESPACE = 'kubelet-e2e';

export const pvcRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NAMESPACE, name });
export const pvRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'PersistentVolume', name });
export const podRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Pod', namespace: NAMESPACE, name });

export interface ClaimOptions {
  readonly storageClassName: string;
  readonly size?: string;
  readonly block?: boolean;
}

export function claim(name: string, options: ClaimOptions): PersistentVolumeClaim {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      storageClassName: options.storageClassName,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: options.size ?? '1Gi' } },
      ...(options.block ? { volumeMode: 'Block' } : {}),
    },
  };
}

export interface PodOptions {
  /** Claims mounted as filesystems: claim name → mount path. */
  readonly mounts?: Readonly<Record<string, string>>;
  /** Claims exposed as raw block devices: claim name → device path. */
  readonly devices?: Readonly<Record<string, string>>;
  /** What the container runs before it idles (sh -c); it must succeed for the pod to stay up. */
  readonly script?: string;
  readonly securityContext?: { readonly fsGroup?: number; readonly runAsUser?: number; readonly runAsGroup?: number };
}

export type PodObject = KubeObject & { spec: Record<string, unknown> };

/**
 * A pod that runs `script` in the local busybox image, then idles until told to stop. It uses the
 * host's network (the test node has no pod network) and never pulls (the image is imported). SIGTERM
 * ends it within a second, so a deletion waits on the kubelet's volume tear-down, not on a grace period.
 */
export function appPod(name: string, options: PodOptions): PodObject {
  const claims = [...Object.keys(options.mounts ?? {}), ...Object.keys(options.devices ?? {})];
  const script = `${options.script ?? 'true'} || exit 1\ntrap 'exit 0' TERM\nwhile true; do sleep 1; done`;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      hostNetwork: true,
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
      ...(options.securityContext ? { securityContext: options.securityContext } : {}),
      containers: [{
        name: 'app', image: testImages().busybox.name, imagePullPolicy: 'Never',
        command: ['sh', '-c', script],
        volumeMounts: Object.entries(options.mounts ?? {}).map(([claimName, mountPath]) => ({ name: claimName, mountPath })),
        volumeDevices: Object.entries(options.devices ?? {}).map(([claimName, devicePath]) => ({ name: claimName, devicePath })),
      }],
      volumes: claims.map((claimName) => ({ name: claimName, persistentVolumeClaim: { claimName } })),
    },
  };
}

interface PodView extends KubeObject {
  readonly spec: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly containerStatuses?: readonly { readonly state?: { readonly terminated?: { readonly exitCode?: number; readonly reason?: string } } }[];
  };
}

/** Waits for the pod to run (its volumes mounted, its script done); fails at once if it ends instead. */
export async function waitRunning(admin: KubeClient, name: string, timeoutMs = 120_000): Promise<PodView> {
  const pod = await admin.waitUntil<PodView>(podRef(name), `pod ${name} to be Running`,
    (p) => p.status?.phase === 'Running' || p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded', timeoutMs);
  if (pod.status?.phase !== 'Running') throw new Error(`pod ${name} ended (${pod.status?.phase ?? ''}) instead of running: ${JSON.stringify(pod.status)}`);
  return pod;
}

export async function waitBound(admin: KubeClient, name: string, timeoutMs = 60_000): Promise<{ claim: PersistentVolumeClaim; volume: PersistentVolume }> {
  const bound = await admin.waitUntil<PersistentVolumeClaim>(pvcRef(name), `PVC ${name} to be Bound`, (c) => c.status?.phase === 'Bound', timeoutMs);
  const pvName = bound.spec.volumeName ?? '';
  return { claim: bound, volume: await admin.get<PersistentVolume>(pvRef(pvName)) };
}

// Namespace-free helpers are the e2e stage's own.
export { ec2Volume, volumeIdOf };

/**
 * The host's mounts of an attached volume's device: filesystem mounts (staging and each pod's
 * publish bind) have the loop device as their source; a block volume's binds of the device
 * node are devtmpfs mounts of /dev/loopN. Empty once the kubelet has torn everything down.
 */
export async function mountsOfDevice(loopDevice: string): Promise<MountEntry[]> {
  const name = basename(loopDevice);
  return (await MountTable.read()).entries.filter((m) => m.source === loopDevice || (m.fsType === 'devtmpfs' && m.root === `/${name}`));
}

/** The loop device backing an attached volume on this host (undefined when not attached here). */
export const loopOf = (cluster: KubeletCluster, volumeId: string): string | undefined => cluster.dataPlane.hypervisor.record(volumeId)?.loopDevice;

/** Every mount under the kubelet's directory (pods, plugins), as mount points. */
export async function kubeletMountPoints(cluster: KubeletCluster): Promise<string[]> {
  return (await mountsUnder(cluster.node.rootDir)).map((m) => m.mountPoint).sort();
}

/** Deletes pods and waits until the kubelet has torn them down (it removes a pod only once its volumes are unmounted). */
export async function deletePods(admin: KubeClient, names: readonly string[], timeoutMs = 120_000): Promise<void> {
  for (const name of names) await admin.delete(podRef(name), { gracePeriodSeconds: 5 });
  for (const name of names) await admin.waitGone(podRef(name), `pod ${name} to be torn down by the kubelet`, timeoutMs);
}

/** Deletes a claim and waits until its PV and its EC2 volume are gone (reclaimPolicy Delete). */
export async function deleteClaim(admin: KubeClient, ec2: EC2Client, name: string, timeoutMs = 90_000): Promise<void> {
  const pvName = (await admin.find<PersistentVolumeClaim>(pvcRef(name)))?.spec.volumeName;
  const volumeId = pvName ? (await admin.find<PersistentVolume>(pvRef(pvName)))?.spec.csi?.volumeHandle : undefined;
  await admin.delete(pvcRef(name));
  await admin.waitGone(pvcRef(name), `PVC ${name} to be deleted`, timeoutMs);
  if (pvName) await admin.waitGone(pvRef(pvName), `PV ${pvName} to be deleted`, timeoutMs);
  if (volumeId && await ec2Volume(ec2, volumeId)) throw new Error(`EC2 still has ${volumeId} after its PV went`);
}

/** Events about an object of the test namespace, oldest first. */
export async function eventsFor(admin: KubeClient, kind: string, name: string): Promise<KubeEvent[]> {
  return admin.list<KubeEvent>('v1', 'Event', { namespace: NAMESPACE, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
}

/** Waits for an Event with this reason about the object; resolves it. */
export async function waitForEvent(admin: KubeClient, kind: string, name: string, reason: string, timeoutMs = 60_000): Promise<KubeEvent> {
  const until = Date.now() + timeoutMs;
  let seen: KubeEvent[] = [];
  for (;;) {
    seen = await eventsFor(admin, kind, name);
    const match = seen.find((e) => e.reason === reason);
    if (match) return match;
    if (Date.now() > until) throw new Error(`no ${reason} Event on ${kind} ${name} in ${timeoutMs} ms; its Events: ${JSON.stringify(seen.map((e) => `${e.reason}: ${e.message}`))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
