// Node identity from the Kubernetes Node object named by CSI_NODE_NAME, for nodes where
// IMDS is unreachable (hop limit 1 with a pod network, or IMDS switched off). Uses the
// pod's service-account token and the in-cluster API server address, over HTTPS with the
// cluster CA, through node's own https module: no client library needed for one GET.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { INSTANCE_ID, type NodeIdentity } from './types.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** GETs a path from the API server and parses the JSON body. */
export type KubernetesGet = (path: string) => Promise<unknown>;

export interface KubernetesOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the HTTPS client (tests). */
  readonly get?: KubernetesGet;
  readonly serviceAccountDir?: string;
  readonly timeoutMs?: number;
}

interface NodeObject {
  readonly metadata?: { readonly labels?: Readonly<Record<string, unknown>> };
  readonly spec?: { readonly providerID?: unknown };
}

/** "aws:///us-east-1a/i-0abc…" → zone and instance id; undefined for other providers. */
export function parseProviderId(providerId: string): { zone?: string; instanceId: string } | undefined {
  const match = /^aws:\/\/\/?(?:([a-z0-9-]+)\/)?(i-[0-9a-f]+)$/.exec(providerId.trim());
  if (!match?.[2]) return undefined;
  return { instanceId: match[2], ...(match[1] ? { zone: match[1] } : {}) };
}

export function identityFromNodeObject(node: unknown, nodeName: string): NodeIdentity {
  const object = (typeof node === 'object' && node !== null ? node : {}) as NodeObject;
  const labels = object.metadata?.labels ?? {};
  const label = (...keys: string[]): string | undefined => {
    for (const key of keys) {
      const value = labels[key];
      if (typeof value === 'string' && value.length > 0) return value;
    }
    return undefined;
  };
  const providerId = typeof object.spec?.providerID === 'string' ? object.spec.providerID : '';
  const parsed = parseProviderId(providerId);
  if (!parsed || !INSTANCE_ID.test(parsed.instanceId)) {
    throw new Error(`Node ${nodeName} has no AWS providerID with an instance id (spec.providerID=${JSON.stringify(providerId)})`);
  }
  const zone = label('topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone') ?? parsed.zone;
  if (!zone) throw new Error(`Node ${nodeName} has no topology.kubernetes.io/zone label and no zone in its providerID`);
  const instanceType = label('node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type');
  const region = label('topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region') ?? zone.replace(/[a-z]$/, '');
  return {
    source: 'kubernetes', instanceId: parsed.instanceId, availabilityZone: zone, region,
    ...(instanceType ? { instanceType } : {}),
  };
}

function httpsGetter(host: string, port: number, token: string, ca: Buffer, timeoutMs: number): KubernetesGet {
  return (path) => new Promise<unknown>((resolve, reject) => {
    const req = request({
      host, port, path, method: 'GET', ca, timeout: timeoutMs,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${path} answered HTTP ${res.statusCode ?? '?'}: ${body.slice(0, 300)}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as unknown);
        } catch {
          reject(new Error(`GET ${path} answered a body that is not JSON`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function identityFromKubernetes(options: KubernetesOptions = {}): Promise<NodeIdentity> {
  const env = options.env ?? process.env;
  const nodeName = env.CSI_NODE_NAME;
  if (!nodeName) throw new Error('CSI_NODE_NAME is not set');
  let get = options.get;
  if (!get) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = Number(env.KUBERNETES_SERVICE_PORT ?? '443');
    if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set (not running in a pod?)');
    const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    const [token, ca] = await Promise.all([readFile(`${dir}/token`, 'utf8'), readFile(`${dir}/ca.crt`)]);
    get = httpsGetter(host, port, token.trim(), ca, options.timeoutMs ?? 5000);
  }
  const node = await get(`/api/v1/nodes/${encodeURIComponent(nodeName)}`);
  return identityFromNodeObject(node, nodeName);
}
