// What this host lets us do with filesystems. Growing a mounted ext4 needs CAP_SYS_RESOURCE
// (the kernel checks it in the online-resize ioctl); many containers run as root without
// it, while a privileged node plugin on a real node has it. xfs_growfs needs only
// CAP_SYS_ADMIN, so on such hosts the demo and tests grow xfs volumes instead.
import { readFile } from 'node:fs/promises';

const CAP_SYS_RESOURCE = 24n;

/** Whether this process may grow a mounted ext4 filesystem. */
export async function canGrowExt4Online(): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (!effective) return false;
  return ((BigInt(`0x${effective}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/** The filesystem to use where a test or the demo grows a mounted volume. */
export async function growableFsType(): Promise<'ext4' | 'xfs'> {
  return (await canGrowExt4Online()) ? 'ext4' : 'xfs';
}
