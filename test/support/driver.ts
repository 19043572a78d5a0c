// Starts the real driver binary (the bundle, see driverMain) as a child process on a temporary
// UNIX socket, waits for its first successful Probe and connects typed CSI clients.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCsi, type CsiClients } from './csi-client.js';
import { projectRoot } from './moto.js';
import { waitFor } from './ports.js';

// The single-file bundle the package ships (see scripts/bundle.mjs): tests run what users run.
export const driverMain = join(projectRoot, 'dist/bundle/ebs-csi-driver.mjs');

export interface DriverProcess extends CsiClients {
  readonly socket: string;
  readonly pid: number;
  /** What the driver printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s); resolves the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL at once, as a crash or an OOM kill would; resolves when the process is gone. */
  kill(): Promise<void>;
}

export interface DriverOptions {
  readonly mode: 'controller' | 'node' | 'all';
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** Flags for node itself, before the script (e.g. the image's, see image-runtime.ts). */
  readonly nodeArgs?: readonly string[];
  /** Wait for Probe to say ready (default true). */
  readonly waitReady?: boolean;
  /** Serve on this socket (e.g. the one a killed driver served on) instead of a fresh one; the caller owns its folder. */
  readonly socket?: string;
  /**
   * The whole command line after the script, given the socket to listen on; replaces mode,
   * --endpoint, --logging-format=json and args (to run a command line as a manifest has it).
   */
  readonly argv?: (socket: string) => readonly string[];
}

const OUTPUT_HEAD = 64 * 1024;
const OUTPUT_TAIL = 200_000;

export async function startDriver(options: DriverOptions): Promise<DriverProcess> {
  const dir = options.socket === undefined ? mkdtempSync(join(tmpdir(), 'ebs-csi-')) : undefined;
  const socket = options.socket ?? join(dir ?? '', 'csi.sock');
  const removeDir = (): void => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }); };
  const argv = options.argv?.(socket) ?? [options.mode, `--endpoint=unix://${socket}`, '--logging-format=json', ...(options.args ?? [])];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), driverMain, ...argv], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The start of the log (start-up lines) and its last 200 KB: one debug line can be larger
  // than a whole window (--aws-sdk-debug-log of a big listing) and would push start-up out.
  let head = '';
  let tail = '';
  let total = 0;
  const keep = (d: Buffer): void => {
    let text = d.toString();
    total += text.length;
    if (head.length < OUTPUT_HEAD) {
      const taken = text.slice(0, OUTPUT_HEAD - head.length);
      head += taken;
      text = text.slice(taken.length);
    }
    tail = (tail + text).slice(-OUTPUT_TAIL);
  };
  const output = (): string => {
    const left = total - head.length - tail.length;
    return left > 0 ? `${head}\n[… ${left} characters left out …]\n${tail}` : head + tail;
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const clients = connectCsi(socket);
  const stop = async (): Promise<number | null> => {
    clients.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      removeDir();
      return code;
    }
    removeDir();
    return child.exitCode;
  };
  const kill = async (): Promise<void> => {
    clients.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await waitFor('the driver to answer Probe', async () => {
      if (child.exitCode !== null) throw new Error(`the driver exited with ${child.exitCode}: ${output()}`);
      const res = await clients.identity.Probe({}, 2000);
      return options.waitReady === false || res.ready?.value === true;
    }, 30_000);
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- driver output ---\n${output()}`);
  }
  return { ...clients, socket, pid: child.pid ?? 0, output, stop, kill };
}
