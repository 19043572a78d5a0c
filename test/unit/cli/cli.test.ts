import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DRIVER_NAME, UsageError, parseOptions, usage } from '../../../src/cli.js';

const run = (argv: string[]) => {
  const r = parseOptions(argv);
  assert.equal(r.kind, 'run');
  return r.kind === 'run' ? r.options : assert.fail('not run');
};

describe('command line', () => {
  it('defaults to all mode, the reference driver name and text logs', () => {
    const o = run([]);
    assert.equal(o.mode, 'all');
    assert.equal(o.driverName, DEFAULT_DRIVER_NAME);
    assert.equal(o.loggingFormat, 'text');
    assert.deepEqual(o.extraTags, {});
  });

  it('parses the reference-style options', () => {
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

  it('reads the Kubernetes options and the pre-stop-hook mode', () => {
    assert.deepEqual(run(['node']).metadataSources, ['imds', 'kubernetes']);
    const o = run(['node', '--metadata-sources=kubernetes', '--kubeconfig', '/etc/kube/config']);
    assert.deepEqual(o.metadataSources, ['kubernetes']);
    assert.equal(o.kubeconfig, '/etc/kube/config');
    const hook = run(['pre-stop-hook', '--pre-stop-timeout=25']);
    assert.equal(hook.mode, 'pre-stop-hook');
    assert.equal(hook.preStopTimeoutSeconds, 25);
  });

  it('answers help and version', () => {
    assert.deepEqual(parseOptions(['--help']), { kind: 'help' });
    assert.deepEqual(parseOptions(['--version']), { kind: 'version' });
    assert.match(usage(), /--endpoint/);
  });

  const bad: [string[], RegExp][] = [
    [['--nope'], /nope/],
    [['sideways'], /mode must be one of controller, node, all, pre-stop-hook/],
    [['node', '--metadata-sources=imds,metadata-labeler'], /--metadata-sources takes .*imds, kubernetes.*metadata-labeler source is not supported/],
    [['node', '--metadata-sources='], /--metadata-sources takes/],
    [['pre-stop-hook', '--pre-stop-timeout=0'], /--pre-stop-timeout.*≥ 1/],
    [['node', '--kubeconfig='], /--kubeconfig must name a file/],
    [['node', 'extra'], /at most one mode/],
    [['--logging-format=xml'], /text or json/],
    [['--endpoint=tcp://1.2.3.4:5'], /--endpoint/],
    [['--extra-tags=novalue'], /--extra-tags.*key=value/],
    [['--extra-tags=CSIVolumeName=x'], /reserved/],
    [['--volume-attach-limit=0'], /--volume-attach-limit.*≥ 1/],
    [['--reserved-volume-attachments=-1'], /reserved-volume-attachments/],
    [['--driver-name=bad name'], /--driver-name/],
    [['--endpoint'], /endpoint/],
  ];
  for (const [argv, pattern] of bad) {
    it(`refuses ${argv.join(' ')} with a one-line reason`, () => {
      assert.throws(() => parseOptions(argv), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, pattern);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
});
