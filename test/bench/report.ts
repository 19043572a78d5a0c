// Prints a benchmark run (results.ts) as markdown tables: ours, the reference, and ours / reference
// as min / median / max over the repeats, for every figure the issue sets a goal for; then a
// summary of each goal against the worst median ratio over every N and profile.
import { compare, totalCalls, type BatchSample, type BenchRun, type Comparison, type Phase } from './results.js';
import { fmt } from './stats.js';
import { RPCS } from './workload.js';

const spread = (s: Comparison['ratio'], digits = 2): string =>
  Number.isFinite(s.median) ? `${fmt(s.min, digits)} / **${fmt(s.median, digits)}** / ${fmt(s.max, digits)}` : 'n/a';
const withSpread = (s: Comparison['ours'], digits: number, unit: string): string =>
  Number.isFinite(s.median) ? `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})` : 'n/a';

interface Row { readonly figure: string; readonly cmp: Comparison; readonly digits: number; readonly unit: string; readonly goal?: Goal }
interface Goal { readonly name: string; readonly max: number }

const GOALS = {
  wall: { name: 'batch wall time', max: 0.5 },
  latency: { name: 'every RPC p50 and p99', max: 1.0 },
  calls: { name: 'EC2 calls per lifecycle', max: 1.0 },
  cpu: { name: 'CPU per lifecycle', max: 1.5 },
  rss: { name: 'idle and peak RSS', max: 1.1 },
  startup: { name: 'start-up to first OK Probe', max: 2.0 },
  throttled: { name: "throttled calls under EC2's buckets (ours, count)", max: 0 },
} as const satisfies Record<string, Goal>;

