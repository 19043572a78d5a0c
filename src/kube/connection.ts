// Where the Kubernetes API server is and how to authenticate to it: in a pod, the service
// account (KUBERNETES_SERVICE_HOST/PORT, the token and CA the kubelet mounts); with
// --kubeconfig, that file's current context (kubeconfig.ts).
//
// Why not @kubernetes/client-node: loading it (with the clients and the requests the taint
// watcher makes) took the node plugin's idle RSS from 69.6 to 92.9 MiB on Node 24 with the
// image's flags, against 72.0 MiB with this client watching (README, "The node's life in
// Kubernetes"; scripts/bench-kube-client.mjs), and the node plugin needs it at every start-up on
// every node. The driver needs six calls (get, patch, list, watch on three kinds), so a small
// typed client over node:https (client.ts) serves it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A bearer token, fetched again when it may have changed (bound tokens rotate hourly). */
export type TokenSource = () => Promise<string>;

export interface KubeConnection {
  /** https://host:port (or http:// for a local insecure server named in a kubeconfig). */
  readonly server: URL;
  /** PEM CA bundle to verify the server with; the system CAs when absent. */
  readonly ca?: Buffer;
  readonly insecureSkipTlsVerify?: boolean;
  /** Name to verify the server's certificate against, when it differs from the host. */
  readonly tlsServerName?: string;
  readonly clientCert?: Buffer;
  readonly clientKey?: Buffer;
  readonly token?: TokenSource;
  /** Where this came from, for logs ("in-cluster", "kubeconfig /path, context x"). */
  readonly description: string;
}

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/**
 * A token read from a file, read again at most once a minute: the kubelet rewrites a projected
 * service-account token well before it expires, and a long-running watcher must follow it.
 */
export function fileTokenSource(path: string, now: () => number = Date.now): TokenSource {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached && now() - cached.at < 60_000) return cached.token;
    const token = (await readFile(path, 'utf8')).trim();
    if (token === '') throw new KubeConfigError(`the token file ${path} is empty`);
    cached = { token, at: now() };
    return token;
  };
}

/** The pod's own service account, as every in-cluster client reads it. */
export async function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): Promise<KubeConnection> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeConfigError('KUBERNETES_SERVICE_HOST is not set: not running in a pod? Pass --kubeconfig to run elsewhere');
  if (!/^\d{1,5}$/.test(port)) throw new KubeConfigError(`KUBERNETES_SERVICE_PORT must be a port number; got "${port}"`);
  const tokenFile = join(dir, 'token');
  let ca: Buffer;
  try {
    ca = await readFile(join(dir, 'ca.crt'));
  } catch (err) {
    throw new KubeConfigError(`cannot read the service account's CA (${join(dir, 'ca.crt')}): ${(err as Error).message}; `
      + 'is automountServiceAccountToken off for this pod?');
  }
  const token = fileTokenSource(tokenFile);
  // Fail at start-up, not at the first request, when the token is not there.
  await token();
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return { server: new URL(`https://${bracketed}:${port}`), ca, token, description: 'in-cluster service account' };
}
