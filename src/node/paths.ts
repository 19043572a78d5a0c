// Paths from requests are checked before anything touches the host: absolute, no "."
// or ".." segments, no NUL, not "/" itself, nothing in the kernel's own trees (/proc,
// /sys, /dev or another pseudo filesystem), and no symlink along the way that leads out
// of the directory holding it (a link such as <target> → /etc would otherwise make a
// mount land somewhere the CO never asked for). The resolved real path is returned so
// every later step (mount, unmount, mountinfo look-ups) works on the same path we checked.
//
// Why the kernel trees are refused up front: file calls there do not behave like files.
// On Node 20 and 24, fs.mkdir(<under /proc>, { recursive: true }) never settles and keeps
// a libuv thread spinning; one such request wedged its volume and burned a core for good.
import { lstat, mkdir, readlink, realpath, stat, statfs } from 'node:fs/promises';
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

/** Trees the kernel makes up as it is read; no volume is ever staged or published there. */
export const KERNEL_TREES: readonly string[] = ['/proc', '/sys', '/dev'];

// statfs(2) f_type of the pseudo filesystems that may be mounted anywhere (linux/magic.h):
// proc, sysfs, cgroup, cgroup2, debugfs, tracefs, securityfs, configfs, bpf, pstore,
// efivarfs, devpts, fusectl, mqueue, binfmt_misc, nsfs.
const PSEUDO_FS_TYPES: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'], [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'], [0x73636673, 'securityfs'], [0x62656570, 'configfs'], [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'], [0xde5e81e4, 'efivarfs'], [0x1cd1, 'devpts'], [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'], [0x42494e4d, 'binfmt_misc'], [0x6e736673, 'nsfs'],
]);

function refuseKernelTree(field: string, value: string, path: string, throughLink = false): void {
  const tree = KERNEL_TREES.find((t) => isInside(path, t));
  if (tree === undefined) return;
  const via = throughLink ? ` (it resolves to ${path})` : '';
  throw new NodeError('InvalidArgument',
    `${field} ${JSON.stringify(value)} is inside ${tree}${via}; volumes are never staged or published under ${KERNEL_TREES.join(', ')}`);
}

/** Refuses a path whose nearest existing directory lies on a pseudo filesystem (e.g. proc mounted elsewhere). */
async function refusePseudoFilesystem(field: string, value: string, existing: string): Promise<void> {
  const name = PSEUDO_FS_TYPES.get((await statfs(existing)).type);
  if (name !== undefined) {
    throw new NodeError('InvalidArgument', `${field} ${JSON.stringify(value)} lies on a ${name} filesystem (at ${existing}); volumes are never staged or published there`);
  }
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
 * inside the directory that holds it, and nothing may lead into a kernel tree or onto a
 * pseudo filesystem. Segments past the first missing one are kept as given (the caller
 * may create them). Returns the real path.
 */
export async function resolveRequestPath(field: string, value: string): Promise<string> {
  const clean = checkPathSyntax(field, value);
  refuseKernelTree(field, value, clean);
  const segments = clean.split('/').filter((s) => s.length > 0);
  let current = '/';
  for (let i = 0; i < segments.length; i++) {
    const next = posix.join(current, segments[i] ?? '');
    const stats = await statIfExists(next, false);
    if (!stats) {
      await refusePseudoFilesystem(field, value, current);
      return posix.join(next, ...segments.slice(i + 1));
    }
    if (stats.isSymbolicLink()) {
      const target = posix.resolve(current, await readlink(next));
      refuseKernelTree(field, value, target, true);
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
      refuseKernelTree(field, value, resolved, true);
      current = resolved;
    } else {
      current = next;
    }
  }
  await refusePseudoFilesystem(field, value, current);
  return current;
}

/**
 * Creates the missing directories of a path that resolveRequestPath returned, one segment
 * at a time: each existing segment must be a real directory (a symlink that appeared since
 * the check is refused, not followed), each missing one is made alone with `mode`. Never
 * `mkdir -p` on a path nobody looked at. Throws Conflict naming the field when a segment
 * exists as something else than a directory.
 */
export async function createDirectories(field: string, path: string, mode = 0o750): Promise<void> {
  const segments = checkPathSyntax(field, path).split('/').filter((s) => s.length > 0);
  refuseKernelTree(field, path, `/${segments.join('/')}`);
  let current = '/';
  for (const segment of segments) {
    current = posix.join(current, segment);
    let stats = await statIfExists(current, false);
    if (!stats) {
      try {
        await mkdir(current, { mode });
      } catch (err) {
        // Someone made it between our look and our call: judge what is there now.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      stats = await statIfExists(current, false);
    }
    if (stats?.isSymbolicLink()) {
      throw new NodeError('InvalidArgument', `${field} ${JSON.stringify(path)} changed while in use: ${current} is now a symlink`);
    }
    if (!stats?.isDirectory()) {
      const what = current === posix.join('/', ...segments) ? field : `a parent of ${field}`;
      throw new NodeError('Conflict', `${what} ${current} exists and is not a directory; ${field} ${path} needs a directory there`);
    }
  }
}
