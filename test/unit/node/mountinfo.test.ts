import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MountTable, parseMountInfo, parseMountInfoLine, unescapeMountField } from '../../../src/node/mountinfo.js';

const SAMPLE = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
  '42 27 7:0 / /var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/abc/globalmount rw,relatime shared:5 master:1 - ext4 /dev/loop0 rw',
  '43 27 7:0 / /var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/pv-1/mount ro,relatime shared:5 - ext4 /dev/loop0 rw',
  '44 27 7:1 /sub /mnt/with\\040space rw - xfs /dev/loop1 rw,nouuid',
  '45 27 7:1 / /mnt/with\\040space rw - xfs /dev/loop1 rw,nouuid',
  '46 27 0:6 /loop2 /pods/p2/dev rw - devtmpfs devtmpfs rw,size=100k',
].join('\n');

describe('mountinfo parsing', () => {
  it('reads every field, with optional fields before the separator', () => {
    const entry = parseMountInfoLine(SAMPLE.split('\n')[2] ?? '');
    assert.deepEqual(entry, {
      mountId: 42, parentId: 27, device: '7:0', root: '/',
      mountPoint: '/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/abc/globalmount',
      mountOptions: ['rw', 'relatime'], fsType: 'ext4', source: '/dev/loop0', superOptions: ['rw'],
    });
  });

  it('undoes the kernel escapes for space, tab, newline and backslash', () => {
    assert.equal(unescapeMountField('/a\\040b\\011c\\012d\\134e'), '/a b\tc\nd\\e');
    assert.equal(parseMountInfo(SAMPLE)[4]?.mountPoint, '/mnt/with space');
  });

  it('skips malformed lines instead of failing', () => {
    const entries = parseMountInfo(`garbage\n1 2 3\n${SAMPLE}\nx y 7:0 / /m rw - ext4 /dev/x rw\n`);
    assert.equal(entries.length, 7);
    assert.equal(parseMountInfoLine('10 1 7:0 / /m rw shared:1 ext4 /dev/x rw'), undefined, 'no separator');
  });

  it('finds the top mount at a path and counts stacked mounts', () => {
    const table = new MountTable(parseMountInfo(SAMPLE));
    assert.equal(table.at('/mnt/with space')?.mountId, 45, 'the later of two stacked mounts');
    assert.equal(table.countAt('/mnt/with space'), 2);
    assert.equal(table.at('/nowhere'), undefined);
  });

  it('lists the bind mounts of a staged filesystem', () => {
    const table = new MountTable(parseMountInfo(SAMPLE));
    const staged = table.entries[2];
    assert.ok(staged);
    assert.deepEqual(table.bindsOf(staged).map((e) => e.mountId), [43]);
    const subtree = table.entries[4];
    assert.ok(subtree);
    assert.deepEqual(table.bindsOf(subtree).map((e) => e.mountId), [], 'a bind of /sub does not contain the whole filesystem');
  });
});
