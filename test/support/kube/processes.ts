// Runs the processes of a Kubernetes test (etcd, the control plane, sidecars, the driver) so that
// none outlives the test, whatever way the test ends:
// - a normal end or a failed assertion: the test's after() calls stopAll();
// - the test process exiting without that, or Ctrl-C / SIGTERM: an exit and signal handler here
//   kills every group and removes the state directory synchronously;
// - kill -9 of the test process: the reaper (reaper.ts), a detached watchdog holding a pipe
//   from this process, sees the pipe close and does the same.
// Each child gets its own process group (and session), so a stop reaches anything it forked.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { onInterrupt } from '../interrupt.js';

const REAPER = join(import.meta.dirname, 'reaper.js');
const OUTPUT_LIMIT = 256 * 1024;

export interface ProcessSpec {
  /** Short name for messages and log files, e.g. "kube-apiserver". */
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** The whole environment of the process (PATH is added when missing). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Supervised {
  readonly name: string;
  readonly pid: number;
  /** The last 256 KiB the process printed (stdout and stderr interleaved). */
  output(): string;
  running(): boolean;
  readonly exited: Promise<ExitInfo>;
  /** Signals the whole process group. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after timeoutMs; resolves once the process has exited. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

const live = new Set<Supervisor>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function cleanUpNow(): void {
  for (const supervisor of live) supervisor.killAllNow();
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanUpNow);
  // The process then dies of the same signal, once other modules' clean-ups are done too.
  onInterrupt(cleanUpNow);
}

export class Supervisor {
  private readonly children = new Map<number, ChildProcess>();
  private isStopped = false;

  private constructor(readonly stateDir: string, private readonly reaperIn: Writable, private readonly logDir: string | undefined) {
    this.tell(`dir ${stateDir}`);
  }

  /**
   * A supervisor with a fresh state directory (mkdtemp under the system temp dir, removed by
   * stopAll). Set KUBE_E2E_LOG_DIR to also append every process's output to files there.
   */
  static create(prefix: string): Supervisor {
    const stateDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const reaper = spawn(process.execPath, [REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.unref();
    if (!reaper.stdin) throw new Error('the reaper has no stdin pipe');
    const logDir = process.env.KUBE_E2E_LOG_DIR;
    if (logDir) mkdirSync(logDir, { recursive: true });
    const supervisor = new Supervisor(stateDir, reaper.stdin, logDir);
    live.add(supervisor);
    installExitHandlers();
    return supervisor;
  }

  /** True once stopAll (or the exit handler) has begun: nothing more may start. */
  get stopped(): boolean {
    return this.isStopped;
  }

  private tell(line: string): void {
    if (!this.reaperIn.destroyed) this.reaperIn.write(`${line}\n`);
  }

  spawn(spec: ProcessSpec): Supervised {
    if (this.isStopped) throw new Error(`cannot start ${spec.name}: the supervisor has stopped`);
    const child = spawn(spec.file, [...spec.args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...spec.env },
      cwd: spec.cwd ?? this.stateDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${spec.name} (${spec.file}) did not start`);
    this.children.set(pid, child);
    this.tell(`pgid ${pid}`);
    let output = '';
    const logFile = this.logDir ? join(this.logDir, `${spec.name}.log`) : undefined;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
      if (logFile) appendFileSync(logFile, chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.children.delete(pid);
        this.tell(`forget ${pid}`);
        // A child's children may outlive it in its group; end them too.
        killGroup(pid, 'SIGKILL');
        resolve({ code, signal });
      });
    });
    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    const stop = async (timeoutMs = 5000): Promise<ExitInfo> => {
      if (running()) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), timeoutMs);
        const info = await exited;
        clearTimeout(timer);
        return info;
      }
      return exited;
    };
    return { name: spec.name, pid, output: () => output, running, exited, kill: (signal) => killGroup(pid, signal), stop };
  }

  /** Stops every process (SIGTERM, SIGKILL after timeoutMs), removes the state directory, dismisses the reaper. */
  async stopAll(timeoutMs = 5000): Promise<void> {
    this.isStopped = true;
    const pending = [...this.children.entries()].map(([pid, child]) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      killGroup(pid, 'SIGTERM');
    }));
    const timer = setTimeout(() => {
      for (const pid of this.children.keys()) killGroup(pid, 'SIGKILL');
    }, timeoutMs);
    await Promise.all(pending);
    clearTimeout(timer);
    rmSync(this.stateDir, { recursive: true, force: true });
    this.tell('done');
    this.reaperIn.end();
    live.delete(this);
  }

  /**
   * The synchronous last resort of the exit and signal handlers. The reaper is not dismissed:
   * it sees its pipe close and checks once more that every group is gone and the directory too.
   */
  killAllNow(): void {
    this.isStopped = true;
    for (const pid of this.children.keys()) killGroup(pid, 'SIGKILL');
    rmSync(this.stateDir, { recursive: true, force: true });
    this.reaperIn.end();
    live.delete(this);
  }
}
