// Last: everything stopped, the host is as the stage found it. Host-wide: the kernel settings the
// kubelet rewrote, the top-level cgroups, /run/containerd and its shim sockets, and the paths the
// kubelet writes outside its root directory (device-plugin socket, log links). The run's own:
// no process started from its workspace, no mount under it, no loop device backed by a file in
// it, none of the by-id links the data plane made for the run's volumes, no cgroup, no folder.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listLoops, loopsBackedUnder } from '../../../../local/dataplane/loop-devices.js';
import { cgroupsNamed, hostSnapshot, mountsUnder, processesWithArgument } from '../../../support/kubelet/host.js';
import type { Flow, KubeletRun } from '../suite.js';

async function linkTarget(path: string): Promise<string | undefined> {
  if (!(await lstat(path).catch(() => undefined))?.isSymbolicLink()) return undefined;
  return resolve(join(path, '..'), await readlink(path));
}

export function noLeaksFlow(run: KubeletRun): Flow {
  return {
    name: '8 nothing left behind: kernel settings, cgroups, mounts, loop devices, device links, containerd and kubelet state',
    async run({ k }) {
      const { dir, cgroup } = k.workspace;
      const devices = k.devicesSeen();
      assert.ok(devices.length > 0, 'the flows attached volumes to the node, so the device checks below look at something');
      assert.deepEqual(await run.stop(), [], 'every part stopped and cleaned up without a problem');

      const before = run.before();
      const after = await hostSnapshot();
      assert.deepEqual(after.sysctls, before.sysctls, 'the kernel settings the kubelet rewrote are back');
      assert.deepEqual(after.topCgroups, before.topCgroups, 'no new top-level cgroup in any hierarchy');
      assert.equal(after.runContainerd, before.runContainerd, '/run/containerd as before');
      assert.deepEqual(after.shimSockets, before.shimSockets, 'no shim socket left in /run/containerd/s');
      assert.deepEqual(after.fixedPaths, before.fixedPaths, 'the kubelet\'s paths outside its root directory as before');
      const logLinks = await readdir('/var/log/containers').catch(() => [] as string[]);
      for (const name of logLinks) assert.ok(!(await linkTarget(join('/var/log/containers', name)) ?? '').startsWith(`${dir}/`), `log link ${name} removed`);

      assert.deepEqual(await processesWithArgument(`${dir}/`), [], 'no process started from the workspace');
      assert.deepEqual((await mountsUnder(dir)).map((m) => m.mountPoint), [], 'no mount under the workspace');
      assert.deepEqual(await loopsBackedUnder(dir), [], 'no loop device backed by a volume file of the run');
      const backing = new Map((await listLoops()).map((l) => [l.name, l.backFile]));
      for (const device of devices) {
        for (const link of device.links) {
          const target = await linkTarget(link);
          // A plain device name (/dev/xvdaa) may have been taken by another test's volume since: it is ours only while it names our loop.
          const stillOurs = target !== undefined && (link.includes(device.volumeId.replace('-', '')) || backing.get(target)?.startsWith(`${dir}/`) === true);
          assert.equal(stillOurs, false, `the data plane's link ${link} for ${device.volumeId} is gone`);
        }
      }
      assert.deepEqual(await cgroupsNamed(cgroup), [], 'the test cgroup is gone from every hierarchy');
      assert.equal(existsSync(dir), false, 'the workspace folder is gone');
      console.log(`# nothing left: ${devices.length} volume devices came and went; host state as before`);
    },
  };
}
