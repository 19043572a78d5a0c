// The chart as the e2e tests install it: `helm template` with test values (written to the state
// directory, since they carry the emulator's loopback endpoint), told the Kubernetes version or
// (as `helm install` does) asking the API server for it, the objects it renders applied
// to the API server as a user's `helm install` would create them, and the controller Deployment
// handed to controller-pod.ts, which runs its containers as processes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHART_DIR, HELM, requireHelm, run } from '../../integration/chart/helm.js';
import { parseManifests } from '../../integration/chart/manifests.js';
import type { KubeClient } from './client.js';
import type { KubeObject, Workload } from './types.js';

export const RELEASE = 'ebs';
export const NAMESPACE = 'kube-system';
/** The API the snapshotter container and VolumeSnapshotClasses are rendered for (the snapshot CRDs are installed). */
const SNAPSHOT_API = 'snapshot.storage.k8s.io/v1/VolumeSnapshotClass';

/** Kinds that need a kubelet to mean anything: the harness runs their containers itself. */
const RUN_BY_HARNESS = new Set(['Deployment', 'DaemonSet']);

export interface RenderedChart {
  readonly objects: readonly KubeObject[];
  /** What gets applied: everything but the Deployment and DaemonSet. */
  readonly applied: readonly KubeObject[];
  readonly controller: Workload;
  readonly node: Workload;
}

export interface ChartValues {
  readonly [key: string]: unknown;
}

let renders = 0;

export interface RenderOptions {
  /**
   * Render as `helm install` does, from this API server (a kubeconfig file): helm asks the server
   * for its version and APIs (.Capabilities) instead of being told, and validates every object
   * against the server's OpenAPI schema. Only before the chart's objects exist there: helm refuses
   * to "install" over objects it did not create.
   */
  readonly discoverFrom?: string;
}

/** helm template of the repository's chart for a Kubernetes version, with these values. */
export async function renderChart(stateDir: string, kubeVersion: string, values: ChartValues, options: RenderOptions = {}): Promise<RenderedChart> {
  await requireHelm();
  const valuesFile = join(stateDir, `e2e-values-${renders += 1}.yaml`);
  writeFileSync(valuesFile, stringify(values));
  const target = options.discoverFrom !== undefined
    ? ['--validate', '--kubeconfig', options.discoverFrom]
    : ['--kube-version', kubeVersion.replace(/^v/, ''), '--api-versions', SNAPSHOT_API];
  // helm keeps what it discovers under ~/.kube/cache by server address; a later control plane on
  // the same port would read another server's APIs from there. Keep it in the test's own state.
  const env = { ...process.env, KUBECACHEDIR: join(stateDir, 'kube-cache') };
  const result = await run(HELM, ['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...target, '--values', valuesFile], env);
  if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}): ${result.stderr}`);
  const objects = parseManifests(result.stdout) as readonly KubeObject[];
  const workload = (kind: string, component: string): Workload => {
    const found = objects.find((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === component);
    if (!found) throw new Error(`the chart rendered no ${component} ${kind}`);
    return found as Workload;
  };
  return {
    objects,
    applied: objects.filter((o) => !RUN_BY_HARNESS.has(o.kind)),
    controller: workload('Deployment', 'controller'),
    node: workload('DaemonSet', 'node'),
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` on top of `base`, as helm merges values files: maps merge key by key, anything else is replaced. */
export function mergeValues(base: ChartValues, over: ChartValues): ChartValues {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
  }
  return out;
}

/** Applies objects in an order the API server accepts (accounts and roles before bindings). */
export async function applyAll(client: KubeClient, objects: readonly KubeObject[]): Promise<void> {
  const order = ['CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'Role', 'ClusterRoleBinding', 'RoleBinding'];
  const rank = (o: KubeObject): number => {
    const i = order.indexOf(o.kind);
    return i === -1 ? order.length : i;
  };
  for (const object of [...objects].sort((a, b) => rank(a) - rank(b))) await client.apply(object);
}
