#!/usr/bin/env bash
# The Kubernetes e2e stage on its own (npm test runs it too): a real control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler) with the chart installed and its
# controller Deployment's sidecars running around the driver and moto, one storage flow per line,
# on each Kubernetes minor in test/kube/k8s-*.test.ts.
# Usage: scripts/test-kube.sh [--no-setup] [MINOR…]   e.g. scripts/test-kube.sh 1.37
#   --no-setup  skip installs and build (npm test has done them)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/node-runtime.sh
source scripts/lib/node-runtime.sh

setup=1
if [[ "${1:-}" == "--no-setup" ]]; then
  setup=0
  shift
fi
if ((setup)); then
  bash scripts/setup.sh
  use_node "${PWD}"
  rm -rf dist
  npm run --silent build
fi
use_node "${PWD}"
# Setup does not wait for a build another clone is running; this stage needs the tools, so it does.
for script in etcd csi-sidecars kubernetes; do
  env -u KUBE_INSTALL_NO_WAIT bash "scripts/install/${script}.sh"
done

files=()
if (($# == 0)); then
  files=(dist/test/kube/*.test.js)
else
  for minor in "$@"; do files+=("dist/test/kube/k8s-${minor}.test.js"); done
fi
# One minor at a time: each starts its own control plane, and the machine may have 2 cores.
node --test --test-concurrency=1 --test-reporter=spec --test-timeout=900000 "${files[@]}"
