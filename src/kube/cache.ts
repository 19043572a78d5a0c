// One Kubernetes client per process, made on first use: the node plugin needs one only for the
// taint watcher and when IMDS cannot tell who the node is, and a failure to make it (no service
// account token mounted, say) is reported to whoever asked, each time, rather than at start-up.
import type { KubeClient } from './client.js';
import { createKubeClient, type KubeClientOptions } from './index.js';

export class KubeClientCache {
  private client: Promise<KubeClient> | undefined;

  constructor(private readonly options: KubeClientOptions = {}) {}

  get(): Promise<KubeClient> {
    if (!this.client) {
      const made = createKubeClient(this.options);
      // A failed attempt is not kept: the token may be mounted by the next call.
      made.catch(() => { if (this.client === made) this.client = undefined; });
      this.client = made;
    }
    return this.client;
  }

  close(): void {
    void this.client?.then((c) => c.close(), () => undefined);
  }
}
