// The one place that reads AWS errors: which outcome a failed call counts as, whether the
// retry policy may try again, and which CloudError kind (with an actionable message) it becomes.
import type { Ec2Outcome } from '../../metrics/registry.js';
import { CloudError, type CloudErrorKind } from '../errors.js';

interface AwsErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

const shape = (err: unknown): AwsErrorShape => (typeof err === 'object' && err !== null ? err : {});

/** The EC2 error code ("InvalidVolume.NotFound"), or a Node network code ("ECONNRESET"). */
export function awsErrorCode(err: unknown): string | undefined {
  const e = shape(err);
  if (e.$fault !== undefined || typeof e.$metadata?.httpStatusCode === 'number') {
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  }
  if (typeof e.code === 'string') return e.code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return undefined;
}

const httpStatus = (err: unknown): number | undefined => {
  const status = shape(err).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
};

const errorMessage = (err: unknown): string => {
  const m = shape(err).message;
  return typeof m === 'string' && m.length > 0 ? m : String(err);
};

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled',
  'RequestThrottledException', 'TooManyRequestsException', 'SlowDown', 'PriorRequestNotComplete',
  'EC2ThrottledException', 'BandwidthLimitExceeded', 'TransactionInProgressException',
]);

const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'InsufficientInstanceCapacity']);

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

export const isThrottling = (err: unknown): boolean =>
  THROTTLING_CODES.has(awsErrorCode(err) ?? '') || httpStatus(err) === 429;

export const isNetworkError = (err: unknown): boolean =>
  httpStatus(err) === undefined && NETWORK_CODES.has(awsErrorCode(err) ?? '');

export const isServerError = (err: unknown): boolean => {
  const status = httpStatus(err);
  return (status !== undefined && status >= 500) || SERVER_CODES.has(awsErrorCode(err) ?? '') || shape(err).$fault === 'server';
};

export const isDryRunSuccess = (err: unknown): boolean => awsErrorCode(err) === 'DryRunOperation';

/** The awsCode of a CloudError for an action the endpoint does not offer at all. */
export const NOT_IMPLEMENTED = 'NotImplemented';
const NOT_IMPLEMENTED_CODES = new Set([NOT_IMPLEMENTED, 'UnsupportedOperation', 'InvalidAction', 'UnknownOperationException']);

/**
 * The endpoint does not offer this action (emulators lack some): one of the codes saying so,
 * HTTP 501, or an HTTP 500 whose body is not an EC2 error at all (moto's answer to an action
 * it lacks is an HTML error page; EC2's own internal errors always carry a code).
 */
export function isNotImplemented(err: unknown): boolean {
  const code = awsErrorCode(err);
  if (code !== undefined && NOT_IMPLEMENTED_CODES.has(code)) return true;
  const status = httpStatus(err);
  if (status === 501) return true;
  return status === 500 && code === undefined && typeof (shape(err) as { $responseBodyText?: unknown }).$responseBodyText === 'string';
}

/** True for a CloudError made from an answer of isNotImplemented. */
export const isNotImplementedError = (err: unknown): boolean =>
  err instanceof CloudError && err.awsCode !== undefined && NOT_IMPLEMENTED_CODES.has(err.awsCode);

/** Throttling, 5xx and network failures may succeed later; client errors and missing actions never will. */
export const isRetryable = (err: unknown): boolean =>
  !isNotImplemented(err) && (isThrottling(err) || isServerError(err) || isNetworkError(err));

/** The metrics label of one failed attempt. */
export function outcomeOf(err: unknown): Exclude<Ec2Outcome, 'success'> {
  if (isDryRunSuccess(err)) return 'dry_run';
  if (isThrottling(err)) return 'throttled';
  if (isServerError(err) || isNetworkError(err)) return 'server_error';
  return 'client_error';
}

interface Mapping {
  readonly kind: CloudErrorKind;
  /** What it means for the operator, in a few words. */
  readonly meaning: string;
}

