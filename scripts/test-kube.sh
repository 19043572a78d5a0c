#!/usr/bin/env bash
# The Kubernetes e2e stage on its own (npm test runs it too, as its `kube` stage): a real control
# plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) with the chart installed and
# its controller Deployment's sidecars running around the driver and moto, one storage flow per
# line, on each Kubernetes minor in test/kube/k8s-*.test.ts (README, "The chart on real Kubernetes").
# Usage: scripts/test-kube.sh [--no-setup] [MINOR…]   e.g. scripts/test-kube.sh 1.37
#   --no-setup  skip setup and build (a tree built by npm run build or npm test)
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
bash scripts/kube-tools.sh

targets=()
if (($# == 0)); then
  targets=(kube)
else
  for minor in "$@"; do targets+=("kube/k8s-${minor}.test.js"); done
fi
bash scripts/run-tests.sh "${targets[@]}"
