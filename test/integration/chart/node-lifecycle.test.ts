// The chart's part in the node's life: the pre-stop hook runs the image's own command in the
// pre-stop-hook mode with a timeout inside the grace period; the CSIDriver asks kubelet to refresh
// the attach limit (and the attacher gets the matching gate) only where Kubernetes has the field;
// --metadata-sources follows node.metadataSources.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { OPTION_SPEC, parseOptions } from '../../../src/cli.js';
import { parseImageRuntime } from '../../support/image-runtime.js';
import { REPO_ROOT, render, requireHelm, run, HELM, CHART_DIR } from './helm.js';
import { container, find, flag, type K8sObject, type Workload } from './manifests.js';

const GATE = '--feature-gates=MutableCSINodeAllocatableCount=true';

function preStopOf(objects: readonly K8sObject[]): readonly string[] {
  const command = container(find<Workload>(objects, 'DaemonSet', 'ebs-csi-node'), 'ebs-plugin').lifecycle?.preStop?.exec?.command;
  assert.ok(command, 'the node plugin has a preStop exec hook');
  return command;
}

function csiDriverSpec(objects: readonly K8sObject[]): Record<string, unknown> {
  return (find<K8sObject & { spec: Record<string, unknown> }>(objects, 'CSIDriver')).spec;
}

function attacherArgs(objects: readonly K8sObject[]): readonly string[] {
  return container(find<Workload>(objects, 'Deployment', 'ebs-csi-controller'), 'csi-attacher').args ?? [];
}

void describe('chart: node lifecycle', () => {
  before(requireHelm);

  void it('runs the image\'s command in pre-stop-hook mode, with the plugin\'s driver name and log settings, 5 seconds inside the grace period', async () => {
    const { objects } = await render();
    const image = parseImageRuntime(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const command = preStopOf(objects);
    // The Dockerfile's ENTRYPOINT, word for word: "node", its flags, the bundle.
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))?.[1];
    assert.ok(entrypoint, 'the Dockerfile has an exec-form ENTRYPOINT');
    const entry = JSON.parse(entrypoint) as string[];
    assert.deepEqual(command.slice(0, entry.length), entry);
    assert.deepEqual(command.slice(1, 1 + image.nodeArgs.length), image.nodeArgs);
    const args = command.slice(entry.length);
    for (const arg of args.filter((a) => a.startsWith('--'))) assert.ok((arg.slice(2).split('=')[0] ?? '') in OPTION_SPEC, arg);
    const parsed = parseOptions(args);
    assert.equal(parsed.kind, 'run');
    assert.equal(parsed.kind === 'run' ? parsed.options.mode : '', 'pre-stop-hook');
    assert.equal(parsed.kind === 'run' ? parsed.options.preStopTimeoutSeconds : 0, 55);
    // The hook waits for the plugin's own VolumeAttachments and logs as the plugin does.
    const plugin = container(find<Workload>(objects, 'DaemonSet', 'ebs-csi-node'), 'ebs-plugin').args ?? [];
    for (const name of ['driver-name', 'logging-format', 'v']) assert.equal(flag(args, name), flag(plugin, name), `--${name}`);
    const pod = find<Workload>(objects, 'DaemonSet', 'ebs-csi-node').spec.template.spec as { terminationGracePeriodSeconds?: number };
    assert.equal(pod.terminationGracePeriodSeconds, 60);

    const renamed = await render({ set: ['driverName=ebs.example.com', 'logging.format=json'] });
    assert.equal(flag(preStopOf(renamed.objects), 'driver-name'), 'ebs.example.com');
    assert.equal(flag(preStopOf(renamed.objects), 'logging-format'), 'json');

    const short = await render({ set: ['node.terminationGracePeriodSeconds=3'] });
    assert.equal(flag(preStopOf(short.objects), 'pre-stop-timeout'), '1', 'never less than a second');
  });

  void it('has kubelet refresh the attach limit every 10 s by default, with the attacher\'s gate', async () => {
    const { objects } = await render();
    assert.equal(csiDriverSpec(objects).nodeAllocatableUpdatePeriodSeconds, 10);
    assert.ok(attacherArgs(objects).includes(GATE));

    const every30 = await render({ set: ['nodeAllocatableUpdatePeriodSeconds=30'] });
    assert.equal(csiDriverSpec(every30.objects).nodeAllocatableUpdatePeriodSeconds, 30);

    const off = await render({ set: ['nodeAllocatableUpdatePeriodSeconds=0'] });
    assert.equal(csiDriverSpec(off.objects).nodeAllocatableUpdatePeriodSeconds, undefined);
    assert.ok(!attacherArgs(off.objects).includes(GATE));
  });

  void it('leaves the field out where Kubernetes has none (before 1.33)', async () => {
    // Chart.yaml's kubeVersion may refuse such a cluster outright; then there is nothing to render.
    const result = await run(HELM, ['template', 'ebs', CHART_DIR, '--kube-version', '1.32.0']);
    if (result.code !== 0) {
      assert.match(result.stderr, /kubeVersion|incompatible/i);
      return;
    }
    const objects = (await render({ kubeVersion: '1.32.0' })).objects;
    assert.equal(csiDriverSpec(objects).nodeAllocatableUpdatePeriodSeconds, undefined);
    assert.ok(!attacherArgs(objects).includes(GATE));
  });

  void it('refuses periods Kubernetes would refuse', async () => {
    const result = await run(HELM, ['template', 'ebs', CHART_DIR, '--set', 'nodeAllocatableUpdatePeriodSeconds=5']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /nodeAllocatableUpdatePeriodSeconds/);
  });

  void it('passes node.metadataSources to the node plugin', async () => {
    const { objects } = await render({ set: ['node.metadataSources=kubernetes'] });
    const args = container(find<Workload>(objects, 'DaemonSet', 'ebs-csi-node'), 'ebs-plugin').args ?? [];
    assert.equal(flag(args, 'metadata-sources'), 'kubernetes');
    const plain = await render();
    assert.equal(flag(container(find<Workload>(plain.objects, 'DaemonSet', 'ebs-csi-node'), 'ebs-plugin').args, 'metadata-sources'), undefined);
    const bad = await run(HELM, ['template', 'ebs', CHART_DIR, '--set', 'node.metadataSources=imds\\,labeler']);
    assert.notEqual(bad.code, 0);
  });
});
