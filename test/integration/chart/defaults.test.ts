// The chart with its default values: what an operator gets from a plain `helm install`.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { before, describe, it } from 'node:test';
import { NAMESPACE, SNAPSHOT_API, render, requireHelm, type Rendered } from './helm.js';
import {
  container, containerNames, find, flag, grantedResources, mount, ofKind, verbs, volume,
  type K8sObject, type Role, type RoleBinding, type Workload,
} from './manifests.js';

const SOCKET = '/var/lib/csi/sockets/pluginproxy/csi.sock';

function controllerOf(r: Rendered): Workload {
  return find<Workload>(r.objects, 'Deployment', 'ebs-csi-controller');
}

function nodeOf(r: Rendered): Workload {
  return find<Workload>(r.objects, 'DaemonSet', 'ebs-csi-node');
}

void describe('chart with default values', () => {
  let plain: Rendered;
  let withSnapshotApi: Rendered;

  before(async () => {
    await requireHelm();
    plain = await render();
    withSnapshotApi = await render({ apiVersions: [SNAPSHOT_API] });
  });

  void it('renders the driver objects and nothing optional', () => {
    const kinds = plain.objects.map((o: K8sObject) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'CSIDriver/ebs.csi.aws.com',
      'ClusterRole/ebs-csi-attacher', 'ClusterRole/ebs-csi-node', 'ClusterRole/ebs-csi-provisioner', 'ClusterRole/ebs-csi-resizer',
      'ClusterRoleBinding/ebs-csi-attacher', 'ClusterRoleBinding/ebs-csi-node', 'ClusterRoleBinding/ebs-csi-provisioner',
      'ClusterRoleBinding/ebs-csi-resizer',
      'DaemonSet/ebs-csi-node', 'Deployment/ebs-csi-controller', 'PodDisruptionBudget/ebs-csi-controller',
      'Role/ebs-csi-leader-election', 'RoleBinding/ebs-csi-leader-election',
      'Service/ebs-csi-controller-metrics', 'Service/ebs-csi-node-metrics',
      'ServiceAccount/ebs-csi-controller-sa', 'ServiceAccount/ebs-csi-node-sa',
    ]);
    for (const o of plain.objects) {
      if (!['CSIDriver', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) assert.equal(o.metadata.namespace, NAMESPACE, `${o.kind}`);
    }
  });

  void it('declares the CSIDriver the way kubelet and the attach/detach controller expect', () => {
    const driver = find<K8sObject & { spec: Record<string, unknown> }>(plain.objects, 'CSIDriver');
    assert.deepEqual(driver.spec, {
      attachRequired: true, podInfoOnMount: false, fsGroupPolicy: 'File', volumeLifecycleModes: ['Persistent'],
      // Rendered for Kubernetes 1.37: kubelet refreshes the attach limit, as the reference sets it.
      nodeAllocatableUpdatePeriodSeconds: 10,
    });
  });

  void it('runs two hardened controller replicas spread over nodes', () => {
    const deployment = controllerOf(plain);
    const pod = deployment.spec.template.spec;
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(pod.priorityClassName, 'system-cluster-critical');
    assert.equal(pod.serviceAccountName, 'ebs-csi-controller-sa');
    assert.equal(pod.nodeSelector?.['kubernetes.io/os'], 'linux');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, 1000);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    for (const c of pod.containers) {
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], c.name);
      assert.ok(c.resources?.requests?.memory && c.resources.limits?.memory, `${c.name} has memory request and limit`);
    }
    const spread = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm;
    assert.equal(spread?.topologyKey, 'kubernetes.io/hostname');
    // The anti-affinity must select this Deployment's own pods, or it spreads nothing.
    assert.deepEqual(spread?.labelSelector.matchLabels, deployment.spec.selector.matchLabels);
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) {
      assert.equal(deployment.spec.template.metadata.labels[k], v);
    }
    const pdb = find<K8sObject & { spec: { maxUnavailable: number; selector: { matchLabels: unknown } } }>(plain.objects, 'PodDisruptionBudget');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  });

  void it('sizes the driver container from the benchmark, not the Go driver', () => {
    const driver = container(controllerOf(plain), 'ebs-plugin');
    assert.deepEqual(driver.resources, { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '256Mi' } });
    assert.deepEqual(container(nodeOf(plain), 'ebs-plugin').resources, { requests: { cpu: '10m', memory: '80Mi' }, limits: { memory: '256Mi' } });
  });

  void it('starts the standard sidecars with leader election, and no snapshotter without the snapshot API', () => {
    const deployment = controllerOf(plain);
    assert.deepEqual(containerNames(deployment), ['ebs-plugin', 'csi-provisioner', 'csi-attacher', 'csi-resizer', 'liveness-probe']);

    const provisioner = container(deployment, 'csi-provisioner');
    assert.equal(provisioner.image, 'registry.k8s.io/sig-storage/csi-provisioner:v6.3.0');
    assert.equal(flag(provisioner.args, 'feature-gates'), 'Topology=true');
    assert.equal(flag(provisioner.args, 'extra-create-metadata'), true);
    assert.equal(flag(provisioner.args, 'default-fstype'), 'ext4');
    assert.equal(flag(provisioner.args, 'worker-threads'), '100');

    const attacher = container(deployment, 'csi-attacher');
    assert.equal(attacher.image, 'registry.k8s.io/sig-storage/csi-attacher:v4.13.0');
    assert.equal(flag(attacher.args, 'timeout'), '6m');

    const resizer = container(deployment, 'csi-resizer');
    assert.equal(resizer.image, 'registry.k8s.io/sig-storage/csi-resizer:v2.3.0');
    assert.equal(flag(resizer.args, 'extra-modify-metadata'), true);
    // Unset: VolumeAttributesClass is on by default and the resizer turns it off itself before 1.34.
    assert.equal(flag(resizer.args, 'feature-gates'), undefined);
    assert.equal(flag(resizer.args, 'handle-volume-inuse-error'), 'false');
    assert.equal(flag(resizer.args, 'workers'), '100');

    for (const c of [provisioner, attacher, resizer]) {
      assert.equal(flag(c.args, 'leader-election'), 'true', c.name);
      assert.equal(flag(c.args, 'csi-address'), SOCKET, c.name);
      assert.equal(flag(c.args, 'kube-api-qps'), '20', c.name);
      assert.equal(flag(c.args, 'retry-interval-max'), '5m', c.name);
    }
  });

  void it('adds the snapshotter and its role when the cluster serves the snapshot API', () => {
    const deployment = controllerOf(withSnapshotApi);
    assert.deepEqual(containerNames(deployment), ['ebs-plugin', 'csi-provisioner', 'csi-attacher', 'csi-snapshotter', 'csi-resizer', 'liveness-probe']);
    const snapshotter = container(deployment, 'csi-snapshotter');
    assert.equal(snapshotter.image, 'registry.k8s.io/sig-storage/csi-snapshotter:v8.6.0');
    assert.equal(flag(snapshotter.args, 'leader-election'), 'true');
    assert.equal(flag(snapshotter.args, 'extra-create-metadata'), true);
    const role = find<Role>(withSnapshotApi.objects, 'ClusterRole', 'ebs-csi-snapshotter');
    assert.deepEqual(verbs(role, 'snapshot.storage.k8s.io', 'volumesnapshotcontents'), ['get', 'list', 'patch', 'update', 'watch']);
    assert.deepEqual(verbs(role, 'snapshot.storage.k8s.io', 'volumesnapshotcontents/status'), ['patch', 'update']);
    assert.deepEqual(verbs(role, 'snapshot.storage.k8s.io', 'volumesnapshotclasses'), ['get', 'list', 'watch']);
    find(withSnapshotApi.objects, 'ClusterRoleBinding', 'ebs-csi-snapshotter');
  });

  void it('shares one socket between the driver and every controller sidecar', () => {
    const deployment = controllerOf(withSnapshotApi);
    assert.ok(volume(deployment, 'socket-dir').emptyDir, 'socket-dir is an emptyDir');
    const driver = container(deployment, 'ebs-plugin');
    assert.equal(flag(driver.args, 'endpoint'), `unix://${SOCKET}`);
    for (const c of deployment.spec.template.spec.containers) {
      assert.equal(mount(c, 'socket-dir').mountPath, dirname(SOCKET), c.name);
    }
    const probe = container(deployment, 'liveness-probe');
    const healthz = driver.ports?.find((p) => p.name === 'healthz');
    assert.equal(flag(probe.args, 'http-endpoint'), `0.0.0.0:${healthz?.containerPort}`);
    assert.deepEqual(driver.livenessProbe?.httpGet, { path: '/healthz', port: 'healthz' });
  });

  void it('runs the node plugin privileged with kubelet, device and registration directories', () => {
    const ds = nodeOf(plain);
    const pod = ds.spec.template.spec;
    assert.deepEqual(containerNames(ds), ['ebs-plugin', 'node-driver-registrar', 'liveness-probe']);
    assert.equal(pod.priorityClassName, 'system-node-critical');
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } });
    assert.equal(pod.hostNetwork, undefined);

    const driver = container(ds, 'ebs-plugin');
    assert.equal(driver.securityContext?.privileged, true);
    assert.equal(flag(driver.args, 'endpoint'), 'unix:///csi/csi.sock');
    assert.deepEqual(mount(driver, 'kubelet-dir'), { name: 'kubelet-dir', mountPath: '/var/lib/kubelet', mountPropagation: 'Bidirectional' });
    assert.equal(mount(driver, 'device-dir').mountPath, '/dev');
    assert.equal(mount(driver, 'plugin-dir').mountPath, '/csi');
    assert.deepEqual(driver.env?.find((e) => e.name === 'CSI_NODE_NAME')?.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });

    assert.deepEqual(volume(ds, 'kubelet-dir').hostPath, { path: '/var/lib/kubelet', type: 'Directory' });
    assert.deepEqual(volume(ds, 'plugin-dir').hostPath, { path: '/var/lib/kubelet/plugins/ebs.csi.aws.com/', type: 'DirectoryOrCreate' });
    assert.deepEqual(volume(ds, 'registration-dir').hostPath, { path: '/var/lib/kubelet/plugins_registry/', type: 'Directory' });
    assert.deepEqual(volume(ds, 'device-dir').hostPath, { path: '/dev', type: 'Directory' });

    const registrar = container(ds, 'node-driver-registrar');
    assert.equal(registrar.image, 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.17.0');
    assert.equal(flag(registrar.args, 'csi-address'), '/csi/csi.sock');
    assert.equal(flag(registrar.args, 'kubelet-registration-path'), '/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock');
    assert.equal(mount(registrar, 'registration-dir').mountPath, '/registration');
    assert.ok(registrar.livenessProbe?.exec?.command.includes('--mode=kubelet-registration-probe'));

    const probe = container(ds, 'liveness-probe');
    assert.equal(probe.image, 'registry.k8s.io/sig-storage/livenessprobe:v2.19.0');
    assert.equal(flag(probe.args, 'csi-address'), '/csi/csi.sock');
  });

  void it('grants each sidecar only what it uses', () => {
    const provisioner = find<Role>(plain.objects, 'ClusterRole', 'ebs-csi-provisioner');
    assert.deepEqual(verbs(provisioner, '', 'persistentvolumes'), ['create', 'delete', 'get', 'list', 'patch', 'watch']);
    assert.deepEqual(verbs(provisioner, '', 'persistentvolumeclaims'), ['get', 'list', 'update', 'watch']);
    assert.deepEqual(verbs(provisioner, 'storage.k8s.io', 'storageclasses'), ['get', 'list', 'watch']);
    assert.deepEqual(verbs(provisioner, 'storage.k8s.io', 'csinodes'), ['get', 'list', 'watch']);
    assert.deepEqual(verbs(provisioner, 'snapshot.storage.k8s.io', 'volumesnapshots'), ['get', 'list', 'update', 'watch']);
    assert.deepEqual(verbs(provisioner, 'snapshot.storage.k8s.io', 'volumesnapshotcontents'), ['get', 'list']);

    const attacher = find<Role>(plain.objects, 'ClusterRole', 'ebs-csi-attacher');
    assert.deepEqual(grantedResources(attacher), [
      '/persistentvolumes', 'storage.k8s.io/csinodes', 'storage.k8s.io/volumeattachments', 'storage.k8s.io/volumeattachments/status',
    ]);
    assert.deepEqual(verbs(attacher, 'storage.k8s.io', 'volumeattachments/status'), ['patch']);

    const resizer = find<Role>(plain.objects, 'ClusterRole', 'ebs-csi-resizer');
    assert.deepEqual(verbs(resizer, '', 'persistentvolumeclaims/status'), ['patch']);
    assert.deepEqual(verbs(resizer, 'storage.k8s.io', 'volumeattributesclasses'), ['get', 'list', 'watch']);
    assert.deepEqual(verbs(resizer, '', 'pods'), [], 'no pod watch with --handle-volume-inuse-error=false');

    const node = find<Role>(plain.objects, 'ClusterRole', 'ebs-csi-node');
    assert.deepEqual(grantedResources(node), ['/nodes', 'storage.k8s.io/csinodes', 'storage.k8s.io/volumeattachments']);
    assert.deepEqual(verbs(node, '', 'nodes'), ['get', 'patch', 'watch']);
    assert.deepEqual(verbs(node, 'storage.k8s.io', 'csinodes'), ['get']);
    assert.deepEqual(verbs(node, 'storage.k8s.io', 'volumeattachments'), ['list', 'watch']);

    const leases = find<Role>(plain.objects, 'Role', 'ebs-csi-leader-election');
    assert.deepEqual(grantedResources(leases), ['coordination.k8s.io/leases']);

    for (const role of [...ofKind<Role>(plain.objects, 'ClusterRole'), leases]) {
      for (const rule of role.rules) {
        assert.ok(!rule.verbs.includes('*') && !rule.resources.includes('*') && !rule.apiGroups.includes('*'), `${role.metadata.name} uses a wildcard`);
        assert.ok(!rule.resources.includes('secrets'), `${role.metadata.name} reads secrets`);
      }
    }
  });

  void it('binds every role to the ServiceAccount of the pods that need it', () => {
    const expected: Record<string, string> = {
      'ebs-csi-provisioner': 'ebs-csi-controller-sa', 'ebs-csi-attacher': 'ebs-csi-controller-sa',
      'ebs-csi-resizer': 'ebs-csi-controller-sa', 'ebs-csi-node': 'ebs-csi-node-sa',
      'ebs-csi-leader-election': 'ebs-csi-controller-sa',
    };
    const bindings = [...ofKind<RoleBinding>(plain.objects, 'ClusterRoleBinding'), ...ofKind<RoleBinding>(plain.objects, 'RoleBinding')];
    assert.equal(bindings.length, Object.keys(expected).length);
    for (const b of bindings) {
      assert.equal(b.roleRef.name, b.metadata.name);
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: expected[b.metadata.name], namespace: NAMESPACE }], b.metadata.name);
    }
  });

  void it('puts a metrics Service in front of each component', () => {
    for (const [component, port] of [['controller', 3301], ['node', 3302]] as const) {
      const svc = find<K8sObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] } }>(
        plain.objects, 'Service', `ebs-csi-${component}-metrics`);
      const workload = component === 'controller' ? controllerOf(plain) : nodeOf(plain);
      for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(workload.spec.template.metadata.labels[k], v, `${component} pods carry ${k}`);
      assert.deepEqual(svc.spec.ports[0] && [svc.spec.ports[0].port, svc.spec.ports[0].targetPort], [port, 'metrics']);
      const driver = container(workload, 'ebs-plugin');
      assert.equal(flag(driver.args, 'http-endpoint'), `0.0.0.0:${port}`);
      assert.equal(driver.ports?.find((p) => p.name === 'metrics')?.containerPort, port);
    }
  });
});
