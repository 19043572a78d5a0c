// The one way the node service runs external programs: execFile with an argv array
// (never a shell, so no value from a request can become syntax), a timeout, and the
// program's stderr carried in the error so a failed mkfs or mount explains itself.
import { execFile } from 'node:child_process';
import { NodeError } from './errors.js';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface ExecOptions {
  /** Kill the program after this long (default 2 minutes: mkfs of a large volume is slow). */
  readonly timeoutMs?: number;
  /** Exit codes that are answers rather than failures (e.g. blkid's 2 for "nothing found"). */
  readonly okExitCodes?: readonly number[];
  readonly signal?: AbortSignal;
}

/** Runs `command args…`; resolves with its output, or throws NodeError naming the failure. */
export type Exec = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
// sbin directories hold most of these tools and are missing from some container PATHs.
const SEARCH_PATH = [process.env.PATH ?? '', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter((p) => p).join(':');

function describe(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function lastLines(text: string, max = 600): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}

export const runCommand: Exec = (command, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const okExitCodes = options.okExitCodes ?? [];
  return new Promise<ExecResult>((resolve, reject) => {
    execFile(command, [...args], {
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: MAX_OUTPUT_BYTES,
      encoding: 'utf8',
      env: { ...process.env, PATH: SEARCH_PATH, LC_ALL: 'C' },
      ...(options.signal ? { signal: options.signal } : {}),
    }, (error, stdout, stderr) => {
      if (!error) {
        resolve({ stdout, stderr, exitCode: 0 });
        return;
      }
      const shown = describe(command, args);
      // A number when the program exited non-zero, a string such as ENOENT when it never ran.
      const code: unknown = (error as { code?: unknown }).code;
      if (typeof code === 'number' && okExitCodes.includes(code)) {
        resolve({ stdout, stderr, exitCode: code });
        return;
      }
      if (error.killed && !options.signal?.aborted) {
        reject(new NodeError('CommandTimedOut', `${shown} did not finish within ${timeoutMs} ms`));
        return;
      }
      if (code === 'ENOENT') {
        reject(new NodeError('CommandFailed', `${command} is not installed on this node (${shown})`));
        return;
      }
      const detail = lastLines(stderr) || lastLines(stdout) || error.message;
      const status = typeof code === 'number' ? `exit status ${code}` : typeof code === 'string' ? code : error.message;
      reject(new NodeError('CommandFailed', `${shown} failed (${status}): ${detail}`));
    });
  });
};
