// CSI conformance: the ecosystem's own suite, csi-sanity (kubernetes-csi/csi-test v5.4.0,
// installed by scripts/install/csi-sanity.sh), against the driver in `all` mode on the
// local environment (moto + data plane + IMDS), once with mount and once with block
// volumes. The bar is zero failures, and every skipped spec must be one this file explains
// by a capability the driver deliberately does not offer (cloning is offered: its specs run).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../../support/moto.js';
import { IS_ROOT, NOT_ROOT_REASON, loopDevicesUnder, startLocalStack, type LocalStack } from '../e2e/local-stack.js';
import { parseJunit, type JunitCase } from './junit.js';

const SANITY = join(projectRoot, '.tools/bin/csi-sanity');
const GIB = 1024 ** 3;

/** Skip messages we accept, each with the reason the capability is not offered. */
const EXPLAINED_SKIPS: readonly { readonly message: RegExp; readonly why: string }[] = [
  { message: /GetCapacity not supported/, why: 'EBS has no storage pool whose free capacity could be reported (no GET_CAPACITY, like the reference)' },
  { message: /ControllerPublishVolume\.readonly field not supported/, why: 'EC2 attaches volumes read-write only; read-only is enforced at mount (no PUBLISH_READONLY)' },
  { message: /GroupControllerService not supported/, why: 'no VolumeGroupSnapshot support (no GROUP_CONTROLLER_SERVICE)' },
  { message: /^pending$/, why: 'marked pending inside csi-sanity itself (ListVolumes pagination race): it never runs for any driver' },
];

interface SanityRun {
  readonly summary: string[];
  readonly cases: JunitCase[];
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly logFile: string;
}

async function runSanity(stack: LocalStack, accessType: 'mount' | 'block'): Promise<SanityRun> {
  const dir = join(stack.workDir, `sanity-${accessType}`);
  mkdirSync(dir, { recursive: true });
  // The report and log outlive the run (the stack's directories do not), for reading after a failure;
  // inside the clone, so runs in two clones at once keep their own.
  const reports = join(projectRoot, '.test-output', 'csi-sanity', accessType);
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const junit = join(reports, 'junit.xml');
  const logFile = join(reports, 'csi-sanity.log');
  const args = [
    `--csi.endpoint=unix://${stack.driver.socket}`,
    `--csi.stagingdir=${join(dir, 'staging')}`,
    `--csi.mountdir=${join(dir, 'mount')}`,
    `--csi.testvolumeaccesstype=${accessType}`,
    `--csi.testvolumesize=${GIB}`,
    `--csi.testvolumeexpandsize=${2 * GIB}`,
    `--csi.testvolumeparameters=${join(projectRoot, 'test/sanity/params.yaml')}`,
    `--csi.testsnapshotparameters=${join(projectRoot, 'test/sanity/snapshot-params.yaml')}`,
    `--csi.testvolumemutableparameters=${join(projectRoot, 'test/sanity/mutable-params.yaml')}`,
    '--csi.testnodevolumeattachlimit',
    `--ginkgo.junit-report=${junit}`,
    '--ginkgo.no-color',
    '--ginkgo.timeout=20m',
  ];
  const started = Date.now();
  const child = spawn(SANITY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  writeFileSync(logFile, output);
  const summary = output.split('\n').filter((l) => /^Ran \d+ of \d+ Specs|^(SUCCESS|FAIL)! -- /.test(l.trim())).map((l) => l.trim());
  const cases = existsSync(junit) ? parseJunit(readFileSync(junit, 'utf8')) : [];
  return { summary, cases, exitCode, seconds: (Date.now() - started) / 1000, logFile };
}

function report(accessType: string, run: SanityRun): void {
  // Printed on purpose: `npm test` output must carry csi-sanity's own verdict.
  for (const line of run.summary) console.log(`csi-sanity (${accessType} volumes): ${line}`);
  console.log(`csi-sanity (${accessType} volumes): took ${run.seconds.toFixed(1)} s; full log ${run.logFile}`);
}

function checkRun(accessType: string, run: SanityRun): void {
  assert.ok(run.summary.length > 0, `csi-sanity printed no summary (exit ${run.exitCode}); see ${run.logFile}`);
  assert.ok(run.cases.length > 0, `csi-sanity wrote no JUnit report; see ${run.logFile}`);
  const failed = run.cases.filter((c) => c.status === 'failed');
  assert.deepEqual(failed.map((c) => `${c.name}\n    ${c.message.slice(0, 600)}`), [], `csi-sanity (${accessType}) failures; see ${run.logFile}`);
  const unexplained = run.cases.filter((c) => c.status === 'skipped' && !EXPLAINED_SKIPS.some((s) => s.message.test(c.message)));
  assert.deepEqual(unexplained.map((c) => `${c.name}: ${c.message}`), [], 'skips not explained by a capability we deliberately do not offer');
  assert.equal(run.exitCode, 0, `csi-sanity exited with ${run.exitCode}; see ${run.logFile}`);
  // CLONE_VOLUME is advertised: its specs must have run, not been skipped.
  const cloning = run.cases.filter((c) => /CreateVolume should (create volume from an existing source volume|fail when the volume source volume is not found)/.test(c.name));
  assert.equal(cloning.length, 2, `csi-sanity's two cloning specs; found ${cloning.map((c) => c.name).join(', ') || 'none'}`);
  assert.deepEqual(cloning.map((c) => c.status), ['passed', 'passed'], 'the cloning specs ran and passed');
}

describe('csi-sanity against the driver in all mode on the local environment', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let stack: LocalStack;

  before(async () => {
    assert.ok(existsSync(SANITY), `csi-sanity is not installed at ${SANITY}: run scripts/install/csi-sanity.sh (npm test does)`);
    stack = await startLocalStack();
  });

  after(async () => {
    const stateDir = stack?.stateDir;
    await stack?.stop();
    if (stateDir) assert.deepEqual(await loopDevicesUnder(stateDir), [], 'loop devices left behind after the run');
  });

  for (const accessType of ['mount', 'block'] as const) {
    test(`${accessType} volumes: 0 failures, only explained skips`, { timeout: 25 * 60_000 }, async () => {
      const run = await runSanity(stack, accessType);
      report(accessType, run);
      checkRun(accessType, run);
    });
  }
});
