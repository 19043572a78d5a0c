// Request checks shared by the controller handlers: required fields, CSI's 128-byte
// string limit, and recognising EC2 ids. An id that cannot be an EC2 id (csi-sanity's
// "fake-vol-id", say) names nothing, so it is answered like an unknown one without asking EC2.
import { invalidArgument } from '../../errors.js';

/** CSI caps string fields at 128 bytes. */
export const MAX_STRING_BYTES = 128;

export function requireField(value: string | null | undefined, field: string): string {
  if (value === undefined || value === null || value === '') throw invalidArgument(`${field} is required`);
  return value;
}

export function checkStringLength(value: string, field: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_STRING_BYTES) throw invalidArgument(`${field} is ${bytes} bytes long; CSI allows at most ${MAX_STRING_BYTES}`);
}

export const looksLikeVolumeId = (id: string): boolean => /^vol-[0-9a-f]+$/.test(id);
export const looksLikeInstanceId = (id: string): boolean => /^i-[0-9a-f]+$/.test(id);
export const looksLikeSnapshotId = (id: string): boolean => /^snap-[0-9a-f]+$/.test(id);