const CODE_MAP: Readonly<Record<string, Mapping>> = {
  'InvalidVolume.NotFound': { kind: 'VolumeNotFound', meaning: 'the volume does not exist in this region' },
  'InvalidVolumeID.Malformed': { kind: 'VolumeNotFound', meaning: 'the volume id is not a valid EBS volume id' },
  'InvalidInstanceID.NotFound': { kind: 'InstanceNotFound', meaning: 'the instance does not exist in this region (terminated?)' },
  'InvalidInstanceID.Malformed': { kind: 'InstanceNotFound', meaning: 'the instance id is not a valid EC2 instance id' },
  'InvalidSnapshot.NotFound': { kind: 'SnapshotNotFound', meaning: 'the snapshot does not exist in this region' },
  'InvalidSnapshotID.Malformed': { kind: 'SnapshotNotFound', meaning: 'the snapshot id is not a valid EBS snapshot id' },
  'InvalidSnapshot.InUse': { kind: 'IncorrectState', meaning: 'the snapshot is in use (e.g. by an AMI) and cannot be deleted' },
  VolumeInUse: { kind: 'VolumeInUse', meaning: 'the volume is attached to an instance; detach it first' },
  IncorrectState: { kind: 'IncorrectState', meaning: 'the resource is not in a state that allows this operation' },
  IncorrectInstanceState: { kind: 'IncorrectState', meaning: 'the instance is not in a state that allows this operation (stopping or terminated?)' },
  'InvalidAttachment.NotFound': { kind: 'IncorrectState', meaning: 'the volume is not attached to that instance' },
  'InvalidVolume.ZoneMismatch': { kind: 'IncorrectState', meaning: 'the volume and the instance are in different availability zones' },
  AttachmentLimitExceeded: { kind: 'AttachmentLimitExceeded', meaning: 'the instance cannot take more EBS volumes' },
  VolumeLimitExceeded: { kind: 'VolumeLimitExceeded', meaning: 'the account\'s EBS volume/storage quota in this region is reached; raise the quota or delete unused volumes' },
  MaxIOPSLimitExceeded: { kind: 'VolumeLimitExceeded', meaning: 'the account\'s provisioned IOPS quota in this region is reached' },
  SnapshotLimitExceeded: { kind: 'SnapshotLimitExceeded', meaning: 'the account\'s snapshot quota in this region is reached; delete unused snapshots or raise the quota' },
  SnapshotCreationPerVolumeRateExceeded: { kind: 'SnapshotLimitExceeded', meaning: 'snapshots of this volume are being created too fast; retry later' },
  IdempotentParameterMismatch: { kind: 'IdempotentParameterMismatch', meaning: 'a request with the same name (client token) was made before with different parameters' },
  InvalidParameterValue: { kind: 'InvalidParameter', meaning: 'EC2 rejected a parameter value' },
  InvalidParameterCombination: { kind: 'InvalidParameter', meaning: 'EC2 rejected this combination of parameters' },
  InvalidParameter: { kind: 'InvalidParameter', meaning: 'EC2 rejected a parameter' },
  MissingParameter: { kind: 'InvalidParameter', meaning: 'a required parameter is missing' },
  'InvalidZone.NotFound': { kind: 'InvalidParameter', meaning: 'the availability zone does not exist in this region' },
  UnknownVolumeType: { kind: 'InvalidParameter', meaning: 'the volume type is not offered in this region' },
  UnauthorizedOperation: { kind: 'Unauthorized', meaning: 'the driver\'s IAM policy does not allow this action; grant it (see the docs\' IAM policy)' },
  AuthFailure: { kind: 'Unauthorized', meaning: 'AWS could not validate the credentials; check the driver\'s credentials' },
  AccessDenied: { kind: 'Unauthorized', meaning: 'access denied to the driver\'s credentials' },
  InvalidClientTokenId: { kind: 'Unauthorized', meaning: 'the access key id is not valid' },
  ExpiredToken: { kind: 'Unauthorized', meaning: 'the credentials have expired' },
  SignatureDoesNotMatch: { kind: 'Unauthorized', meaning: 'the request signature does not match (wrong secret key or clock skew)' },
  OptInRequired: { kind: 'Unauthorized', meaning: 'the account is not subscribed to this service or region' },
  Blocked: { kind: 'Unauthorized', meaning: 'the account is blocked' },
  IncorrectModificationState: { kind: 'ModificationRateExceeded', meaning: 'a modification of this volume is still in progress; a new one is accepted after it completes' },
  VolumeModificationRateExceeded: { kind: 'ModificationRateExceeded', meaning: 'EBS allows a new modification of a volume only some hours after the previous one' },
  UnsupportedOperation: { kind: 'Unknown', meaning: 'EC2 does not support this request for this resource, region or endpoint' },
  InvalidPaginationToken: { kind: 'InvalidPaginationToken', meaning: 'the pagination token is not valid' },
  InvalidNextToken: { kind: 'InvalidPaginationToken', meaning: 'the pagination token is not valid' },
};

