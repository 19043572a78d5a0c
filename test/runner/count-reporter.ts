// A node:test reporter that counts, per test file, what ran: the test runner's own summary is one
// total, and a file that defines no test still "passes" (the runner reports it as a single test
// named after the file), so neither can tell a stage that ran nothing. The runner (main.ts) adds
// this reporter beside `spec` and checks its counts (stage.ts).
import { basename, resolve } from 'node:path';
import type { TestEvent } from 'node:test/reporters';

export interface FileTally {
  /** Tests (not suites) that ran to an outcome, passed or failed; skipped and todo ones included. */
  tests: number;
  fail: number;
  /** Skipped tests, and skipped suites (whose tests are never reported). */
  skipped: number;
  todo: number;
  /** The runner reported the file as one passing test named after it: the file defines no test. */
  definesNoTest: boolean;
}

export type Tally = Record<string, FileTally>;

const given = (flag: string | boolean | undefined): boolean => flag !== undefined && flag !== false;

export function countEvent(tally: Tally, event: TestEvent): void {
  if (event.type !== 'test:pass' && event.type !== 'test:fail') return;
  const { file, name, nesting, details, skip, todo } = event.data;
  if (file === undefined) return;
  const entry = (tally[file] ??= { tests: 0, fail: 0, skipped: 0, todo: 0, definesNoTest: false });
  const failed = event.type === 'test:fail';
  // A suite's outcome is its tests' (counted themselves), except that a skipped suite's tests
  // are never reported.
  if (details.type === 'suite') {
    if (given(skip)) entry.skipped += 1;
    return;
  }
  // The placeholder is named after the file as it was given to the runner.
  const namesFile = name === basename(file) || resolve(name) === file;
  if (!failed && nesting === 0 && namesFile && !given(skip) && !given(todo)) {
    entry.definesNoTest = true;
    return;
  }
  entry.tests += 1;
  if (failed) entry.fail += 1;
  if (given(skip)) entry.skipped += 1;
  if (given(todo)) entry.todo += 1;
}

export default async function* countReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string, void> {
  const tally: Tally = {};
  for await (const event of source) countEvent(tally, event);
  yield `${JSON.stringify(tally)}\n`;
}
