// When the pre-stop hook waits: a cordoned node or one tainted for removal, nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeView, volumeAttachmentView } from '../../../src/kube/objects.js';
import { drainReason } from '../../../src/lifecycle/pre-stop.js';

const node = (spec: Record<string, unknown>): ReturnType<typeof nodeView> => nodeView({ metadata: { name: 'n', resourceVersion: '7' }, spec });

describe('is the node draining', () => {
  it('yes when cordoned or tainted by kubectl drain, cluster-autoscaler or Karpenter', () => {
    assert.match(drainReason(node({ unschedulable: true })) ?? '', /cordoned/);
    for (const key of ['node.kubernetes.io/unschedulable', 'ToBeDeletedByClusterAutoscaler', 'karpenter.sh/disrupted', 'karpenter.sh/disruption']) {
      assert.match(drainReason(node({ taints: [{ key: 'other', effect: 'NoSchedule' }, { key, effect: 'NoSchedule' }] })) ?? '', new RegExp(key.replace('.', '\\.')));
    }
  });

  it('no otherwise, whatever else the node carries', () => {
    assert.equal(drainReason(node({})), undefined);
    assert.equal(drainReason(node({ unschedulable: false, taints: [{ key: 'ebs.csi.aws.com/agent-not-ready', effect: 'NoExecute' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] })), undefined);
  });
});

describe('objects from the API server', () => {
  it('keep the taints exactly as sent, for the patch\'s test', () => {
    const raw = [{ key: 'a', effect: 'NoSchedule', timeAdded: '2026-01-01T00:00:00Z' }, { key: 'b', value: 'v', effect: 'NoExecute' }];
    const view = node({ taints: raw });
    assert.deepEqual(view.rawTaints, raw);
    assert.deepEqual(view.taints, [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'v', effect: 'NoExecute' }]);
    assert.equal(view.resourceVersion, '7');
  });

  it('read VolumeAttachments and tolerate missing fields', () => {
    assert.deepEqual(volumeAttachmentView({ metadata: { name: 'csi-1' }, spec: { attacher: 'ebs.csi.aws.com', nodeName: 'n', source: { persistentVolumeName: 'pv' } } }),
      { name: 'csi-1', attacher: 'ebs.csi.aws.com', nodeName: 'n', persistentVolumeName: 'pv' });
    assert.deepEqual(volumeAttachmentView(null), { name: '', attacher: '', nodeName: '' });
  });
});
