// Start-up taint removal. Operators taint new nodes ebs.csi.aws.com/agent-not-ready (any effect)
// so no pod that needs an EBS volume lands before the node plugin can serve it: a pod scheduled
// before kubelet has registered the driver on the node's CSINode has no attach limit counted
// and may fail to mount. Once this plugin serves and its registration shows on the CSINode, the
// taint is removed from this node's Node object, and only that taint. A node provisioner may
// add it again shortly after (e.g. from a NodePool template), so the Node is watched for up to
// ten minutes and the taint removed each time it comes back.
import type { KubeApi } from '../kube/client.js';
import { KubeApiError } from '../kube/client.js';
import { KubeConfigError } from '../kube/connection.js';
import { csiNodeDrivers, nodeView, paths, type NodeView } from '../kube/objects.js';
import type { Logger } from '../logger.js';
import { Backoff, errorText, sleep } from './backoff.js';

export const AGENT_NOT_READY_TAINT = 'ebs.csi.aws.com/agent-not-ready';
export const TAINT_WATCH_WINDOW_MS = 10 * 60 * 1000;
const LAST_LOOK_MS = 90_000;

export interface StartupTaintOptions {
  readonly client: () => Promise<KubeApi>;
  readonly nodeName: string;
  readonly driverName: string;
  readonly log: Logger;
  /** How long to keep watching for the taint (default ten minutes). */
  readonly windowMs?: number;
  /** How often to look at the CSINode while waiting for the registration (default 1 s). */
  readonly registrationPollMs?: number;
  /** Ends the watch early (the driver is stopping). */
  readonly signal?: AbortSignal;
}

const hasTaint = (node: NodeView): boolean => node.taints.some((t) => t.key === AGENT_NOT_READY_TAINT);

export class StartupTaintRemover {
  private readonly log: Logger;
  private removals = 0;
  private waitingLogged = false;

  constructor(private readonly client: KubeApi, private readonly options: StartupTaintOptions) {
    this.log = options.log.child({ node: options.nodeName, taint: AGENT_NOT_READY_TAINT });
  }

  /** Is the driver listed on this node's CSINode (kubelet registered it)? */
  async registered(signal: AbortSignal): Promise<boolean> {
    try {
      const drivers = csiNodeDrivers(await this.client.get(paths.csiNode(this.options.nodeName), undefined, signal));
      const mine = drivers.find((d) => d.name === this.options.driverName);
      if (mine) this.log.debug({ allocatable: mine.allocatableCount }, 'driver registered on the CSINode');
      return mine !== undefined;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    }
  }

  /**
   * Removes the taint from this node if it carries it; resolves, once done (or the window
   * closes), the newest view of the Node it saw, so a watch started after it begins from there.
   */
  async handle(initial: NodeView, signal: AbortSignal): Promise<NodeView> {
    let node = initial;
    const backoff = new Backoff(1000, 10_000);
    const reread = async (): Promise<NodeView> => nodeView(await this.client.get(paths.node(this.options.nodeName), undefined, signal));
    while (hasTaint(node) && !signal.aborted) {
      if (!(await this.registered(signal))) {
        if (!this.waitingLogged) this.log.info({ driver: this.options.driverName }, 'start-up taint present; waiting for kubelet to register the driver on the CSINode before removing it');
        this.waitingLogged = true;
        await sleep(this.options.registrationPollMs ?? 1000, signal);
        node = await reread();
        continue;
      }
      try {
        return await this.remove(node, signal);
      } catch (err) {
        // Most often the Node changed since it was read (the patch's "test" failed): read it
        // again and retry, unless the taint is gone meanwhile (an event older than our removal,
        // or someone else took it off), which is no failure.
        node = await reread();
        if (!hasTaint(node)) {
          this.log.debug({ error: errorText(err) }, 'the start-up taint was already gone');
          break;
        }
        this.log.warn({ error: errorText(err) }, 'could not remove the start-up taint; retrying');
        await sleep(backoff.delay(), signal);
      }
    }
    return node;
  }

