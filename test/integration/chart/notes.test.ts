// NOTES.txt, the text helm prints after an install. `helm template` does not render it and an
// install needs a cluster, so a copy of the chart wraps the notes in a define and renders that.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { CHART_DIR, HELM, KUBE_VERSION, NAMESPACE, RELEASE, SNAPSHOT_API, VALUES_DIR, requireHelm, run } from './helm.js';

void describe('chart NOTES.txt', () => {
  let chart: string;

  async function notes(args: readonly string[]): Promise<string> {
    const result = await run(HELM, [
      'template', RELEASE, chart, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION,
      '--show-only', 'templates/notes-preview.yaml', ...args,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { notes: text } = parse(result.stdout) as { notes: string };
    return text;
  }

  before(async () => {
    await requireHelm();
    chart = await mkdtemp(join(tmpdir(), 'chart-notes-'));
    await cp(CHART_DIR, chart, { recursive: true });
    const text = await readFile(join(chart, 'templates/NOTES.txt'), 'utf8');
    await writeFile(join(chart, 'templates/_notes_preview.tpl'), `{{- define "notesPreview" -}}\n${text}{{- end -}}\n`);
    await writeFile(join(chart, 'templates/notes-preview.yaml'), 'notes: {{ include "notesPreview" . | toJson }}\n');
  });
  after(async () => {
    if (chart) await rm(chart, { recursive: true, force: true });
  });

  void it('tells what is missing after a default install', async () => {
    const text = await notes([]);
    assert.match(text, /Controller: 2 replica\(s\) of deployment\/ebs-csi-controller/);
    assert.match(text, /Snapshots: OFF - the VolumeSnapshot CRDs/);
    assert.match(text, /Region: not set; the controller asks the instance metadata service, then the\n\s+topology\.kubernetes\.io\/region label/);
    assert.match(text, /Credentials: give serviceaccount\/ebs-csi-controller-sa an IAM role/);
    assert.match(text, /image\.repository is the chart's placeholder/);
  });

  void it('stays quiet about what is configured and lists the StorageClasses', async () => {
    const text = await notes([
      '--values', join(VALUES_DIR, 'storage-classes.yaml'),
      '--set', 'aws.region=eu-west-1', '--set', 'image.repository=mirror.example.com/ebs',
      '--set', 'controller.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::111122223333:role/ebs',
      '--api-versions', SNAPSHOT_API,
    ]);
    assert.match(text, /Snapshots: the csi-snapshotter sidecar is running/);
    assert.match(text, /StorageClasses: ebs-gp3 \(default\), ebs-io2-retain/);
    assert.doesNotMatch(text, /Region:|Credentials:|placeholder/);
  });

  void it('warns when VolumeSnapshotClasses were asked for but cannot be created', async () => {
    const text = await notes(['--set', 'volumeSnapshotClasses[0].name=ebs-snapshots']);
    assert.match(text, /volumeSnapshotClasses you listed were NOT created/);
  });
});
