// The kubelet stage's run: one kubelet joined to one control plane for the whole file (the flows
// share it, which keeps the stage's time down), the host's state recorded before anything starts
// and compared after everything stopped. A failing flow's message carries the tail of the
// kubelet's and the node plugin's logs, and what it left is deleted so the next flow fails only
// for its own reasons.
import { after, before } from 'node:test';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { refOf, type KubeClient } from '../../support/kube/client.js';
import type { KubeObject, PersistentVolume } from '../../support/kube/types.js';
import { startKubeletCluster, type KubeletCluster } from '../../support/kubelet/cluster.js';
import { hostSnapshot, type HostSnapshot } from '../../support/kubelet/host.js';
import { NAMESPACE } from './objects.js';
import { KUBELET_VALUES } from './values.js';

export interface FlowContext {
  readonly k: KubeletCluster;
  readonly admin: KubeClient;
  readonly ec2: EC2Client;
}

export interface Flow {
  readonly name: string;
  /** A reason to skip on this machine, worked out before the run (e.g. a capability it lacks). */
  readonly skip?: () => Promise<string | undefined>;
  run(ctx: FlowContext): Promise<void>;
}

export interface KubeletRun {
  /** The host as it was before the stage started anything. */
  readonly before: () => HostSnapshot;
  readonly cluster: () => KubeletCluster | undefined;
  run(flow: Flow): Promise<void>;
  /** Stops everything now (the last flow checks what is left); resolves what would not go. */
  stop(): Promise<string[]>;
}

/** Deletes every pod and claim of the test namespace and waits for the PVs to go. */
async function cleanUp(admin: KubeClient): Promise<void> {
  const pods = await admin.list<KubeObject>('v1', 'Pod', { namespace: NAMESPACE });
  for (const pod of pods) await admin.delete(refOf(pod), { gracePeriodSeconds: 1 });
  for (const pod of pods) await admin.waitGone(refOf(pod), `pod ${pod.metadata.name} to go`, 90_000).catch(() => undefined);
  for (const c of await admin.list<KubeObject>('v1', 'PersistentVolumeClaim', { namespace: NAMESPACE })) await admin.delete(refOf(c));
  const until = Date.now() + 90_000;
  while ((await admin.list<PersistentVolume>('v1', 'PersistentVolume')).length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function kubeletHooks(): KubeletRun {
  let cluster: KubeletCluster | undefined;
  let snapshot: HostSnapshot | undefined;
  let stopped: Promise<string[]> | undefined;
  const stop = (): Promise<string[]> => {
    stopped ??= cluster?.stop() ?? Promise.resolve([]);
    return stopped;
  };

  before(async () => {
    snapshot = await hostSnapshot();
    cluster = await startKubeletCluster({ values: KUBELET_VALUES });
    await cluster.admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    // Every flow needs the driver registered and the start-up taint (NoExecute) gone from the Node;
    // flow 7 checks how and when that happened.
    await cluster.taintGone(90_000).catch((err: unknown) => { throw new Error(`${String(err)}\n${cluster?.diagnostics() ?? ''}`); });
  }, { timeout: 300_000 });

  after(async () => {
    await stop();
  });

  return {
    before: () => snapshot ?? (() => { throw new Error('the host was not recorded'); })(),
    cluster: () => cluster,
    stop,
    async run(flow) {
      if (!cluster) throw new Error('the kubelet cluster did not start');
      try {
        await flow.run({ k: cluster, admin: cluster.admin, ec2: cluster.cluster.ec2 });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        e.message = `${e.message}\n${cluster.diagnostics()}`;
        await cleanUp(cluster.admin).catch((cleanupError: unknown) => {
          e.message += `\n(cleaning up after the failure failed too: ${String(cleanupError)})`;
        });
        throw e;
      }
    },
  };
}
