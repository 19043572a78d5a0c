// The one request pipeline every RPC passes through: claim the in-flight keys
// (duplicate → ABORTED), run the handler, map any error to a gRPC status, record
// metrics and write one structured log line with the csi_secret fields redacted. A success
// is logged by the ids it concerns; the whole request and response only at debug (--v=4),
// as the reference driver does: serialising them on every call was the largest share of the
// controller's CPU time (npm run bench). A failure always carries its (redacted) request.
// It also owns liveness: when the caller's deadline passes (or it cancels) before the
// handler settles, the call is answered and its keys are released there and then.
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { runInCall } from '../call-scope.js';
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

/** Request fields that say what a call is about; a success's log line carries these. */
const ID_FIELDS = ['name', 'volumeId', 'nodeId', 'snapshotId', 'sourceVolumeId', 'stagingTargetPath', 'targetPath', 'volumePath'] as const;

/** The ids a call concerns: non-empty id fields of the request, and the id a create answered with. */
export function idsOf(request: unknown, response: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  const req = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  for (const field of ID_FIELDS) {
    const value = req[field];
    if (typeof value === 'string' && value !== '') ids[field] = value;
  }
  const res = (typeof response === 'object' && response !== null ? response : {}) as { volume?: { volumeId?: unknown }; snapshot?: { snapshotId?: unknown } };
  if (typeof res.volume?.volumeId === 'string' && ids.volumeId === undefined) ids.volumeId = res.volume.volumeId;
  if (typeof res.snapshot?.snapshotId === 'string' && ids.snapshotId === undefined) ids.snapshotId = res.snapshot.snapshotId;
  return ids;
}

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

/** Why a call was abandoned before its handler settled. */
type Abandoned = { readonly code: status.DEADLINE_EXCEEDED | status.CANCELLED; readonly message: string };

/**
 * Watches the caller: an AbortSignal for the handler, and `onAbandon` once when the
 * deadline passes or the caller cancels. grpc-js cancels the call itself at the deadline,
 * so either event may come first; the clock decides which one it was.
 */
function watchCaller(call: grpc.ServerUnaryCall<unknown, unknown>, onAbandon: (why: Abandoned) => void): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const started = Date.now();
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  const hasDeadline = Number.isFinite(at) && at > 0;
  const abandon = (): void => {
    if (controller.signal.aborted) return;
    const why: Abandoned = hasDeadline && Date.now() >= at - 5
      ? { code: status.DEADLINE_EXCEEDED, message: `the caller's deadline passed after ${Math.max(0, Math.round(Date.now() - started))} ms` }
      : { code: status.CANCELLED, message: 'the caller cancelled the request' };
    controller.abort(new Error(why.message));
    onAbandon(why);
  };
  call.on('cancelled', abandon);
  let timer: NodeJS.Timeout | undefined;
  if (hasDeadline) {
    timer = setTimeout(abandon, Math.max(0, at - Date.now()));
  }
  return { signal: controller.signal, done: () => { call.off('cancelled', abandon); if (timer) clearTimeout(timer); } };
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
      let answered = false;
      const finish = (code: status, message: string | undefined, response: unknown): void => {
        if (answered) return;
        answered = true;
        done();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const codeName = status[code];
        deps.metrics.rpcDuration.observe({ method, code: codeName }, seconds);
        const ms = Math.round(seconds * 1000);
        if (code === status.OK) {
          if (log.isLevelEnabled('debug')) log.debug({ code: codeName, ms, request: redact(request, secrets), response }, 'rpc ok');
          else log.info({ code: codeName, ms, ...idsOf(request, response) }, 'rpc ok');
          callback(null, response);
        } else {
          deps.metrics.rpcErrors.inc({ method, code: codeName });
          (code === status.INTERNAL ? log.error : log.warn).call(log, { code: codeName, ms, request: redact(request, secrets), error: message }, 'rpc failed');
          callback({ code, details: message ?? codeName });
        }
      };
      const claim = deps.inFlight.tryClaim(keys);
      // Liveness: a handler still running when its caller gives up lets go of its keys, so
      // the CO's retry (or an unpublish) is served instead of answered ABORTED for ever.
      const { signal, done } = watchCaller(call, (why) => {
        if (answered) return;
        if (claim) deps.inFlight.release(claim);
        const held = keys.length > 0 ? ` on ${keys.join(', ')}` : '';
        finish(why.code, `${service}.${method}${held} did not finish: ${why.message}. It was abandoned and may still complete; retry the request`, undefined);
      });
      if (!claim) {
        finish(status.ABORTED, `an operation on ${keys.join(', ')} is already in progress; retry later`, undefined);
        return;
      }
      const settle = (outcome: { code: status; message?: string; response?: unknown }): void => {
        deps.inFlight.release(claim);
        if (answered) {
          // The caller left before this: say how the abandoned work ended, for whoever debugs it.
          log.warn({ code: status[outcome.code], error: outcome.message, request: redact(request, secrets) }, 'abandoned rpc settled after its caller left');
          return;
        }
        finish(outcome.code, outcome.message, outcome.response);
      };
      // Deep layers see the signal through the call scope and start no change once it fires.
      runInCall(signal, () => fn(request, { log, signal })).then(
        (response) => settle({ code: status.OK, response }),
        (err: unknown) => {
          const failure = toGrpcFailure(err);
          if (failure.code === status.INTERNAL && err instanceof Error && err.stack) log.error({ stack: err.stack }, 'unexpected error');
          settle({ code: failure.code, message: failure.message });
        },
      );
    };
    out[method] = unary;
  }
  return out;
}
