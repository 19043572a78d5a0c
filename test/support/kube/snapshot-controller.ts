// The cluster-wide half of snapshots, which a cluster operator installs once and the chart does
// not ship: the snapshot CRDs and snapshot-controller of the release the chart's csi-snapshotter
// pins (built by scripts/install/csi-sidecars.sh), with that release's own RBAC. The controller
// runs as its own ServiceAccount from that RBAC, not as admin.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeClient } from './client.js';
import { applyAll } from './chart.js';
import type { ControlPlane } from './control-plane.js';
import type { Supervisor, Supervised } from './processes.js';
import type { CustomResourceDefinition, KubeObject } from './types.js';
import { requireBinary, SNAPSHOTTER_DIR } from './versions.js';

const NAMESPACE = 'kube-system';

function objectsIn(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && typeof o.kind === 'string');
}

/** Applies the six snapshot CRDs (VolumeSnapshot*, VolumeGroupSnapshot*) and waits until they are established. */
export async function installSnapshotCrds(admin: KubeClient): Promise<void> {
  const dir = join(SNAPSHOTTER_DIR, 'crd');
  const crds = readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) => objectsIn(join(dir, f)));
  if (crds.length < 6) throw new Error(`${dir} holds ${crds.length} CRDs, expected 6: run scripts/install/csi-sidecars.sh`);
  await applyAll(admin, crds);
  for (const crd of crds) {
    await admin.waitUntil<CustomResourceDefinition>({ apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name },
      `CRD ${crd.metadata.name} to be established`,
      (o) => o.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true, 30_000);
  }
}

/** Applies the release's snapshot-controller RBAC (its namespace set to kube-system) and starts the controller. */
export async function startSnapshotController(controlPlane: ControlPlane, supervisor: Supervisor): Promise<Supervised> {
  const binary = join(SNAPSHOTTER_DIR, 'bin/snapshot-controller');
  requireBinary(binary, 'scripts/install/csi-sidecars.sh');
  const rbac = objectsIn(join(SNAPSHOTTER_DIR, 'rbac/rbac-snapshot-controller.yaml')).map((o) => placeInNamespace(o));
  await applyAll(controlPlane.admin, rbac);
  const account = rbac.find((o) => o.kind === 'ServiceAccount');
  if (!account) throw new Error('rbac-snapshot-controller.yaml defines no ServiceAccount');
  const kubeconfig = await controlPlane.serviceAccountKubeconfig(NAMESPACE, account.metadata.name);
  return supervisor.spawn({
    name: `snapshot-controller-${controlPlane.version}`, file: binary,
    args: [`--kubeconfig=${kubeconfig}`, '--v=2', '--leader-election=false'],
    env: { POD_NAMESPACE: NAMESPACE },
  });
}

/** The release's manifests name the "kube-system" namespace or none; subjects follow the object. */
function placeInNamespace(object: KubeObject): KubeObject {
  const namespaced = ['ServiceAccount', 'Role', 'RoleBinding'].includes(object.kind);
  const o = { ...object, metadata: { ...object.metadata, ...(namespaced ? { namespace: NAMESPACE } : {}) } } as KubeObject & { subjects?: { kind: string; namespace?: string }[] };
  if (o.subjects) o.subjects = o.subjects.map((s) => (s.kind === 'ServiceAccount' ? { ...s, namespace: NAMESPACE } : s));
  return o;
}
