// The one place where any error becomes a gRPC status. CsiError carries its code;
// CloudError and NodeError kinds map by the CSI spec's tables; anything else is INTERNAL.
import { status } from '@grpc/grpc-js';
import { CallAbandoned } from '../call-scope.js';
import { CloudError, type CloudErrorKind } from '../cloud/errors.js';
import { CsiError, type CsiCode } from '../errors.js';
import { NodeError, type NodeErrorKind } from '../node/errors.js';

export interface GrpcFailure {
  readonly code: status;
  readonly message: string;
}

const csiCodes: Record<CsiCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  ABORTED: status.ABORTED,
  UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
};

const cloudCodes: Record<CloudErrorKind, status> = {
  VolumeNotFound: status.NOT_FOUND,
  InstanceNotFound: status.NOT_FOUND,
  SnapshotNotFound: status.NOT_FOUND,
  VolumeInUse: status.FAILED_PRECONDITION,
  AttachedElsewhere: status.FAILED_PRECONDITION,
  IncorrectState: status.FAILED_PRECONDITION,
  AttachmentLimitExceeded: status.RESOURCE_EXHAUSTED,
  // Detached again after it hung: a new attempt (the CO retries UNAVAILABLE) starts afresh.
  AttachmentStuck: status.UNAVAILABLE,
  VolumeLimitExceeded: status.RESOURCE_EXHAUSTED,
  SnapshotLimitExceeded: status.RESOURCE_EXHAUSTED,
  ModificationRateExceeded: status.RESOURCE_EXHAUSTED,
  // A reused token with other parameters means the same name was asked for differently.
  IdempotentParameterMismatch: status.ALREADY_EXISTS,
  InvalidParameter: status.INVALID_ARGUMENT,
  // The CO retries UNAVAILABLE and DEADLINE_EXCEEDED with backoff, which is what both need.
  Throttled: status.UNAVAILABLE,
  Timeout: status.DEADLINE_EXCEEDED,
  Unauthorized: status.PERMISSION_DENIED,
  // CSI: a starting_token the plugin does not recognise is ABORTED.
  InvalidPaginationToken: status.ABORTED,
  Unknown: status.INTERNAL,
};

const nodeCodes: Record<NodeErrorKind, status> = {
  DeviceNotFound: status.NOT_FOUND,
  InvalidArgument: status.INVALID_ARGUMENT,
  PathNotFound: status.NOT_FOUND,
  // Not ours to fix by retrying: someone must look at what is on the device.
  DeviceNotBlank: status.FAILED_PRECONDITION,
  // CSI: the same path with incompatible arguments is ALREADY_EXISTS.
  Conflict: status.ALREADY_EXISTS,
  InUse: status.FAILED_PRECONDITION,
  NotStaged: status.FAILED_PRECONDITION,
  DeviceTooSmall: status.FAILED_PRECONDITION,
  CommandFailed: status.INTERNAL,
  CommandTimedOut: status.DEADLINE_EXCEEDED,
};

export function toGrpcFailure(err: unknown): GrpcFailure {
  if (err instanceof CsiError) return { code: csiCodes[err.code], message: err.message };
  if (err instanceof CloudError) return { code: cloudCodes[err.kind], message: err.message };
  if (err instanceof NodeError) return { code: nodeCodes[err.kind], message: err.message };
  if (err instanceof CallAbandoned) return { code: status.DEADLINE_EXCEEDED, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, message: `internal error: ${message}` };
}
