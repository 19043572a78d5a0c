#!/usr/bin/env bash
# The project's one test command (npm test): installs what the tests need, then runs the type
# check, the generated-types check, lint, every unit and integration test, and the Kubernetes e2e
# stage (test/kube: the chart on a real control plane, README) — on Node 24, the image's runtime,
# whatever `node` this machine has (scripts/lib/node-runtime.sh).
#   npm test                      everything
#   npm test -- unit              only these stages (folders or files under dist/test: unit,
#                                 integration, kube, kube/k8s-1.37.test.js ...)
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

stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(unit integration kube)
for stage in "${stages[@]}"; do
  # Setup does not wait for a Go build another clone is running; the Kubernetes stage needs them.
  if [[ "${stage}" == kube* ]]; then
    bash scripts/kube-tools.sh
    break
  fi
done
echo "== tests: ${stages[*]}${EC2_ENDPOINT:+ (against the emulator at ${EC2_ENDPOINT})}"
bash scripts/run-tests.sh "${stages[@]}"

[[ "${EBS_TEST_SHARED_EMULATOR:-}" == 1 ]] || exit 0
echo "== integration tests against one shared emulator (localstack/moto-server.sh), as with LocalStack"
bash scripts/shared-emulator.sh bash scripts/run-tests.sh integration
