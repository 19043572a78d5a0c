import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeError } from '../../../src/node/errors.js';
import { checkPathSyntax, createDirectories, resolveRequestPath } from '../../../src/node/paths.js';

const invalid = (pattern: RegExp) => (err: unknown): boolean =>
  err instanceof NodeError && err.kind === 'InvalidArgument' && pattern.test(err.message);

describe('request path syntax', () => {
  it('accepts absolute paths and trims duplicate and trailing slashes', () => {
    assert.equal(checkPathSyntax('target_path', '/var/lib/kubelet/pods/x/mount'), '/var/lib/kubelet/pods/x/mount');
    assert.equal(checkPathSyntax('target_path', '/var//lib/'), '/var/lib');
  });

  it('refuses relative, traversing, empty, root and NUL paths, naming the field', () => {
    assert.throws(() => checkPathSyntax('target_path', 'var/lib'), invalid(/^target_path must be an absolute path/));
    assert.throws(() => checkPathSyntax('target_path', '/var/lib/../../etc'), invalid(/target_path must not contain "\." or "\.\." segments/));
    assert.throws(() => checkPathSyntax('staging_target_path', '/var/./lib'), invalid(/staging_target_path must not contain/));
    assert.throws(() => checkPathSyntax('target_path', ''), invalid(/is required/));
    assert.throws(() => checkPathSyntax('target_path', '/'), invalid(/must not be the root directory/));
    assert.throws(() => checkPathSyntax('target_path', '/a\0b'), invalid(/NUL/));
    assert.throws(() => checkPathSyntax('target_path', `/${'a'.repeat(5000)}`), invalid(/at most 4096 bytes/));
  });
});

describe('symlinks along a request path', () => {
  let base: string;
  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'ebs-paths-')));
    await mkdir(join(base, 'pods', 'real'), { recursive: true });
    await symlink('real', join(base, 'pods', 'alias'));
    await symlink('/etc', join(base, 'pods', 'escape'));
    await symlink('../..', join(base, 'pods', 'up'));
    await symlink('missing', join(base, 'pods', 'dangling'));
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('returns the path itself when nothing is a link, including parts not yet created', async () => {
    assert.equal(await resolveRequestPath('target_path', `${base}/pods/real/new/mount`), `${base}/pods/real/new/mount`);
  });

  it('follows a link that stays inside its directory', async () => {
    assert.equal(await resolveRequestPath('target_path', `${base}/pods/alias/mount`), `${base}/pods/real/mount`);
  });

  it('refuses links that lead outside their directory', async () => {
    await assert.rejects(resolveRequestPath('target_path', `${base}/pods/escape/mount`), invalid(/target_path .* symlink at .*escape that leads outside/));
    await assert.rejects(resolveRequestPath('target_path', `${base}/pods/up/x`), invalid(/leads outside/));
  });

  it('refuses dangling links', async () => {
    await assert.rejects(resolveRequestPath('target_path', `${base}/pods/dangling/x`), invalid(/dangling symlink/));
  });
});

describe('kernel trees and pseudo filesystems (finding 1)', () => {
  let base: string;
  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'ebs-paths-')));
    await symlink('/proc', join(base, 'to-proc'));
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('refuses paths under /proc, /sys and /dev before touching them, naming the field', async () => {
    for (const path of ['/proc/x', '/proc', '/sys/kernel/x', '/dev/shm/x', '/dev//x/']) {
      await assert.rejects(resolveRequestPath('target_path', path), invalid(/^target_path .* is inside \/(proc|sys|dev); volumes are never staged or published under/));
    }
  });

  it('refuses a path that resolves into a kernel tree through a symlink', async () => {
    await assert.rejects(resolveRequestPath('staging_target_path', `${base}/to-proc/x`), invalid(/staging_target_path .* is inside \/proc \(it resolves to \/proc\)/));
  });

  it('refuses a path on a pseudo filesystem mounted elsewhere', { skip: process.getuid?.() === 0 ? false : 'needs root to mount proc' }, async () => {
    const { execFileSync } = await import('node:child_process');
    const at = join(base, 'procfs');
    await mkdir(at);
    execFileSync('mount', ['-t', 'proc', 'proc', at]);
    try {
      await assert.rejects(resolveRequestPath('target_path', `${at}/x/y`), invalid(/target_path .* lies on a proc filesystem/));
    } finally {
      execFileSync('umount', [at]);
    }
  });

  it('answers at once for the path that hung fs.mkdir recursive for ever', async () => {
    const started = Date.now();
    await assert.rejects(createDirectories('target_path', '/proc/x/y'), invalid(/inside \/proc/));
    assert.ok(Date.now() - started < 1000);
  });
});

describe('creating directories one checked segment at a time', () => {
  let base: string;
  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'ebs-paths-')));
    await writeFile(join(base, 'file'), 'x');
    await mkdir(join(base, 'real'));
    await symlink('real', join(base, 'link'));
  });
  after(async () => { await rm(base, { recursive: true, force: true }); });

  it('creates every missing segment with the given mode and accepts existing directories', async () => {
    await createDirectories('target_path', `${base}/a/b/c`);
    assert.ok((await stat(`${base}/a/b/c`)).isDirectory());
    assert.equal((await stat(`${base}/a/b`)).mode & 0o777, 0o750 & ~process.umask());
    await createDirectories('target_path', `${base}/a/b/c`);
  });

  it('answers Conflict naming the field when the path or a parent is a file (finding 4)', async () => {
    await assert.rejects(createDirectories('target_path', `${base}/file`), (err: unknown) =>
      err instanceof NodeError && err.kind === 'Conflict' && /^target_path .*\/file exists and is not a directory/.test(err.message));
    await assert.rejects(createDirectories('target_path', `${base}/file/below`), (err: unknown) =>
      err instanceof NodeError && err.kind === 'Conflict' && /a parent of target_path .*\/file exists and is not a directory/.test(err.message));
  });

  it('refuses a symlink that appeared after the path was checked, creating nothing through it', async () => {
    await assert.rejects(createDirectories('target_path', `${base}/link/new`), invalid(/is now a symlink/));
    assert.equal(await lstat(`${base}/real/new`).catch(() => undefined), undefined);
  });
});
