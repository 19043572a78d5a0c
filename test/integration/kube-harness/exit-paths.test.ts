// The Kubernetes harness's process supervision (test/support/kube/processes.ts) leaves nothing
// behind however the test process ends: killed with SIGKILL (the reaper cleans up), interrupted
// (Ctrl-C's SIGINT) or terminated, or ended by an uncaught exception. Each case starts a
// plain process and one that forks, then checks no process and no state directory remain.
// test/kube/harness.test.ts checks the same for a whole control plane, ports included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leftoversAfter, type Ending } from '../../support/kube/exit-paths.js';

describe('Kubernetes harness: nothing outlives the test process', () => {
  for (const ending of ['SIGKILL', 'SIGINT', 'SIGTERM', 'throw'] as const satisfies readonly Ending[]) {
    it(`when it ends by ${ending}`, async () => {
      const left = await leftoversAfter('sleepers', ending);
      assert.equal(left.report.pids.length, 2);
      assert.deepEqual(left.alive, [], 'every started process (and what it forked) is gone');
      assert.equal(left.dirExists, false, `the state directory ${left.report.stateDir} is removed`);
    });
  }
});
