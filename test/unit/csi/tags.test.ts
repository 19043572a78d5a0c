import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { parseStorageClass } from '../../../src/csi/params/storageClass.js';
import { evaluateTemplate, parseTagSpecification } from '../../../src/csi/params/tagTemplate.js';
import { buildVolumeTags, clusterTags } from '../../../src/csi/params/volumeTags.js';
import { expectFailure } from './expect.js';

const vars = { PVCName: 'data', PVCNamespace: 'apps', PVName: 'pvc-1' };

describe('tag templates', () => {
  it('fills in {{ .PVCName }}, {{ .PVCNamespace }} and {{ .PVName }}, with or without spaces', () => {
    assert.equal(evaluateTemplate('{{ .PVCNamespace }}/{{.PVCName}}-{{  .PVName  }}', vars, 'x'), 'apps/data-pvc-1');
    assert.equal(evaluateTemplate('plain', vars, 'x'), 'plain');
  });

  it('refuses unknown variables and other template syntax, listing the variables', async () => {
    await expectFailure(() => evaluateTemplate('{{ .Namespace }}', vars, 'parameters.tagSpecification_1'), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_1: unknown template variable \.Namespace/, /\{\{ \.PVCName \}\}, \{\{ \.PVCNamespace \}\}, \{\{ \.PVName \}\}/);
    await expectFailure(() => evaluateTemplate('{{ .PVCName | upper }}', vars, 'p'), status.INVALID_ARGUMENT, /is not a supported template/);
    await expectFailure(() => evaluateTemplate('{{ .PVCName', vars, 'p'), status.INVALID_ARGUMENT, /unbalanced/);
    await expectFailure(() => evaluateTemplate('x }} y', vars, 'p'), status.INVALID_ARGUMENT, /unbalanced/);
  });

  it('parses key=value at the first "=" and templates both sides', () => {
    assert.deepEqual(parseTagSpecification('owner={{ .PVCNamespace }}', vars, 'p'), ['owner', 'apps']);
    assert.deepEqual(parseTagSpecification(' query = a=b ', vars, 'p'), ['query', 'a=b']);
    assert.deepEqual(parseTagSpecification('{{ .PVCName }}-key=', vars, 'p'), ['data-key', '']);
  });

  it('refuses a specification without "=" or with an empty key', async () => {
    await expectFailure(() => parseTagSpecification('novalue', vars, 'parameters.tagSpecification_2'), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_2: "novalue" is not of the form key=value/);
    await expectFailure(() => parseTagSpecification('=v', vars, 'p'), status.INVALID_ARGUMENT, /tag key is empty/);
  });

  it('refuses the driver\'s reserved keys and the aws: prefix', async () => {
    for (const key of ['CSIVolumeName', 'CSIVolumeSnapshotName', 'kubernetes.io/cluster/x', 'kubernetes.io-anything', 'ebs.csi.aws.com/cluster']) {
      await expectFailure(() => parseTagSpecification(`${key}=v`, vars, 'parameters.tagSpecification_1'), status.INVALID_ARGUMENT,
        /parameters\.tagSpecification_1: tag key .* is reserved for the driver/);
    }
    await expectFailure(() => parseTagSpecification('aws:owner=me', vars, 'p'), status.INVALID_ARGUMENT, /prefix "aws:"/);
    await expectFailure(() => parseTagSpecification(`k=${'v'.repeat(257)}`, vars, 'p'), status.INVALID_ARGUMENT, /longer than 256/);
  });

  it('come from the StorageClass with the provisioner\'s PVC and PV names', () => {
    const p = parseStorageClass({
      'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'apps', 'csi.storage.k8s.io/pv/name': 'pvc-1',
      tagSpecification_1: 'owner={{ .PVCNamespace }}', tagSpecification_2: 'pv={{ .PVName }}',
    });
    assert.deepEqual(p.userTags, { owner: 'apps', pv: 'pvc-1' });
    // Without --extra-create-metadata the names are unknown and templates give "".
    assert.deepEqual(parseStorageClass({ tagSpecification_1: 'claim={{ .PVCName }}' }).userTags, { claim: '' });
  });

  it('refuses two tag specifications setting the same key', async () => {
    await expectFailure(() => parseStorageClass({ tagSpecification_1: 'team=a', tagSpecification_2: 'team=b' }), status.INVALID_ARGUMENT,
      /parameters\.tagSpecification_1 and parameters\.tagSpecification_2 both set tag "team"/);
  });
});

describe('volume tags', () => {
  it('always carry CSIVolumeName and the driver tag', () => {
    assert.deepEqual(buildVolumeTags({ name: 'pvc-1', extraTags: {}, userTags: {} }), { CSIVolumeName: 'pvc-1', 'ebs.csi.aws.com/cluster': 'true' });
  });

  it('add the PVC and PV tags, the cluster tags, --extra-tags and user tags', () => {
    const tags = buildVolumeTags({
      name: 'pvc-1', clusterId: 'prod', extraTags: { env: 'prod' }, userTags: { team: 'db' },
      pvcName: 'data', pvcNamespace: 'apps', pvName: 'pvc-1',
    });
    assert.deepEqual(tags, {
      CSIVolumeName: 'pvc-1', 'ebs.csi.aws.com/cluster': 'true', 'kubernetes.io/cluster/prod': 'owned', KubernetesCluster: 'prod',
      'ebs.csi.aws.com/cluster-name': 'prod', 'kubernetes.io/created-for/pvc/name': 'data',
      'kubernetes.io/created-for/pvc/namespace': 'apps', 'kubernetes.io/created-for/pv/name': 'pvc-1', env: 'prod', team: 'db',
    });
    assert.deepEqual(clusterTags(undefined), { 'ebs.csi.aws.com/cluster': 'true' });
  });

  it('let the driver\'s own tags win over user tags, and user tags over --extra-tags', () => {
    const tags = buildVolumeTags({ name: 'n', clusterId: 'c', extraTags: { team: 'x', KubernetesCluster: 'other' }, userTags: { team: 'y', KubernetesCluster: 'mine' } });
    assert.equal(tags.team, 'y');
    assert.equal(tags.KubernetesCluster, 'c');
  });

  it('refuse more than 50 tags in all', async () => {
    const userTags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(Object.keys(buildVolumeTags({ name: 'n', extraTags: {}, userTags: Object.fromEntries(Object.entries(userTags).slice(0, 48)) })).length, 50);
    await expectFailure(() => buildVolumeTags({ name: 'n', extraTags: {}, userTags }), status.INVALID_ARGUMENT, /51 tags/, /at most 50/);
  });
});
