// The chart rendered with the value sets in values/: each option must reach the objects.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NAMESPACE, SNAPSHOT_API, render, requireHelm } from './helm.js';
import {
  container, containerNames, find, flag, mount, ofKind, verbs, volume,
  type K8sObject, type Role, type Workload,
} from './manifests.js';

type ClassObject = K8sObject & Record<string, unknown>;

void describe('chart value sets', () => {
  before(requireHelm);

  void it('controller only: no node plugin, tuned leader election, AWS settings and IRSA', async () => {
    const { objects } = await render({ valuesFiles: ['controller-only.yaml'] });
    assert.deepEqual(ofKind(objects, 'DaemonSet'), []);
    assert.deepEqual(ofKind(objects, 'CSIDriver'), []);
    assert.ok(!objects.some((o) => o.metadata.name === 'ebs-csi-node-sa' || o.metadata.name === 'ebs-csi-node'));

    const deployment = find<Workload>(objects, 'Deployment');
    assert.equal(deployment.spec.replicas, 3);
    const required = deployment.spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    assert.equal(required?.[0]?.topologyKey, 'kubernetes.io/hostname');
    // The zone spread gets the chart's own pod selector filled in.
    const spread = (deployment.spec.template.spec as { topologySpreadConstraints?: unknown }).topologySpreadConstraints;
    assert.deepEqual(spread, [{
      maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
    }]);
    for (const name of ['csi-provisioner', 'csi-attacher', 'csi-resizer']) {
      const args = container(deployment, name).args;
      assert.equal(flag(args, 'leader-election-lease-duration'), '30s', name);
      assert.equal(flag(args, 'leader-election-renew-deadline'), '20s', name);
      assert.equal(flag(args, 'leader-election-retry-period'), '10s', name);
    }

    const sa = find<K8sObject & { automountServiceAccountToken: boolean }>(objects, 'ServiceAccount', 'ebs-csi-controller-sa');
    assert.equal(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'], 'arn:aws:iam::111122223333:role/ebs-csi-driver');
    assert.equal(sa.automountServiceAccountToken, true);

    const driver = container(deployment, 'ebs-plugin');
    assert.deepEqual(driver.env?.filter((e) => e.name.startsWith('AWS_') && e.value !== undefined), [
      { name: 'AWS_REGION', value: 'eu-west-1' },
      { name: 'AWS_ENDPOINT_URL_EC2', value: 'http://localstack.localstack.svc:4566' },
    ]);
    assert.equal(flag(driver.args, 'k8s-tag-cluster-id'), 'prod-cluster');
    assert.equal(flag(driver.args, 'extra-tags'), 'cost-center=4711,team=storage');
    assert.equal(flag(driver.args, 'logging-format'), 'json');
    assert.equal(flag(driver.args, 'v'), '4');
    assert.equal(flag(driver.args, 'user-agent-extra'), 'ci');
  });

  void it('node only: custom kubelet path and driver name, host network, attach limits, own tolerations', async () => {
    const { objects } = await render({ valuesFiles: ['node-only.yaml'] });
    assert.deepEqual(ofKind(objects, 'Deployment'), []);
    assert.deepEqual(ofKind(objects, 'PodDisruptionBudget'), []);
    assert.deepEqual(ofKind<Role>(objects, 'ClusterRole').map((r) => r.metadata.name), ['ebs-csi-node']);
    assert.deepEqual(ofKind(objects, 'Role'), []);
    assert.equal(find(objects, 'CSIDriver').metadata.name, 'ebs.csi.example.com');

    const ds = find<Workload>(objects, 'DaemonSet');
    const pod = ds.spec.template.spec;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    // The user's, then the reference chart's: not evicted by autoscalers while volumes are still mounted.
    assert.deepEqual(pod.tolerations, [
      { key: 'dedicated', operator: 'Equal', value: 'storage', effect: 'NoSchedule' },
      ...['ebs.csi.aws.com/agent-not-ready', 'ToBeDeletedByClusterAutoscaler', 'karpenter.sh/disrupted', 'karpenter.sh/disruption'].map((key) => ({ key, operator: 'Exists' })),
    ]);
    assert.deepEqual(ds.spec.updateStrategy?.rollingUpdate, { maxUnavailable: 2 });

    const kubelet = '/var/snap/microk8s/common/var/lib/kubelet';
    const driver = container(ds, 'ebs-plugin');
    assert.equal(mount(driver, 'kubelet-dir').mountPath, kubelet);
    assert.equal(mount(driver, 'kubelet-dir').mountPropagation, 'Bidirectional');
    assert.equal(volume(ds, 'kubelet-dir').hostPath?.path, kubelet);
    assert.equal(volume(ds, 'plugin-dir').hostPath?.path, `${kubelet}/plugins/ebs.csi.example.com/`);
    assert.equal(volume(ds, 'registration-dir').hostPath?.path, `${kubelet}/plugins_registry/`);
    const registrar = container(ds, 'node-driver-registrar');
    assert.equal(flag(registrar.args, 'kubelet-registration-path'), `${kubelet}/plugins/ebs.csi.example.com/csi.sock`);
    assert.ok(registrar.livenessProbe?.exec?.command.includes(`--kubelet-registration-path=${kubelet}/plugins/ebs.csi.example.com/csi.sock`));

    assert.equal(flag(driver.args, 'driver-name'), 'ebs.csi.example.com');
    assert.equal(flag(driver.args, 'volume-attach-limit'), '25');
    assert.equal(flag(driver.args, 'reserved-volume-attachments'), undefined, 'only one of the two may be set');
    assert.equal(flag(driver.args, 'http-endpoint'), '0.0.0.0:3402');
    assert.equal(driver.env?.find((e) => e.name === 'AWS_EC2_METADATA_SERVICE_ENDPOINT')?.value, 'http://169.254.169.254');
    assert.equal(driver.ports?.find((p) => p.name === 'healthz')?.containerPort, 9809);
    assert.equal(flag(container(ds, 'liveness-probe').args, 'http-endpoint'), '0.0.0.0:9809');
  });

  void it('snapshots forced: snapshotter, its role and the VolumeSnapshotClasses without the snapshot API', async () => {
    const { objects } = await render({ valuesFiles: ['snapshots-forced.yaml'] });
    const deployment = find<Workload>(objects, 'Deployment');
    const snapshotter = container(deployment, 'csi-snapshotter');
    assert.equal(flag(snapshotter.args, 'timeout'), '2m');
    assert.equal(flag(snapshotter.args, 'worker-threads'), '20');
    assert.equal(flag(snapshotter.args, 'leader-election'), 'true');
    assert.equal(mount(snapshotter, 'socket-dir').mountPath, '/var/lib/csi/sockets/pluginproxy');
    const role = find<Role>(objects, 'ClusterRole', 'ebs-csi-snapshotter');
    assert.deepEqual(verbs(role, '', 'events'), ['create', 'list', 'patch', 'update', 'watch']);

    const classes = ofKind<ClassObject>(objects, 'VolumeSnapshotClass');
    assert.deepEqual(classes.map((c) => [c.metadata.name, c.driver, c.deletionPolicy]), [
      ['ebs-snapshots', 'ebs.csi.aws.com', 'Retain'],
      ['ebs-snapshots-fsr', 'ebs.csi.aws.com', 'Delete'],
    ]);
    assert.equal(classes[0]?.metadata.annotations?.['snapshot.storage.kubernetes.io/is-default-class'], 'true');
    assert.equal(classes[1]?.metadata.annotations, undefined);
    assert.deepEqual(classes[0]?.parameters, { tagSpecification_1: 'owner={{ .VolumeSnapshotNamespace }}' });
    assert.deepEqual(classes[1]?.parameters, { fastSnapshotRestoreAvailabilityZones: 'eu-west-1a,eu-west-1b' });
  });

  void it('snapshot classes are left out when neither the snapshot API nor the force switch is there', async () => {
    const without = await render({ set: ['volumeSnapshotClasses[0].name=ebs-snapshots'] });
    assert.deepEqual(ofKind(without.objects, 'VolumeSnapshotClass'), []);
    assert.ok(!containerNames(find<Workload>(without.objects, 'Deployment')).includes('csi-snapshotter'));
    const withApi = await render({ set: ['volumeSnapshotClasses[0].name=ebs-snapshots'], apiVersions: [SNAPSHOT_API] });
    assert.equal(find<ClassObject>(withApi.objects, 'VolumeSnapshotClass').deletionPolicy, 'Delete');
  });

  void it('custom images: every container uses the mirror, with tuned workers and extra options', async () => {
    const { objects } = await render({ valuesFiles: ['custom-images.yaml'], apiVersions: [SNAPSHOT_API] });
    const deployment = find<Workload>(objects, 'Deployment');
    const ds = find<Workload>(objects, 'DaemonSet');
    const images = Object.fromEntries(
      [deployment, ds].flatMap((w) => w.spec.template.spec.containers.map((c) => [`${w.kind}/${c.name}`, `${c.image} ${c.imagePullPolicy ?? ''}`])),
    );
    const driver = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ebs-csi-driver-ts:v9.9.9 Always';
    assert.deepEqual(images, {
      'Deployment/ebs-plugin': driver,
      'Deployment/csi-provisioner': 'mirror.example.com/sig-storage/csi-provisioner:v6.3.0-patched Always',
      'Deployment/csi-attacher': 'mirror.example.com/sig-storage/csi-attacher:v4.13.0 IfNotPresent',
      // Not overridden in the values file: keeps the chart's default.
      'Deployment/csi-snapshotter': 'registry.k8s.io/sig-storage/csi-snapshotter:v8.6.0 IfNotPresent',
      'Deployment/csi-resizer': 'mirror.example.com/sig-storage/csi-resizer:v2.2.1 IfNotPresent',
      'Deployment/liveness-probe': 'mirror.example.com/sig-storage/livenessprobe:v2.19.0 IfNotPresent',
      'DaemonSet/ebs-plugin': driver,
      'DaemonSet/node-driver-registrar': 'mirror.example.com/sig-storage/csi-node-driver-registrar:v2.17.0 IfNotPresent',
      'DaemonSet/liveness-probe': 'mirror.example.com/sig-storage/livenessprobe:v2.19.0 IfNotPresent',
    });
    for (const w of [deployment, ds]) assert.deepEqual(w.spec.template.spec.imagePullSecrets, [{ name: 'mirror-credentials' }]);

    const provisioner = container(deployment, 'csi-provisioner');
    assert.equal(flag(provisioner.args, 'timeout'), '90s');
    assert.equal(flag(provisioner.args, 'worker-threads'), '7');
    assert.equal(flag(provisioner.args, 'feature-gates'), 'CrossNamespaceVolumeDataSource=false,Topology=true');
    assert.equal(provisioner.args?.at(-1), '--capacity-ownerref-level=0');
    assert.equal(flag(container(deployment, 'csi-attacher').args, 'worker-threads'), '8');
    assert.equal(flag(container(deployment, 'csi-resizer').args, 'workers'), '9');

    const controllerDriver = container(deployment, 'ebs-plugin');
    assert.equal(controllerDriver.args?.at(-1), '--v=5');
    assert.deepEqual(controllerDriver.env?.at(-1), { name: 'AWS_MAX_ATTEMPTS', value: '5' });
    assert.equal(container(ds, 'ebs-plugin').args?.at(-1), '--reserved-volume-attachments=1');
  });

  void it('storage classes: one default, parameters as strings, and ServiceMonitors that find the metrics Services', async () => {
    const { objects } = await render({ valuesFiles: ['storage-classes.yaml'] });
    const classes = ofKind<ClassObject>(objects, 'StorageClass');
    assert.deepEqual(classes.map((c) => c.metadata.name), ['ebs-gp3', 'ebs-io2-retain']);
    const [gp3, io2] = classes as [ClassObject, ClassObject];
    assert.equal(gp3.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(io2.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], undefined);
    assert.equal(io2.metadata.annotations?.description, 'provisioned IOPS');
    assert.equal(io2.metadata.labels?.tier, 'fast');
    assert.deepEqual(
      [gp3.provisioner, gp3.volumeBindingMode, gp3.reclaimPolicy, gp3.allowVolumeExpansion],
      ['ebs.csi.aws.com', 'WaitForFirstConsumer', 'Delete', true],
    );
    assert.deepEqual(gp3.parameters, { type: 'gp3', encrypted: 'true', 'csi.storage.k8s.io/fstype': 'xfs' });
    assert.deepEqual(
      [io2.volumeBindingMode, io2.reclaimPolicy, io2.allowVolumeExpansion, io2.mountOptions],
      ['Immediate', 'Retain', false, ['noatime']],
    );
    assert.deepEqual(io2.parameters, { type: 'io2', iopsPerGB: '50', tagSpecification_1: 'pvc={{ .PVCNamespace }}/{{ .PVCName }}' });
    assert.deepEqual(io2.allowedTopologies, [
      { matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['eu-west-1a', 'eu-west-1b'] }] },
    ]);

    type Monitor = K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; interval: string; scrapeTimeout: string }[] } };
    type Service = K8sObject & { spec: { ports: { name: string }[] } };
    const monitors = ofKind<Monitor>(objects, 'ServiceMonitor');
    assert.equal(monitors.length, 2);
    for (const m of monitors) {
      assert.equal(m.metadata.labels?.release, 'prometheus');
      assert.deepEqual(m.spec.namespaceSelector.matchNames, [NAMESPACE]);
      const selected = ofKind<Service>(objects, 'Service').filter((s) =>
        Object.entries(m.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
      assert.equal(selected.length, 1, `${m.metadata.name} selects exactly one Service`);
      const ports = m.metadata.name.endsWith('controller') ? ['metrics', 'metrics-prov', 'metrics-attach', 'metrics-resizer', 'metrics-lp'] : ['metrics'];
      assert.deepEqual(m.spec.endpoints.map((e) => [e.port, e.interval, e.scrapeTimeout]), ports.map((p) => [p, '1m', '20s']));
      assert.ok(selected[0]?.spec.ports.some((p) => p.name === 'metrics'));
    }
    // The API server refuses a port name that is not an IANA service name (at most 15 characters),
    // which helm template does not check: a Service or pod with one fails only at install.
    type Workload = K8sObject & { spec: { template: { spec: { containers: { ports?: { name?: string }[] }[] } } } };
    const portNames = [
      ...ofKind<Service>(objects, 'Service').flatMap((svc) => svc.spec.ports.map((p) => p.name)),
      ...[...ofKind<Workload>(objects, 'Deployment'), ...ofKind<Workload>(objects, 'DaemonSet')]
        .flatMap((w) => w.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name ?? ''))),
    ];
    assert.ok(portNames.includes('metrics-attach'), portNames.join(' '));
    for (const name of portNames) assert.match(name, /^(?=.*[a-z])[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?$/, `port name ${name}`);
  });
});
