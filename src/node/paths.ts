// Paths from requests are checked before anything touches the host: absolute, no "."
// or ".." segments, no NUL, not "/" itself, and no symlink along the way that leads out
// of the directory holding it (a link such as <target> → /etc would otherwise make a
// mount land somewhere the CO never asked for). The resolved real path is returned so
// every later step (mount, unmount, mountinfo look-ups) works on the same path we checked.
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { NodeError } from './errors.js';

const MAX_PATH_BYTES = 4096;

/** Lexical checks only; returns the path without a trailing slash. */
export function checkPathSyntax(field: string, value: string): string {
  const fail = (why: string): never => {
    throw new NodeError('InvalidArgument', `${field} ${why}; got ${JSON.stringify(value)}`);
  };
  if (value.length === 0) fail('is required');
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) fail(`must be at most ${MAX_PATH_BYTES} bytes`);
  if (value.includes('\0')) fail('must not contain a NUL byte');
  if (!value.startsWith('/')) fail('must be an absolute path');
  const segments = value.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) fail('must not contain "." or ".." segments');
  if (segments.length === 0) fail('must not be the root directory');
  return `/${segments.join('/')}`;
}

/** Whether `child` is `parent` or below it (both absolute, normalized). */
export function isInside(child: string, parent: string): boolean {
  return parent === '/' ? child.startsWith('/') : child === parent || child.startsWith(`${parent}/`);
}

type Stats = Awaited<ReturnType<typeof stat>>;

/** stat (or lstat, with follow false) of a path; undefined when it does not exist. */
export async function statIfExists(path: string, follow = true): Promise<Stats | undefined> {
  try {
    return await (follow ? stat(path) : lstat(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Checks the syntax, then walks the path segment by segment: every symlink must resolve
 * inside the directory that holds it. Segments past the first missing one are kept as
 * given (the caller may create them). Returns the real path.
 */
export async function resolveRequestPath(field: string, value: string): Promise<string> {
  const clean = checkPathSyntax(field, value);
  const segments = clean.split('/').filter((s) => s.length > 0);
  let current = '/';
  for (let i = 0; i < segments.length; i++) {
    const next = posix.join(current, segments[i] ?? '');
    const stats = await statIfExists(next, false);
    if (!stats) return posix.join(next, ...segments.slice(i + 1));
    if (stats.isSymbolicLink()) {
      const target = posix.resolve(current, await readlink(next));
      let resolved: string;
      try {
        resolved = await realpath(target);
      } catch {
        throw new NodeError('InvalidArgument', `${field} ${JSON.stringify(value)} has a dangling symlink at ${next}`);
      }
      if (!isInside(resolved, current)) {
        throw new NodeError('InvalidArgument',
          `${field} ${JSON.stringify(value)} has a symlink at ${next} that leads outside ${current} (to ${resolved})`);
      }
      current = resolved;
    } else {
      current = next;
    }
  }
  return current;
}
