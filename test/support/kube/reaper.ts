// The watchdog behind test/support/kube/processes.ts, run as its own detached process. The test
// process tells it, one line at a time on its stdin, which process groups it started and which
// directories it made. When that pipe closes without a final "done" line, the test process is
// gone (kill -9, a crash, Ctrl-C) and could not clean up itself: the reaper then stops every
// group it was told about (SIGTERM, SIGKILL after 3 s) and removes the directories, so no
// process, port or temporary file outlives the test run.
//   pgid <n>    a process group to stop        forget <n>  a group that has already exited
//   dir <path>  a directory to remove          done        the test process cleaned up; just exit
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const groups = new Set<number>();
const dirs = new Set<string>();
let done = false;

const alive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const signal = (pgid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
};

async function reap(): Promise<void> {
  for (const pgid of groups) signal(pgid, 'SIGTERM');
  const until = Date.now() + 3000;
  while (Date.now() < until && [...groups].some(alive)) await new Promise((r) => setTimeout(r, 50));
  for (const pgid of groups) if (alive(pgid)) signal(pgid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

// Its own session already keeps terminal signals away; ignore them anyway, cleaning up is the point.
for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(sig, () => undefined);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [verb, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (verb === 'pgid') groups.add(Number(arg));
  else if (verb === 'forget') groups.delete(Number(arg));
  else if (verb === 'dir') dirs.add(arg);
  else if (verb === 'done') done = true;
});
lines.on('close', () => {
  if (done) process.exit(0);
  void reap().finally(() => process.exit(0));
});
