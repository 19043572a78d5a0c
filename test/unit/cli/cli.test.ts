import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from '../../../src/cli/argv.js';
import { DEFAULT_DRIVER_NAME, OPTION_SPEC, UsageError, parseOptions, usage, type DriverOptions } from '../../../src/cli.js';

const run = (argv: string[]): DriverOptions => {
  const r = parseOptions(argv);
  return r.kind === 'run' ? r.options : assert.fail(`not run: ${r.kind}`);
};

void describe('command line', () => {
  void it('defaults to all mode, the reference driver name, text logs, batching on and a 2 s merge window', () => {
    const o = run([]);
    assert.equal(o.mode, 'all');
    assert.equal(o.driverName, DEFAULT_DRIVER_NAME);
    assert.equal(o.loggingFormat, 'text');
    assert.deepEqual(o.extraTags, {});
    assert.equal(o.batching, true);
    assert.equal(o.modifyVolumeWindowMs, 2000);
    assert.deepEqual(o.metadataSources, ['imds', 'kubernetes']);
    assert.deepEqual(o.warnings, []);
  });

  void it('parses the reference-style options', () => {
    const o = run(['controller', '--endpoint=unix:///csi/csi.sock', '--http-endpoint', ':3301', '--extra-tags', 'team=a, env=prod',
      '--k8s-tag-cluster-id', 'prod-1', '--logging-format', 'json', '--v=5', '--driver-name', 'ebs.example.com']);
    assert.equal(o.mode, 'controller');
    assert.equal(o.endpoint, 'unix:///csi/csi.sock');
    assert.equal(o.httpEndpoint, ':3301');
    assert.deepEqual(o.extraTags, { team: 'a', env: 'prod' });
    assert.equal(o.clusterId, 'prod-1');
    assert.equal(o.loggingFormat, 'json');
    assert.equal(o.logLevel, 'debug');
    assert.equal(o.driverName, 'ebs.example.com');
  });

  void it('splits flags the way the reference\'s flag library does', () => {
    assert.equal(run(['-v=6']).logLevel, 'trace');
    assert.equal(run(['-v', '4']).logLevel, 'debug');
    assert.equal(run(['-v4']).logLevel, 'debug');
    assert.equal(run(['--v', '1']).logLevel, 'info');
    assert.equal(run(['--batching=false']).batching, false);
    assert.equal(run(['--batching']).batching, true);
    assert.equal(run(['--batching=0']).batching, false, 'Go booleans: 1, 0, t, f, true, false');
    assert.equal(run(['--warn-on-invalid-tag=T']).warnOnInvalidTag, true);
    assert.equal(run(['--volume-attach-limit', '-1']).volumeAttachLimit, undefined, 'a value flag takes the next word even with a dash; -1 means unset');
    assert.deepEqual(run(['--extra-tags=a=1', '--extra-tags', 'b=2,a=3']).extraTags, { a: '3', b: '2' }, 'repeated maps merge');
    assert.equal(run(['--', 'node']).mode, 'node');
  });

  void it('honours the reference flags this driver has the behaviour for', () => {
    const o = run(['controller', '--batching=true', '--modify-volume-request-handler-timeout=1m30s', '--warn-on-invalid-tag',
      '--extra-volume-tags=team=db', '--aws-sdk-debug-log=true', '--kubeconfig=/etc/kube/config', '--metadata-sources=kubernetes,imds',
      '--deprecated-metrics', '--log-text-split-stream', '--http-endpoint=:3301', '--metrics-cert-file=/c.pem', '--metrics-key-file=/k.pem']);
    assert.equal(o.batching, true);
    assert.equal(o.modifyVolumeWindowMs, 90_000);
    assert.equal(o.warnOnInvalidTag, true);
    assert.deepEqual(o.extraVolumeTags, { team: 'db' });
    assert.equal(o.awsSdkDebugLog, true);
    assert.equal(o.kubeconfig, '/etc/kube/config');
    assert.deepEqual(o.metadataSources, ['kubernetes', 'imds']);
    assert.equal(o.deprecatedMetrics, true);
    assert.equal(o.logSplitStream, true);
    assert.deepEqual(o.metricsTls, { certFile: '/c.pem', keyFile: '/k.pem' });
    assert.deepEqual(o.warnings, []);
    assert.equal(run(['node', '--legacy-xfs=true']).legacyXfs, true);
    assert.equal(run(['--logging-format=json', '--log-json-split-stream']).logSplitStream, true);
  });

  void it('reads the Kubernetes options and the pre-stop-hook mode', () => {
    const o = run(['node', '--metadata-sources=kubernetes', '--kubeconfig', '/etc/kube/config']);
    assert.deepEqual(o.metadataSources, ['kubernetes']);
    assert.equal(o.kubeconfig, '/etc/kube/config');
    const hook = run(['pre-stop-hook', '--pre-stop-timeout=25']);
    assert.equal(hook.mode, 'pre-stop-hook');
    assert.equal(hook.preStopTimeoutSeconds, 25);
    assert.deepEqual(hook.warnings, []);
  });

  void it('accepts the reference chart\'s node endpoint form unix:/path', () => {
    assert.equal(run(['node', '--endpoint=unix:/csi/csi.sock']).endpoint, 'unix:/csi/csi.sock');
  });

  void it('names the flags without effect here (or in this mode) in one warning line, and never exits on them', () => {
    const o = run(['node', '--enable-otel-tracing=true', '--csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/',
      '--extra-tags=a=b', '--logtostderr', '--vmodule=x=4', '--windows-host-process=false', '--log-flush-frequency=5s']);
    assert.equal(o.warnings.length, 1);
    const [line] = o.warnings;
    assert.match(line ?? '', /^flags of the reference driver that have no effect here: /);
    for (const flag of ['--enable-otel-tracing', '--csi-mount-point-prefix', '--extra-tags \\(node mode\\)', '--logtostderr', '--vmodule', '--log-flush-frequency']) {
      assert.match(line ?? '', new RegExp(flag));
    }
    assert.doesNotMatch(line ?? '', /windows-host-process/, 'a flag turned off needs no warning');
    assert.ok(!(line ?? '').includes('\n'));
  });

  void it('accepts every flag of the reference driver v1.64 in every mode', () => {
    const reference = [
      '--kubeconfig=/k', '--endpoint=unix:///tmp/csi.sock', '--http-endpoint=:8080', '--metrics-cert-file=/c', '--metrics-key-file=/k',
      '--enable-otel-tracing=false', '--metadata-sources=imds', '--user-agent-extra=x', '--aws-sdk-debug-log=false', '--extra-tags=a=b',
      '--extra-volume-tags=c=d', '--k8s-tag-cluster-id=c1', '--warn-on-invalid-tag=false', '--batching=true',
      '--modify-volume-request-handler-timeout=2s', '--deprecated-metrics=false', '--enable-node-local-volumes=false',
      '--volume-attach-limit=-1', '--reserved-volume-attachments=-1', '--windows-host-process=false', '--legacy-xfs=false',
      '--csi-mount-point-prefix=/p', '--logging-format=text', '--log-flush-frequency=5s', '-v=2', '--vmodule=', '--log-text-split-stream=false',
      '--log-text-info-buffer-size=0', '--log-json-split-stream=false', '--log-json-info-buffer-size=0', '--logtostderr=false',
    ];
    for (const mode of ['controller', 'node', 'all']) assert.equal(run([mode, ...reference]).mode, mode);
    for (const flag of reference) assert.ok((flag.replace(/^-+/, '').split('=')[0] ?? '') in OPTION_SPEC, flag);
  });

  void it('lets --volume-attach-limit win over --reserved-volume-attachments, with a warning', () => {
    const o = run(['node', '--volume-attach-limit=20', '--reserved-volume-attachments=2']);
    assert.equal(o.volumeAttachLimit, 20);
    assert.equal(o.reservedVolumeAttachments, undefined);
    assert.match(o.warnings.join('\n'), /--volume-attach-limit 20 overrides --reserved-volume-attachments 2/);
  });

  void it('checks --extra-tags templates at start-up, or leaves a bad one out under --warn-on-invalid-tag', () => {
    assert.deepEqual(run(['--extra-tags=owner={{ .PVCNamespace | toUpper }}']).extraTags, { owner: '{{ .PVCNamespace | toUpper }}' });
    assert.throws(() => parseOptions(['--extra-tags=owner={{ .PVCNamespace']), /--extra-tags owner: template .* is invalid: unclosed action/);
    const o = run(['--warn-on-invalid-tag', '--extra-tags=owner={{ .PVCNamespace,team=db']);
    assert.deepEqual(o.extraTags, { team: 'db' });
    assert.match(o.warnings.join('\n'), /--extra-tags owner: .*left out \(--warn-on-invalid-tag\)/);
  });

  void it('skips metadata-labeler (not offered) with a warning', () => {
    const o = run(['--metadata-sources=metadata-labeler,kubernetes']);
    assert.deepEqual(o.metadataSources, ['kubernetes']);
    assert.match(o.warnings.join('\n'), /metadata-labeler is not offered/);
  });

  void it('answers help and version, listing the compatibility flags apart', () => {
    assert.deepEqual(parseOptions(['--help']), { kind: 'help' });
    assert.deepEqual(parseOptions(['-h']), { kind: 'help' });
    assert.deepEqual(parseOptions(['--version']), { kind: 'version' });
    assert.match(usage(), /--endpoint/);
    assert.match(usage(), /without effect here:\n(.*\n)*\s+--enable-otel-tracing/);
  });

  void it('reads Go durations', () => {
    assert.equal(parseGoDuration('x', '500ms'), 500);
    assert.equal(parseGoDuration('x', '1h2m3.5s'), 3_723_500);
    assert.equal(parseGoDuration('x', '0'), 0);
    assert.throws(() => parseGoDuration('x', '5'), /duration such as 2s/);
    assert.throws(() => parseGoDuration('x', '2 s'), /duration/);
  });

  const bad: [string[], RegExp][] = [
    [['--nope'], /unknown flag: --nope/],
    [['-q'], /unknown shorthand flag: 'q'/],
    [['sideways'], /mode must be one of controller, node, all, pre-stop-hook/],
    [['pre-stop-hook', '--pre-stop-timeout=0'], /--pre-stop-timeout.*≥ 1/],
    [['node', '--kubeconfig='], /--kubeconfig must name a file/],
    [['node', '--metadata-sources='], /--metadata-sources/],
    [['node', 'extra'], /at most one mode/],
    [['--logging-format=xml'], /text or json/],
    [['--endpoint=tcp://1.2.3.4:5'], /--endpoint/],
    [['--extra-tags=novalue'], /--extra-tags.*key=value/],
    [['--extra-tags=CSIVolumeName=x'], /reserved/],
    [['--volume-attach-limit=0'], /--volume-attach-limit.*≥ 1/],
    [['--reserved-volume-attachments=-2'], /reserved-volume-attachments/],
    [['--driver-name=bad name'], /--driver-name/],
    [['--endpoint'], /flag needs an argument: --endpoint/],
    [['--batching=maybe'], /invalid argument "maybe" for "--batching" flag/],
    [['--modify-volume-request-handler-timeout=soon'], /duration/],
    [['--metadata-sources=ec2'], /--metadata-sources must list imds, kubernetes or metadata-labeler/],
    [['--metrics-cert-file=/c'], /HTTPS metrics need all of/],
    [['--v=high'], /--v must be a whole number/],
  ];
  for (const [argv, pattern] of bad) {
    void it(`refuses ${argv.join(' ')} with a one-line reason`, () => {
      assert.throws(() => parseOptions(argv), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, pattern);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
});
