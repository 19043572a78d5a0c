// Flow 7: a user's mistakes reach the user. A StorageClass with an unknown parameter, one with an
// invalid value, and a claim of a size the volume type cannot have each leave the claim Pending
// with a ProvisioningFailed Event whose text names the parameter (or size) and what is allowed;
// the test reads the Event as `kubectl describe pvc` would show it. EC2 gets no volume for them.
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim } from '../../support/kube/types.js';
import type { Flow } from '../suite.js';
import { claim, deleteClaim, pvcRef, volumesNamed, waitForEvent } from '../objects.js';
import { SC } from '../values.js';

const CASES = [
  {
    name: 'error-unknown-parameter', storageClassName: SC.unknownParameter, size: '1Gi',
    message: /unknown parameter "encryption"; allowed keys \(case-insensitive\): .*\bencrypted\b/,
  },
  {
    name: 'error-invalid-value', storageClassName: SC.invalidValue, size: '1Gi',
    message: /parameters\.type "gp3 ssd" is not an EBS volume type; use one of .*\bgp3\b.*\bio2\b/,
  },
  {
    name: 'error-impossible-size', storageClassName: SC.io2, size: '100Ti',
    message: /a volume of 102400 GiB is outside what type io2 allows \(4.65536 GiB\)/,
  },
] as const;

export const userErrorsFlow: Flow = {
  name: '7 user errors: Pending claims with Events naming the parameter and the allowed values',
  async run({ admin, ec2 }) {
    for (const c of CASES) await admin.create(claim(c.name, { storageClassName: c.storageClassName, size: c.size }));
    for (const c of CASES) {
      const event = await waitForEvent(admin, 'PersistentVolumeClaim', c.name, 'ProvisioningFailed', c.message);
      assert.equal(event.type, 'Warning');
      assert.match(event.message ?? '', /InvalidArgument|OutOfRange/, 'the CSI code reaches the user too');
      const pvc = await admin.get<PersistentVolumeClaim>(pvcRef(c.name));
      assert.equal(pvc.status?.phase, 'Pending');
      assert.deepEqual(await volumesNamed(ec2, `pvc-${pvc.metadata.uid ?? ''}`), [], 'EC2 got no volume for it');
    }
    for (const c of CASES) await deleteClaim(admin, c.name);
  },
};
