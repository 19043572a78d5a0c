// Small figures helpers for the benchmarks: percentiles and a process's memory from /proc.
import { readFileSync } from 'node:fs';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

/**
 * VmRSS (current) and VmHWM (peak) of a process, and its private memory (what the process
 * alone costs: RSS less the pages it shares, chiefly the node binary's own code), in MiB.
 */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number; privateMiB: number } {
  const kib = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return {
    rssMiB: kib(status, 'VmRSS') / 1024,
    peakMiB: kib(status, 'VmHWM') / 1024,
    privateMiB: (kib(rollup, 'Private_Clean') + kib(rollup, 'Private_Dirty')) / 1024,
  };
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the file, in clock ticks (USER_HZ, 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Min, median and max of some samples (NaN-free; empty gives NaNs). */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function spreadOf(samples: readonly number[]): Spread {
  const s = samples.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, max: NaN };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
  return { min: s[0] ?? NaN, median, max: s.at(-1) ?? NaN };
}
