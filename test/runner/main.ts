// The test runner behind `npm test` (scripts/test.sh): runs each target (a folder or a file under
// dist/test, e.g. `unit`, `integration`, `integration/controller/volumes.test.js`) as one stage of
// `node --test` with an explicit file list, prints the stage's counts, and fails a stage that ran
// no test, as well as one whose tests failed.
//   node dist/test/runner/main.js [--root DIR] [--sources DIR] TARGET…
//   --root DIR      where the targets are (default: <project>/dist/test)
//   --sources DIR   the TypeScript test sources (default: <project>/test): each *.test.ts under a
//                   target must have its compiled file
// Tests run on the node running this file (process.execPath), which also comes first on PATH for
// them, so every driver process and script they start runs on the same Node.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Tally } from './count-reporter.js';
import { checkStage, stageFiles } from './stage.js';

const projectRoot = join(import.meta.dirname, '../../..');
const reporter = pathToFileURL(join(import.meta.dirname, 'count-reporter.js')).href;

function testEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'].join(delimiter) };
  // Set inside a test process: a runner started from a test (this file's own tests) must not
  // take itself for a child of the outer one.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

async function runStage(root: string, sources: string, target: string): Promise<boolean> {
  let files: string[];
  try {
    files = stageFiles(root, sources, target);
  } catch (err) {
    console.error(`✖ ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
  console.log(`== tests: ${target} (${files.length} files, Node ${process.version})`);
  const scratch = mkdtempSync(join(tmpdir(), 'ebs-test-counts-'));
  const countsFile = join(scratch, 'counts.json');
  try {
    // One file at a time: integration tests start moto, drivers and loop devices, and a 2-core
    // machine stays responsive.
    const child = spawn(process.execPath, [
      '--test', '--test-concurrency=1', '--test-timeout=600000',
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      `--test-reporter=${reporter}`, `--test-reporter-destination=${countsFile}`,
      ...files,
    ], { stdio: 'inherit', env: testEnv() });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    let tally: Tally = {};
    try {
      tally = JSON.parse(readFileSync(countsFile, 'utf8')) as Tally;
    } catch {
      // Reported below as files the runner said nothing about.
    }
    const { counts, problems } = checkStage(files, tally);
    const summary = `${target}: ${counts.files} files, ${counts.tests} tests, ${counts.fail} failed, ${counts.skipped} skipped, ${counts.todo} todo`;
    if (code === 0 && problems.length === 0) {
      console.log(`✔ ${summary}`);
      return true;
    }
    console.error(`✖ ${summary}${code === 0 ? '' : `; node --test exited with ${code}`}`);
    for (const problem of problems) console.error(`  ${problem}`);
    return false;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { root: { type: 'string' }, sources: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    console.error('usage: node dist/test/runner/main.js [--root DIR] [--sources DIR] TARGET…  (e.g. unit integration)');
    return 2;
  }
  const root = values.root ?? join(projectRoot, 'dist/test');
  const sources = values.sources ?? join(projectRoot, 'test');
  let ok = true;
  // Every stage runs even after a failed one, so one run shows every failure.
  for (const target of positionals) ok = (await runStage(root, sources, target)) && ok;
  return ok ? 0 : 1;
}

process.exitCode = await main();
