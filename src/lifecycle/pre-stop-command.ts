// The pre-stop-hook mode of the binary: a short-lived process kubelet runs in the node plugin's
// container before stopping it. Exit 0 when the plugin may stop (not draining, volumes
// detached, or the time is up); 1 when the hook could not do its job (kubelet then records a
// FailedPreStopHook event and stops the container anyway).
import type { DriverOptions } from '../cli.js';
import { createKubeClient } from '../kube/index.js';
import type { Logger } from '../logger.js';
import { errorText } from './backoff.js';
import { preStopHook } from './pre-stop.js';

export async function runPreStopHook(options: DriverOptions, log: Logger): Promise<number> {
  const nodeName = process.env.CSI_NODE_NAME;
  if (!nodeName) {
    log.error('pre-stop-hook: CSI_NODE_NAME is not set, so there is no node to wait for');
    return 1;
  }
  let client;
  try {
    client = await createKubeClient(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {});
  } catch (err) {
    log.error({ error: errorText(err) }, 'pre-stop-hook: cannot reach the Kubernetes API');
    return 1;
  }
  // SIGTERM means kubelet's patience is over: stop waiting and let the process end.
  const stopping = new AbortController();
  process.once('SIGTERM', () => stopping.abort());
  try {
    await preStopHook({
      client, nodeName, driverName: options.driverName, log, signal: stopping.signal,
      ...(options.preStopTimeoutSeconds !== undefined ? { timeoutMs: options.preStopTimeoutSeconds * 1000 } : {}),
    });
    return 0;
  } catch (err) {
    log.error({ error: errorText(err) }, 'pre-stop-hook failed');
    return 1;
  } finally {
    client.close();
  }
}
