// Assertions on the gRPC status an error becomes, through the one real error mapping
// (src/server/errors.ts), so unit tests check the code the CO would actually see.
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { toGrpcFailure } from '../../../src/server/errors.js';
import type { CallContext } from '../../../src/server/pipeline.js';

/** Runs `action` and checks it fails with `code` and a message matching every pattern. */
export async function expectFailure(action: () => unknown, code: status, ...patterns: RegExp[]): Promise<string> {
  let failure: ReturnType<typeof toGrpcFailure> | undefined;
  try {
    await action();
  } catch (err) {
    failure = toGrpcFailure(err);
  }
  assert.ok(failure, `expected ${status[code]}, but it succeeded`);
  assert.equal(status[failure.code], status[code], `expected ${status[code]}, got ${status[failure.code]}: ${failure.message}`);
  for (const p of patterns) assert.match(failure.message, p);
  return failure.message;
}

export function callContext(signal: AbortSignal = new AbortController().signal): CallContext {
  return { log: pino({ level: 'silent' }), signal };
}
