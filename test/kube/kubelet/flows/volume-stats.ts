// Flow 6: volume stats. The kubelet calls NodeGetVolumeStats for each mounted CSI volume (every
// volumeStatsAggPeriod, 10 s on the test node) and serves them on its own metrics endpoint as
// kubelet_volume_stats_* for the claim. The pod writes 8 MiB; the metrics show the claim's
// capacity, used and available bytes and inodes, and they match statfs of the volume's publish
// path on the host.
import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeletCluster } from '../../../support/kubelet/cluster.js';
import { waitFor } from '../../../support/ports.js';
import type { Flow } from '../suite.js';
import { appPod, claim, deleteClaim, deletePods, NAMESPACE, waitBound, waitRunning } from '../objects.js';
import { SC } from '../values.js';

const METRICS = ['capacity_bytes', 'used_bytes', 'available_bytes', 'inodes', 'inodes_used', 'inodes_free'] as const;
type Stats = Record<(typeof METRICS)[number], number>;

/** The kubelet_volume_stats_* samples of one claim, or undefined while the kubelet has none. */
async function claimStats(k: KubeletCluster, claimName: string): Promise<Stats | undefined> {
  const res = await k.kubeletGet('/metrics');
  if (res.status !== 200) throw new Error(`GET /metrics on the kubelet: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  const stats: Partial<Stats> = {};
  for (const metric of METRICS) {
    const line = res.body.split('\n').find((l) => l.startsWith(`kubelet_volume_stats_${metric}{`)
      && l.includes(`namespace="${NAMESPACE}"`) && l.includes(`persistentvolumeclaim="${claimName}"`));
    if (!line) return undefined;
    stats[metric] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return stats as Stats;
}

const MIB = 1024 ** 2;

export const volumeStatsFlow: Flow = {
  name: '6 the kubelet\'s volume stats for the claim appear on its metrics endpoint and match the filesystem',
  async run({ k, admin, ec2 }) {
    await admin.create(claim('stats', { storageClassName: SC.ext4 }));
    await admin.create(appPod('stats', {
      mounts: { stats: '/data' },
      script: 'dd if=/dev/zero of=/data/fill bs=1048576 count=8 && mkdir /data/a /data/b && sync',
    }));
    const pod = await waitRunning(admin, 'stats');
    const { volume: pv } = await waitBound(admin, 'stats');

    let stats: Stats | undefined;
    await waitFor('kubelet_volume_stats_* for the claim that count the 8 MiB written', async () => {
      stats = await claimStats(k, 'stats');
      return stats !== undefined && stats.used_bytes >= 8 * MIB;
    }, 60_000);
    const s = stats ?? assert.fail('no stats');
    const fs = await statfs(join(k.node.rootDir, 'pods', pod.metadata.uid ?? '', 'volumes', 'kubernetes.io~csi', pv.metadata.name, 'mount'));
    assert.equal(s.capacity_bytes, fs.blocks * fs.bsize, 'capacity is the filesystem\'s size');
    assert.equal(s.inodes, fs.files, 'inodes is the filesystem\'s inode count');
    // The pod idles; nothing else writes: what the kubelet sampled last is what statfs says now, give or take a block.
    assert.ok(Math.abs(s.available_bytes - fs.bavail * fs.bsize) <= 64 * 1024, `available ${s.available_bytes} vs statfs ${fs.bavail * fs.bsize}`);
    assert.ok(s.used_bytes >= 8 * MIB && s.used_bytes < s.capacity_bytes, `used ${s.used_bytes}`);
    assert.equal(s.inodes_used + s.inodes_free, s.inodes);
    assert.ok(s.inodes_used >= 4, 'the file and the folders count as used inodes');
    console.log(`# volume stats on the kubelet's /metrics: capacity ${s.capacity_bytes}, used ${s.used_bytes}, available ${s.available_bytes}, inodes ${s.inodes_used}/${s.inodes}`);

    await deletePods(admin, ['stats']);
    await deleteClaim(admin, ec2, 'stats');
  },
};
