// What the node RPC handlers need from the host, in one object so tests can build it
// with fake roots and the real service builds it with the host's.
import type { NodeIdentity } from '../../metadata/types.js';
import type { DeviceFinder } from '../../node/device-discovery.js';
import type { Filesystems } from '../../node/filesystem.js';
import type { Mounter } from '../../node/mounter.js';

export interface NodeDeps {
  readonly devices: DeviceFinder;
  readonly mounter: Mounter;
  readonly filesystems: Filesystems;
  /** Root of sysfs (for device health); "/sys" on a host. */
  readonly sysRoot: string;
  readonly identity: NodeIdentity;
  readonly maxVolumesPerNode: number;
  /** When present, NodeGetInfo asks it for a fresh limit instead of maxVolumesPerNode. */
  readonly currentMaxVolumes?: () => Promise<number>;
}
