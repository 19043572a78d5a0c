// Every object the chart renders, for every value set, validates offline and strictly (unknown
// fields fail) against the JSON schemas of a current Kubernetes release (kubernetes-validate,
// installed by scripts/install/kube-schemas.sh); CRD kinds against the schemas in schemas/.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHART_TEST_DIR, KUBE_VERSION, REPO_ROOT, render, requireExecutable, requireHelm, run } from './helm.js';
import { SCENARIOS } from './scenarios.js';

const PYTHON = join(REPO_ROOT, '.tools/venv-kube-validate/bin/python');
const VALIDATOR = join(CHART_TEST_DIR, 'validate_manifests.py');
const CRD_SCHEMAS = join(CHART_TEST_DIR, 'schemas');

interface Verdict {
  readonly kind: string;
  readonly name: string;
  readonly schema: string | null;
  readonly error: string | null;
}

void describe('rendered objects against Kubernetes schemas', () => {
  let dir: string;
  const kindsSeen = new Set<string>();

  async function validate(manifest: string): Promise<Verdict[]> {
    const file = join(dir, `manifest-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, manifest);
    const result = await run(PYTHON, [VALIDATOR, file, KUBE_VERSION, CRD_SCHEMAS]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Verdict[];
  }

  before(async () => {
    await requireHelm();
    await requireExecutable(PYTHON, 'scripts/install/kube-schemas.sh');
    dir = await mkdtemp(join(tmpdir(), 'chart-schemas-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  void it('the validator is not vacuous: it reports a mistyped field, an unknown field and an unknown kind', async () => {
    const verdicts = await validate([
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: broken}', 'spec:', '  replicas: two',
      '  selector: {matchLabels: {a: b}}', '  template:', '    metadata: {labels: {a: b}}',
      '    spec: {containers: [{name: c, image: i, volumeMount: []}]}',
      '---', 'apiVersion: snapshot.storage.k8s.io/v1', 'kind: VolumeSnapshotClass', 'metadata: {name: no-policy}', 'driver: d',
      '---', 'apiVersion: example.com/v1', 'kind: Widget', 'metadata: {name: w}',
    ].join('\n'));
    assert.equal(verdicts.length, 3);
    assert.match(verdicts[0]?.error ?? '', /spec\.replicas: 'two' is not of type 'integer'/);
    assert.match(verdicts[0]?.error ?? '', /'volumeMount' was unexpected/);
    assert.match(verdicts[1]?.error ?? '', /'deletionPolicy' is a required property/);
    assert.match(verdicts[2]?.error ?? '', /no schema for Widget/);
  });

  for (const scenario of SCENARIOS) {
    void it(`validates every object rendered with ${scenario.name}`, async () => {
      const rendered = await render(scenario);
      const verdicts = await validate(rendered.text);
      assert.equal(verdicts.length, rendered.objects.length, 'one verdict per rendered object');
      const failures = verdicts.filter((v) => v.error !== null).map((v) => `${v.kind}/${v.name}: ${v.error ?? ''}`);
      assert.deepEqual(failures, []);
      for (const v of verdicts) {
        assert.ok(v.schema, `${v.kind}/${v.name} was checked against a schema`);
        kindsSeen.add(v.kind);
      }
    });
  }

  void it('covered the CRD kinds and every workload kind across the value sets', () => {
    for (const kind of ['VolumeSnapshotClass', 'ServiceMonitor', 'StorageClass', 'Deployment', 'DaemonSet', 'CSIDriver', 'PodDisruptionBudget']) {
      assert.ok(kindsSeen.has(kind), `${kind} was rendered and validated by some value set`);
    }
  });
});
