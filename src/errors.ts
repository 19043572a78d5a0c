// The driver's own error type. Handlers throw it with the CSI status the spec asks for;
// src/server/errors.ts is the single place that turns any error into a gRPC status.

export type CsiCode =
  | 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE' | 'RESOURCE_EXHAUSTED' | 'ABORTED' | 'UNAVAILABLE' | 'INTERNAL'
  | 'DEADLINE_EXCEEDED' | 'PERMISSION_DENIED' | 'UNIMPLEMENTED';

export class CsiError extends Error {
  constructor(readonly code: CsiCode, message: string) {
    super(message);
    this.name = 'CsiError';
  }
}

export const invalidArgument = (message: string): CsiError => new CsiError('INVALID_ARGUMENT', message);
export const notFound = (message: string): CsiError => new CsiError('NOT_FOUND', message);
