// The kubelet on this machine without a control plane: a standalone kubelet on the test's own
// containerd runs a static hostNetwork pod from the local busybox image, the pod writes into
// its emptyDir, and the kubelet reports it Running on its own API (verified against the
// certificate it serves). It rewrites kernel settings at start; after the node stops, those,
// the host's top-level cgroups and /run/containerd are as before, and nothing of the test's
// is left (processes, mounts, cgroup, folder). Skips, naming every check, where it cannot run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KUBELET_CHECKS, runChecks, skipMessage } from '../../support/kubelet/capability.js';
import {
  cgroupsNamed, hostSnapshot, KUBELET_SYSCTLS, mountsUnder, processesWithArgument, readSysctls, type HostSnapshot,
} from '../../support/kubelet/host.js';
import { httpsGet } from '../../support/kubelet/https-get.js';
import { startTestNode, type TestNode } from '../../support/kubelet/node.js';
import { testImages } from '../../support/kubelet/tools.js';
import { waitFor } from '../../support/ports.js';

const checks = await runChecks(KUBELET_CHECKS);
const skip = skipMessage(checks);
if (skip) console.log(`# standalone kubelet tests skip: ${skip}`);

interface PodList {
  items?: { metadata?: { name?: string; uid?: string }; status?: { phase?: string } }[];
}

describe('a standalone kubelet on the test containerd', { skip: skip ?? false }, () => {
  let node: TestNode | undefined;
  let before_: HostSnapshot;
  const nodeName = 'kubelet-standalone.test';

  before(async () => {
    before_ = await hostSnapshot();
    const busybox = testImages().busybox.name;
    node = await startTestNode({
      nodeName,
      staticPods: [{
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'writer', namespace: 'default' },
        spec: {
          hostNetwork: true,
          containers: [{
            name: 'main', image: busybox, imagePullPolicy: 'Never',
            command: ['sh', '-c', 'echo "written by $(hostname) as $(id -u)" > /scratch/proof; exec sleep 3600'],
            volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
          }],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        },
      }],
    });
  });
  after(async () => { await node?.stop(); });

  it('runs the static pod, which writes into its emptyDir on the host', async () => {
    const n = node ?? assert.fail('no node');
    const tls = await n.kubelet.servingTls();
    let pods: PodList = {};
    await waitFor('the static pod to be Running on the kubelet API', async () => {
      const res = await httpsGet(`${n.kubelet.url}/pods`, tls);
      pods = JSON.parse(res.body) as PodList;
      return res.status === 200 && (pods.items ?? []).some((p) => p.status?.phase === 'Running');
    }, 120_000).catch((err: unknown) => assert.fail(`${String(err)}\n${n.kubelet.output().slice(-3000)}`));
    const pod = (pods.items ?? []).find((p) => p.metadata?.name === `writer-${nodeName}`) ?? assert.fail(`pods: ${JSON.stringify(pods)}`);
    const volume = join(n.rootDir, 'pods', pod.metadata?.uid ?? '', 'volumes', 'kubernetes.io~empty-dir', 'scratch', 'proof');
    await waitFor(`${volume}`, () => Promise.resolve(existsSync(volume)), 30_000);
    // hostNetwork: the pod's hostname is the machine's.
    assert.equal((await readFile(volume, 'utf8')).trim(), `written by ${hostname()} as 0`);
    const containers = (await n.containerd.ctr(['containers', 'list'])).stdout;
    assert.ok(containers.includes(testImages().busybox.name) && containers.includes(testImages().pause.name), containers);
  });

  it('has rewritten the kernel settings (which the stop must put back)', async () => {
    const now = await readSysctls(KUBELET_SYSCTLS);
    assert.deepEqual([now['vm/overcommit_memory'], now['kernel/panic'], now['kernel/panic_on_oops']], ['1', '10', '1']);
  });

  it('puts its pods under the test cgroup only', async () => {
    const n = node ?? assert.fail('no node');
    const memory = (await cgroupsNamed(n.workspace.cgroup)).find((d) => d.includes('/memory/')) ?? assert.fail('no memory cgroup');
    assert.ok((await readdir(memory)).includes('kubepods'), 'kubepods is under the test cgroup');
  });

  it('leaves the host as it found it once stopped', async () => {
    const n = node ?? assert.fail('no node');
    const { dir, cgroup } = n.workspace;
    assert.deepEqual(await n.stop(), []);
    node = undefined;
    const after_ = await hostSnapshot();
    assert.deepEqual(after_.sysctls, before_.sysctls, 'the kernel settings the kubelet rewrote are back');
    assert.deepEqual(after_.topCgroups, before_.topCgroups, 'no new top-level cgroup in any hierarchy');
    assert.equal(after_.runContainerd, before_.runContainerd, '/run/containerd as before');
    assert.deepEqual(await processesWithArgument(dir), []);
    assert.deepEqual(await mountsUnder(dir), []);
    assert.deepEqual(await cgroupsNamed(cgroup), []);
    assert.equal(existsSync(dir), false);
  });
});
