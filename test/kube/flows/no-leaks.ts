// Last: after every flow has cleaned up, EC2 holds no volume or snapshot the driver made (beyond
// what a shared emulator held before the first flow) and the API server no PersistentVolume:
// nothing leaked, whatever retries and restarts happened.
import assert from 'node:assert/strict';
import type { PersistentVolume } from '../../support/kube/types.js';
import type { Flow } from '../suite.js';
import { driverSnapshotIds, driverVolumeIds } from '../objects.js';

export const noLeaksFlow: Flow = {
  name: '9 nothing leaked: no driver volume or snapshot left in EC2, no PV left',
  async run({ admin, ec2, baseline }) {
    assert.deepEqual(await driverVolumeIds(ec2), baseline.volumeIds);
    assert.deepEqual(await driverSnapshotIds(ec2), baseline.snapshotIds);
    assert.deepEqual((await admin.list<PersistentVolume>('v1', 'PersistentVolume')).map((p) => p.metadata.name), []);
  },
};
