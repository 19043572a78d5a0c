// Start-up: find out who this node is, IMDS first, then the Kubernetes Node object.
// When both fail the error names both reasons, so the operator sees what to fix.
import type { Logger } from '../logger.js';
import { identityFromImds, type ImdsOptions } from './imds.js';
import { identityFromKubernetes, type KubernetesOptions } from './kubernetes.js';
import type { NodeIdentity } from './types.js';

export interface ResolveOptions {
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly imds?: ImdsOptions;
  readonly kubernetes?: KubernetesOptions;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class NodeIdentityError extends Error {
  override name = 'NodeIdentityError';
}

export async function resolveNodeIdentity(options: ResolveOptions): Promise<NodeIdentity> {
  const env = options.env ?? process.env;
  let imdsFailure = 'switched off by AWS_EC2_METADATA_DISABLED';
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() !== 'true') {
    try {
      return await identityFromImds(options.imds);
    } catch (err) {
      imdsFailure = reason(err);
      options.log.warn({ error: imdsFailure }, 'instance metadata service unavailable; trying the Kubernetes Node object');
    }
  }
  try {
    return await identityFromKubernetes({ env, ...options.kubernetes });
  } catch (err) {
    throw new NodeIdentityError(
      `cannot tell which EC2 instance this node is. IMDS: ${imdsFailure}. Kubernetes: ${reason(err)}. `
      + 'Allow IMDSv2 from the pod (hop limit 2), or set CSI_NODE_NAME and let the pod read its Node object.');
  }
}
