// `ebs-csi-driver pre-stop-hook`: the node DaemonSet's preStop hook. When the node is being
// drained (cordoned, or tainted for removal by cluster-autoscaler or Karpenter), the plugin must
// outlive the unmounts of the pods leaving: without it kubelet cannot unstage, volumes are never
// detached cleanly and wait out the attach-detach controller's 6-minute force detach. So the hook
// waits until no VolumeAttachment of this driver names the node (or until its time is up);
// otherwise (a rolling update of the driver, a restart) it returns at once.
import { KubeApiError, type KubeApi } from '../kube/client.js';
import { listOf, nodeView, paths, volumeAttachmentView, type NodeView, type VolumeAttachmentView } from '../kube/objects.js';
import type { Logger } from '../logger.js';
import { Backoff, errorText, sleep } from './backoff.js';

/** Taints that mean the node is being emptied (kubectl drain's cordon shows as the first). */
export const DRAIN_TAINTS: readonly string[] = [
  'node.kubernetes.io/unschedulable',
  'ToBeDeletedByClusterAutoscaler',
  'karpenter.sh/disrupted',
  // Karpenter v1beta1 APIs.
  'karpenter.sh/disruption',
];

/** Why the node counts as draining, or undefined when it does not. */
export function drainReason(node: NodeView): string | undefined {
  if (node.unschedulable) return 'the node is cordoned (spec.unschedulable)';
  const taint = node.taints.find((t) => DRAIN_TAINTS.includes(t.key));
  return taint ? `the node carries the ${taint.key} taint` : undefined;
}

export type PreStopOutcome = 'not-draining' | 'detached' | 'timed-out';

export interface PreStopOptions {
  readonly client: KubeApi;
  readonly nodeName: string;
  readonly driverName: string;
  readonly log: Logger;
  /** Give up after this long (the chart sets it a little under the grace period). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const describe = (va: VolumeAttachmentView): string => (va.persistentVolumeName ? `${va.name} (${va.persistentVolumeName})` : va.name);

export async function preStopHook(options: PreStopOptions): Promise<PreStopOutcome> {
  const { client, nodeName, driverName } = options;
  const log = options.log.child({ node: nodeName, hook: 'pre-stop' });
  const signals = [options.signal, options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s) => s !== undefined);
  const signal = AbortSignal.any(signals);

  try {
    const reason = drainReason(nodeView(await client.get(paths.node(nodeName), undefined, signal)));
    if (reason === undefined) {
      log.info('the node is not draining: nothing to wait for');
      return 'not-draining';
    }
    log.info({ reason }, 'the node is draining: waiting for its volumes to be detached');
  } catch (err) {
    // The Node object is already gone: the instance is terminating, so wait as for a drain.
    if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    log.info('the Node object is gone: waiting for its volumes to be detached');
  }

  const attached = new Map<string, VolumeAttachmentView>();
  const mine = (va: VolumeAttachmentView): boolean => va.attacher === driverName && va.nodeName === nodeName;
  let logged = '';
  const report = (): void => {
    const names = [...attached.values()].map(describe).sort().join(', ');
    if (names !== logged && attached.size > 0) log.info({ remaining: attached.size, volumeAttachments: names }, 'waiting for VolumeAttachments of this node to go');
    logged = names;
  };
  const backoff = new Backoff(500, 5000);
  let resourceVersion: string | undefined;
  const started = Date.now();
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const listed = listOf(await client.get(paths.volumeAttachments, undefined, signal));
        attached.clear();
        for (const va of listed.items.map(volumeAttachmentView)) if (mine(va)) attached.set(va.name, va);
        resourceVersion = listed.resourceVersion;
        report();
      }
      if (attached.size === 0) {
        log.info({ waitedSeconds: Math.round((Date.now() - started) / 100) / 10 }, 'no VolumeAttachment names this node: the node plugin may stop');
        return 'detached';
      }
      const watchStarted = Date.now();
      for await (const event of client.watch(paths.volumeAttachments, { query: { resourceVersion }, timeoutSeconds: 60, signal })) {
        const va = volumeAttachmentView(event.object);
        const rv = (event.object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
        if (typeof rv === 'string' && rv !== '') resourceVersion = rv;
        if (event.type === 'BOOKMARK') continue;
        if (event.type === 'DELETED' || !mine(va)) {
          if (attached.delete(va.name)) log.info({ volumeAttachment: describe(va), remaining: attached.size }, 'VolumeAttachment gone');
        } else {
          attached.set(va.name, va);
        }
        report();
        if (attached.size === 0) break;
      }
      backoff.reset();
      // A server that ends watches at once must not make this a busy loop.
      if (attached.size > 0 && Date.now() - watchStarted < 1000) await sleep(1000, signal);
    } catch (err) {
      if (signal.aborted) break;
      // Refused: waiting out the grace period would only delay every drain. Fail, naming the fix
      // (kubelet records the hook's failure as a FailedPreStopHook event and stops the pod).
      if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) {
        throw new Error(`not allowed to list or watch VolumeAttachments (the node ClusterRole needs volumeattachments list and watch): ${err.message}`);
      }
      resourceVersion = undefined; // list afresh (a 410 Gone, or a broken watch)
      if (!(err instanceof KubeApiError && err.status === 410)) {
        const delay = backoff.delay();
        log.warn({ error: errorText(err), retryInSeconds: delay / 1000 }, 'watching VolumeAttachments failed; retrying');
        await sleep(delay, signal);
      }
    }
  }
  log.warn({ waitedSeconds: Math.round((Date.now() - started) / 1000), volumeAttachments: [...attached.values()].map(describe) },
    'gave up waiting for VolumeAttachments: the pre-stop time is up');
  return 'timed-out';
}
