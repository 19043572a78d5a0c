import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { PermissionReadiness } from '../../../src/csi/readiness.js';
import { Metrics } from '../../../src/metrics/registry.js';

const silent = pino({ level: 'silent' });

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('permission readiness', () => {
  it('answers at once while the first check runs, then reports what the check found', async () => {
    const check = deferred<readonly string[]>();
    let calls = 0;
    const r = new PermissionReadiness(() => { calls += 1; return check.promise; }, silent, new Metrics(false));
    const pending = r.refresh();
    assert.equal((await r.current()).ready, true, 'no wait on EC2 while the first check runs');
    assert.equal(calls, 1, 'Probe joins the running check instead of starting another');
    check.resolve(['AttachVolume']);
    await pending;
    const after = await r.current();
    assert.equal(after.ready, false);
    assert.match(after.reason ?? '', /AttachVolume/);
  });

  it('reports not-ready when the check itself fails, and checks again on the next Probe', async () => {
    let calls = 0;
    const r = new PermissionReadiness(() => { calls += 1; return Promise.reject(new Error('connect ECONNREFUSED')); }, silent, new Metrics(false));
    await r.refresh();
    const state = await r.current();
    assert.equal(state.ready, false);
    assert.match(state.reason ?? '', /could not check EC2 permissions: connect ECONNREFUSED/);
    await new Promise((res) => setImmediate(res));
    assert.equal(calls, 2, 'a failed check is retried by the next Probe');
  });

  it('keeps a passed check for maxAge, then refreshes in the background', async () => {
    let calls = 0;
    const r = new PermissionReadiness(() => { calls += 1; return Promise.resolve([]); }, silent, new Metrics(false), 30);
    await r.refresh();
    await r.current();
    assert.equal(calls, 1, 'fresh result reused');
    await new Promise((res) => setTimeout(res, 40));
    assert.equal((await r.current()).ready, true);
    await new Promise((res) => setImmediate(res));
    assert.equal(calls, 2, 'stale result refreshed');
  });
});
