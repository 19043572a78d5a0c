// The one request pipeline every RPC passes through: claim the in-flight keys
// (duplicate → ABORTED), run the handler, map any error to a gRPC status, record
// metrics and write one structured log line with the csi_secret fields redacted.
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/registry.js';
import { toGrpcFailure } from './errors.js';
import type { InFlight } from './inflight.js';

export interface CallContext {
  readonly log: Logger;
  /** Aborted when the caller cancels or its deadline passes. */
  readonly signal: AbortSignal;
}

type UnaryOf<H> = H extends grpc.handleUnaryCall<infer Req, infer Res>
  ? (request: Req, ctx: CallContext) => Promise<Res> : never;

/** A service's handlers as plain async functions, typed from the generated definition. */
export type AsyncHandlers<H> = { [K in keyof H as string extends K ? never : K]: UnaryOf<H[K]> };

/** Keys an RPC claims while it runs (e.g. `volume:vol-123`); none for read-only calls. */
export type LockKeys<H> = { [K in keyof AsyncHandlers<H>]?: (request: Parameters<AsyncHandlers<H>[K]>[0]) => string[] };

export interface PipelineDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly inFlight: InFlight;
  /** Field names to redact, by RPC method name. */
  readonly secretFieldsByMethod: ReadonlyMap<string, readonly string[]>;
}

const REDACTED = '[REDACTED]';

/** Copies a request with each secret field's values replaced, keeping its keys for debugging. */
export function redact(request: unknown, secretFields: readonly string[] = []): unknown {
  if (typeof request !== 'object' || request === null || secretFields.length === 0) return request;
  const copy: Record<string, unknown> = { ...(request as Record<string, unknown>) };
  for (const field of secretFields) {
    const value = copy[field];
    if (value && typeof value === 'object') {
      copy[field] = Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
    } else if (value !== undefined && value !== '') {
      copy[field] = REDACTED;
    }
  }
  return copy;
}

function callSignal(call: grpc.ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(new Error('the caller cancelled the request'));
  call.on('cancelled', onCancel);
  let timer: NodeJS.Timeout | undefined;
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  if (Number.isFinite(at) && at > 0) {
    timer = setTimeout(() => controller.abort(new Error('the request deadline passed')), Math.max(0, at - Date.now()));
    timer.unref();
  }
  return { signal: controller.signal, done: () => { call.off('cancelled', onCancel); if (timer) clearTimeout(timer); } };
}

export function wrapService<H>(
  service: string, handlers: AsyncHandlers<H>, lockKeys: LockKeys<H>, deps: PipelineDeps,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  const entries = Object.entries(handlers as Record<string, (req: unknown, ctx: CallContext) => Promise<unknown>>);
  for (const [method, fn] of entries) {
    const keysOf = (lockKeys as Record<string, ((req: unknown) => string[]) | undefined>)[method];
    const secrets = deps.secretFieldsByMethod.get(method);
    const unary: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
      const started = process.hrtime.bigint();
      const request = call.request;
      const keys = keysOf ? keysOf(request).filter((k) => k.length > 0) : [];
      const log = deps.log.child({ rpc: `${service}.${method}` });
      const { signal, done } = callSignal(call);
      const finish = (code: status, message: string | undefined, response: unknown): void => {
        done();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const codeName = status[code];
        deps.metrics.rpcDuration.observe({ method, code: codeName }, seconds);
        const fields = { code: codeName, ms: Math.round(seconds * 1000), request: redact(request, secrets) };
        if (code === status.OK) {
          log.info({ ...fields, response }, 'rpc ok');
          callback(null, response);
        } else {
          deps.metrics.rpcErrors.inc({ method, code: codeName });
          (code === status.INTERNAL ? log.error : log.warn).call(log, { ...fields, error: message }, 'rpc failed');
          callback({ code, details: message ?? codeName });
        }
      };
      if (!deps.inFlight.tryClaim(keys)) {
        finish(status.ABORTED, `an operation on ${keys.join(', ')} is already in progress; retry later`, undefined);
        return;
      }
      fn(request, { log, signal }).then(
        (response) => { deps.inFlight.release(keys); finish(status.OK, undefined, response); },
        (err: unknown) => {
          deps.inFlight.release(keys);
          const failure = toGrpcFailure(err);
          if (failure.code === status.INTERNAL && err instanceof Error && err.stack) log.error({ stack: err.stack }, 'unexpected error');
          finish(failure.code, failure.message, undefined);
        },
      );
    };
    out[method] = unary;
  }
  return out;
}
