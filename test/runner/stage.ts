// What a test stage is and when it counts as run: the compiled test files under one target folder
// (or one file), every TypeScript test source there compiled, and every file running at least one
// test. Explicit file lists work the same on every Node line the project supports (a folder
// argument to `node --test` stopped working in Node 21; glob support started there).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Tally } from './count-reporter.js';

/** Every `*<suffix>` file under dir, sorted, as absolute paths. */
function filesUnder(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name))
    .sort();
}

/**
 * The compiled test files of one target (a folder or a file under root). Throws when there is none,
 * or when a test source under sources has no compiled file (a build that dropped it).
 */
export function stageFiles(root: string, sources: string, target: string): string[] {
  const path = join(root, target);
  if (!existsSync(path)) throw new Error(`test stage ${target}: ${path} does not exist (was the project built?)`);
  if (statSync(path).isFile()) return [path];
  const compiled = filesUnder(path, '.test.js');
  if (compiled.length === 0) throw new Error(`test stage ${target}: no *.test.js file under ${path}; it would run no test`);
  const have = new Set(compiled.map((file) => relative(path, file)));
  const missing = filesUnder(join(sources, target), '.test.ts')
    .map((file) => relative(join(sources, target), file).replace(/\.ts$/, '.js'))
    .filter((file) => !have.has(file));
  if (missing.length > 0) throw new Error(`test stage ${target}: not compiled, so not run: ${missing.join(', ')}`);
  return compiled;
}

export interface StageCounts {
  readonly files: number;
  readonly tests: number;
  readonly fail: number;
  readonly skipped: number;
  readonly todo: number;
}

/** Totals of a stage's run, and what makes it count as not run: files that reported nothing or defined no test. */
export function checkStage(files: readonly string[], tally: Tally): { counts: StageCounts; problems: string[] } {
  const problems: string[] = [];
  let tests = 0;
  let fail = 0;
  let skipped = 0;
  let todo = 0;
  for (const file of files) {
    const entry = tally[file];
    if (entry === undefined) {
      problems.push(`${file}: the test runner reported nothing for it`);
      continue;
    }
    if (entry.definesNoTest && entry.tests === 0 && entry.skipped === 0) problems.push(`${file}: defines no test`);
    tests += entry.tests;
    fail += entry.fail;
    skipped += entry.skipped;
    todo += entry.todo;
  }
  if (files.length > 0 && tests === 0) problems.push('no test ran');
  return { counts: { files: files.length, tests, fail, skipped, todo }, problems };
}
