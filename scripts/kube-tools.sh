#!/usr/bin/env bash
# Makes sure the Go tools of the Kubernetes e2e stage are built and linked into .tools/: etcd, the
# CSI sidecars the chart pins and the Kubernetes control plane. Unlike scripts/setup.sh, this waits
# for a build another clone is running (the stage cannot run without them). Quick when all are built.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in etcd csi-sidecars kubernetes; do
  env -u KUBE_INSTALL_NO_WAIT bash "scripts/install/${script}.sh"
done
