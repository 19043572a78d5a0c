// The test runner behind `npm test` (test/runner): it must find every compiled test file on every
// supported Node line, and fail a stage that would run no test — the way `npm test` once ran
// nothing at all on Node 22 and 24 (a folder given to `node --test`) without anyone noticing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkStage, stageFiles } from '../../runner/stage.js';

const distTest = join(import.meta.dirname, '../..');
const projectRoot = join(distTest, '../..');
const runner = join(distTest, 'runner/main.js');

describe('test stages', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ebs-runner-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** A stage folder holding the given files (name → content). */
  const stage = (name: string, files: Record<string, string>): string => {
    const dir = join(scratch, name);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    return dir;
  };
  const run = (target: string) => {
    const out = spawnSync(process.execPath, [runner, '--root', scratch, '--sources', join(scratch, 'no-sources'), target], {
      encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    return { code: out.status, output: `${out.stdout}${out.stderr}` };
  };

  it('lists every compiled unit and integration test file of this project, this one included', () => {
    for (const target of ['unit', 'integration']) {
      const files = stageFiles(distTest, join(projectRoot, 'test'), target);
      assert.ok(files.length >= 5, `${target}: ${files.length} files`);
      assert.ok(files.every((f) => f.endsWith('.test.js')));
    }
    assert.ok(stageFiles(distTest, join(projectRoot, 'test'), 'unit').includes(join(distTest, 'unit/runner/runner.test.js')));
  });

  it('refuses a stage with no test file, and a test source that was not compiled', () => {
    stage('empty', { 'helper.js': 'export {};\n' });
    assert.throws(() => stageFiles(scratch, join(scratch, 'no-sources'), 'empty'), /no \*\.test\.js file under .*empty; it would run no test/);
    assert.throws(() => stageFiles(scratch, scratch, 'missing'), /missing does not exist/);
    stage('src/partial', { 'a.test.ts': '', 'deep/b.test.ts': '' });
    stage('out/partial', { 'a.test.js': '' });
    assert.throws(() => stageFiles(join(scratch, 'out'), join(scratch, 'src'), 'partial'), /not compiled, so not run: deep\/b\.test\.js/);
  });

  it('counts a stage as not run when a file reported nothing or defined no test, or nothing ran', () => {
    const counted = { tests: 2, fail: 0, skipped: 1, todo: 0, definesNoTest: false };
    assert.deepEqual(checkStage(['/a.test.js'], { '/a.test.js': counted }).problems, []);
    assert.deepEqual(checkStage(['/a.test.js', '/b.test.js'], { '/a.test.js': counted }).problems, ['/b.test.js: the test runner reported nothing for it']);
    const empty = { tests: 0, fail: 0, skipped: 0, todo: 0, definesNoTest: true };
    assert.deepEqual(checkStage(['/e.test.js'], { '/e.test.js': empty }).problems, ['/e.test.js: defines no test', 'no test ran']);
    // A file whose only suite is skipped (e.g. root-only tests run as a user) did run: it skipped.
    assert.deepEqual(checkStage(['/s.test.js'], { '/s.test.js': { ...empty, definesNoTest: false, skipped: 1 } }).problems, ['no test ran']);
  });

  it('runs a stage and prints its counts', () => {
    stage('passing', {
      'a.test.js': "import { test } from 'node:test';\ntest('one', () => {});\n",
      'nested/b.test.js': "import { describe, it } from 'node:test';\ndescribe('s', () => { it('two', () => {}); it('three', { skip: 'why' }, () => {}); });\n",
      'support.js': 'throw new Error("not a test file: never run");\n',
    });
    const { code, output } = run('passing');
    assert.equal(code, 0, output);
    assert.match(output, /✔ passing: 2 files, 3 tests, 0 failed, 1 skipped, 0 todo/);
  });

  it('fails a stage with a file that defines no test, though node --test itself passes it', () => {
    stage('hollow', {
      'a.test.js': "import { test } from 'node:test';\ntest('one', () => {});\n",
      'b.test.js': '// a test file whose tests were lost\n',
    });
    const { code, output } = run('hollow');
    assert.equal(code, 1, output);
    assert.match(output, /hollow\/b\.test\.js: defines no test/);
  });

  it('fails a stage with no test file and one whose test fails, and still runs the stages after it', () => {
    stage('none', { 'README.md': 'no tests here\n' });
    stage('failing', { 'a.test.js': "import { test } from 'node:test';\ntest('breaks', () => { throw new Error('boom'); });\n" });
    const out = spawnSync(process.execPath, [runner, '--root', scratch, '--sources', join(scratch, 'no-sources'), 'none', 'failing', 'passing'], {
      encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    });
    const output = `${out.stdout}${out.stderr}`;
    assert.equal(out.status, 1, output);
    assert.match(output, /no \*\.test\.js file under .*none; it would run no test/);
    assert.match(output, /✖ failing: 1 files, 1 tests, 1 failed/);
    assert.match(output, /✔ passing: 2 files, 3 tests/);
  });
});

describe('the Node the tests run on', () => {
  const chosen = process.env.EBS_NODE_MAJOR;
  it('is the major the test command chose, and the `node` every script the tests start finds first', { skip: chosen === undefined ? 'run outside scripts/test.sh' : false }, () => {
    assert.equal(process.versions.node.split('.')[0], chosen);
    const onPath = spawnSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' });
    assert.equal(onPath.stdout.trim(), process.execPath);
  });
});
