// Errors of the cloud seam, classified so that callers decide by kind, never by
// matching message strings. The EC2 adapter maps AWS error codes to these kinds.

export type CloudErrorKind =
  | 'VolumeNotFound' | 'InstanceNotFound' | 'SnapshotNotFound'
  | 'VolumeInUse' | 'AttachedElsewhere' | 'AttachmentLimitExceeded' | 'AttachmentStuck'
  | 'VolumeLimitExceeded' | 'SnapshotLimitExceeded'
  | 'IdempotentParameterMismatch' | 'InvalidParameter' | 'IncorrectState'
  | 'Throttled' | 'Unauthorized' | 'Timeout' | 'ModificationRateExceeded'
  | 'InvalidPaginationToken' | 'Unknown';

export class CloudError extends Error {
  constructor(
    readonly kind: CloudErrorKind,
    message: string,
    /** The EC2 error code behind it, when there was one. */
    readonly awsCode?: string,
  ) {
    super(message);
    this.name = 'CloudError';
  }
}

export const isCloudError = (err: unknown, kind?: CloudErrorKind): err is CloudError =>
  err instanceof CloudError && (kind === undefined || err.kind === kind);
