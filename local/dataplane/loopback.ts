// The local environment's servers (data plane, IMDS) are test doubles with no
// authentication: they must never listen on, or forward to, anything but this machine.
import { isIP } from 'node:net';

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

export function assertLoopback(host: string, what: string): void {
  if (!isLoopback(host)) throw new Error(`${what} must be a loopback address (127.0.0.1, ::1 or localhost); got "${host}"`);
}
