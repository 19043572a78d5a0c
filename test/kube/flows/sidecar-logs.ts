// Last but one: over all the flows, no sidecar (nor snapshot-controller) was refused by RBAC or
// failed to list or watch a kind. A rule missing from the chart's roles, or a sidecar asking for
// an API the cluster does not serve, shows here even where a flow happened to get through.
import assert from 'node:assert/strict';
import { DRIVER_CONTAINER } from '../../support/kube/controller.js';
import type { Flow } from '../suite.js';

const PROBLEM = /\bforbidden\b|Failed to watch|failed to list/i;

export const sidecarLogsFlow: Flow = {
  name: '10 no sidecar was refused by RBAC or failed to list or watch an API',
  run({ cluster }) {
    const outputs: [string, string][] = (cluster.controller?.containers ?? [])
      .filter((c) => c !== DRIVER_CONTAINER)
      .map((c) => [c, cluster.controller?.output(c) ?? '']);
    if (cluster.snapshotController) outputs.push(['snapshot-controller', cluster.snapshotController.output()]);
    const problems = outputs.flatMap(([name, text]) => text.split('\n').filter((l) => PROBLEM.test(l)).map((l) => `${name}: ${l.slice(0, 400)}`));
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problem line(s) in the sidecars' logs`);
    return Promise.resolve();
  },
};
