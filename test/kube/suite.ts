// One Kubernetes minor's e2e run: a fresh cluster (test/support/kube/cluster.ts) with the chart
// installed, then each flow as one test (k8s-*.test.ts), so the stage prints one line per flow and
// minor. A failing flow's message carries the tail of every controller container's output.
import { after, before } from 'node:test';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { refOf, type KubeClient } from '../support/kube/client.js';
import type { KubeObject, PersistentVolume } from '../support/kube/types.js';
import { startDriverCluster, type DriverCluster } from '../support/kube/cluster.js';
import { minorOf } from '../support/kube/versions.js';
import { driverSnapshotIds, driverVolumeIds, NAMESPACE } from './objects.js';
import { E2E_VALUES } from './values.js';

export interface FlowContext {
  readonly cluster: DriverCluster;
  /** Driver volumes and snapshots EC2 held before the first flow (none, unless EC2_ENDPOINT names a shared emulator). */
  readonly baseline: Baseline;
  readonly admin: KubeClient;
  readonly ec2: EC2Client;
  readonly minor: number;
}

export interface Flow {
  readonly name: string;
  /** Runs only on this Kubernetes minor and later; skipped (with skipReason) before. */
  readonly minMinor?: number;
  readonly skipReason?: string;
  run(ctx: FlowContext): Promise<void>;
}

export interface Baseline {
  readonly volumeIds: readonly string[];
  readonly snapshotIds: readonly string[];
}

/** Deletes every pod, snapshot and claim of the test namespace and waits for the PVs to go. */
async function cleanUp(admin: KubeClient): Promise<void> {
  for (const pod of await admin.list<KubeObject>('v1', 'Pod', { namespace: NAMESPACE })) await admin.delete(refOf(pod), { gracePeriodSeconds: 0 });
  for (const s of await admin.list<KubeObject>('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', { namespace: NAMESPACE })) await admin.delete(refOf(s));
  for (const c of await admin.list<KubeObject>('v1', 'PersistentVolumeClaim', { namespace: NAMESPACE })) await admin.delete(refOf(c));
  const until = Date.now() + 60_000;
  while ((await admin.list<KubeObject>('v1', 'PersistentVolume')).some((pv) => (pv as PersistentVolume).spec.persistentVolumeReclaimPolicy === 'Delete') && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
  }
}

function diagnostics(cluster: DriverCluster): string {
  const parts: string[] = [];
  const pod = cluster.controller;
  for (const c of pod?.containers ?? []) parts.push(`--- ${c} (restarts ${pod?.restarts(c) ?? 0}, tail) ---\n${pod?.output(c).slice(-2500) ?? ''}`);
  if (cluster.snapshotController) parts.push(`--- snapshot-controller (tail) ---\n${cluster.snapshotController.output().slice(-1500)}`);
  parts.push(`--- kube-controller-manager (tail) ---\n${cluster.controlPlane.processes.kubeControllerManager.output().slice(-1500)}`);
  return parts.join('\n');
}

export interface E2eRun {
  /** node:test options of a flow on this minor (its timeout; skipped before the flow's minMinor). */
  options(flow: Flow): { timeout: number; skip: string | boolean };
  /** Runs a flow against the cluster; a failure carries the controller's logs and is cleaned up after. */
  run(flow: Flow): Promise<void>;
}

/**
 * Registers, inside the caller's describe(), the hooks that start a cluster for one minor before its
 * flows and stop it after. The test files call describe() and it() themselves, so the test runner
 * counts each flow under its file.
 */
export function e2eHooks(version: string): E2eRun {
  let cluster: DriverCluster | undefined;
  let baseline: Baseline = { volumeIds: [], snapshotIds: [] };

  before(async () => {
    cluster = await startDriverCluster({ version, values: E2E_VALUES });
    await cluster.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await cluster.admin.waitUntil({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: NAMESPACE, name: 'default' },
      `the default ServiceAccount of namespace ${NAMESPACE}`, () => true, 30_000);
    baseline = { volumeIds: await driverVolumeIds(cluster.ec2), snapshotIds: await driverSnapshotIds(cluster.ec2) };
  }, { timeout: 300_000 });

  after(async () => {
    await cluster?.stop();
  });

  return {
    options: (flow) => ({
      timeout: 180_000,
      skip: flow.minMinor !== undefined && minorOf(version) < flow.minMinor ? (flow.skipReason ?? true) : false,
    }),
    async run(flow) {
      if (!cluster) throw new Error('the cluster did not start');
      try {
        await flow.run({ cluster, baseline, admin: cluster.admin, ec2: cluster.ec2, minor: minorOf(version) });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        e.message = `${e.message}\n${diagnostics(cluster)}`;
        // What the failed flow left behind would fail the flows after it too; only this one should.
        await cleanUp(cluster.admin).catch((cleanupError: unknown) => {
          e.message += `\n(cleaning up after the failure failed too: ${String(cleanupError)})`;
        });
        throw e;
      }
    },
  };
}
