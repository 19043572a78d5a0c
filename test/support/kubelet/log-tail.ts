// The tail of a process's log file for a failure message. The file lives in the run's folder,
// which the last flow deletes: a failure found after that must still report itself, not ENOENT.
import { readFileSync } from 'node:fs';

export function logTail(path: string, maxChars = 400_000): string {
  try {
    return readFileSync(path, 'utf8').slice(-maxChars);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `(no log: ${path} was removed with the run's folder)`;
    throw err;
  }
}
