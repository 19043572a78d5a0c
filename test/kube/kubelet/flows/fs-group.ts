// Flow 3: fsGroup. The CSIDriver says fsGroupPolicy File, so the kubelet gives the volume's files
// to the pod's fsGroup when it mounts it. A first pod (root, no fsGroup) writes a file and a
// folder; a second pod running as user 1000 with fsGroup 2000 finds them owned by group 2000,
// group-writable, with the set-group-id bit on folders, and can write into the volume itself
// (its new file inherits group 2000). Checked inside the pod and on the host's publish path.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Flow } from '../suite.js';
import { appPod, claim, deleteClaim, deletePods, podRef, waitBound, waitRunning } from '../objects.js';
import { SC } from '../values.js';

const USER = 1000;
const GROUP = 3000;
const FS_GROUP = 2000;

export const fsGroupFlow: Flow = {
  name: '3 fsGroup: the kubelet gives the volume\'s files to the pod\'s group, and the pod can write',
  async run({ k, admin, ec2 }) {
    await admin.create(claim('shared', { storageClassName: SC.ext4 }));
    await admin.create(appPod('as-root', {
      mounts: { shared: '/data' },
      script: 'echo root > /data/by-root && chmod 600 /data/by-root && mkdir /data/dir && echo nested > /data/dir/nested',
    }));
    await waitRunning(admin, 'as-root');
    await deletePods(admin, ['as-root']);

    // Its script writes into the volume's root as user 1000: that only works once the kubelet has applied fsGroup.
    await admin.create(appPod('as-app', {
      mounts: { shared: '/data' },
      securityContext: { runAsUser: USER, runAsGroup: GROUP, fsGroup: FS_GROUP },
      script: 'echo app > /data/by-app',
    }));
    const pod = await waitRunning(admin, 'as-app');
    const { stdout: ids } = await k.execInPod(podRef('as-app'), ['id']);
    assert.match(ids, new RegExp(`uid=${USER}\\b.*gid=${GROUP}\\b.*groups=.*\\b${FS_GROUP}\\b`), `the container runs as the pod asked: ${ids}`);
    const { stdout: read } = await k.execInPod(podRef('as-app'), ['cat', '/data/by-root', '/data/dir/nested']);
    assert.equal(read, 'root\nnested\n', 'the pod reads the file root made private to its owner, through the group');

    const { volume: pv } = await waitBound(admin, 'shared');
    const published = join(k.node.rootDir, 'pods', pod.metadata.uid ?? '', 'volumes', 'kubernetes.io~csi', pv.metadata.name, 'mount');
    const owner = async (path: string): Promise<{ uid: number; gid: number; mode: string }> => {
      const s = await stat(join(published, path));
      return { uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8) };
    };
    const root = await owner('.');
    assert.equal(root.gid, FS_GROUP, 'the volume\'s root belongs to the fsGroup');
    assert.ok((Number.parseInt(root.mode, 8) & 0o2070) === 0o2070, `the root is group rwx with set-group-id: ${root.mode}`);
    const byRoot = await owner('by-root');
    assert.deepEqual([byRoot.uid, byRoot.gid], [0, FS_GROUP]);
    assert.ok((Number.parseInt(byRoot.mode, 8) & 0o060) === 0o060, `root's private file became group rw: ${byRoot.mode}`);
    const dir = await owner('dir');
    assert.equal(dir.gid, FS_GROUP);
    assert.ok((Number.parseInt(dir.mode, 8) & 0o2000) !== 0, `folders get set-group-id: ${dir.mode}`);
    assert.equal((await owner('dir/nested')).gid, FS_GROUP, 'ownership is applied recursively');
    const byApp = await owner('by-app');
    assert.deepEqual([byApp.uid, byApp.gid], [USER, FS_GROUP], 'the pod\'s new file inherits the fsGroup from the set-group-id root');

    await deletePods(admin, ['as-app']);
    await deleteClaim(admin, ec2, 'shared');
  },
};
