// The chart values the e2e stage installs with, besides the emulator environment the harness adds
// (controller.env). Every key here exists in this chart and in the reference chart, so a user
// moving between them writes the same: storageClasses and volumeSnapshotClasses.
import { REGION } from '../support/moto.js';
import type { ChartValues } from '../support/kube/chart.js';

export const ZONE_A = `${REGION}a`;
export const ZONE_B = `${REGION}b`;

/** StorageClass names the flows use. */
export const SC = {
  immediate: 'e2e-immediate-zone-b',
  waitForConsumer: 'e2e-wait-for-consumer',
  retain: 'e2e-retain',
  unknownParameter: 'e2e-unknown-parameter',
  invalidValue: 'e2e-invalid-type',
  io2: 'e2e-io2',
} as const;

export const SNAPSHOT_CLASS = 'e2e-snapshots';
/** Tag the snapshot class writes from the VolumeSnapshot's namespace and name. */
export const SNAPSHOT_TAG = 'e2e-snapshot-of';

export const E2E_VALUES: ChartValues = {
  storageClasses: [
    {
      name: SC.immediate, volumeBindingMode: 'Immediate', parameters: { type: 'gp3' },
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: [ZONE_B] }] }],
    },
    { name: SC.waitForConsumer, volumeBindingMode: 'WaitForFirstConsumer', parameters: { type: 'gp3' } },
    { name: SC.retain, volumeBindingMode: 'Immediate', reclaimPolicy: 'Retain', parameters: { type: 'gp3' } },
    // A typo a user makes: "encryption" for "encrypted".
    { name: SC.unknownParameter, volumeBindingMode: 'Immediate', parameters: { type: 'gp3', encryption: 'true' } },
    // Not "gp9": a well-formed type name the driver does not know goes to EC2, whose answer decides
    // (the emulator takes any); a value that cannot be a type name never leaves the driver.
    { name: SC.invalidValue, volumeBindingMode: 'Immediate', parameters: { type: 'gp3 ssd' } },
    { name: SC.io2, volumeBindingMode: 'Immediate', parameters: { type: 'io2', iops: '3000' } },
  ],
  volumeSnapshotClasses: [{
    name: SNAPSHOT_CLASS, deletionPolicy: 'Delete',
    // Filled in from what the snapshotter's --extra-create-metadata sends.
    parameters: { tagSpecification_1: `${SNAPSHOT_TAG}={{ .VolumeSnapshotNamespace }}/{{ .VolumeSnapshotName }}` },
  }],
};
