// src/template against Go's own text/template: each case runs through both, and they must
// agree on the output, or both fail. The Go side (test/support/go-template) is built with the
// machine's Go toolchain, which the project's other Go tools need as well.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../support/moto.js';
import { renderTemplate, snapshotTemplateData, volumeTemplateData, type TemplateData } from '../../../src/template/index.js';

interface OracleCase {
  readonly template: string;
  readonly kind: 'volume' | 'snapshot';
  readonly fields: Readonly<Record<string, string>>;
}

interface OracleResult {
  readonly output?: string;
  readonly error?: string;
}

const VOLUME = { PVCName: 'data-0', PVCNamespace: 'ns-prod-abcdef', PVName: 'pvc-12ab' };
const SNAPSHOT = { VolumeSnapshotName: 'nightly', VolumeSnapshotNamespace: 'team-a', VolumeSnapshotContentName: 'snapcontent-7' };

const VOLUME_TEMPLATES = [
  // Fields, text, trimming, comments, literals.
  'plain', '', '{{ .PVCName }}', '{{.PVCNamespace}}/{{ .PVName }}', 'a}}b', '{{ . }}', '{{ $.PVName }}',
  'x  {{- .PVCName -}}  y', '{{- .PVCName }}', '{{/* c */}}z', 'a {{- /* c */ -}} b', '{{-3}}', '{{ 3 -}} x',
  '{{ "a\\tb" }}', '{{ `r\\n` }}', '{{ 7 }}', '{{ 0x10 }}', '{{ 010 }}', '{{ 1e3 }}', '{{ 1.5 }}', '{{ 2.0 }}', '{{ true }}', '{{ \'a\' }}',
  '{{ "\\u00e9\\x41" }}',
  // Documented functions and pipes.
  '{{ .PVCNamespace | contains "prod" }}', '{{ .PVCNamespace | field "-" 2 | toUpper }}', '{{ contains "dev" .PVCNamespace }}',
  '{{ .PVCName | substring 0 4 }}', '{{ substring -1 3 .PVName }}', '{{ substring 2 -1 .PVName }}', '{{ substring 2 99 .PVName }}',
  '{{ substring 3 1 .PVName }}', '{{ substring 99 100 .PVName }}', '{{ substring -1 99 .PVName }}', '{{ substring 0 3 "héllo" }}',
  '{{ field "-" 0 .PVCNamespace }}', '{{ field "-" 3 .PVCNamespace }}', '{{ field "-" -1 .PVCNamespace }}', '{{ field "" 1 "héllo" }}',
  '{{ field "," 1 "a,,b" }}', '{{ toUpper "straße" }}', '{{ toLower "ÀB" }}', '{{ index "-" .PVCNamespace }}', '{{ lastIndex "-" .PVCNamespace }}',
  '{{ index "" "abc" }}', '{{ lastIndex "" "abc" }}', '{{ index "l" "héllo" }}', '{{ (field "-" 1 .PVCNamespace) | toUpper }}',
  '{{ toUpper (field "-" 1 .PVCNamespace) }}', '{{ $ns := .PVCNamespace }}{{ $ns | toUpper }}', '{{ $x := "a" }}{{ $x = "b" }}{{ $x }}',
  '{{ (.PVCName) }}', '{{ substring 0 2 (toUpper .PVName) }}',
  // Errors Go reports too.
  '{{ .Namespace }}', '{{ .pvcName }}', '{{ .PVCName.X }}', '{{ toUpper }}', '{{ toUpper 3 }}', '{{ substring "0" 2 .PVName }}',
  '{{ substring 1.5 2 .PVName }}', '{{ .PVCName | contains "a" | toUpper }}', '{{ .PVCName "x" }}', '{{ .PVCName | .PVName }}',
  '{{ "a" | "b" }}', '{{ nil }}', '{{ toUpper nil }}', '{{ .PVCName', '{{ }}', '{{ .PVCName | }}', '{{ | toUpper }}', '{{ "abc }}',
  '{{ (toUpper .PVCName }}', '{{ toUpper .PVCName) }}', '{{/* open', '{{/* c */ x }}', '{{ 12ab }}', '{{ shout .PVCName }}', '{{ $y }}',
  '{{ html .PVCName }}', '{{ js "x" }}', '{{ call .PVCName }}', '{{ urlquery "x" }}', '{{ $y = 1 }}', '{{ toUpper .PVCName .PVName }}',
  '{{ 3 | toUpper }}', '{{ index "a" "b" | toUpper }}', '{{ substring 0 (index "-" .PVCNamespace) .PVCNamespace }}',
  '{{ "a" "b" }}', '{{ $x := 1 }}{{ $x | toUpper }}', '{{ 1_000 }}', '{{ +5 }}', '{{ toUpper ( .PVCName ) }}', '{{- "x" -}}',
  '{{ .PVCName\n | toUpper }}', '{{ index "a" }}', '{{ $ }}', '{{ .PVCName | toUpper | toLower | contains "data" }}', '{{ . | toUpper }}',
  '{{ toUpper $ }}', '{{ $x := .PVCName }}{{ $x.Y }}', '{{ ( "a" ) }}', '{{ true | toUpper }}', '{{ toUpper "a" | field "" 0 }}',
  '{{ substring 0 2 }}', '{{ contains }}', '{{ -.5 }}', '{{ .5 }}', '{{ 0b101 }}', '{{ 0o17 }}', '{{ "\\q" }}', '{{ `a` }}b{{ `c` }}',
  '{{ .PVCName }}{{', '}}{{ .PVName }}', '{{ .PVName}}', '{{.PVName }}', '{{ .PVName -}}\n\n x', '{{ toUpper .PVCName | toLower }}',
];

