// Names unique to one test process. With EC2_ENDPOINT set, every test file shares one emulator with
// the other files and with earlier runs. A CSI name is the driver's idempotency key (kept in the
// CSIVolumeName / CSIVolumeSnapshotName tag), so a name another file or run already used would
// hand back that run's volume or snapshot — attached elsewhere, or of another size; so would a
// reused EC2 ClientToken. Each file names what it creates (and picks its tokens) with this suffix,
// and looks only at what it made.
import { randomBytes } from 'node:crypto';

export const RUN_SUFFIX = randomBytes(4).toString('hex');

export function unique(name: string): string {
  return `${name}-${RUN_SUFFIX}`;
}
