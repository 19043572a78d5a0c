// What the e2e flows create as a user would (claims, pods, snapshots), and how they read the
// outcome on both sides: the API server's objects and EC2's volumes and snapshots.
import {
  DescribeSnapshotsCommand, DescribeVolumesCommand, type EC2Client, type Snapshot, type Volume,
} from '@aws-sdk/client-ec2';
import type { KubeClient } from '../support/kube/client.js';
import type {
  KubeEvent, KubeNode, KubeObject, ObjectRef, PersistentVolume, PersistentVolumeClaim, Pod, VolumeAttachment, VolumeSnapshot,
} from '../support/kube/types.js';

export const NAMESPACE = 'e2e';

export const pvcRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: NAMESPACE, name });
export const pvRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'PersistentVolume', name });
export const podRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Pod', namespace: NAMESPACE, name });
export const snapshotRef = (name: string): ObjectRef => ({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', namespace: NAMESPACE, name });

export interface ClaimOptions {
  readonly storageClassName: string;
  readonly size?: string;
  readonly dataSource?: { readonly apiGroup: string; readonly kind: string; readonly name: string };
  readonly volumeAttributesClassName?: string;
}

export function claim(name: string, options: ClaimOptions): PersistentVolumeClaim {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      storageClassName: options.storageClassName,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: options.size ?? '1Gi' } },
      ...(options.dataSource ? { dataSource: options.dataSource } : {}),
      ...(options.volumeAttributesClassName ? { volumeAttributesClassName: options.volumeAttributesClassName } : {}),
    },
  };
}

/** A pod that mounts the claim. No kubelet runs it: the scheduler binds it, the attach/detach controller attaches for it. */
export function podWith(name: string, claimName: string): KubeObject & { spec: unknown } {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'registry.invalid/e2e/app:never-pulled', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
    },
  };
}

export async function waitBound(admin: KubeClient, name: string, timeoutMs = 60_000): Promise<{ claim: PersistentVolumeClaim; volume: PersistentVolume }> {
  const bound = await admin.waitUntil<PersistentVolumeClaim>(pvcRef(name), `PVC ${name} to be Bound`, (c) => c.status?.phase === 'Bound', timeoutMs);
  const pvName = bound.spec.volumeName;
  if (!pvName) throw new Error(`PVC ${name} is Bound but names no volume`);
  return { claim: bound, volume: await admin.get<PersistentVolume>(pvRef(pvName)) };
}

/** The EBS volume id a PV stands for. */
export function volumeIdOf(pv: PersistentVolume): string {
  const id = pv.spec.csi?.volumeHandle;
  if (!id) throw new Error(`PV ${pv.metadata.name} has no CSI volume handle`);
  return id;
}

/** The volume as EC2 describes it, or undefined when EC2 no longer knows it. */
export async function ec2Volume(ec2: EC2Client, volumeId: string): Promise<Volume | undefined> {
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
  return out.Volumes?.[0];
}

export async function ec2Snapshot(ec2: EC2Client, snapshotId: string): Promise<Snapshot | undefined> {
  const out = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: [snapshotId] }] }));
  return out.Snapshots?.[0];
}

/** Volumes the driver created (its ebs.csi.aws.com/cluster tag). */
export async function driverVolumes(ec2: EC2Client): Promise<Volume[]> {
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:ebs.csi.aws.com/cluster', Values: ['true'] }] }));
  return out.Volumes ?? [];
}

export const driverVolumeIds = async (ec2: EC2Client): Promise<string[]> => (await driverVolumes(ec2)).map((v) => v.VolumeId ?? '').sort();

/** Snapshots the driver made (its CSIVolumeSnapshotName tag). */
export async function driverSnapshotIds(ec2: EC2Client): Promise<string[]> {
  const out = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag-key', Values: ['CSIVolumeSnapshotName'] }] }));
  return (out.Snapshots ?? []).map((s) => s.SnapshotId ?? '').sort();
}

/** Volumes EC2 knows under a CSI volume name (the CSIVolumeName tag, the PV's name). */
export async function volumesNamed(ec2: EC2Client, csiName: string): Promise<Volume[]> {
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:CSIVolumeName', Values: [csiName] }] }));
  return out.Volumes ?? [];
}

