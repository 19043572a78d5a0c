import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeError } from '../../../src/node/errors.js';
import { checkPathSyntax, resolveRequestPath } from '../../../src/node/paths.js';

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