/** The kind of an EC2 error code met outside an exception (e.g. a per-zone result). */
export const cloudErrorKindOf = (code: string | undefined): CloudErrorKind => mappingFor({ code }, code).kind;

function mappingFor(err: unknown, code: string | undefined): Mapping {
  const known = code === undefined ? undefined : CODE_MAP[code];
  if (known) return known;
  if (isNotImplemented(err)) return { kind: 'Unknown', meaning: 'the EC2 endpoint does not implement this action (an emulator?)' };
  if (isThrottling(err)) return { kind: 'Throttled', meaning: 'EC2 throttled the request (API rate limit) and the retries ran out; retry later' };
  if (isNetworkError(err)) return { kind: 'Timeout', meaning: 'the EC2 endpoint could not be reached; check the network, the region and AWS_ENDPOINT_URL_EC2' };
  if (isServerError(err)) return { kind: 'Unknown', meaning: 'EC2 had an internal error and the retries ran out; retry later' };
  if (isDryRunSuccess(err)) return { kind: 'Unknown', meaning: 'the DryRun request would have succeeded' };
  if (code?.startsWith('Invalid')) return { kind: 'InvalidParameter', meaning: 'EC2 rejected a parameter' };
  return { kind: 'Unknown', meaning: 'EC2 returned an unexpected error' };
}

/**
 * Turns whatever an EC2 call threw into a CloudError. `action` is the EC2 action and
 * `subject` names the resource ("volume vol-1 on instance i-2") so the message says what failed.
 */
export function toCloudError(err: unknown, action: string, subject?: string): CloudError {
  if (err instanceof CloudError) return err;
  const code = awsErrorCode(err);
  const { kind, meaning } = mappingFor(err, code);
  const what = subject ? `${action} of ${subject}` : action;
  const detail = `${errorMessage(err)}${code ? ` (${code})` : ''}`;
  const permission = kind === 'Unauthorized' && code === 'UnauthorizedOperation' ? ` [needs ec2:${action}]` : '';
  // A missing action keeps a code that says so, even when the endpoint gave none (or another).
  const awsCode = isNotImplemented(err) && !NOT_IMPLEMENTED_CODES.has(code ?? '') ? NOT_IMPLEMENTED : code;
  return new CloudError(kind, `EC2 ${what} failed: ${meaning}${permission}. EC2 said: ${detail}`, awsCode);
}

/**
 * EC2 has no distinct code for "that attach device name is taken": it answers
 * InvalidParameterValue with "... is already in use" in the message. Only this check reads a message.
 */
export const isDeviceNameInUse = (err: unknown): boolean =>
  err instanceof CloudError && err.awsCode === 'InvalidParameterValue' && /already in use/i.test(err.message);
