// ListSnapshots paging on top of the cloud's paging. The CSI token the driver hands out
// holds the cloud's token plus an offset into that cloud page, so that max_entries is
// honoured exactly even when the backend returns more than asked (EC2 refuses fewer than
// 5 results per page, and some emulators do not paginate at all).
import type { Page } from '../../cloud/types.js';
import { CsiError } from '../../errors.js';

/** Page size when the CO leaves max_entries at 0 ("plugin's choice"); EC2's largest page. */
export const DEFAULT_PAGE_SIZE = 1000;

interface Position {
  readonly cloudToken?: string;
  readonly offset: number;
}

export function encodeToken(position: Position): string {
  return Buffer.from(`${position.offset}:${position.cloudToken ?? ''}`, 'utf8').toString('base64url');
}

export function decodeToken(token: string): Position {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const match = /^(\d{1,9}):(.*)$/s.exec(text);
  if (!match) throw new CsiError('ABORTED', `starting_token "${token.slice(0, 64)}" was not issued by this driver; list again from the start`);
  const cloudToken = match[2] ?? '';
  return { offset: Number(match[1]), ...(cloudToken ? { cloudToken } : {}) };
}

/**
 * One page of at most `maxEntries` items (0 = DEFAULT_PAGE_SIZE) starting at `startingToken`,
 * with the token for the next page when there is one.
 */
export async function pageOf<T>(
  fetch: (maxResults: number, cloudToken?: string) => Promise<Page<T>>, maxEntries: number, startingToken: string,
): Promise<{ items: readonly T[]; nextToken?: string }> {
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new CsiError('INVALID_ARGUMENT', `max_entries must not be negative; got ${maxEntries}`);
  const { cloudToken, offset } = startingToken ? decodeToken(startingToken) : { offset: 0 };
  const want = maxEntries > 0 ? maxEntries : DEFAULT_PAGE_SIZE;
  // The cloud page starting at cloudToken is the same whatever its size, so asking for
  // offset + want returns the items already handed out first, then the next ones.
  const page = await fetch(Math.min(offset + want, DEFAULT_PAGE_SIZE), cloudToken);
  const end = offset + want;
  const items = page.items.slice(offset, end);
  if (page.items.length > end) return { items, nextToken: encodeToken({ offset: end, ...(cloudToken ? { cloudToken } : {}) }) };
  if (page.nextToken) return { items, nextToken: encodeToken({ offset: 0, cloudToken: page.nextToken }) };
  return { items };
}
