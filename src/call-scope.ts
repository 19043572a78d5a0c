// The request an asynchronous step runs for, carried by AsyncLocalStorage so that deep
// layers (the EC2 caller, the mounter) can tell when its caller has gone. The pipeline
// answers a call at its deadline and frees its volume for the CO's retry while the
// abandoned handler may still be running; that handler must then not start anything
// that changes the world (an attach, a detach, a mount, an mkfs), or it could undo what
// the retry and the calls after it did — e.g. re-attach a volume the CO has since detached.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` (and everything it starts) as part of a call whose caller is watched by `signal`. */
export function runInCall<T>(signal: AbortSignal, fn: () => T): T {
  return scope.run(signal, fn);
}

/** Runs `fn` outside any call: for work shared by several calls (a merged change), which no single caller's leaving may stop. */
export function runForAllCalls<T>(fn: () => T): T {
  return scope.exit(fn);
}

/** Thrown instead of starting a change for a call whose caller has gone. */
export class CallAbandoned extends Error {
  constructor(step: string) {
    super(`not ${step}: the caller of this request has gone (deadline passed or cancelled), and the retry it makes may be running already`);
    this.name = 'CallAbandoned';
  }
}

/** The signal of the call the current step runs for; undefined outside any call. */
export function currentCallSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** Call before starting a change: throws CallAbandoned when the current call's caller has gone. */
export function checkCallerWaiting(step: string): void {
  if (scope.getStore()?.aborted) throw new CallAbandoned(step);
}
