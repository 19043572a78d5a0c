// The test kubelet's configuration and flags: everything it writes stays in the workspace,
// it serves loopback only, and the settings this machine needs are there (cgroup v1 allowed,
// cgroupfs like containerd's runc, pods under the test's cgroup, no eviction or image GC of
// the local images); joined it authenticates callers, standalone it lets loopback read /pods.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { shimSocketOf } from '../../support/kubelet/containerd.js';
import { skipMessage } from '../../support/kubelet/capability.js';
import { kubeletArgs, kubeletConfiguration, type KubeletSetup } from '../../support/kubelet/kubelet-config.js';
import { KUBELET_VERSION, LIVENESSPROBE_VERSION, REGISTRAR_VERSION } from '../../support/kubelet/tools.js';
import { projectRoot } from '../../support/moto.js';

const setup: KubeletSetup = {
  rootDir: '/tmp/ws/kubelet', podLogsDir: '/tmp/ws/pod-logs', nodeName: 'ip-10-0-0-1.ec2.internal',
  runtimeEndpoint: 'unix:///tmp/ws/containerd/containerd.sock', cgroupRoot: 'ebs-kubelet-1234', port: 40001, healthzPort: 40002,
};

describe('kubelet configuration for a test node', () => {
  test('standalone: loopback only, this machine\'s settings, anonymous readers allowed', () => {
    const config = kubeletConfiguration(setup);
    assert.equal(config.kind, 'KubeletConfiguration');
    assert.equal(config.address, '127.0.0.1');
    assert.equal(config.healthzBindAddress, '127.0.0.1');
    assert.equal(config.readOnlyPort, 0);
    assert.equal(config.failCgroupV1, false);
    assert.equal(config.cgroupDriver, 'cgroupfs');
    assert.equal(config.cgroupRoot, '/ebs-kubelet-1234');
    assert.equal(config.containerRuntimeEndpoint, setup.runtimeEndpoint);
    assert.equal(config.podLogsDir, setup.podLogsDir);
    assert.equal(config.imageGCHighThresholdPercent, 100);
    assert.deepEqual(config.authorization, { mode: 'AlwaysAllow' });
    assert.deepEqual(config.authentication, { anonymous: { enabled: true }, webhook: { enabled: false } });
    assert.equal('registerWithTaints' in config, false);
  });

  test('joined: callers authenticate (client certificates, tokens) and the API server authorizes', () => {
    const config = kubeletConfiguration({
      ...setup, kubeconfig: '/tmp/ws/kubeconfig', clientCAFile: '/tmp/ca.crt', providerID: 'aws:///us-east-1a/i-0123456789abcdef0',
      registerWithTaints: [{ key: 'ebs.csi.aws.com/agent-not-ready', effect: 'NoExecute' }],
    });
    assert.deepEqual(config.authorization, { mode: 'Webhook' });
    assert.deepEqual(config.authentication, {
      anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/tmp/ca.crt' },
    });
    assert.equal(config.providerID, 'aws:///us-east-1a/i-0123456789abcdef0');
    assert.deepEqual(config.registerWithTaints, [{ key: 'ebs.csi.aws.com/agent-not-ready', effect: 'NoExecute' }]);
  });

  test('flags keep every kubelet path in the workspace and name the node', () => {
    const args = kubeletArgs({ ...setup, kubeconfig: '/tmp/ws/kubeconfig' }, '/tmp/ws/kubelet-config.json');
    assert.deepEqual(args.filter((a) => /^--(root-dir|cert-dir|config|kubeconfig)=/.test(a)).map((a) => a.split('=')[1]),
      ['/tmp/ws/kubelet-config.json', '/tmp/ws/kubelet', '/tmp/ws/kubelet/pki', '/tmp/ws/kubeconfig']);
    assert.ok(args.includes('--hostname-override=ip-10-0-0-1.ec2.internal'));
    assert.ok(args.includes('--node-ip=127.0.0.1'));
    assert.equal(kubeletArgs(setup, '/c').some((a) => a.startsWith('--kubeconfig')), false, 'standalone has no kubeconfig');
  });
});

describe('kubelet test support', () => {
  test('a shim\'s socket path is derived from containerd\'s address, the namespace and the id, as containerd 1.6 does', () => {
    assert.equal(shimSocketOf(['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'orphan', '-address',
      '/tmp/ebs-kubelet-lQjRiB/containerd/containerd.sock']),
    // sha256("/tmp/ebs-kubelet-lQjRiB/containerd/containerd.sock/k8s.io/orphan"), the name a live shim had.
    '/run/containerd/s/57336049e72ea7c23c95459bf40f8ed58aa500919bd1b3c2325f2e4c7d71c3ac');
    assert.equal(shimSocketOf(['/usr/bin/containerd', '--config', 'x']), undefined);
  });

  test('a skip names what failed and everything that was checked', () => {
    assert.equal(skipMessage({ checked: ['root', 'runc on PATH'], missing: [] }), undefined);
    assert.equal(skipMessage({ checked: ['root', 'runc on PATH'], missing: ['runc is not installed'] }),
      'cannot run containers here: runc is not installed (checked: root, runc on PATH)');
  });

  test('the node sidecars built are the versions the chart deploys', () => {
    const values = parse(readFileSync(join(projectRoot, 'charts/aws-ebs-csi-driver/values.yaml'), 'utf8')) as {
      sidecars: Record<string, { image: { tag: string } }>;
    };
    assert.equal(values.sidecars.nodeDriverRegistrar?.image.tag, REGISTRAR_VERSION);
    assert.equal(values.sidecars.livenessProbe?.image.tag, LIVENESSPROBE_VERSION);
    const script = readFileSync(join(projectRoot, 'scripts/install/csi-node-sidecars.sh'), 'utf8');
    assert.match(script, new RegExp(`"csi-node-driver-registrar ${REGISTRAR_VERSION} `));
    assert.match(script, new RegExp(`"livenessprobe ${LIVENESSPROBE_VERSION} `));
  });

  test('the kubelet the tests run is the one kubernetes.sh builds', () => {
    const script = readFileSync(join(projectRoot, 'scripts/install/kubernetes.sh'), 'utf8');
    assert.match(script, new RegExp(`^KUBELET_VERSION="${KUBELET_VERSION}"$`, 'm'));
  });
});