  private async remove(node: NodeView, signal: AbortSignal): Promise<NodeView> {
    const removed = node.taints.filter((t) => t.key === AGENT_NOT_READY_TAINT);
    const keep = node.rawTaints.filter((_, i) => node.taints[i]?.key !== AGENT_NOT_READY_TAINT);
    // "test" first: if the taints changed since this Node was read, the patch fails instead of
    // dropping a taint someone else has just added.
    const patched = await this.client.patch(paths.node(this.options.nodeName), [
      { op: 'test', path: '/spec/taints', value: node.rawTaints },
      { op: 'replace', path: '/spec/taints', value: keep },
    ], 'application/json-patch+json', signal);
    this.removals += 1;
    this.waitingLogged = false;
    this.log.info({ effects: removed.map((t) => t.effect), otherTaints: keep.length, removals: this.removals },
      this.removals === 1 ? 'removed the start-up taint: the node plugin is registered and serving'
        : 'the start-up taint came back; removed it again');
    return nodeView(patched);
  }
}

/**
 * Watches this node for the start-up taint for the window and removes it whenever it shows;
 * resolves when the window closes or the signal aborts. Never throws: a failure is logged and
 * retried, since the node is usable without this, only not schedulable.
 */
export async function watchStartupTaint(options: StartupTaintOptions): Promise<void> {
  const windowMs = options.windowMs ?? TAINT_WATCH_WINDOW_MS;
  const deadline = Date.now() + windowMs;
  const window = AbortSignal.any([AbortSignal.timeout(windowMs), ...(options.signal ? [options.signal] : [])]);
  const log = options.log.child({ node: options.nodeName, taint: AGENT_NOT_READY_TAINT });
  let client: KubeApi;
  try {
    client = await options.client();
  } catch (err) {
    // Not in a pod (no service account) is a setup choice, not a failure; anything else is one.
    const level = err instanceof KubeConfigError ? 'warn' : 'error';
    log[level]({ error: errorText(err) }, 'no Kubernetes API to talk to: the start-up taint will not be removed');
    return;
  }
  const remover = new StartupTaintRemover(client, options);
  const backoff = new Backoff();
  let resourceVersion: string | undefined;
  log.info({ windowSeconds: Math.round(windowMs / 1000) }, 'watching this node for the start-up taint');
  while (!window.aborted) {
    try {
      if (resourceVersion === undefined) {
        const node = nodeView(await client.get(paths.node(options.nodeName), undefined, window));
        // Watch from the newest Node seen: from the first read, the watch would replay every
        // change made while waiting for the registration, each still showing the taint.
        resourceVersion = (await remover.handle(node, window)).resourceVersion || node.resourceVersion;
      }
      const remainingSeconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const watchStarted = Date.now();
      const events = client.watch(paths.nodes, {
        query: { fieldSelector: `metadata.name=${options.nodeName}`, resourceVersion },
        timeoutSeconds: Math.min(300, remainingSeconds),
        signal: window,
      });
      for await (const event of events) {
        const node = nodeView(event.object);
        if (node.resourceVersion !== '') resourceVersion = node.resourceVersion;
        if (event.type === 'ADDED' || event.type === 'MODIFIED') await remover.handle(node, window);
      }
      backoff.reset();
      // A server that ends watches at once must not make this a busy loop.
      if (Date.now() - watchStarted < 1000) await sleep(1000, window);
    } catch (err) {
      if (window.aborted) break;
      if (err instanceof KubeApiError && err.status === 410) {
        resourceVersion = undefined; // the watch fell too far behind: read the Node afresh
        continue;
      }
      if (err instanceof KubeApiError && (err.status === 401 || err.status === 403)) {
        log.error({ error: err.message }, 'not allowed to read or patch this Node (the node ClusterRole needs nodes get, watch and patch, csinodes get): the start-up taint will not be removed');
        return;
      }
      resourceVersion = undefined;
      const delay = backoff.delay();
      log.warn({ error: errorText(err), retryInSeconds: delay / 1000 }, 'watching the Node failed; retrying');
      await sleep(delay, window);
    }
  }
  if (options.signal?.aborted) return;
  // One last look, bounded: a taint added just as the watch closed would otherwise stay.
  const lastLook = AbortSignal.any([AbortSignal.timeout(LAST_LOOK_MS), ...(options.signal ? [options.signal] : [])]);
  try {
    await remover.handle(nodeView(await client.get(paths.node(options.nodeName), undefined, lastLook)), lastLook);
  } catch (err) {
    log.warn({ error: errorText(err) }, 'last look for the start-up taint failed');
  }
  log.info({ windowSeconds: Math.round(windowMs / 1000) }, 'stopped watching for the start-up taint');
}
