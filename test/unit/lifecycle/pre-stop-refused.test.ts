// A pre-stop hook the API server refuses fails at once, naming the missing rights, instead of
// retrying until the grace period ends (which would stretch every drain of every node).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { KubeApiError, type KubeApi, type WatchEvent } from '../../../src/kube/client.js';
import { paths } from '../../../src/kube/objects.js';
import { preStopHook } from '../../../src/lifecycle/pre-stop.js';

function api(volumeAttachments: () => unknown): KubeApi {
  return {
    get: (path) => Promise.resolve(path === paths.node('n1')
      ? { metadata: { name: 'n1', resourceVersion: '1' }, spec: { unschedulable: true } }
      : volumeAttachments()),
    patch: () => Promise.reject(new Error('the hook patches nothing')),
    // eslint-disable-next-line require-yield -- a watch that is never reached
    watch: async function* (): AsyncGenerator<WatchEvent> { await Promise.resolve(); throw new Error('not reached'); },
  };
}

describe('pre-stop hook refused by the API server', () => {
  it('fails at once when listing VolumeAttachments is forbidden, naming the rule', async () => {
    const started = Date.now();
    await assert.rejects(
      preStopHook({
        client: api(() => { throw new KubeApiError(403, 'Forbidden', 'GET /apis/storage.k8s.io/v1/volumeattachments: HTTP 403 Forbidden'); }),
        nodeName: 'n1', driverName: 'ebs.csi.aws.com', log: pino({ level: 'silent' }), timeoutMs: 30_000,
      }),
      /the node ClusterRole needs volumeattachments list and watch/,
    );
    assert.ok(Date.now() - started < 1000, 'without waiting for the timeout');
  });

  it('keeps retrying other failures until its timeout', async () => {
    let calls = 0;
    const outcome = await preStopHook({
      client: api(() => { calls += 1; throw new KubeApiError(500, 'InternalError', 'etcd is slow'); }),
      nodeName: 'n1', driverName: 'ebs.csi.aws.com', log: pino({ level: 'silent' }), timeoutMs: 1200,
    });
    assert.equal(outcome, 'timed-out');
    assert.ok(calls >= 2, `listed ${calls} times`);
  });
});
