// Writes a file and flushes it to the device before returning: a snapshot taken next then
// holds it, exactly as on a real EBS volume (a snapshot copies the disk, not page cache).
import { open } from 'node:fs/promises';

export async function writeDurably(path: string, data: string | Buffer): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}
