// Waiting for a process we started to become ready, failing at once when it exits instead of
// polling until the timeout (waitFor treats a failed probe as "not yet").
import { waitFor } from '../ports.js';

export async function waitWhileRunning(what: string, probe: () => Promise<boolean>, exited: Promise<unknown>,
  exitMessage: () => string, timeoutMs: number): Promise<void> {
  let done = false;
  const died = exited.then(() => {
    if (!done) throw new Error(exitMessage());
  });
  try {
    await Promise.race([waitFor(what, probe, timeoutMs), died]);
  } finally {
    done = true;
  }
}
