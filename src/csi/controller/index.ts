// The controller service: the handler groups composed, the capabilities they add up to,
// and the keys each RPC claims in the pipeline's in-flight guard.
import type { ControllerHandlers } from '../../generated/csi/v1/Controller.js';
import type { ControllerServiceCapability } from '../../generated/csi/v1/ControllerServiceCapability.js';
import { CsiError } from '../../errors.js';
import type { AsyncHandlers, LockKeys } from '../../server/pipeline.js';
import type { ControllerDeps } from './deps.js';
import { publishHandlers } from './publish.js';
import { resizeHandlers, type ResizeOptions } from './resize.js';
import { snapshotHandlers } from './snapshots.js';
import { volumeHandlers } from './volumes.js';

type RpcType = NonNullable<NonNullable<ControllerServiceCapability['rpc']>['type']>;

// GET_SNAPSHOT is served (GetSnapshot works) but not advertised: csi-sanity v5.4.0, the
// conformance suite the ecosystem runs, fails on capabilities it does not know yet.
const CAPABILITIES: readonly RpcType[] = [
  'CREATE_DELETE_VOLUME', 'CLONE_VOLUME', 'PUBLISH_UNPUBLISH_VOLUME', 'LIST_VOLUMES', 'LIST_VOLUMES_PUBLISHED_NODES',
  'GET_VOLUME', 'CREATE_DELETE_SNAPSHOT', 'LIST_SNAPSHOTS', 'SINGLE_NODE_MULTI_WRITER', 'EXPAND_VOLUME', 'MODIFY_VOLUME',
];

export interface ControllerService {
  readonly handlers: AsyncHandlers<ControllerHandlers>;
  readonly lockKeys: LockKeys<ControllerHandlers>;
}

export function createControllerService(deps: ControllerDeps, resize: ResizeOptions = {}): ControllerService {
  const capabilities = CAPABILITIES.map((type) => ({ rpc: { type } }));
  const handlers: AsyncHandlers<ControllerHandlers> = {
    ...volumeHandlers(deps),
    ...publishHandlers(deps),
    ...snapshotHandlers(deps),
    ...resizeHandlers(deps, resize),
    ControllerGetCapabilities: () => Promise.resolve({ capabilities }),
    // EBS has no pool whose free space could be reported: capacity is per-account quota.
    GetCapacity: () => Promise.reject(new CsiError('UNIMPLEMENTED', 'GetCapacity is not offered: EBS has no storage pool with a capacity to report')),
  };
  // One claim per volume (or per name before a volume exists), so that a repeated call
  // arriving while the first is still running is ABORTED instead of racing it.
  const lockKeys: LockKeys<ControllerHandlers> = {
    CreateVolume: (r) => [`volume-name:${r.name}`],
    DeleteVolume: (r) => [`volume:${r.volumeId}`],
    ControllerPublishVolume: (r) => [`attachment:${r.volumeId}:${r.nodeId}`],
    ControllerUnpublishVolume: (r) => [`attachment:${r.volumeId}:${r.nodeId}`],
    CreateSnapshot: (r) => [`snapshot-name:${r.name}`],
    DeleteSnapshot: (r) => [`snapshot:${r.snapshotId}`],
  };
  return { handlers, lockKeys };
}
