// A reference chart user's values, unchanged, with this chart: every key is accepted with its
// meaning, each value lands where the reference chart puts it, renamed keys disagreeing with
// ours fail naming both, features this driver lacks fail saying so, and the chart renders for
// every Kubernetes minor EKS supports (and with no --kube-version at all).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parseOptions, type DriverOptions } from '../../../src/cli.js';
import { CHART_DIR, HELM, NAMESPACE, RELEASE, VALUES_DIR, render, renderError, requireHelm, run, type Rendered } from './helm.js';
import { parseManifests, container, find, flag, ofKind, type K8sObject, type Workload } from './manifests.js';

const REFERENCE_VALUES = 'reference-eks.yaml';

function driverOptions(workload: Workload): DriverOptions {
  const parsed = parseOptions(container(workload, 'ebs-plugin').args ?? []);
  assert.equal(parsed.kind, 'run');
  return parsed.kind === 'run' ? parsed.options : assert.fail('not run');
}

type Spec<T> = K8sObject & { spec: T };

void describe('chart: a reference chart values file carries over', () => {
  let rendered: Rendered;
  let controller: Workload;
  let node: Workload;

  before(async () => {
    await requireHelm();
    rendered = await render({ valuesFiles: [REFERENCE_VALUES] });
    controller = find<Workload>(rendered.objects, 'Deployment', 'ebs-csi-controller');
    node = find<Workload>(rendered.objects, 'DaemonSet', 'ebs-csi-node');
  });

  void it('puts controller.region in AWS_REGION, the cluster id, extra tags and log format on the driver', () => {
    const driver = container(controller, 'ebs-plugin');
    assert.equal(driver.env?.find((e) => e.name === 'AWS_REGION')?.value, 'eu-central-1');
    const options = driverOptions(controller);
    assert.equal(options.mode, 'controller');
    assert.equal(options.clusterId, 'prod-eks-1');
    assert.deepEqual(options.extraTags, { team: 'storage', environment: 'production' });
    assert.equal(options.loggingFormat, 'json');
    assert.equal(options.batching, true);
    assert.equal(options.userAgentExtra, 'helm');
    assert.deepEqual(options.warnings, [], 'the chart passes no flag the driver ignores');
  });

  void it('runs controller.replicaCount replicas with the reference\'s PodDisruptionBudget rule', () => {
    assert.equal(controller.spec.replicas, 3);
    const pdb = find<Spec<Record<string, unknown>>>(rendered.objects, 'PodDisruptionBudget');
    assert.deepEqual([pdb.spec.minAvailable, pdb.spec.maxUnavailable], [2, undefined], 'more than two replicas: minAvailable 2');
    // The reference's own podAntiAffinity is used as given; the chart adds none of its own.
    const anti = controller.spec.template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    assert.equal(anti?.length, 1);
  });

  void it('gives the node plugin the attach limit and log format', () => {
    const options = driverOptions(node);
    assert.equal(options.mode, 'node');
    assert.equal(options.volumeAttachLimit, 31);
    assert.equal(options.loggingFormat, 'json');
    assert.deepEqual(options.warnings, []);
  });

  void it('keeps the IRSA annotation on the controller ServiceAccount', () => {
    const sa = find(rendered.objects, 'ServiceAccount', 'ebs-csi-controller-sa');
    assert.equal(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'], 'arn:aws:iam::111122223333:role/AmazonEKS_EBS_CSI_DriverRole');
  });

  void it('creates the storage class with the reference\'s default annotation and its template parameter', () => {
    const sc = find<K8sObject & { parameters: Record<string, string>; provisioner: string }>(rendered.objects, 'StorageClass', 'gp3-encrypted');
    assert.equal(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(sc.provisioner, 'ebs.csi.aws.com');
    assert.deepEqual(sc.parameters, { type: 'gp3', encrypted: 'true', tagSpecification_1: 'namespace={{ .PVCNamespace | toUpper }}' });
  });

  void it('exposes the driver\'s and the sidecars\' metrics as the reference does with enableMetrics', () => {
    assert.equal(flag(container(controller, 'ebs-plugin').args, 'http-endpoint'), '0.0.0.0:3301');
    for (const [name, port] of [['csi-provisioner', 3302], ['csi-attacher', 3303], ['csi-resizer', 3304]] as const) {
      assert.equal(flag(container(controller, name).args, 'http-endpoint'), `0.0.0.0:${port}`, name);
    }
    assert.equal(flag(container(controller, 'liveness-probe').args, 'metrics-address'), '0.0.0.0:3305');
    const svc = find(rendered.objects, 'Service', 'ebs-csi-controller-metrics');
    assert.equal(svc.metadata.annotations?.['prometheus.io/scrape'], 'true');
  });

  void it('uses the reference\'s sidecar images, security contexts, registrar probe and fallback resources', () => {
    const provisioner = container(controller, 'csi-provisioner');
    assert.equal(provisioner.image, 'public.ecr.aws/csi-components/csi-provisioner:v6.3.0-eksbuild.4');
    assert.equal(provisioner.securityContext?.capabilities, undefined, 'the reference\'s securityContext, as given');
    assert.deepEqual(provisioner.resources, { requests: { cpu: '10m', memory: '40Mi' }, limits: { memory: '256Mi' } }, 'resources: {} takes controller.resources');
    const registrar = container(node, 'node-driver-registrar');
    assert.equal(flag(registrar.args, 'http-endpoint'), '0.0.0.0:9809');
    assert.equal(registrar.livenessProbe?.httpGet?.port, 'healthz-ndr');
  });

  void it('takes static keys from the reference\'s aws-secret when it exists', () => {
    const env = container(controller, 'ebs-plugin').env ?? [];
    const key = env.find((e) => e.name === 'AWS_ACCESS_KEY_ID') as { valueFrom?: { secretKeyRef?: { name: string; optional: boolean } } } | undefined;
    assert.deepEqual(key?.valueFrom?.secretKeyRef, { name: 'aws-secret', key: 'key_id', optional: true });
  });

  void it('selects pods with the reference chart\'s labels, so its release upgrades in place (selectors are immutable)', () => {
    const base = { 'app.kubernetes.io/name': 'aws-ebs-csi-driver', 'app.kubernetes.io/instance': 'ebs' };
    assert.deepEqual(controller.spec.selector.matchLabels, { app: 'ebs-csi-controller', ...base });
    assert.deepEqual(node.spec.selector.matchLabels, { app: 'ebs-csi-node', ...base });
  });

  void it('renders no Windows DaemonSet for node.enableWindows (on in the reference)', () => {
    assert.deepEqual(ofKind(rendered.objects, 'DaemonSet').map((d) => d.metadata.name), ['ebs-csi-node']);
  });
});

void describe('chart: the reference chart\'s keys beside this chart\'s', () => {
  before(requireHelm);

  void it('fails, naming both, when a key and its reference name disagree', async () => {
    const pairs: [string[], RegExp][] = [
      [['controller.replicas=2', 'controller.replicaCount=3'], /controller\.replicas \(2\) and controller\.replicaCount \(3\) are both set and disagree/],
      [['aws.region=eu-west-1', 'controller.region=us-east-1'], /aws\.region .* and controller\.region .* disagree/],
      [['aws.clusterId=a', 'controller.k8sTagClusterId=b'], /aws\.clusterId .* controller\.k8sTagClusterId/],
      [['logging.format=text', 'controller.loggingFormat=json'], /logging\.format .* controller\.loggingFormat/],
      [['commonLabels.a=x', 'customLabels.a=y'], /commonLabels .* customLabels/],
      [['controller.enabled=true', 'nodeComponentOnly=true'], /controller\.enabled .* nodeComponentOnly/],
      [['controller.extraArgs[0]=--v=3', 'controller.additionalArgs[0]=--v=4'], /controller\.extraArgs .* controller\.additionalArgs/],
      [['controller.leaderElection.enabled=true', 'sidecars.attacher.leaderElection.enabled=false'], /controller\.leaderElection\.enabled .* sidecars\.attacher\.leaderElection\.enabled/],
    ];
    for (const [set, message] of pairs) assert.match(await renderError({ set }), message, set.join(' '));
    // The same value under both names is no conflict.
    const same = await render({ set: ['controller.replicas=3', 'controller.replicaCount=3'] });
    assert.equal(find<Workload>(same.objects, 'Deployment').spec.replicas, 3);
  });

  void it('refuses turning on what this driver cannot do, saying so', async () => {
    for (const [set, message] of [
      ['fips=true', /fips: true \(FIPS 140-3 mode/],
      ['proxy.http_proxy=http://proxy:3128', /proxy\.http_proxy/],
      ['controller.volumeModificationFeature.enabled=true', /volume-modifier sidecar is not offered/],
      ['sidecars.metadataLabeler.enabled=true', /metadata labeler is not offered/],
      ['node.selinux=true', /SELinux/],
      ['controller.otelTracing.otelServiceName=x', /controller\.otelTracing/],
      ['controller.enableNodeLocalVolumes=true', /node-local volumes/],
    ] as const) {
      assert.match(await renderError({ set: [set] }), message, set);
    }
  });

  void it('still refuses misspelt reference keys', async () => {
    assert.match(await renderError({ set: ['controller.replicaCnt=2'] }), /additional properties 'replicaCnt' not allowed/);
    assert.match(await renderError({ set: ['sidecars.provisioner.additionalArg[0]=--x'] }), /additionalArg/);
  });

  void it('honours nodeComponentOnly, debugLogs, image.containerRegistry, imagePullSecrets as names and defaultStorageClass', async () => {
    const { objects } = await render({ set: [
      'nodeComponentOnly=true', 'debugLogs=true', 'image.containerRegistry=mirror.example.com/', 'imagePullSecrets[0]=pull-me',
      'defaultStorageClass.enabled=true',
    ] });
    assert.deepEqual(ofKind(objects, 'Deployment'), []);
    assert.deepEqual(ofKind(objects, 'CSIDriver'), [], 'the reference leaves the CSIDriver to the full release');
    const ds = find<Workload>(objects, 'DaemonSet');
    assert.equal(flag(container(ds, 'ebs-plugin').args, 'v'), '7');
    assert.equal(flag(container(ds, 'node-driver-registrar').args, 'v'), '7');
    assert.match(container(ds, 'ebs-plugin').image, /^mirror\.example\.com\/ebs-csi-driver-ts:/);
    assert.match(container(ds, 'liveness-probe').image, /^mirror\.example\.com\/registry\.k8s\.io\//);
    assert.deepEqual(ds.spec.template.spec.imagePullSecrets, [{ name: 'pull-me' }]);
    const sc = find<K8sObject & { allowVolumeExpansion: boolean }>(objects, 'StorageClass', 'ebs-csi-default-sc');
    assert.equal(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
  });

  void it('renders an additional node DaemonSet per additionalDaemonSets entry, with its own selector and settings', async () => {
    const { objects } = await render({ set: [
      'additionalDaemonSets.c5.nodeSelector.node\\.kubernetes\\.io/instance-type=c5.large', 'additionalDaemonSets.c5.volumeAttachLimit=15',
    ] });
    const main = find<Workload>(objects, 'DaemonSet', 'ebs-csi-node');
    const extra = find<Workload>(objects, 'DaemonSet', 'ebs-csi-node-c5');
    assert.equal(extra.spec.selector.matchLabels.app, 'ebs-csi-node-c5');
    assert.notDeepEqual(extra.spec.selector.matchLabels, main.spec.selector.matchLabels);
    assert.equal(extra.spec.template.spec.nodeSelector?.['node.kubernetes.io/instance-type'], 'c5.large');
    assert.equal(flag(container(extra, 'ebs-plugin').args, 'volume-attach-limit'), '15');
    assert.equal(flag(container(main, 'ebs-plugin').args, 'volume-attach-limit'), undefined);
  });

  void it('passes the node plugin\'s reference flags: legacyXFS, metadataSources, disableMutation', async () => {
    const { objects } = await render({ set: ['node.legacyXFS=true', 'node.metadataSources=kubernetes', 'node.serviceAccount.disableMutation=true'] });
    const options = driverOptions(find<Workload>(objects, 'DaemonSet'));
    assert.equal(options.legacyXfs, true);
    assert.deepEqual(options.metadataSources, ['kubernetes']);
    assert.ok(container(find<Workload>(objects, 'DaemonSet'), 'ebs-plugin').env?.some((e) => e.name === 'DISABLE_TAINT_WATCHER' && e.value === 'true'));
  });
});

void describe('chart: Kubernetes versions', () => {
  before(requireHelm);

  async function renderFor(kubeVersion: string | undefined, apiVersions: readonly string[] = [], set: readonly string[] = []): Promise<K8sObject[]> {
    const result = await run(HELM, [
      'template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...(kubeVersion ? ['--kube-version', kubeVersion] : []),
      ...apiVersions.flatMap((a) => ['--api-versions', a]), ...set.flatMap((s) => ['--set', s]),
    ]);
    assert.equal(result.code, 0, result.stderr);
    return parseManifests(result.stdout);
  }
  const gates = (objects: readonly K8sObject[], sidecar: string): unknown => flag(container(find<Workload>(objects, 'Deployment'), sidecar).args, 'feature-gates');
  const csiDriverSpec = (objects: readonly K8sObject[]): Record<string, unknown> => find<Spec<Record<string, unknown>>>(objects, 'CSIDriver').spec;

  void it('renders with plain `helm template` (no --kube-version)', async () => {
    const objects = await renderFor(undefined);
    assert.ok(objects.some((o) => o.kind === 'Deployment'));
  });

  void it('installs on 1.32: no VolumeAttributesClass gate, no nodeAllocatableUpdatePeriodSeconds', async () => {
    const objects = await renderFor('1.32.0');
    assert.equal(gates(objects, 'csi-provisioner'), 'Topology=true,VolumeAttributesClass=false');
    assert.equal(gates(objects, 'csi-resizer'), 'VolumeAttributesClass=false');
    assert.equal(csiDriverSpec(objects).nodeAllocatableUpdatePeriodSeconds, undefined);
    assert.equal(gates(objects, 'csi-attacher'), undefined);
  });

  void it('on 1.33 turns on the attach-limit refresh, and keeps VolumeAttributesClass off even where v1beta1 is served', async () => {
    // The sidecars list storage.k8s.io/v1 classes: with v1beta1 alone they would fail to.
    const objects = await renderFor('1.33.0', ['storage.k8s.io/v1beta1/VolumeAttributesClass']);
    assert.equal(csiDriverSpec(objects).nodeAllocatableUpdatePeriodSeconds, 10);
    assert.equal(gates(objects, 'csi-attacher'), 'MutableCSINodeAllocatableCount=true');
    assert.equal(gates(objects, 'csi-resizer'), 'VolumeAttributesClass=false');
    const off = await renderFor('1.33.0', [], ['nodeAllocatableUpdatePeriodSeconds=0']);
    assert.equal(csiDriverSpec(off).nodeAllocatableUpdatePeriodSeconds, undefined);
    assert.equal(gates(off, 'csi-attacher'), undefined, 'the gate only with the refresh');
  });

  void it('on 1.34 and later, or where storage.k8s.io/v1 is served: VolumeAttributesClass left on (the sidecars\' default)', async () => {
    for (const version of ['1.34.0', '1.37.0']) {
      assert.equal(gates(await renderFor(version), 'csi-resizer'), undefined, version);
      assert.equal(gates(await renderFor(version), 'csi-provisioner'), 'Topology=true', version);
    }
    assert.equal(gates(await renderFor('1.33.0', ['storage.k8s.io/v1/VolumeAttributesClass']), 'csi-resizer'), undefined);
  });

  void it('the reference values file renders on 1.32 too', async () => {
    const result = await run(HELM, ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--kube-version', '1.32.0', '--values', join(VALUES_DIR, REFERENCE_VALUES)]);
    assert.equal(result.code, 0, result.stderr);
  });
});