export const tagsOf = (resource: { readonly Tags?: readonly { readonly Key?: string; readonly Value?: string }[] }): Record<string, string> =>
  Object.fromEntries((resource.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** The zones a PV's node affinity allows, under the standard zone key. */
export function zonesOf(pv: PersistentVolume): string[] {
  return (pv.spec.nodeAffinity?.required?.nodeSelectorTerms ?? [])
    .flatMap((t) => t.matchExpressions ?? [])
    .filter((e) => e.key === 'topology.kubernetes.io/zone')
    .flatMap((e) => e.values ?? []);
}

/** Events about an object of this namespace, oldest first. */
export async function eventsFor(admin: KubeClient, kind: string, name: string): Promise<KubeEvent[]> {
  const events = await admin.list<KubeEvent>('v1', 'Event', {
    namespace: NAMESPACE, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
  });
  return events;
}

/** Waits for an Event about the object whose reason and message match; resolves it. */
export async function waitForEvent(admin: KubeClient, kind: string, name: string, reason: string, message: RegExp, timeoutMs = 60_000): Promise<KubeEvent> {
  const until = Date.now() + timeoutMs;
  let seen: KubeEvent[] = [];
  while (Date.now() < until) {
    seen = await eventsFor(admin, kind, name);
    const match = seen.find((e) => e.reason === reason && message.test(e.message ?? ''));
    if (match) return match;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ${reason} Event on ${kind} ${name} matching ${String(message)} in ${timeoutMs} ms; its Events: ${JSON.stringify(seen.map((e) => `${e.reason}: ${e.message}`))}`);
}

export async function volumeAttachmentsFor(admin: KubeClient, pvName: string): Promise<VolumeAttachment[]> {
  return (await admin.list<VolumeAttachment>('storage.k8s.io/v1', 'VolumeAttachment')).filter((va) => va.spec.source.persistentVolumeName === pvName);
}

async function pollAttachments(admin: KubeClient, pvName: string, what: string, done: (vas: VolumeAttachment[]) => VolumeAttachment | true | undefined, timeoutMs: number): Promise<VolumeAttachment | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const vas = await volumeAttachmentsFor(admin, pvName);
    const result = done(vas);
    if (result === true) return undefined;
    if (result) return result;
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; VolumeAttachments: ${JSON.stringify(vas.map((va) => ({ name: va.metadata.name, node: va.spec.nodeName, status: va.status })))}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Waits for a VolumeAttachment of the PV that external-attacher has marked attached, and for the
 * attach/detach controller to have taken note (the Node's status.volumesAttached lists it): only
 * then does the controller detach it when the pod goes.
 */
export async function waitAttached(admin: KubeClient, pv: PersistentVolume, timeoutMs = 60_000): Promise<VolumeAttachment> {
  const pvName = pv.metadata.name;
  const va = await pollAttachments(admin, pvName, `${pvName} to be attached`, (vas) => vas.find((v) => v.status?.attached === true), timeoutMs);
  if (!va) throw new Error(`${pvName}: no attached VolumeAttachment`);
  const unique = `kubernetes.io/csi/${pv.spec.csi?.driver ?? ''}^${pv.spec.csi?.volumeHandle ?? ''}`;
  await admin.waitUntil<KubeNode>({ apiVersion: 'v1', kind: 'Node', name: va.spec.nodeName },
    `the attach/detach controller to record ${unique} in Node ${va.spec.nodeName}'s volumesAttached`,
    (n) => n.status?.volumesAttached?.some((v) => v.name === unique) === true, timeoutMs);
  return va;
}

/** Waits until no VolumeAttachment refers to the PV (detached and deleted). */
export async function waitNoAttachments(admin: KubeClient, pvName: string, timeoutMs = 60_000): Promise<void> {
  await pollAttachments(admin, pvName, `the VolumeAttachments of ${pvName} to go`, (vas) => (vas.length === 0 ? true : undefined), timeoutMs);
}

export async function scheduledNode(admin: KubeClient, podName: string, timeoutMs = 60_000): Promise<string> {
  const pod = await admin.waitUntil<Pod>(podRef(podName), `pod ${podName} to be scheduled`, (p) => Boolean(p.spec.nodeName), timeoutMs);
  return pod.spec.nodeName ?? '';
}

export async function readySnapshot(admin: KubeClient, name: string, timeoutMs = 60_000): Promise<VolumeSnapshot> {
  return admin.waitUntil<VolumeSnapshot>(snapshotRef(name), `VolumeSnapshot ${name} to be readyToUse`, (s) => s.status?.readyToUse === true, timeoutMs);
}

/**
 * Deletes a claim and waits until it is gone and, under reclaimPolicy Delete, until its PV is gone
 * too (the provisioner deletes the PV once DeleteVolume has succeeded).
 */
export async function deleteClaim(admin: KubeClient, name: string, timeoutMs = 60_000): Promise<void> {
  const pvName = (await admin.find<PersistentVolumeClaim>(pvcRef(name)))?.spec.volumeName;
  await admin.delete(pvcRef(name));
  await admin.waitGone(pvcRef(name), `PVC ${name} to be deleted`, timeoutMs);
  if (!pvName) return;
  const pv = await admin.find<PersistentVolume>(pvRef(pvName));
  if (pv?.spec.persistentVolumeReclaimPolicy === 'Delete') await admin.waitGone(pvRef(pvName), `PV ${pvName} to be deleted`, timeoutMs);
}
