// The control plane the e2e flows run on leaves nothing behind when the test process is killed
// with SIGKILL (no chance to clean up itself): etcd, the API server, controller-manager and
// scheduler are gone, the API server's port is free again, and the state directory is removed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leftoversAfter } from '../support/kube/exit-paths.js';
import { KUBE_VERSIONS } from '../support/kube/versions.js';

describe('Kubernetes harness', () => {
  it(`kill -9 of the test process leaves no control-plane process, port or state (${KUBE_VERSIONS[0]})`, { timeout: 300_000 }, async () => {
    const left = await leftoversAfter(`control-plane:${KUBE_VERSIONS[0]}`, 'SIGKILL');
    assert.equal(left.report.pids.length, 4);
    assert.deepEqual(left.alive, [], 'etcd, kube-apiserver, kube-controller-manager and kube-scheduler are gone');
    assert.deepEqual(left.heldPorts, [], 'the API server\'s port is free again');
    assert.equal(left.dirExists, false, 'the state directory is removed');
  });
});
