// Node identity from the Kubernetes Node object named by CSI_NODE_NAME, for nodes where
// IMDS is unreachable (hop limit 1 with a pod network, or IMDS switched off): instance id
// (and zone) from spec.providerID, zone, region and instance type from the well-known labels.
import type { KubeApi } from '../kube/client.js';
import { paths } from '../kube/objects.js';
import { INSTANCE_ID, type NodeIdentity } from './types.js';

export interface KubernetesOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The API client (made once per process by the caller: see kube/index.ts). */
  readonly client: () => Promise<Pick<KubeApi, 'get'>>;
}

export const SAGEMAKER_ENI_LABEL = 'sagemaker.amazonaws.com/num-eni-attachments';
export const SAGEMAKER_BLOCK_DEVICES_LABEL = 'sagemaker.amazonaws.com/num-block-device-mappings';

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
  // SageMaker HyperPod nodes name their type "ml.<type>".
  const instanceType = label('node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type')?.replace(/^ml\./, '');
  const region = label('topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region') ?? zone.replace(/[a-z]$/, '');
  // HyperPod also publishes what IMDS would tell about interfaces and boot volumes.
  const count = (key: string): number | undefined => {
    const value = label(key);
    return value !== undefined && /^\d{1,3}$/.test(value) ? Number(value) : undefined;
  };
  const networkInterfaces = count(SAGEMAKER_ENI_LABEL);
  const extraBootVolumes = count(SAGEMAKER_BLOCK_DEVICES_LABEL);
  return {
    source: 'kubernetes', instanceId: parsed.instanceId, availabilityZone: zone, region,
    ...(instanceType ? { instanceType } : {}),
    ...(networkInterfaces !== undefined ? { networkInterfaces: Math.max(1, networkInterfaces) } : {}),
    ...(extraBootVolumes !== undefined ? { extraBootVolumes } : {}),
  };
}

export async function identityFromKubernetes(options: KubernetesOptions): Promise<NodeIdentity> {
  const env = options.env ?? process.env;
  const nodeName = env.CSI_NODE_NAME;
  if (!nodeName) throw new Error('CSI_NODE_NAME is not set');
  const client = await options.client();
  return identityFromNodeObject(await client.get(paths.node(nodeName)), nodeName);
}

/** The region a Node's labels name (the zone without its letter when only the zone is there). */
export function regionFromNodeObject(node: unknown, nodeName: string): string {
  const labels = ((typeof node === 'object' && node !== null ? node : {}) as NodeObject).metadata?.labels ?? {};
  const text = (key: string): string | undefined => {
    const value = labels[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const region = text('topology.kubernetes.io/region') ?? text('failure-domain.beta.kubernetes.io/region')
    ?? (text('topology.kubernetes.io/zone') ?? text('failure-domain.beta.kubernetes.io/zone'))?.replace(/[a-z]$/, '');
  if (!region) throw new Error(`Node ${nodeName} has no topology.kubernetes.io/region (or zone) label`);
  return region;
}

/** The region of the Node named by CSI_NODE_NAME (the pod's own node). */
export async function regionFromKubernetes(options: KubernetesOptions): Promise<string> {
  const env = options.env ?? process.env;
  const nodeName = env.CSI_NODE_NAME;
  if (!nodeName) throw new Error('CSI_NODE_NAME is not set');
  const client = await options.client();
  return regionFromNodeObject(await client.get(paths.node(nodeName)), nodeName);
}
