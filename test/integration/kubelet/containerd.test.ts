// The container runtime the kubelet tests stand on: a containerd of the test's own, with the
// locally made images imported, runs a container from the busybox image in its own namespaces
// and cgroup, runs the pause image (which must stop on SIGTERM, as a sandbox does), and leaves
// nothing behind when stopped with a container still running: no process, mount, cgroup or
// folder; and a run killed outright is cleaned up by the next. Skips, naming every check, where this machine cannot run containers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { CONTAINER_CHECKS, runChecks, skipMessage } from '../../support/kubelet/capability.js';
import { shimSocketOf, startContainerd, type Containerd } from '../../support/kubelet/containerd.js';
import { cgroupsNamed, KUBELET_SYSCTLS, mountsUnder, processesWithArgument, readSysctls, type SysctlValues } from '../../support/kubelet/host.js';
import { testImages, which, type TestImages } from '../../support/kubelet/tools.js';
import { openWorkspace, type Workspace } from '../../support/kubelet/workspace.js';

const checks = await runChecks(CONTAINER_CHECKS);
const skip = skipMessage(checks);
if (skip) console.log(`# containerd tests skip: ${skip}`);

describe('containerd harness', { skip: skip ?? false }, () => {
  let workspace: Workspace;
  let containerd: Containerd;
  let images: TestImages;
  let sysctlsBefore: SysctlValues;
  let runc: string;
  // ctr's own run path: its runc state, FIFOs and cgroup go inside the test's workspace too.
  const runArgs = (id: string): string[] => [
    '--runc-root', containerd.paths.runcRoot, '--fifo-dir', workspace.path('fifo'),
    '--cgroup', `/${workspace.cgroup}/${id}`, '--net-host',
  ];

  before(async () => {
    images = testImages();
    workspace = await openWorkspace();
    // After openWorkspace, which puts back what a killed earlier run changed.
    sysctlsBefore = await readSysctls(KUBELET_SYSCTLS);
    const need = async (tool: string): Promise<string> => (await which(tool)) ?? assert.fail(`${tool} is not on PATH`);
    runc = await need('runc');
    containerd = await startContainerd({
      dir: workspace.path('containerd'), images, containerd: await need('containerd'), ctr: await need('ctr'), runc,
    });
  });
  after(async () => {
    await containerd?.stop();
    await workspace?.close();
  });

  it('has the locally made images, under docker.io/local/ names', async () => {
    const listed = (await containerd.ctr(['images', 'list', '--quiet'])).stdout.split('\n');
    assert.ok(images.pause.name.startsWith('docker.io/local/'), images.pause.name);
    assert.ok(listed.includes(images.pause.name), `${images.pause.name} in ${listed.join(' ')}`);
    assert.ok(listed.includes(images.busybox.name), `${images.busybox.name} in ${listed.join(' ')}`);
  });

  it('runs a busybox container in its own pid and mount namespaces and cgroup', async () => {
    const { stdout } = await containerd.ctr(['run', '--rm', ...runArgs('hello'), images.busybox.name, 'hello',
      'sh', '-c', 'echo "pid=$$"; echo "root=$(ls / | tr "\\n" " ")"; cat /proc/self/cgroup'], { timeoutMs: 60_000 });
    assert.match(stdout, /^pid=1$/m, 'the shell is PID 1 of a new pid namespace');
    // The image's root, not the host's: busybox's folders and no /usr.
    const root = /^root=(.*)$/m.exec(stdout)?.[1]?.split(' ') ?? [];
    assert.ok(root.includes('bin') && root.includes('data') && !root.includes('usr'), `container root: ${root.join(' ')}`);
    assert.match(stdout, new RegExp(`memory:/${workspace.cgroup}/hello$`, 'm'), 'the container runs in the test cgroup');
  });

  it('runs the pause image until SIGTERM, then it exits 0', async () => {
    // Attached (not detached), so ctr's own exit status is the container's.
    const run = containerd.ctr(['run', '--rm', ...runArgs('sandbox'), images.pause.name, 'sandbox'], { timeoutMs: 60_000, okExitCodes: [1, 137, 143] });
    const running = async (): Promise<boolean> => /^sandbox\s+\d+\s+RUNNING$/m.test((await containerd.ctr(['tasks', 'list'])).stdout);
    const until = Date.now() + 20_000;
    while (!(await running()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await running(), 'pause keeps running');
    await containerd.ctr(['tasks', 'kill', '--signal', 'SIGTERM', 'sandbox']);
    const { exitCode } = await run;
    assert.equal(exitCode, 0, 'pause ends on SIGTERM with status 0 (PID 1 has no default signal action: it must handle it)');
  });

  it('stops with a container still running and leaves nothing behind', async () => {
    await containerd.ctr(['run', '--detach', ...runArgs('left-running'), images.busybox.name, 'left-running', 'sleep', '3600']);
    assert.ok((await mountsUnder(workspace.dir)).length > 0, 'the running container has its rootfs mounted');
    assert.ok((await cgroupsNamed(workspace.cgroup)).length > 0, 'the running container has its cgroup');
    await containerd.stop();
    assert.deepEqual(await processesWithArgument(containerd.paths.socket), [], 'no containerd or shim is left');
    assert.deepEqual((await mountsUnder(workspace.dir)).map((m) => m.mountPoint), [], 'no snapshot or rootfs mount is left');
    const dir = workspace.dir;
    const cgroup = workspace.cgroup;
    assert.deepEqual(await workspace.close(), []);
    assert.deepEqual(await cgroupsNamed(cgroup), [], 'the test cgroup is gone from every hierarchy');
    assert.equal(existsSync(dir), false, 'the workspace folder is gone');
    assert.deepEqual(await readSysctls(KUBELET_SYSCTLS), sysctlsBefore);
  });
});

describe('a kubelet test run killed outright', { skip: skip ?? false }, () => {
  it('is cleaned up by the next run: container, shim, containerd, mounts, cgroup, kernel setting, folder', async () => {
    const before = await readSysctls(KUBELET_SYSCTLS);
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'crashing-holder.js'), before['vm/overcommit_memory'] ?? '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the holder exited with ${code} before it was ready`)));
    });
    const held = JSON.parse(first) as { dir: string; cgroup: string };
    child.kill('SIGKILL');
    await exited;
    // What the killed run left: its containerd and shim, the container in its cgroup, mounts, the setting.
    const leftover = await processesWithArgument(held.dir);
    assert.ok(leftover.length >= 2, 'containerd and the shim outlive the test process');
    const shimSocket = leftover.map((p) => shimSocketOf(p.argv)).find((s) => s !== undefined) ?? assert.fail('no shim among the leftovers');
    assert.ok(existsSync(shimSocket), `the shim listens on ${shimSocket}`);
    assert.ok((await mountsUnder(held.dir)).length > 0);
    assert.ok((await cgroupsNamed(held.cgroup)).length > 0);
    assert.notDeepEqual(await readSysctls(KUBELET_SYSCTLS), before);

    // The next run: opening a workspace reaps the dead one's first.
    const next = await openWorkspace();
    assert.deepEqual(await next.close(), []);
    assert.deepEqual(await processesWithArgument(held.dir), []);
    assert.deepEqual(await mountsUnder(held.dir), []);
    assert.deepEqual(await cgroupsNamed(held.cgroup), []);
    assert.deepEqual(await readSysctls(KUBELET_SYSCTLS), before);
    assert.equal(existsSync(held.dir), false);
    assert.equal(existsSync(shimSocket), false, 'the killed shim\'s socket in /run/containerd/s is removed');
  });
});
