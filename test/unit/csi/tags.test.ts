import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { snapshotTags } from '../../../src/csi/controller/snapshots-tags.js';
import { parseModifyParameters } from '../../../src/csi/params/modifyParameters.js';
import { parseSnapshotClassParameters } from '../../../src/csi/params/snapshotClass.js';
import { parseStorageClass } from '../../../src/csi/params/storageClass.js';
import { renderTagSpecification, STRICT_TAGS, type TagPolicy } from '../../../src/csi/params/tagTemplate.js';
import { buildVolumeTags, ownershipTags } from '../../../src/csi/params/volumeTags.js';
import { snapshotTemplateData, volumeTemplateData } from '../../../src/template/index.js';
import { expectFailure } from './expect.js';

const data = volumeTemplateData({ pvcName: 'data', pvcNamespace: 'apps', pvName: 'pvc-1' });

/** A policy that leaves invalid tags out and records the warnings. */
function warnOnly(): TagPolicy & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnOnly: true, warn: (fields, message) => warnings.push(`${fields.parameter ?? ''}: ${message}`), warnings };
}

void describe('tag specifications', () => {
  void it('fill in the claim\'s names and run the reference\'s functions and pipes', () => {
    assert.deepEqual(renderTagSpecification('owner={{ .PVCNamespace }}/{{.PVCName}}', data, 'p'), ['owner', 'apps/data']);
    assert.deepEqual(renderTagSpecification('env={{ .PVCNamespace | contains "app" }}', data, 'p'), ['env', 'true']);
    assert.deepEqual(renderTagSpecification('BillingID={{ .PVName | field "-" 1 | toUpper }}', data, 'p'), ['BillingID', '1']);
  });

  void it('parse key=value at the first "=", trimmed, and render the key too', () => {
    assert.deepEqual(renderTagSpecification(' query = a=b ', data, 'p'), ['query', 'a=b']);
    assert.deepEqual(renderTagSpecification('{{ .PVCName }}-key=', data, 'p'), ['data-key', '']);
  });

  void it('refuse an invalid template with INVALID_ARGUMENT naming the parameter and the reason', async () => {
    await expectFailure(() => renderTagSpecification('a={{ .Namespace }}', data, 'parameters.tagSpecification_1'), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_1: template "\{\{ \.Namespace \}\}" is invalid: can't evaluate field Namespace/);
    await expectFailure(() => renderTagSpecification('a={{ .PVCName | upper }}', data, 'p'), status.INVALID_ARGUMENT, /function "upper" not defined/);
    await expectFailure(() => renderTagSpecification('a={{ .PVCName', data, 'p'), status.INVALID_ARGUMENT, /unclosed action/);
  });

  void it('refuse a specification without "=" even under --warn-on-invalid-tag (there is no tag to leave out)', async () => {
    await expectFailure(() => renderTagSpecification('novalue', data, 'parameters.tagSpecification_2', warnOnly()), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_2: "novalue" is not of the form key=value/);
    await expectFailure(() => renderTagSpecification('=v', data, 'p'), status.INVALID_ARGUMENT, /tag key is empty/);
  });

  void it('refuse the driver\'s reserved keys and the aws: prefix', async () => {
    for (const key of ['CSIVolumeName', 'CSIVolumeSnapshotName', 'kubernetes.io/cluster/x', 'kubernetes.io-anything', 'ebs.csi.aws.com/cluster']) {
      await expectFailure(() => renderTagSpecification(`${key}=v`, data, 'parameters.tagSpecification_1'), status.INVALID_ARGUMENT,
        /parameters\.tagSpecification_1: tag key .* is reserved for the driver/);
    }
    await expectFailure(() => renderTagSpecification('aws:owner=me', data, 'p'), status.INVALID_ARGUMENT, /prefix "aws:"/);
    await expectFailure(() => renderTagSpecification(`k=${'v'.repeat(257)}`, data, 'p'), status.INVALID_ARGUMENT, /longer than 256/);
  });

  void it('leave out invalid tags with a warning under --warn-on-invalid-tag, keeping the valid ones', () => {
    const policy = warnOnly();
    const p = parseStorageClass({
      tagSpecification_1: 'good={{ .PVCName }}', tagSpecification_2: 'bad={{ .Nope }}', tagSpecification_3: 'CSIVolumeName=x',
      'csi.storage.k8s.io/pvc/name': 'claim',
    }, undefined, policy);
    assert.deepEqual(p.userTags, { good: 'claim' });
    assert.equal(policy.warnings.length, 2);
    assert.match(policy.warnings[0] ?? '', /parameters\.tagSpecification_2: leaving out an invalid tag \(--warn-on-invalid-tag\): .*can't evaluate field Nope/);
    assert.match(policy.warnings[1] ?? '', /parameters\.tagSpecification_3: .*reserved for the driver/);
  });

  void it('come from the StorageClass with the provisioner\'s PVC and PV names; a VolumeAttributesClass\'s win', () => {
    const p = parseStorageClass({
      'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'apps', 'csi.storage.k8s.io/pv/name': 'pvc-1',
      tagSpecification_1: 'owner={{ .PVCNamespace }}', tagSpecification_2: 'pv={{ .PVName }}',
    }, { tagSpecification_1: 'owner=vac-{{ .PVCName }}' });
    assert.deepEqual(p.userTags, { owner: 'vac-data', pv: 'pvc-1' });
    // Without --extra-create-metadata the names are unknown and templates give "".
    assert.deepEqual(parseStorageClass({ tagSpecification_1: 'claim={{ .PVCName }}' }).userTags, { claim: '' });
  });

  void it('use the snapshot\'s names in a VolumeSnapshotClass and the claim\'s in a VolumeAttributesClass', () => {
    const s = parseSnapshotClassParameters({
      'csi.storage.k8s.io/volumesnapshot/namespace': 'ns-prod-x', tagSpecification_1: 'tier={{ .VolumeSnapshotNamespace | field "-" 1 | toUpper }}',
    });
    assert.deepEqual(s.userTags, { tier: 'PROD' });
    const m = parseModifyParameters({ 'csi.storage.k8s.io/pvc/name': 'db-0', tagSpecification_1: 'app={{ .PVCName | substring 0 2 }}' });
    assert.deepEqual(m.tagsToAdd, { app: 'db' });
  });

  void it('refuse two tag specifications setting the same key', async () => {
    await expectFailure(() => parseStorageClass({ tagSpecification_1: 'team=a', tagSpecification_2: 'team=b' }), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_1 and parameters\.tagSpecification_2 both set tag "team"/);
  });
});

void describe('volume tags', () => {
  void it('always carry CSIVolumeName and the driver tag', () => {
    assert.deepEqual(buildVolumeTags({ name: 'pvc-1', extraTags: {}, userTags: {} }), { CSIVolumeName: 'pvc-1', 'ebs.csi.aws.com/cluster': 'true' });
    assert.deepEqual(ownershipTags(undefined), { 'ebs.csi.aws.com/cluster': 'true' });
  });

  void it('add the PVC and PV tags, the cluster tags with the reference\'s Name tag, operator and StorageClass tags', () => {
    const tags = buildVolumeTags({
      name: 'pvc-1', clusterId: 'prod', extraTags: { env: 'prod' }, userTags: { team: 'db' },
      pvcName: 'data', pvcNamespace: 'apps', pvName: 'pvc-1',
    });
    assert.deepEqual(tags, {
      CSIVolumeName: 'pvc-1', 'ebs.csi.aws.com/cluster': 'true', 'kubernetes.io/cluster/prod': 'owned', KubernetesCluster: 'prod',
      Name: 'prod-dynamic-pvc-1', 'ebs.csi.aws.com/cluster-name': 'prod', 'kubernetes.io/created-for/pvc/name': 'data',
      'kubernetes.io/created-for/pvc/namespace': 'apps', 'kubernetes.io/created-for/pv/name': 'pvc-1', env: 'prod', team: 'db',
    });
  });

  void it('record the IOPS ratio and the expansion rule under the reference\'s tag names', () => {
    const tags = buildVolumeTags({ name: 'n', extraTags: {}, userTags: {}, iopsPerGB: 50, allowAutoIopsIncreaseOnModify: false });
    assert.equal(tags['ebs.csi.aws.com/IOPSPerGb'], '50');
    assert.equal(tags['ebs.csi.aws.com/AllowAutoIOPSIncreaseOnModify'], 'false');
    assert.equal(tags['ebs.csi.aws.com/iops-per-gb'], undefined);
  });

  void it('let user tags replace Name and KubernetesCluster, operator tags win over StorageClass tags, as in the reference', () => {
    const tags = buildVolumeTags({ name: 'n', clusterId: 'c', extraTags: { team: 'ops', Name: 'by-operator' }, userTags: { team: 'sc', KubernetesCluster: 'mine' } });
    assert.equal(tags.team, 'ops');
    assert.equal(tags.Name, 'by-operator');
    assert.equal(tags.KubernetesCluster, 'mine');
    assert.equal(tags['kubernetes.io/cluster/c'], 'owned');
  });

  void it('refuse more than 50 tags in all', async () => {
    const userTags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(buildVolumeTags({ name: 'n', extraTags: {}, userTags: Object.fromEntries(Object.entries(userTags).slice(0, 48)) })).length, 50);
    await expectFailure(() => buildVolumeTags({ name: 'n', extraTags: {}, userTags }), status.INVALID_ARGUMENT, /51 tags/, /at most 50/);
  });
});

void describe('snapshot tags', () => {
  const snap = snapshotTemplateData({ snapshotName: 'nightly', snapshotNamespace: 'apps', contentName: 'snapcontent-1' });

  void it('carry the reference\'s Name tag; the class\'s tags win over --extra-tags; the driver\'s cannot be replaced', () => {
    const tags = snapshotTags({ clusterId: 'prod', extraTags: { team: 'ops', owner: '{{ .VolumeSnapshotNamespace }}' } }, 'snapshot-1',
      { team: 'db', Name: 'mine' }, snap, STRICT_TAGS);
    assert.deepEqual(tags, {
      CSIVolumeSnapshotName: 'snapshot-1', 'ebs.csi.aws.com/cluster': 'true', 'kubernetes.io/cluster/prod': 'owned',
      'ebs.csi.aws.com/cluster-name': 'prod', Name: 'mine', team: 'db', owner: 'apps',
    });
    assert.equal(snapshotTags({ clusterId: 'prod', extraTags: {} }, 'snapshot-1', {}, snap, STRICT_TAGS).Name, 'prod-dynamic-snapshot-1');
  });

  void it('leave out, with a warning, an --extra-tags template that needs a volume\'s names', () => {
    const policy = warnOnly();
    const tags = snapshotTags({ extraTags: { claim: '{{ .PVCName }}', team: 'ops' } }, 's', {}, snap, { ...policy, warnOnly: false });
    assert.equal(tags.claim, undefined);
    assert.equal(tags.team, 'ops');
    assert.match(policy.warnings.join('\n'), /--extra-tags claim: .*can't evaluate field PVCName/);
  });
});
