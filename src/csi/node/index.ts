// The CSI Node service: the handlers (validate → look up → act → answer, in the files
// beside this one), the in-flight keys the pipeline claims per call, and the start-up
// that finds out which instance this is.
import type { NodeHandlers } from '../../generated/csi/v1/Node.js';
import type { Logger } from '../../logger.js';
import type { KubeApi } from '../../kube/client.js';
import { networkInterfacesFromImds } from '../../metadata/imds.js';
import { LiveAttachLimit } from '../../metadata/live-limit.js';
import { resolveNodeIdentity } from '../../metadata/resolve.js';
import type { MetadataSource } from '../../metadata/types.js';
import type { Metrics } from '../../metrics/registry.js';
import { DeviceFinder } from '../../node/device-discovery.js';
import { runCommand } from '../../node/exec.js';
import { Filesystems } from '../../node/filesystem.js';
import { Mounter } from '../../node/mounter.js';
import type { AsyncHandlers, LockKeys } from '../../server/pipeline.js';
import type { NodeDeps } from './deps.js';
import { NODE_CAPABILITIES, nodeInfo } from './info.js';
import { publishVolume, unpublishVolume } from './publish.js';
import { stageVolume, unstageVolume } from './stage.js';
import { expandVolume, volumeStats } from './volume-size.js';

export type { NodeDeps } from './deps.js';

export function nodeHandlers(deps: NodeDeps): AsyncHandlers<NodeHandlers> {
  const fixed = nodeInfo(deps.identity, deps.maxVolumesPerNode);
  const { currentMaxVolumes } = deps;
  return {
    NodeStageVolume: (req, ctx) => stageVolume(deps, req, ctx),
    NodeUnstageVolume: (req, ctx) => unstageVolume(deps, req, ctx),
    NodePublishVolume: (req, ctx) => publishVolume(deps, req, ctx),
    NodeUnpublishVolume: (req, ctx) => unpublishVolume(deps, req, ctx),
    NodeExpandVolume: (req, ctx) => expandVolume(deps, req, ctx),
    NodeGetVolumeStats: (req) => volumeStats(deps, req),
    NodeGetCapabilities: () => Promise.resolve(NODE_CAPABILITIES),
    NodeGetInfo: async () => (currentMaxVolumes ? nodeInfo(deps.identity, await currentMaxVolumes()) : fixed),
  };
}

const byVolume = (req: { volumeId: string }): string[] => (req.volumeId ? [`volume:${req.volumeId}`] : []);

/** One operation per volume at a time: a second one in flight gets ABORTED from the pipeline. */
export const nodeLockKeys: LockKeys<NodeHandlers> = {
  NodeStageVolume: byVolume,
  NodeUnstageVolume: byVolume,
  NodePublishVolume: byVolume,
  NodeUnpublishVolume: byVolume,
  NodeExpandVolume: byVolume,
};

export interface NodeServiceOptions {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly driverName: string;
  readonly volumeAttachLimit?: number;
  readonly reservedVolumeAttachments?: number;
  /** --legacy-xfs: format XFS for Linux 5.4 and older. */
  readonly legacyXfs?: boolean;
  readonly metadataSources: readonly MetadataSource[];
  /** The Kubernetes client, made on first use (only when IMDS cannot tell who this node is). */
  readonly kubeClient: () => Promise<Pick<KubeApi, 'get'>>;
  /** The environment to read EBS_LOCAL_VOLUMES_DIR from (default: the process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The local environment's data plane backs each emulated volume with a loop device over
 * <dir>/<volume id>.img and names that directory here. Unset (always, on a real node) no
 * loop device is ever taken for a volume.
 */
export const EMULATED_VOLUMES_ENV = 'EBS_LOCAL_VOLUMES_DIR';

function emulatedVolumesDir(env: NodeJS.ProcessEnv, log: Logger): string | undefined {
  const dir = env[EMULATED_VOLUMES_ENV]?.trim();
  if (!dir) return undefined;
  if (!dir.startsWith('/')) throw new Error(`${EMULATED_VOLUMES_ENV} must be an absolute path; got ${JSON.stringify(dir)}`);
  log.warn({ dir }, `${EMULATED_VOLUMES_ENV} is set: loop devices backed by <dir>/<volume id>.img count as EBS volumes (local environment only)`);
  return dir;
}

export async function createNodeService(options: NodeServiceOptions): Promise<{
  handlers: AsyncHandlers<NodeHandlers>; lockKeys: LockKeys<NodeHandlers>; nodeId: string;
}> {
  const identity = await resolveNodeIdentity({ log: options.log, sources: options.metadataSources, kubeClient: options.kubeClient });
  const limit = new LiveAttachLimit({
    identity, log: options.log,
    ...(options.volumeAttachLimit !== undefined ? { volumeAttachLimit: options.volumeAttachLimit } : {}),
    ...(options.reservedVolumeAttachments !== undefined ? { reservedVolumeAttachments: options.reservedVolumeAttachments } : {}),
    ...(identity.source === 'imds' ? { networkInterfaces: () => networkInterfacesFromImds() } : {}),
  });
  const maxVolumes = limit.value;
  options.log.info({
    driver: options.driverName, instanceId: identity.instanceId, zone: identity.availabilityZone,
    instanceType: identity.instanceType, identitySource: identity.source, maxVolumesPerNode: maxVolumes,
  }, 'node identity resolved');
  const emulated = emulatedVolumesDir(options.env ?? process.env, options.log);
  const handlers = nodeHandlers({
    devices: new DeviceFinder(emulated !== undefined ? { emulatedVolumesDir: emulated } : {}),
    mounter: new Mounter(runCommand),
    filesystems: new Filesystems(runCommand, { legacyXfs: options.legacyXfs === true }),
    sysRoot: '/sys',
    identity,
    maxVolumesPerNode: maxVolumes,
    currentMaxVolumes: () => limit.current(),
  });
  return { handlers, lockKeys: nodeLockKeys, nodeId: identity.instanceId };
}
