// The value sets the chart tests render: each names a file in values/ and the cluster APIs assumed.
import { SNAPSHOT_API, type RenderOptions } from './helm.js';

export interface Scenario extends RenderOptions {
  readonly name: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'default values' },
  { name: 'default values on a cluster with the snapshot API', apiVersions: [SNAPSHOT_API] },
  { name: 'controller only', valuesFiles: ['controller-only.yaml'] },
  { name: 'node only', valuesFiles: ['node-only.yaml'] },
  { name: 'snapshots forced', valuesFiles: ['snapshots-forced.yaml'] },
  { name: 'custom images', valuesFiles: ['custom-images.yaml'], apiVersions: [SNAPSHOT_API] },
  { name: 'storage classes and service monitors', valuesFiles: ['storage-classes.yaml'] },
  { name: 'the reference chart\'s values with an EKS override', valuesFiles: ['reference-eks.yaml'], apiVersions: [SNAPSHOT_API] },
];
