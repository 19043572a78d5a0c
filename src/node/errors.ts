// The node layer's one error type. It says what went wrong on the host in host terms;
// src/server/errors.ts turns each kind into the gRPC status the CSI spec asks for.

export type NodeErrorKind =
  /** No block device for the volume appeared in time. */
  | 'DeviceNotFound'
  /** A path or value from the request is unusable (relative or traversing path, escaping symlink, bad format option). */
  | 'InvalidArgument'
  /** The path (target, staging, volume path) does not exist or holds no volume. */
  | 'PathNotFound'
  /** The device holds data we must not touch (another filesystem, a partition table). */
  | 'DeviceNotBlank'
  /** Something already sits where we were asked to put the volume, and it is not this volume. */
  | 'Conflict'
  /** The path is still in use (busy mount, bind mounts of it still present). */
  | 'InUse'
  /** Publish found nothing staged at the staging path. */
  | 'NotStaged'
  /** The device is smaller than the size asked for (the volume change has not reached the node yet). */
  | 'DeviceTooSmall'
  /** An external command exited non-zero. */
  | 'CommandFailed'
  /** An external command ran past its timeout. */
  | 'CommandTimedOut';

export class NodeError extends Error {
  constructor(readonly kind: NodeErrorKind, message: string) {
    super(message);
    this.name = 'NodeError';
  }
}
