// Runs the kubelet (the binary scripts/install/kubernetes.sh builds) for a test node: writes its
// config (kubelet-config.ts) into the workspace, starts it with its log in a file (a pipe
// nobody reads would kill it with SIGPIPE after a crashed test, and it must be cleaned up
// instead), and waits for its healthz. Stopping it leaves the pods to containerd.stop.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logTail } from './log-tail.js';
import { waitWhileRunning } from './wait.js';
import { kubeletArgs, kubeletConfiguration, type KubeletSetup } from './kubelet-config.js';

export interface KubeletProcess {
  readonly setup: KubeletSetup;
  readonly pid: number;
  /** https://127.0.0.1:<port>: the kubelet's own API (/pods, /metrics, /stats/summary). */
  readonly url: string;
  output(): string;
  /**
   * How to verify the kubelet's API: the certificate it made itself (in its --cert-dir, with the
   * CA that signed it) names the node, not 127.0.0.1.
   */
  servingTls(): Promise<{ ca: string; servername: string }>;
  stop(): Promise<void>;
}

export async function startKubelet(binary: string, setup: KubeletSetup, dir: string): Promise<KubeletProcess> {
  await mkdir(dir, { recursive: true });
  await mkdir(setup.rootDir, { recursive: true });
  await mkdir(setup.podLogsDir, { recursive: true });
  if (setup.staticPodPath) await mkdir(setup.staticPodPath, { recursive: true });
  const configFile = join(dir, 'kubelet-config.json');
  await writeFile(configFile, JSON.stringify(kubeletConfiguration(setup), null, 2));
  const log = join(dir, 'kubelet.log');
  const logFd = openSync(log, 'a');
  const child = spawn(binary, kubeletArgs(setup, configFile), { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  const output = (): string => logTail(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopped;
  };
  try {
    await waitWhileRunning(`the kubelet's healthz on 127.0.0.1:${setup.healthzPort}`, async () => {
      const res = await fetch(`http://127.0.0.1:${setup.healthzPort}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok && (await res.text()).trim() === 'ok';
    }, exited, () => `the kubelet exited with ${String(child.exitCode ?? child.signalCode)}`, 90_000);
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- kubelet log (end) ---\n${output().slice(-6000)}`);
  }
  return {
    setup, pid: child.pid ?? 0, url: `https://127.0.0.1:${setup.port}`, output,
    servingTls: async () => ({ ca: await readFile(join(setup.rootDir, 'pki', 'kubelet.crt'), 'utf8'), servername: setup.nodeName }),
    stop,
  };
}
