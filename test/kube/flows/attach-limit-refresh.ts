// The attach limit kept current where Kubernetes can (1.33+): the CSIDriver asks kubelet to call
// NodeGetInfo every nodeAllocatableUpdatePeriodSeconds, and the attacher runs with its
// MutableCSINodeAllocatableCount gate. The harness renders the chart as `helm install` does,
// asking this API server for its version, so what is checked is what an install on this minor
// gets: the field and the gate where the server has them, neither before, where the server would
// refuse the field.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KubeApiError } from '../../support/kube/client.js';
import { DRIVER_NAME } from '../../support/kube/cluster.js';
import type { KubeObject } from '../../support/kube/types.js';
import { SIDECAR_BINARIES } from '../../support/kube/versions.js';
import type { Flow } from '../suite.js';

const execFileAsync = promisify(execFile);
const GATE = '--feature-gates=MutableCSINodeAllocatableCount=true';
const ATTACHER = 'csi-attacher';

interface CsiDriver extends KubeObject {
  readonly spec: { readonly nodeAllocatableUpdatePeriodSeconds?: number };
}

/** The attacher's own answer to a gate, from its flag parsing alone (it stops before connecting anywhere). */
async function attacherGateError(gate: string): Promise<string> {
  const binary = SIDECAR_BINARIES[ATTACHER] ?? '';
  try {
    await execFileAsync(binary, [`--feature-gates=${gate}`, '--csi-address=/nonexistent/csi.sock', '--kubeconfig=/nonexistent'], { timeout: 10_000 });
    return '';
  } catch (err) {
    return String((err as { stderr?: unknown }).stderr ?? err);
  }
}

export const attachLimitRefreshFlow: Flow = {
  name: '3b attach limit kept current: CSIDriver nodeAllocatableUpdatePeriodSeconds and the attacher gate where the server has them (1.33+), left out before',
  async run({ cluster, admin, minor }) {
    const has = minor >= 33;
    const rendered = cluster.chart.objects.find((o): o is CsiDriver => o.kind === 'CSIDriver');
    assert.ok(rendered, 'the chart renders the CSIDriver');
    assert.equal(rendered.spec.nodeAllocatableUpdatePeriodSeconds, has ? 10 : undefined, 'what helm rendered for this server');
    const stored = await admin.get<CsiDriver>({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', name: DRIVER_NAME });
    assert.equal(stored.spec.nodeAllocatableUpdatePeriodSeconds, has ? 10 : undefined, 'what the API server kept');

    // The server's own answer to the field, with strict field validation and nothing stored.
    const probe = {
      apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'refresh-probe.example.com' },
      spec: { attachRequired: true, nodeAllocatableUpdatePeriodSeconds: 10 },
    };
    const create = admin.request('POST', '/apis/storage.k8s.io/v1/csidrivers', { body: probe, query: { dryRun: 'All', fieldValidation: 'Strict' } });
    if (has) {
      assert.equal(((await create) as CsiDriver).spec.nodeAllocatableUpdatePeriodSeconds, 10, 'the server accepts and keeps the field');
    } else {
      await assert.rejects(create, (err: unknown) => err instanceof KubeApiError && /unknown field "spec\.nodeAllocatableUpdatePeriodSeconds"/.test(err.message),
        'this server does not know the field: the chart must leave it out');
    }

    const attacher = cluster.chart.controller.spec.template.spec.containers.find((c) => c.name === ATTACHER);
    assert.equal(attacher?.args?.includes(GATE), has, `the attacher's arguments ${has ? 'carry' : 'leave out'} ${GATE}`);
    // The attacher built here runs with those arguments (the harness waited for it to hold its
    // Lease, and flow 3 attached through it), took the gate, and would refuse one it did not know.
    assert.equal(cluster.controller?.restarts(ATTACHER), 0, 'the attacher never exited');
    const output = cluster.controller?.output(ATTACHER) ?? '';
    assert.doesNotMatch(output, /unrecognized feature gate|failed to store flag gates/);
    assert.match(await attacherGateError('NoSuchGateOfThisTest=true'), /unrecognized feature gate: NoSuchGateOfThisTest/);
  },
};
