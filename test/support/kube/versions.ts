// What the Kubernetes e2e tests run, and where the install scripts put it (.tools/, links into
// the per-user tool cache). Keep the versions in step with scripts/install/kubernetes.sh and
// scripts/install/etcd.sh; the sidecar versions are the chart's own pins (values.yaml).
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../moto.js';

/** The newest release the Go module proxy serves, and the oldest minor EKS still supports. */
export const KUBE_VERSIONS = ['v1.37.2', 'v1.32.13'] as const;
export type KubeVersion = (typeof KUBE_VERSIONS)[number];
export const ETCD_VERSION = 'v3.6.16';

export const TOOLS_DIR = join(projectRoot, '.tools');

export const kubeBinary = (version: string, name: 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl'): string =>
  join(TOOLS_DIR, 'kubernetes', version, 'bin', name);

export const etcdBinary = (): string => join(TOOLS_DIR, 'etcd', 'bin', 'etcd');

/** The controller Deployment's container names and the binaries scripts/install/csi-sidecars.sh builds for them. */
export const SIDECAR_BINARIES: Readonly<Record<string, string>> = {
  'csi-provisioner': join(TOOLS_DIR, 'sidecars/csi-provisioner/bin/csi-provisioner'),
  'csi-attacher': join(TOOLS_DIR, 'sidecars/csi-attacher/bin/csi-attacher'),
  'csi-resizer': join(TOOLS_DIR, 'sidecars/csi-resizer/bin/csi-resizer'),
  'csi-snapshotter': join(TOOLS_DIR, 'sidecars/external-snapshotter/bin/csi-snapshotter'),
};

/** snapshot-controller, the snapshot CRDs and the snapshot-controller RBAC of the snapshotter's release. */
export const SNAPSHOTTER_DIR = join(TOOLS_DIR, 'sidecars/external-snapshotter');

/** Minor number of "v1.32.13" (32). */
export const minorOf = (version: string): number => Number(/^v1\.(\d+)\./.exec(version)?.[1] ?? NaN);

/** The pinned release of a minor, e.g. 37 → "v1.37.2". */
export function pinnedVersion(minor: number): KubeVersion {
  const version = KUBE_VERSIONS.find((v) => minorOf(v) === minor);
  if (!version) throw new Error(`no Kubernetes 1.${minor} release is pinned; pinned: ${KUBE_VERSIONS.join(', ')}`);
  return version;
}

/** Fails with the install command in the message when a binary is missing (npm test installs them). */
export function requireBinary(path: string, installScript: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: run ${installScript} (npm test runs every scripts/install/*.sh first)`);
  }
}

export function requireKubeTools(version: string): void {
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) {
    requireBinary(kubeBinary(version, name), `scripts/install/kubernetes.sh ${version}`);
  }
  requireBinary(etcdBinary(), 'scripts/install/etcd.sh');
}
