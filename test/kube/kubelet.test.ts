// The node side under a real kubelet (issue 15): a kubelet on the test containerd joined to the
// e2e control plane, the chart's controller Deployment and node DaemonSet around the driver, EC2
// through the local data plane (loop devices). One kubelet for the file, the flows share it (the
// driver is registered and the start-up taint gone before the first); one line per flow, each
// checked against the API server, the kubelet (its pods, its API), EC2 and the host; the last
// line checks that the host is as the stage found it. Skips, naming every check, where this
// machine cannot run containers.
import { describe, it } from 'node:test';
import { KUBELET_CHECKS, runChecks, skipMessage } from '../support/kubelet/capability.js';
import { blockFlow } from './kubelet/flows/block.js';
import { ext4ExpansionFlow, xfsExpansionFlow } from './kubelet/flows/expansion.js';
import { filesystemsFlow } from './kubelet/flows/filesystems.js';
import { fsGroupFlow } from './kubelet/flows/fs-group.js';
import { noLeaksFlow } from './kubelet/flows/no-leaks.js';
import { pluginRestartFlow } from './kubelet/flows/plugin-restart.js';
import { registrationFlow } from './kubelet/flows/registration.js';
import { volumeStatsFlow } from './kubelet/flows/volume-stats.js';
import { kubeletHooks, type Flow } from './kubelet/suite.js';

const skip = skipMessage(await runChecks(KUBELET_CHECKS));
if (skip) console.log(`# kubelet stage skips: ${skip}`);

const FLOWS: readonly Flow[] = [
  filesystemsFlow, blockFlow, fsGroupFlow, xfsExpansionFlow, ext4ExpansionFlow, pluginRestartFlow, volumeStatsFlow, registrationFlow,
];
const skips = new Map<Flow, string | undefined>();
for (const flow of FLOWS) skips.set(flow, await flow.skip?.());

describe('the node plugin under a real kubelet', { skip: skip ?? false }, () => {
  const run = kubeletHooks();
  for (const flow of [...FLOWS, noLeaksFlow(run)]) {
    it(flow.name, { timeout: 240_000, skip: skips.get(flow) ?? false }, () => run.run(flow));
  }
});