const SNAPSHOT_TEMPLATES = [
  '{{ .VolumeSnapshotNamespace }}/{{ .VolumeSnapshotName }}', '{{ .VolumeSnapshotContentName | toUpper }}',
  '{{ .VolumeSnapshotNamespace | field "-" 1 }}', '{{ .PVCName }}',
];

/** Cases where the driver deliberately refuses what Go accepts; they must fail here and pass there. */
const OURS_STRICTER = ['{{ if true }}x{{ end }}', '{{ printf "%s" .PVCName }}', '{{ len .PVCName }}', '{{ eq .PVCName "a" }}'];

const cases: OracleCase[] = [
  ...VOLUME_TEMPLATES.map((template) => ({ template, kind: 'volume' as const, fields: VOLUME })),
  ...SNAPSHOT_TEMPLATES.map((template) => ({ template, kind: 'snapshot' as const, fields: SNAPSHOT })),
  ...OURS_STRICTER.map((template) => ({ template, kind: 'volume' as const, fields: VOLUME })),
];

function dataOf(c: OracleCase): TemplateData {
  return c.kind === 'snapshot'
    ? snapshotTemplateData({ snapshotName: c.fields.VolumeSnapshotName, snapshotNamespace: c.fields.VolumeSnapshotNamespace, contentName: c.fields.VolumeSnapshotContentName })
    : volumeTemplateData({ pvcName: c.fields.PVCName, pvcNamespace: c.fields.PVCNamespace, pvName: c.fields.PVName });
}

function ours(c: OracleCase): OracleResult {
  try {
    return { output: renderTemplate(c.template, dataOf(c)) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function runOracle(binary: string, input: readonly OracleCase[]): Promise<OracleResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the Go oracle exited with ${String(code)}`));
      else resolve(JSON.parse(out) as OracleResult[]);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

void describe('tag templates agree with Go text/template', () => {
  let dir = '';
  let results: OracleResult[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'go-template-oracle-'));
    const binary = join(dir, 'oracle');
    await new Promise<void>((resolve, reject) => {
      execFile('go', ['build', '-o', binary, join(projectRoot, 'test/support/go-template/main.go')], { cwd: dir, env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off' } },
        (err, _stdout, stderr) => (err ? reject(new Error(`go build of the template oracle failed (Go is needed for the tests): ${stderr || err.message}`)) : resolve()));
    });
    results = await runOracle(binary, cases);
  });
  after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  void it('gives the same output, or fails where Go fails, for every case', () => {
    assert.equal(results.length, cases.length);
    const disagreements: string[] = [];
    cases.forEach((c, i) => {
      if (OURS_STRICTER.includes(c.template)) return;
      const go = results[i] ?? {};
      const ts = ours(c);
      if (go.error !== undefined && ts.error === undefined) disagreements.push(`${c.template}: Go fails (${go.error}), ours gives ${JSON.stringify(ts.output)}`);
      if (go.error === undefined && ts.error !== undefined) disagreements.push(`${c.template}: Go gives ${JSON.stringify(go.output)}, ours fails (${ts.error})`);
      if (go.error === undefined && ts.error === undefined && go.output !== ts.output) {
        disagreements.push(`${c.template}: Go gives ${JSON.stringify(go.output)}, ours ${JSON.stringify(ts.output)}`);
      }
    });
    assert.deepEqual(disagreements, []);
    // Both outcomes must be exercised, or agreement proves little.
    assert.ok(results.filter((r) => r.error !== undefined).length >= 20);
    assert.ok(results.filter((r) => r.error === undefined).length >= 40);
  });

  void it('refuses the constructs Go accepts but tag templates do not offer', () => {
    for (const template of OURS_STRICTER) {
      const i = cases.findIndex((c) => c.template === template);
      assert.equal(results[i]?.error, undefined, `Go accepts ${template}`);
      const c = cases[i];
      assert.ok(c && ours(c).error, `ours refuses ${template}`);
    }
  });
});
