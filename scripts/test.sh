#!/usr/bin/env bash
# The project's one test command (npm test): installs what the tests need, then runs the type
# check, the generated-types check, lint, every unit and integration test, and the Kubernetes e2e
# stage (scripts/test-kube.sh) — on Node 24, the
# image's runtime, whatever `node` this machine has (scripts/lib/node-runtime.sh).
#   npm test                      everything
#   npm test -- unit              only these stages (folders or files under dist/test; no Kubernetes
#                                 e2e stage unless one is named, e.g. npm test -- kube)
# Environment:
#   EBS_NODE_MAJOR=22             run on Node 22, the other supported line
#   EC2_ENDPOINT=URL              the integration tests use this running emulator (LocalStack, or
#                                 localstack/moto-server.sh) instead of a moto of their own per file
#   EBS_TEST_SHARED_EMULATOR=1    then also start localstack/moto-server.sh on a free port and run the
#                                 integration stage again against it, as a LocalStack user would (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/node-runtime.sh
source scripts/lib/node-runtime.sh

bash scripts/setup.sh
use_node "${PWD}"
echo "== Node $(node --version) ($(command -v node))"
echo "== build and typecheck"
rm -rf dist  # a clean build: no stale compiled test of a deleted source
npm run --silent build
echo "== generated types match proto/csi.proto"
npm run --silent check:types
echo "== lint"
npm run --silent lint

if [[ $# -gt 0 ]]; then
  bash scripts/run-tests.sh "$@"
  exit 0
fi
echo "== unit and integration tests${EC2_ENDPOINT:+ against the emulator at ${EC2_ENDPOINT}}"
bash scripts/run-tests.sh unit integration
echo "== Kubernetes e2e: the chart's RBAC and sidecars around the driver, every storage flow, each minor"
bash scripts/test-kube.sh --no-setup

[[ "${EBS_TEST_SHARED_EMULATOR:-}" == 1 ]] || exit 0
echo "== integration tests against one shared emulator (localstack/moto-server.sh), as with LocalStack"
bash scripts/shared-emulator.sh bash scripts/run-tests.sh integration
