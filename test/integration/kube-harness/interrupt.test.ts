// Interrupted the way `node --test` interrupts a test file on Ctrl-C (SIGINT to the whole process
// group, then SIGTERM from the runner, which then exits and leaves the file's stdout a broken
// pipe), a test process finishes every clean-up registered with onInterrupt before it dies of the
// signal (test/support/interrupt.ts); the child writes as node:test's reporter does, to process.stdout. Before, the kube harness re-raised SIGINT at once, and the
// kubelet workspace's unmounts, loop detaches and kernel settings were left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const INTERRUPT = pathToFileURL(join(import.meta.dirname, '../../support/interrupt.js')).href;

describe('interrupting a test process', () => {
  it('runs every asynchronous clean-up to its end through SIGINT, SIGTERM and a broken stdout, then dies of SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ebs-interrupt-'));
    try {
      const script = join(dir, 'child.mjs');
      const done = (n: number): string => join(dir, `done-${n}`);
      await writeFile(script, `
        import { writeFileSync } from 'node:fs';
        const { onInterrupt } = await import(${JSON.stringify(INTERRUPT)});
        for (const n of [1, 2]) {
          onInterrupt(async () => {
            for (let i = 0; i < 4; i++) {
              await new Promise((r) => setTimeout(r, 150));
              process.stdout.write('cleaning up ' + n + ' ' + i + '\\n');
            }
            writeFileSync(${JSON.stringify(dir)} + '/done-' + n, 'done');
          });
        }
        const forgotten = onInterrupt(() => writeFileSync(${JSON.stringify(dir)} + '/done-3', 'should not run'));
        forgotten();
        console.log('ready');
        setInterval(() => undefined, 1000);
      `);
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const ready = await Promise.race([
        new Promise<boolean>((resolve) => child.stdout.once('data', () => resolve(true))),
        exited.then(() => false),
      ]);
      assert.ok(ready, `the child ended before it was ready: ${stderr}`);
      child.kill('SIGINT');
      child.kill('SIGTERM');
      // The runner goes: nobody reads the child's output any more.
      child.stdout.destroy();
      child.stderr.destroy();
      const end = await exited;
      assert.deepEqual(end, { code: null, signal: 'SIGINT' }, 'it dies of the first signal, as without a handler');
      assert.equal(await readFile(done(1), 'utf8'), 'done', 'the first clean-up ran to its end');
      assert.equal(await readFile(done(2), 'utf8'), 'done', 'the second clean-up ran to its end');
      assert.equal(existsSync(join(dir, 'done-3')), false, 'a clean-up taken back does not run');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
