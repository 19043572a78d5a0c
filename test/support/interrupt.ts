// What a test process does when interrupted (Ctrl-C, SIGTERM, SIGHUP), in one place: every
// registered clean-up runs, the asynchronous ones awaited together (for at most a minute), and
// only then does the process die of the same signal, as it would have without a handler. With
// each module handling the signal itself, the first to re-raise it ended the process while
// another's asynchronous clean-up was still running: the kube harness's supervisor killed its
// processes and re-raised SIGINT at once, and the kubelet workspace never got to unmount, detach
// its loop devices or put the kernel settings back.
type Cleanup = () => unknown;

const cleanups = new Set<Cleanup>();
const LIMIT_MS = 60_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

async function runAll(): Promise<void> {
  const pending = [...cleanups].map(async (cleanup) => {
    try {
      await cleanup();
    } catch {
      // The others still run; what this one could not remove, the next run's reaping finds.
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => { timer = setTimeout(resolve, LIMIT_MS); });
  await Promise.race([Promise.all(pending), limit]);
  clearTimeout(timer);
}

function install(): void {
  if (installed) return;
  installed = true;
  let running: Promise<void> | undefined;
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      // node --test's runner answers Ctrl-C by sending its file's process SIGTERM too: a later
      // signal waits for the same clean-up rather than ending the process in the middle of it.
      if (!running) {
        // The runner exits once it has signalled, so this process's stdout and stderr are broken
        // pipes from then on: a write there (a reporter's, a log line) would throw EPIPE and end
        // the process in the middle of its clean-up. The process is going down; its clean-up must finish.
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
        process.on('uncaughtException', () => undefined);
        running = runAll();
      }
      void running.finally(() => {
        for (const s of SIGNALS) process.removeAllListeners(s);
        process.kill(process.pid, signal);
      });
    });
  }
}

/** Runs `cleanup` if the process is interrupted before the returned function is called. */
export function onInterrupt(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => { cleanups.delete(cleanup); };
}