function table(title: string, rows: readonly Row[]): string {
  const lines = [`### ${title}`, '', '| figure | ours | reference | ours / ref (min / **median** / max) |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.figure} | ${withSpread(r.cmp.ours, r.digits, r.unit)} | ${withSpread(r.cmp.reference, r.digits, r.unit)} | ${spread(r.cmp.ratio)} |`);
  return lines.join('\n');
}

function batchRows(samples: readonly BatchSample[], phase: Phase): Row[] {
  const of = samples.filter((s) => s.phase === phase);
  if (of.length === 0) return [];
  const n = of[0]?.n ?? 1;
  const rows: Row[] = [
    { figure: `wall time (${phase})`, cmp: compare(of, (s) => s.wallMs / 1000), digits: 2, unit: ' s', goal: GOALS.wall },
  ];
  for (const rpc of RPCS) {
    rows.push({ figure: `${rpc} p50 (${phase})`, cmp: compare(of, (s) => s.p50[rpc]), digits: 0, unit: ' ms', goal: GOALS.latency });
    rows.push({ figure: `${rpc} p99 (${phase})`, cmp: compare(of, (s) => s.p99[rpc]), digits: 0, unit: ' ms', goal: GOALS.latency });
  }
  rows.push(
    { figure: `EC2 calls per lifecycle (${phase})`, cmp: compare(of, (s) => totalCalls(s.calls) / n), digits: 2, unit: '', goal: GOALS.calls },
    { figure: `CPU per lifecycle (${phase})`, cmp: compare(of, (s) => (1000 * s.cpuSeconds) / n), digits: 2, unit: ' ms', goal: GOALS.cpu },
    { figure: `peak RSS after the ${phase} batch`, cmp: compare(of, (s) => s.peakRssMiB), digits: 1, unit: ' MiB', goal: GOALS.rss },
  );
  return rows;
}

function callBreakdown(samples: readonly BatchSample[]): string {
  const lines: string[] = [];
  for (const s of samples.filter((x) => x.repeat === 0)) {
    const parts = Object.entries(s.calls).sort((a, b) => b[1] - a[1]).map(([a, c]) => `${a} ${fmt(c / s.n, 2)}`);
    const throttled = Object.entries(s.throttled).map(([a, c]) => `${a} ${c}`);
    const emulator = Object.entries(s.emulatorMeanMs).map(([a, ms]) => `${a} ${ms}`).join(', ');
    lines.push(`- ${s.contender} ${s.phase}: ${parts.join(', ')}${throttled.length > 0 ? `; throttled: ${throttled.join(', ')}` : ''}`
      + `; emulator's mean answer time (ms): ${emulator}`
      + `${s.failures > 0 ? `; ${s.failures} failed lifecycles (${s.firstFailures.join(' | ')})` : ''}`);
  }
  return lines.join('\n');
}

export function printReport(run: BenchRun): void {
  const out: string[] = [];
  const goalRows: Row[] = [];
  out.push(`## Benchmark: ours vs the reference (${run.referenceBinary ?? 'no reference'})`, '');
  out.push(`Node ${run.node} (the image ships Node ${run.shippedNodeMajor ?? "?"}), node flags \`${run.nodeArgs.join(' ')}\`, `
    + `env ${Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(' ')}; ${run.instances} instances; `
    + `load average at start ${run.loadAverage.start.join(' ')}, at end ${run.loadAverage.end?.join(' ') ?? 'n/a'}.`, '');

  const metrics = [...new Set(run.points.map((p) => p.metric))];
  const pointRows = metrics.map((metric): Row => {
    const cmp = compare(run.points.filter((p) => p.metric === metric), (p) => p.value);
    const isMemory = metric.includes('MiB');
    const goal = metric.includes('start-up') ? GOALS.startup : /idle RSS/.test(metric) ? GOALS.rss : undefined;
    return { figure: metric, cmp, digits: isMemory ? 1 : 0, unit: isMemory ? ' MiB' : ' ms', ...(goal ? { goal } : {}) };
  });
  out.push(table('Start-up and idle memory', pointRows), '');
  goalRows.push(...pointRows);

  const profiles = [...new Set(run.batches.map((b) => b.profile))];
  for (const profile of profiles) {
    for (const n of [...new Set(run.batches.filter((b) => b.profile === profile).map((b) => b.n))].sort((a, b) => a - b)) {
      const samples = run.batches.filter((b) => b.profile === profile && b.n === n);
      const rows = [...batchRows(samples, 'cold'), ...batchRows(samples, 'warm')];
      goalRows.push(...rows.map((r) => ({ ...r, figure: `${r.figure}, ${profile}, N=${n}` })));
      out.push(table(`${profile} EC2, N = ${n}`, rows), '', 'EC2 calls per lifecycle by action (repeat 1):', callBreakdown(samples), '');
    }
  }

  const limited = run.batches.filter((b) => b.profile === 'realistic');
  if (limited.length > 0) {
    out.push("### Under EC2's request-rate buckets (realistic profile): throttled calls, RPC retries, failed lifecycles", '',
      '| N | batch | ours: throttled / retried RPCs / failed | reference: throttled / retried RPCs / failed |', '|---|---|---|---|');
    for (const n of [...new Set(limited.map((b) => b.n))].sort((a, b) => a - b)) {
      for (const phase of ['cold', 'warm'] as const) {
        const of = (c: string): string => limited.filter((b) => b.n === n && b.phase === phase && b.contender === c)
          .map((b) => `${totalCalls(b.throttled)} / ${b.rpcRetries} / ${b.failures}`).join(', ') || 'n/a';
        if (limited.some((b) => b.n === n && b.phase === phase)) out.push(`| ${n} | ${phase} | ${of('ours')} | ${of('reference')} |`);
      }
    }
    out.push('');
  }

  out.push('### Goals (worst median ratio over every N and profile)', '', '| goal | target | worst median ratio | where |', '|---|---|---|---|');
  for (const goal of Object.values(GOALS).filter((g) => g !== GOALS.throttled)) {
    const worst = goalRows.filter((r) => r.goal === goal && Number.isFinite(r.cmp.ratio.median))
      .sort((a, b) => b.cmp.ratio.median - a.cmp.ratio.median)[0];
    out.push(`| ${goal.name} | ≤ ${goal.max} | ${worst ? `${fmt(worst.cmp.ratio.median, 2)}${worst.cmp.ratio.median <= goal.max ? '' : ' (not met)'}` : 'n/a'} | ${worst?.figure ?? ''} |`);
  }
  const oursLimited = limited.filter((b) => b.contender === 'ours');
  if (oursLimited.length > 0) {
    const worst = oursLimited.reduce((a, b) => (totalCalls(b.throttled) > totalCalls(a.throttled) ? b : a));
    out.push(`| ${GOALS.throttled.name} | 0 | ${totalCalls(worst.throttled)} | realistic, N=${worst.n} (most of any batch) |`);
  }
  console.log(out.join('\n'));
}
