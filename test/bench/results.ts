// What one benchmark run records, sample by sample, and how samples become the figures of the
// table: per contender the median (and spread) over repeats; the ratio ours / reference taken
// repeat by repeat (same repeat = same moment of the machine), then its min / median / max.
import type { ContenderName } from './contenders.js';
import { percentile, spreadOf, type Spread } from './stats.js';
import { RPCS, type Rpc } from './workload.js';

export type Phase = 'cold' | 'warm';

/** One batch of N lifecycles by one contender. */
export interface BatchSample {
  readonly contender: ContenderName;
  readonly profile: string;
  readonly n: number;
  readonly repeat: number;
  /** cold: the first batch of a fresh process (its start-up calls included); warm: the second. */
  readonly phase: Phase;
  readonly wallMs: number;
  readonly p50: Readonly<Record<Rpc, number>>;
  readonly p99: Readonly<Record<Rpc, number>>;
  readonly calls: Readonly<Record<string, number>>;
  readonly throttled: Readonly<Record<string, number>>;
  /** Mean time the emulator took per call, by action (ms): shows when the emulator is the bottleneck. */
  readonly emulatorMeanMs: Readonly<Record<string, number>>;
  readonly cpuSeconds: number;
  /** VmHWM after the batch: the process's peak so far. */
  readonly peakRssMiB: number;
  readonly failures: number;
  readonly firstFailures: readonly string[];
  readonly rpcRetries: number;
}

/** One measured quantity of one contender outside the batches (start-up, idle memory). */
export interface PointSample {
  readonly contender: ContenderName;
  readonly metric: string;
  readonly repeat: number;
  readonly value: number;
}

export interface BenchRun {
  readonly startedAt: string;
  readonly node: string;
  readonly shippedNodeMajor: number | undefined;
  readonly nodeArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly referenceBinary?: string;
  readonly loadAverage: { readonly start: readonly number[]; end?: readonly number[] };
  readonly instances: number;
  readonly batches: BatchSample[];
  readonly points: PointSample[];
}

export const totalCalls = (calls: Readonly<Record<string, number>>): number => Object.values(calls).reduce((a, b) => a + b, 0);

export function percentilesByRpc(latency: Readonly<Record<Rpc, readonly number[]>>): { p50: Record<Rpc, number>; p99: Record<Rpc, number> } {
  const p50 = {} as Record<Rpc, number>;
  const p99 = {} as Record<Rpc, number>;
  for (const rpc of RPCS) {
    const s = [...latency[rpc]].sort((a, b) => a - b);
    p50[rpc] = percentile(s, 50);
    p99[rpc] = percentile(s, 99);
  }
  return { p50, p99 };
}

export interface Comparison {
  readonly ours: Spread;
  readonly reference: Spread;
  /** ours / reference, paired by repeat. */
  readonly ratio: Spread;
}

/** Compares one value of paired samples: `valueOf` per (contender, repeat). */
export function compare<S extends { contender: ContenderName; repeat: number }>(samples: readonly S[], valueOf: (s: S) => number): Comparison {
  const of = (c: ContenderName): Map<number, number> => new Map(samples.filter((s) => s.contender === c).map((s) => [s.repeat, valueOf(s)]));
  const ours = of('ours');
  const reference = of('reference');
  const ratios = [...ours].flatMap(([repeat, v]) => {
    const r = reference.get(repeat);
    return r === undefined || r === 0 ? [] : [v / r];
  });
  return { ours: spreadOf([...ours.values()]), reference: spreadOf([...reference.values()]), ratio: spreadOf(ratios) };
}
