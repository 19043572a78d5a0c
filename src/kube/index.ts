// One way to get a Kubernetes client for the driver: --kubeconfig when given, else the pod's
// service account.
import { KubeClient } from './client.js';
import { inClusterConnection } from './connection.js';

export { KubeApiError, KubeClient, type KubeApi, type WatchEvent } from './client.js';
export { KubeConfigError } from './connection.js';

export interface KubeClientOptions {
  readonly kubeconfig?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Folder of the service account's token and CA (tests). */
  readonly serviceAccountDir?: string;
}

export async function createKubeClient(options: KubeClientOptions = {}): Promise<KubeClient> {
  if (options.kubeconfig !== undefined) {
    const { kubeconfigConnection } = await import('./kubeconfig.js');
    return new KubeClient(await kubeconfigConnection(options.kubeconfig));
  }
  return new KubeClient(await inClusterConnection(options.env, options.serviceAccountDir));
}
