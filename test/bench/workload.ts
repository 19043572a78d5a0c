// One batch of the benchmark's workload: N concurrent create → publish → unpublish → delete
// lifecycles through a controller's socket, spread over the node instances. Each RPC is timed
// alone. With `retry`, a failed RPC is sent again after a backoff, as the Kubernetes sidecars do
// (the throttled-burst run needs it: a driver that gets RequestLimitExceeded fails RPCs the CO
// then repeats); otherwise a lifecycle stops at its first failure.
import type * as grpc from '@grpc/grpc-js';
import type { CsiClients } from '../support/csi-client.js';

export const RPCS = ['CreateVolume', 'ControllerPublishVolume', 'ControllerUnpublishVolume', 'DeleteVolume'] as const;
export type Rpc = (typeof RPCS)[number];

export interface RetryPolicy {
  /** Per-attempt deadlines, as the sidecars set them (provisioner 60 s, attacher 6 min in the reference chart). */
  readonly deadlineMs: Readonly<Record<Rpc, number>>;
  readonly firstBackoffMs: number;
  readonly maxBackoffMs: number;
  /** A lifecycle gives up after this long. */
  readonly giveUpMs: number;
}

/** The reference chart's sidecar timeouts; backoff from 1 s doubling, capped at 30 s to keep a run short. */
export const SIDECAR_RETRY: RetryPolicy = {
  deadlineMs: { CreateVolume: 60_000, DeleteVolume: 60_000, ControllerPublishVolume: 360_000, ControllerUnpublishVolume: 360_000 },
  firstBackoffMs: 1000,
  maxBackoffMs: 30_000,
  giveUpMs: 20 * 60_000,
};

export interface BatchSpec {
  readonly n: number;
  readonly zone: string;
  readonly nodes: readonly string[];
  /** Volume names are `${prefix}-${i}`: unique per batch, so no batch finds another's volume. */
  readonly prefix: string;
  readonly retry?: RetryPolicy;
}

export interface BatchResult {
  readonly wallMs: number;
  /** Successful RPC latencies, ms: from the first attempt to the answer (retries included, as the CO sees it). */
  readonly latency: Readonly<Record<Rpc, readonly number[]>>;
  /** Lifecycles that did not complete. */
  readonly failures: readonly string[];
  /** RPC attempts that failed and were sent again (retry policy only). */
  readonly rpcRetries: number;
}

/** Codes that say the request itself is wrong: sending it again cannot help, so the lifecycle fails at once. */
const FINAL_CODES = new Set([3, 5, 6, 7, 11, 12, 16]); // INVALID_ARGUMENT NOT_FOUND ALREADY_EXISTS PERMISSION_DENIED OUT_OF_RANGE UNIMPLEMENTED UNAUTHENTICATED
const isFinal = (err: unknown): boolean => FINAL_CODES.has((err as Partial<grpc.ServiceError>).code ?? -1);

const CAPABILITY = { mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const describe = (err: unknown): string => {
  const e = err as Partial<grpc.ServiceError>;
  return typeof e.code === 'number' ? `code ${e.code}: ${e.details ?? ''}` : err instanceof Error ? err.message : String(err);
};

export async function runBatch(clients: CsiClients, spec: BatchSpec): Promise<BatchResult> {
  const latency: Record<Rpc, number[]> = { CreateVolume: [], ControllerPublishVolume: [], ControllerUnpublishVolume: [], DeleteVolume: [] };
  const failures: string[] = [];
  let rpcRetries = 0;
  const c = clients.controller;

  async function call<T>(rpc: Rpc, started: number, send: (deadlineMs: number) => Promise<T>): Promise<T> {
    let backoff = spec.retry?.firstBackoffMs ?? 0;
    const t0 = performance.now();
    for (;;) {
      try {
        const out = await send(spec.retry?.deadlineMs[rpc] ?? 120_000);
        latency[rpc].push(performance.now() - t0);
        return out;
      } catch (err) {
        if (!spec.retry || isFinal(err) || performance.now() - started > spec.retry.giveUpMs) throw new Error(`${rpc}: ${describe(err)}`);
        rpcRetries += 1;
        await sleep(backoff * (0.8 + Math.random() * 0.4));
        backoff = Math.min(backoff * 2, spec.retry.maxBackoffMs);
      }
    }
  }

  const wall0 = performance.now();
  await Promise.all(Array.from({ length: spec.n }, async (_, i) => {
    const started = performance.now();
    try {
      const created = await call('CreateVolume', started, (d) => c.CreateVolume({
        name: `${spec.prefix}-${i}`, capacityRange: { requiredBytes: 1024 ** 3 }, volumeCapabilities: [CAPABILITY],
        parameters: { type: 'gp3' }, accessibilityRequirements: { requisite: [{ segments: { 'topology.kubernetes.io/zone': spec.zone } }] },
      }, d));
      const volumeId = created.volume?.volumeId ?? '';
      if (volumeId === '') throw new Error('CreateVolume answered no volume id');
      const nodeId = spec.nodes[i % spec.nodes.length] ?? '';
      await call('ControllerPublishVolume', started, (d) => c.ControllerPublishVolume({ volumeId, nodeId, volumeCapability: CAPABILITY }, d));
      await call('ControllerUnpublishVolume', started, (d) => c.ControllerUnpublishVolume({ volumeId, nodeId }, d));
      await call('DeleteVolume', started, (d) => c.DeleteVolume({ volumeId }, d));
    } catch (err) {
      failures.push(`lifecycle ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }));
  return { wallMs: performance.now() - wall0, latency, failures, rpcRetries };
}
