// The tag-template language on its own: the reference driver's documented examples, Go's
// pipe and argument rules, the functions' edge cases, and the errors for what is not offered.
// test/integration/template/go-oracle.test.ts runs the same kind of cases through Go itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileTemplate, renderTemplate, snapshotTemplateData, TemplateError, volumeTemplateData,
} from '../../../src/template/index.js';

const pv = volumeTemplateData({ pvcName: 'data-0', pvcNamespace: 'ns-prod-abcdef', pvName: 'pvc-1234' });
const render = (text: string): string => renderTemplate(text, pv);
const fails = (text: string, reason: RegExp): void => {
  assert.throws(() => render(text), (err: unknown) => err instanceof TemplateError && reason.test(err.message), `${text} should fail with ${String(reason)}`);
};

void describe('tag templates: fields and text', () => {
  void it('fills in the fields, with or without spaces, and keeps other text verbatim', () => {
    assert.equal(render('{{ .PVCNamespace }}/{{.PVCName}}-{{  .PVName  }}'), 'ns-prod-abcdef/data-0-pvc-1234');
    assert.equal(render('plain text } and }} too'), 'plain text } and }} too');
    assert.equal(render(''), '');
  });

  void it('offers the snapshot fields to snapshot templates and refuses volume fields there', () => {
    const snap = snapshotTemplateData({ snapshotName: 's1', snapshotNamespace: 'apps', contentName: 'snapcontent-9' });
    assert.equal(renderTemplate('{{ .VolumeSnapshotNamespace }}/{{ .VolumeSnapshotName }}@{{ .VolumeSnapshotContentName }}', snap), 'apps/s1@snapcontent-9');
    assert.throws(() => renderTemplate('{{ .PVCName }}', snap), /can't evaluate field PVCName in type \*template\.VolumeSnapshotProps/);
  });

  void it('refuses unknown and misspelt fields (fields are case-sensitive, as in Go)', () => {
    fails('{{ .Namespace }}', /can't evaluate field Namespace in type \*template\.PVProps/);
    fails('{{ .pvcName }}', /can't evaluate field pvcName/);
    fails('{{ .PVCName.Length }}', /can't evaluate field Length in type string/);
  });

  void it('prints the whole data for "." like Go prints a struct', () => {
    assert.equal(render('{{ . }}'), '{data-0 ns-prod-abcdef pvc-1234}');
    assert.equal(render('{{ $.PVName }}'), 'pvc-1234');
  });

  void it('trims around {{- and -}} and drops comments', () => {
    assert.equal(render('a  \n {{- .PVCName -}} \t b'), 'adata-0b');
    assert.equal(render('x{{/* a comment */}}y'), 'xy');
    assert.equal(render('x {{- /* trimmed */ -}} y'), 'xy');
    assert.equal(render('{{-3}}'), '-3', 'a dash glued to a number is a sign, not a trim marker');
  });

  void it('prints literals as Go does', () => {
    assert.equal(render('{{ "q\\t\\x41\\u00e9" }}|{{ `raw\\n` }}|{{ 42 }}|{{ 0x1F }}|{{ 1e3 }}|{{ 1.5 }}|{{ true }}|{{ \'A\' }}'), 'q\tAé|raw\\n|42|31|1000|1.5|true|65');
  });
});

void describe('tag templates: functions and pipes (the reference\'s documented examples)', () => {
  void it('evaluates docs/tagging.md Example 3', () => {
    assert.equal(render('{{ .PVCNamespace | contains "prod" }}'), 'true');
    assert.equal(render('{{ .PVCNamespace | field "-" 2 | toUpper }}'), 'ABCDEF');
  });

  void it('passes a piped value as the last argument', () => {
    assert.equal(render('{{ contains "dev" .PVCNamespace }}'), 'false');
    assert.equal(render('{{ .PVCName | substring 0 4 }}'), 'data');
    assert.equal(render('{{ substring 5 100 .PVCName }}'), '0');
    assert.equal(render('{{ toLower "MiXeD" }}-{{ "MiXeD" | toUpper }}'), 'mixed-MIXED');
    assert.equal(render('{{ (field "-" 1 .PVCNamespace) | toUpper }}'), 'PROD');
    assert.equal(render('{{ index "-" .PVCNamespace }},{{ lastIndex "-" .PVCNamespace }},{{ index "zz" .PVCNamespace }}'), '2,7,-1');
  });

  void it('keeps variables for later actions and prints nothing for a declaration', () => {
    assert.equal(render('{{ $ns := .PVCNamespace | field "-" 1 }}{{ $ns }}-{{ $ns | toUpper }}'), 'prod-PROD');
    assert.equal(render('{{ $x := "a" }}{{ $x = "b" }}{{ $x }}'), 'b');
    fails('{{ $y }}', /undefined variable "\$y"/);
    fails('{{ $y = "b" }}', /undefined variable "\$y"/);
  });

  void it('follows substring\'s rules: a negative start means from 0, a negative or long end means to the end', () => {
    assert.equal(render('{{ substring -1 4 .PVName }}'), 'pvc-');
    assert.equal(render('{{ substring 4 -1 .PVName }}'), '1234');
    assert.equal(render('{{ substring 4 99 .PVName }}'), '1234');
    fails('{{ substring 5 2 .PVName }}', /error calling substring: slice bounds out of range \[5:2\]/);
    fails('{{ substring -1 99 .PVName }}', /slice bounds out of range/);
    fails('{{ substring 99 100 .PVName }}', /slice bounds out of range/);
  });

  void it('follows field\'s rules: Go\'s split, an index past the end is an error', () => {
    assert.equal(render('{{ field "" 1 "héllo" }}'), 'é', 'an empty separator splits into characters');
    assert.equal(render('{{ field "," 1 "a,,b" }}'), '');
    fails('{{ field "-" 3 .PVCNamespace }}', /extractWord: cannot index into split string; index = 3, length = 3/);
    fails('{{ field "-" -1 .PVCNamespace }}', /error calling field: index out of range \[-1\]/);
  });

  void it('indexes strings by UTF-8 byte, as Go does', () => {
    assert.equal(render('{{ substring 0 3 "héllo" }}'), 'hé');
    assert.equal(render('{{ index "l" "héllo" }}'), '3');
  });

  void it('maps case rune by rune like Go (ß keeps its form; JavaScript would write SS)', () => {
    assert.equal(render('{{ toUpper "straße éa" }}'), 'STRAßE ÉA');
  });
});

void describe('tag templates: errors for what Go refuses or the driver does not offer', () => {
  void it('checks argument counts and types like Go', () => {
    fails('{{ toUpper }}', /wrong number of args for toUpper: want 1 got 0/);
    fails('{{ .PVCName | toUpper "x" }}', /wrong number of args for toUpper: want 1 got 2/);
    fails('{{ toUpper 3 }}', /expected string; found 3/);
    fails('{{ substring "0" 2 .PVName }}', /expected integer; found "0"/);
    fails('{{ substring 1.5 2 .PVName }}', /expected integer; found 1\.5/);
    fails('{{ .PVCName | contains "a" | toUpper }}', /wrong type for value; expected string; got bool/);
    fails('{{ toUpper nil }}', /cannot assign nil to string/);
  });

  void it('refuses arguments to things that are not functions', () => {
    fails('{{ .PVCName "x" }}', /\.PVCName has arguments but cannot be invoked as function/);
    fails('{{ .PVCName | .PVName }}', /\.PVName has arguments but cannot be invoked as function/);
    fails('{{ "a" | "b" }}', /can't give argument to non-function "b"/);
    fails('{{ nil }}', /nil is not a command/);
  });

  void it('refuses malformed templates with the reason', () => {
    fails('{{ .PVCName', /unclosed action/);
    fails('{{ }}', /missing value for command/);
    assert.equal(render('{{ .PVCName | }}'), 'data-0', 'Go accepts a trailing pipe');
    fails('{{ | toUpper }}', /missing value for command/);
    fails('{{ "abc }}', /unterminated quoted string/);
    fails('{{ (toUpper .PVCName }}', /unclosed left paren/);
    fails('{{ toUpper .PVCName) }}', /unexpected right paren/);
    fails('{{/* open', /unclosed comment/);
    fails('{{ 12ab }}', /bad number syntax/);
  });

  void it('names what is supported when a control structure or a Go built-in is used', () => {
    fails('{{ if contains "prod" .PVCNamespace }}p{{ end }}', /\{\{if\}\} is not supported in tag templates/);
    fails('{{ printf "%s" .PVCName }}', /function "printf" is not available in tag templates; use field, substring, toUpper, toLower, contains/);
    fails('{{ shout .PVCName }}', /function "shout" not defined/);
  });

  void it('refuses the functions the reference disables, with its message', () => {
    for (const name of ['html', 'js', 'call', 'urlquery']) fails(`{{ ${name} .PVCName }}`, new RegExp(`cannot call '${name}' function`));
  });

  void it('compiles once and renders against different data', () => {
    const t = compileTemplate('{{ .PVCNamespace | toUpper }}');
    assert.equal(t.render(volumeTemplateData({ pvcNamespace: 'a' })), 'A');
    assert.equal(t.render(volumeTemplateData({})), '', 'an absent value is empty, as without --extra-create-metadata');
  });
});
