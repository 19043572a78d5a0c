// Start-up: find out who this node is from the sources --metadata-sources names, in order
// (default: IMDS, then the Kubernetes Node object, as the reference driver). When every source
// fails the error names each reason, so the operator sees what to fix.
import type { KubeApi } from '../kube/client.js';
import type { Logger } from '../logger.js';
import { identityFromImds, type ImdsOptions } from './imds.js';
import { identityFromKubernetes, regionFromKubernetes } from './kubernetes.js';
import { DEFAULT_METADATA_SOURCES, type MetadataSource, type NodeIdentity } from './types.js';

export interface ResolveOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly sources?: readonly MetadataSource[];
  readonly imds?: ImdsOptions;
  /** The Kubernetes client, made on first use (kube/index.ts). */
  readonly kubeClient: () => Promise<Pick<KubeApi, 'get'>>;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class NodeIdentityError extends Error {
  override name = 'NodeIdentityError';
}

// SageMaker HyperPod nodes must not use IMDS (it describes the host, not the node).
const isHyperPodNode = (name: string | undefined): boolean => name?.startsWith('hyperpod-') === true;

export async function resolveNodeIdentity(options: ResolveOptions): Promise<NodeIdentity> {
  const env = options.env ?? process.env;
  const sources = options.sources ?? DEFAULT_METADATA_SOURCES;
  const failures: string[] = [];
  for (const source of sources) {
    if (source === 'imds') {
      if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') {
        failures.push('IMDS: switched off by AWS_EC2_METADATA_DISABLED');
        continue;
      }
      if (isHyperPodNode(env.CSI_NODE_NAME)) {
        failures.push('IMDS: not used on a SageMaker HyperPod node');
        continue;
      }
      try {
        return await identityFromImds(options.imds);
      } catch (err) {
        failures.push(`IMDS: ${reason(err)}`);
        options.log.warn({ error: reason(err), next: sources.slice(sources.indexOf(source) + 1) }, 'instance metadata service unavailable');
      }
    } else {
      try {
        return await identityFromKubernetes({ env, client: options.kubeClient });
      } catch (err) {
        failures.push(`Kubernetes: ${reason(err)}`);
        options.log.warn({ error: reason(err) }, 'cannot read this node\'s identity from its Node object');
      }
    }
  }
  const hints = [
    sources.includes('imds') ? 'allow IMDSv2 from the pod (hop limit 2, or hostNetwork)' : '',
    sources.includes('kubernetes') ? 'set CSI_NODE_NAME and let the pod read its Node object' : `add "kubernetes" to --metadata-sources`,
  ].filter((h) => h !== '');
  throw new NodeIdentityError(`cannot tell which EC2 instance this node is (--metadata-sources=${sources.join(',')}). `
    + `${failures.join('. ')}. To fix: ${hints.join(', or ')}.`);
}

/**
 * The controller's region when none is configured: from IMDS, else from the
 * topology.kubernetes.io/region label of the Node it runs on, in --metadata-sources order (as
 * the reference finds it). Undefined when every source fails; the reasons are logged.
 */
export async function discoverRegion(options: ResolveOptions): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const failures: string[] = [];
  for (const source of options.sources ?? DEFAULT_METADATA_SOURCES) {
    try {
      if (source === 'kubernetes') return await regionFromKubernetes({ env, client: options.kubeClient });
      if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') throw new Error('switched off by AWS_EC2_METADATA_DISABLED');
      const { region } = await identityFromImds(options.imds);
      if (region) return region;
      throw new Error('the instance identity document names no region');
    } catch (err) {
      failures.push(`${source === 'imds' ? 'IMDS' : 'Kubernetes'}: ${reason(err)}`);
    }
  }
  options.log.warn({ reasons: failures }, 'no region configured (AWS_REGION) and none found from instance metadata or the Node object; '
    + 'the AWS SDK\'s own configuration decides, and EC2 calls fail without one: set aws.region');
  return undefined;
}
