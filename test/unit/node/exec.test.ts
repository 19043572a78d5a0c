// The exec wrapper with real programs: node itself plays the external tool.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeError } from '../../../src/node/errors.js';
import { runCommand } from '../../../src/node/exec.js';

const node = process.execPath;

describe('runCommand', () => {
  it('passes arguments verbatim, never through a shell', async () => {
    const tricky = 'a; echo pwned $(id) `id` > /tmp/x';
    const { stdout } = await runCommand(node, ['-e', 'process.stdout.write(process.argv[1])', tricky]);
    assert.equal(stdout, tricky);
  });

  it('carries the exit status and stderr in the error', async () => {
    await assert.rejects(runCommand(node, ['-e', 'process.stderr.write("mkfs: device busy\\n"); process.exit(3)']), (err: unknown) => {
      assert.ok(err instanceof NodeError);
      assert.equal(err.kind, 'CommandFailed');
      assert.match(err.message, /exit status 3/);
      assert.match(err.message, /mkfs: device busy/);
      return true;
    });
  });

  it('treats listed exit codes as answers', async () => {
    const result = await runCommand(node, ['-e', 'process.exit(2)'], { okExitCodes: [2] });
    assert.equal(result.exitCode, 2);
  });

  it('kills a program that outlives its timeout', async () => {
    const started = Date.now();
    await assert.rejects(runCommand(node, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 }),
      (err: unknown) => err instanceof NodeError && err.kind === 'CommandTimedOut' && /200 ms/.test(err.message));
    assert.ok(Date.now() - started < 5000);
  });

  it('says when a program is not installed', async () => {
    await assert.rejects(runCommand('mkfs.nonexistent-fs', ['/dev/x']),
      (err: unknown) => err instanceof NodeError && /mkfs\.nonexistent-fs is not installed/.test(err.message));
  });
});
