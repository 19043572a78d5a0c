// The storage flows on the oldest Kubernetes minor EKS still supports.
import { describe, it } from 'node:test';
import { pinnedVersion } from '../support/kube/versions.js';
import { FLOWS } from './flows/index.js';
import { e2eHooks } from './suite.js';

const version = pinnedVersion(32);
describe(`Kubernetes ${version}`, () => {
  const e2e = e2eHooks(version);
  for (const flow of FLOWS) it(flow.name, e2e.options(flow), () => e2e.run(flow));
});
