// A test process for the harness's own tests (exit paths): it starts either plain sleepers or a
// whole control plane under a Supervisor, prints what it started as one JSON line on stdout,
// then waits to be killed, or with "throw" ends by an uncaught exception.
//   node exit-probe.js sleepers|control-plane:<version> [wait|throw]
import { startControlPlane } from './control-plane.js';
import { Supervisor } from './processes.js';

export interface ProbeReport {
  readonly stateDir: string;
  readonly pids: readonly number[];
  /** Loopback ports the started processes listen on. */
  readonly ports: readonly number[];
}

async function main(): Promise<void> {
  const [what = 'sleepers', end = 'wait'] = process.argv.slice(2);
  const supervisor = Supervisor.create('ebs-csi-exit-probe');
  let report: ProbeReport;
  if (what.startsWith('control-plane:')) {
    const plane = await startControlPlane({ version: what.slice('control-plane:'.length), supervisor });
    const p = plane.processes;
    report = {
      stateDir: supervisor.stateDir,
      pids: [p.etcd.pid, p.kubeApiserver.pid, p.kubeControllerManager.pid, p.kubeScheduler.pid],
      ports: [Number(new URL(plane.server).port)],
    };
  } else {
    const a = supervisor.spawn({ name: 'sleeper', file: 'sleep', args: ['600'] });
    // A child that forks: its own child must go too.
    const b = supervisor.spawn({ name: 'forker', file: 'sh', args: ['-c', 'sleep 600 & wait'] });
    report = { stateDir: supervisor.stateDir, pids: [a.pid, b.pid], ports: [] };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (end === 'throw') setTimeout(() => { throw new Error('an assertion failed (on purpose)'); }, 200);
  else setInterval(() => undefined, 60_000);
}

void main();
