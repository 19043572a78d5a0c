// Checks for the harness's promise that nothing outlives a test process, however it ends: runs
// exit-probe.js, ends it one way or another, and reports what is left of what it started.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../ports.js';
import type { ProbeReport } from './exit-probe.js';

const PROBE = join(import.meta.dirname, 'exit-probe.js');

export type Ending = 'SIGKILL' | 'SIGINT' | 'SIGTERM' | 'throw';

export interface Leftovers {
  readonly report: ProbeReport;
  /** Processes still alive (zombies do not count). */
  readonly alive: readonly number[];
  readonly dirExists: boolean;
  /** Ports nobody can listen on again. */
  readonly heldPorts: readonly number[];
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name in parentheses; Z is a zombie (dead, not yet reaped).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const portFree = (port: number): Promise<boolean> => new Promise((resolve) => {
  const srv = createServer();
  srv.once('error', () => resolve(false));
  srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
});

/** Starts the probe with `what`, ends it with `ending`, and waits up to 10 s for everything to go. */
export async function leftoversAfter(what: string, ending: Ending, startTimeoutMs = 180_000): Promise<Leftovers> {
  const child = spawn(process.execPath, [PROBE, what, ending === 'throw' ? 'throw' : 'wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the exit probe printed nothing in ${startTimeoutMs} ms`)), startTimeoutMs);
    if (!child.stdout) throw new Error('no stdout pipe');
    createInterface({ input: child.stdout }).once('line', (l) => { clearTimeout(timer); resolve(l); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the exit probe exited with ${code} before reporting: ${stderr}`)); });
  });
  const report = JSON.parse(line) as ProbeReport;
  if (ending !== 'throw') child.kill(ending);
  await exited;
  const gone = async (): Promise<boolean> => !report.pids.some(isAlive) && !existsSync(report.stateDir)
    && (await Promise.all(report.ports.map(portFree))).every(Boolean);
  await waitFor('everything the probe started to go', gone, 10_000).catch(() => undefined);
  const free = await Promise.all(report.ports.map(portFree));
  return {
    report,
    alive: report.pids.filter(isAlive),
    dirExists: existsSync(report.stateDir),
    heldPorts: report.ports.filter((_, i) => !free[i]),
  };
}
