// Pages of at most maxResults items even when the server ignores MaxResults (emulators do).
// The driver hands out its own token: EC2's NextToken for the server page plus an offset into
// it, so the next call can resume mid-page. Tokens are stateless (they survive a restart);
// anything that does not decode as one is refused as InvalidPaginationToken.
import { CloudError } from '../errors.js';
import type { Page } from '../types.js';

const PREFIX = 'ebs1.';

interface Cursor {
  /** EC2's token for the server page the cursor points into; absent for the first page. */
  readonly serverToken?: string;
  /** Items of that server page already returned. */
  readonly offset: number;
}

export interface ServerPage<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

/** Follows NextToken until the last page (and stops if a server repeats a token). */
export async function allPages<T>(fetchPage: (token: string | undefined) => Promise<ServerPage<T>>): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.nextToken;
    if (token !== undefined && seen.has(token)) break;
    if (token !== undefined) seen.add(token);
  } while (token);
  return items;
}

export function encodeCursor(cursor: Cursor): string {
  const body = JSON.stringify(cursor.serverToken === undefined ? { o: cursor.offset } : { s: cursor.serverToken, o: cursor.offset });
  return PREFIX + Buffer.from(body, 'utf8').toString('base64url');
}

export function decodeCursor(token: string): Cursor {
  const refuse = (): never => {
    throw new CloudError('InvalidPaginationToken', `starting token "${token.slice(0, 64)}" was not issued by this driver; start the listing again without a token`);
  };
  if (!token.startsWith(PREFIX)) return refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return refuse();
  }
  if (typeof parsed !== 'object' || parsed === null) return refuse();
  const { s, o } = parsed as { s?: unknown; o?: unknown };
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) return refuse();
  if (s !== undefined && (typeof s !== 'string' || s === '')) return refuse();
  return s === undefined ? { offset: o } : { serverToken: s, offset: o };
}

/**
 * One page of at most `maxResults` items (0 or less: everything), starting at `token`.
 * `fetchPage` asks the server for the page at a server token.
 */
export async function pageOf<T>(
  fetchPage: (serverToken: string | undefined) => Promise<ServerPage<T>>,
  maxResults: number,
  token?: string,
): Promise<Page<T>> {
  const limit = maxResults > 0 ? maxResults : Number.POSITIVE_INFINITY;
  let cursor: Cursor = token === undefined || token === '' ? { offset: 0 } : decodeCursor(token);
  const items: T[] = [];
  for (;;) {
    const page = await fetchPage(cursor.serverToken);
    const rest = page.items.slice(cursor.offset);
    const room = limit - items.length;
    if (rest.length > room) {
      items.push(...rest.slice(0, room));
      return { items, nextToken: encodeCursor({ ...cursor, offset: cursor.offset + room }) };
    }
    items.push(...rest);
    if (page.nextToken === undefined || page.nextToken === '' || page.nextToken === cursor.serverToken) return { items };
    cursor = { serverToken: page.nextToken, offset: 0 };
    if (items.length >= limit) return { items, nextToken: encodeCursor(cursor) };
  }
}
