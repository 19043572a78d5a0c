// Parses the CSI endpoint (unix:///path, unix:/path as the reference chart's node passes it,
// or a bare absolute path) and prepares the socket
// path: its folder is created and a stale socket left by a killed process is removed.
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';

export function socketPathOf(endpoint: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length)
    : endpoint.startsWith('unix:/') ? endpoint.slice('unix:'.length) : endpoint;
  if (!isAbsolute(path)) throw new Error(`the endpoint must be an absolute UNIX socket path, e.g. unix:///csi/csi.sock; got "${endpoint}"`);
  return path;
}

export async function prepareSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const existing = await lstat(path).catch(() => undefined);
  if (existing === undefined) return;
  if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  await unlink(path);
}
